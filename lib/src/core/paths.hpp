#pragma once

// Facts about paths on this host that more than one part of libvolumecli relies on. Internal.

#include <string>

namespace volumecli {

// Go's filepath.Clean for an absolute path: "/a//b/./c/../d" -> "/a/b/d", ".." at the top stays
// at "/". What realpath would give without symlinks, for a path that need not exist.
std::string clean_absolute_path(const std::string& path);

// Why the directory at `path` cannot be trusted as one only this user may change ("is a
// symlink", "is not a directory", "belongs to uid N, not to this user (uid M)", "may be written
// by other users"), or empty when it can: then nobody else can replace anything inside it, and
// every path below it is safe to use. Throws DriverError, naming it `what`, when lstat fails.
std::string private_directory_problem(const std::string& path, const std::string& what);

}  // namespace volumecli
