#pragma once

// mount(2) for the local driver, with Docker's reading of the "o" option.

#include <string>
#include <vector>

namespace volumecli::local {

struct MountSpec {
    std::string type;     // "tmpfs", "nfs", "none" (with o=bind), ...
    std::string device;   // the source
    std::string options;  // Docker's "o": flags such as ro,bind,noexec and filesystem data
};

struct ParsedOptions {
    unsigned long flags = 0;        // MS_* for the mount itself
    unsigned long propagation = 0;  // MS_PRIVATE, MS_SHARED, ... applied afterwards
    std::string data;               // what the filesystem reads
};

// Splits `o` into mount flags, propagation and data, as moby's mount.ParseOptions does.
ParsedOptions parse_mount_options(const std::string& options);

// Mounts `spec` on `target`. Throws DriverError with the system's reason.
void mount_volume(const MountSpec& spec, const std::string& target);
// Unmounts `target`; a target that is not mounted is not an error. Throws DriverError.
void unmount_volume(const std::string& target);
// True when `path` is a mount point in this process's mount namespace.
bool is_mount_point(const std::string& path);
// The mount points at `path` or below it in this process's mount namespace, shallowest first;
// `path` is spelled as /proc/self/mountinfo spells it (absolute, symlinks resolved).
std::vector<std::string> mount_points_under(const std::string& path);

}  // namespace volumecli::local
