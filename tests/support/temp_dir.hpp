#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace volumecli::test {

// A fresh directory /tmp/vcli-XXXXXX, removed with everything in it when the object dies.
// The prefix is short on purpose: unix socket paths must fit in sun_path (108 bytes).
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const std::string& path() const { return m_path; }
    // `relative` joined to path(); nothing is created.
    [[nodiscard]] std::string file(const std::string& relative) const;
    // Creates the directory (and its parents) and returns its absolute path.
    std::string make_dir(const std::string& relative) const;
    // Writes `content` to the file (parents created), returns its absolute path.
    std::string write_file(const std::string& relative, const std::string& content) const;

private:
    std::string m_path;
};

// Reads a whole file; throws std::runtime_error when it cannot.
std::string read_file(const std::string& path);

// lstat: true for anything at `path`, a dangling symlink too.
bool exists(const std::string& path);

// The permission bits (07777) of what is at `path` (lstat); nullopt when there is nothing.
std::optional<mode_t> permissions(const std::string& path);

}  // namespace volumecli::test
