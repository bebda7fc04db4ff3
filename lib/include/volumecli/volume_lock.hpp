#pragma once

#include <volumecli/endpoint.hpp>

#include <chrono>
#include <string>

namespace volumecli {

// An exclusive lock on one volume, so that concurrent invocations on one host run their call
// sequences for it one at a time. It is an flock(2): held while the object lives, and released
// by the kernel when the process dies, so a killed holder never blocks the next one.
class VolumeLock {
public:
    // Locks the file at `path` (created 0600 when missing, never opened through a symlink),
    // polling with a short growing pause for at most `timeout`, then writes this process's id
    // into it. `volume` names the volume in messages. Throws TimeoutError naming the volume, the
    // time waited, the file and the holder's pid when it cannot be had in time; DriverError when
    // the file cannot be opened or locked.
    VolumeLock(const std::string& path, const std::string& volume, std::chrono::milliseconds timeout);
    ~VolumeLock();
    VolumeLock(VolumeLock&& other) noexcept;
    VolumeLock& operator=(VolumeLock&& other) noexcept;
    VolumeLock(const VolumeLock&) = delete;
    VolumeLock& operator=(const VolumeLock&) = delete;

    [[nodiscard]] const std::string& path() const { return m_path; }

private:
    int m_fd = -1;
    std::string m_path;
};

// The key a plugin's volumes are locked under, the same however the plugin was named (its name,
// a spec file, --plugin-addr, a managed plugin's reference): "unix://" + the socket's canonical
// path (symlinks, "//", "." and ".." resolved; when the socket is missing, its directory's), or
// "tcp://host:port" / "https://host:port" (http:// is tcp://) where host is the least of the
// host's resolved addresses in numeric form, "loopback" for any loopback address (localhost,
// 127.0.0.1 and ::1 are one plugin), or the name in lower case when it does not resolve.
std::string endpoint_lock_key(const Endpoint& endpoint);

// The lock file of (key, volume): <run_dir>/locks/<sha256_hex(key + '\0' + volume)>.lock, so any
// name stays inside the directory. `key`: endpoint_lock_key for a plugin, the driver's name for
// the built-in local and flocker drivers. Creates each missing directory 0700. Throws UsageError
// unless `run_dir` is absolute and a real directory (not a symlink) owned by the effective user
// that neither group nor others may write; DriverError when a directory cannot be created.
std::string volume_lock_path(const std::string& run_dir, const std::string& key, const std::string& volume);

// Locks (key, volume) under `run_dir`: volume_lock_path, then VolumeLock. Throws as they do.
VolumeLock lock_volume(const std::string& run_dir, const std::string& key, const std::string& volume,
                       std::chrono::milliseconds timeout);

}  // namespace volumecli
