#pragma once

// What the local driver and exec tests look at on the host: /proc/self/mountinfo, files and
// symlinks, and a guard that leaves no mount behind whatever a test does.

#include "harness.hpp"

#include <string>
#include <vector>

namespace volumecli::e2e {

// One line of /proc/self/mountinfo.
struct MountEntry {
    std::string point;
    std::string fstype;
    std::string source;
    std::string super_options;
};

std::vector<MountEntry> read_mounts();
// Every mount whose mount point is `path`, bottom first.
std::vector<MountEntry> mounts_at(const std::string& path);
// Mount points equal to `prefix` or below it.
std::vector<std::string> mount_points_under(const std::string& prefix);

// Lazily unmounts every mount at or below `prefix`, deepest first.
void unmount_all_under(const std::string& prefix);

// Lazily unmounts whatever is still mounted under `prefix` when the test ends, pass or fail, so
// a broken implementation never leaves mounts behind (nor makes the temporary tree undeletable).
class MountGuard {
public:
    explicit MountGuard(std::string prefix) : m_prefix(std::move(prefix)) {}
    ~MountGuard();
    MountGuard(const MountGuard&) = delete;
    MountGuard& operator=(const MountGuard&) = delete;
    MountGuard(MountGuard&&) = delete;
    MountGuard& operator=(MountGuard&&) = delete;

private:
    std::string m_prefix;
};

using test::exists;  // lstat: a dangling symlink exists
bool is_directory(const std::string& path);
bool is_symlink(const std::string& path);
std::string link_target(const std::string& path);  // empty when not a symlink

// True when running as root; otherwise the test is skipped with the reason.
bool running_as_root(const std::string& why);

}  // namespace volumecli::e2e

// The harness macros name their argument more than once: these run `call` exactly once.
#define REQUIRE_RUN(call, code)          \
    do {                                 \
        const auto run_result_ = (call); \
        REQUIRE_EXIT(run_result_, code); \
    } while (false)
#define REQUIRE_FAILED_RUN(call, code)      \
    do {                                    \
        const auto run_result_ = (call);    \
        REQUIRE_FAILURE(run_result_, code); \
    } while (false)
