#pragma once

// Deleting a local volume's directory tree without ever leaving it: no link is followed, no
// mount point is entered, and a deep tree costs a bounded number of descriptors. A remove first
// renames the volume to its trash, <root>/.removing-<name>-<pid>, so that a remove killed
// half-way leaves no half volume under the name, and the next remove knows what to finish.

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace volumecli::local {

// Deletes the directory `path` (itself never followed if it is a symlink) and everything in
// it. A symlink inside is removed, not followed. A mount point anywhere inside (a bind mount of
// the same file system included) is never entered: nothing below it is touched and DriverError
// names it, after what could be deleted around it is gone. Other failures throw DriverError.
void delete_tree(const std::string& path);

constexpr std::string_view k_trash_prefix = ".removing-";

// The trash entry (a name in the root) of `volume` removed by process `pid`.
std::string trash_entry(const std::string& volume, pid_t pid);
// The volume whose trash `entry` is, or "" when it is no trash entry.
std::string trash_owner(const std::string& entry);
// The trash entries in `root` (none when it cannot be read).
std::vector<std::string> trash_entries(const std::string& root);
// Deletes the trash at `path` with delete_tree, after refusing (DriverError naming the mount)
// when /proc/self/mountinfo shows a mount at or below it.
void delete_trash(const std::string& path);

}  // namespace volumecli::local
