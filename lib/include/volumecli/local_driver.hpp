#pragma once

#include <volumecli/driver.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace volumecli {

struct LocalSettings {
    // Volumes live in <root>/<name>/_data, as under Docker's /var/lib/docker/volumes.
    std::string root = "/var/lib/dvdcli/volumes";
    // Bound on waiting for another process that holds the volume's lock (then TimeoutError).
    std::chrono::milliseconds lock_timeout{60000};
};

// The built-in driver, like Docker's "local": no plugin. create records Docker's local-driver
// options (type, device, o); mount performs the real mount(2) for the first holder and records
// every mount ID in <root>/<name>/state.json (replaced atomically, under a per-volume lock);
// unmount unmounts when the last holder leaves; remove refuses a volume that is mounted.
// Throws UsageError for invalid names and unknown options, DriverError for refusals and
// failed system calls, TimeoutError when the lock cannot be had in time.
std::unique_ptr<Driver> make_local_driver(const std::string& name, LocalSettings settings);

// Throws UsageError unless `name` matches Docker's ^[A-Za-z0-9][A-Za-z0-9_.-]+$.
void validate_local_volume_name(const std::string& name);

}  // namespace volumecli
