#pragma once

#include <volumecli/driver.hpp>
#include <volumecli/volume.hpp>
#include <volumecli/volume_lock.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace volumecli {

// One volume a task asks for, from the DVDI_VOLUME_* / FLOCKER_* environment or a --volume flag.
struct TaskVolume {
    std::string driver;
    std::string name;
    VolumeOptions options;
    std::string container_path;  // empty: the task uses the host path
    bool explicit_create = false;
    std::string mountpoint_variable;  // exported to the command with the host path, e.g. DVDI_VOLUME_MOUNTPOINT2
    std::string name_key;             // Flocker: the metadata key naming datasets (FLOCKER_ID for FLOCKER_ID)
    std::string origin;               // where the request came from, for messages
};

using EnvironmentList = std::vector<std::pair<std::string, std::string>>;

// Reads the volumes of mesos-module-dvdi's contract: DVDI_VOLUME_{NAME,DRIVER,OPTS,CONTAINERPATH,
// EXPLICITCREATE,DVDCLI} with an optional one-digit slot suffix (none = slot 0), in slot order,
// then FLOCKER_ID with FLOCKER_CONTAINER_VOLUME_PATH (driver "flocker"). Slots without a name
// are skipped. Throws UsageError for a variable with one of those prefixes and another suffix,
// a value with a newline or NUL, or malformed options.
// `default_driver` serves slots without DVDI_VOLUME_DRIVER (mesos-module-dvdi's is "rexray").
std::vector<TaskVolume> task_volumes_from_environment(const EnvironmentList& environment,
                                                      const std::string& default_driver = "rexray");

// Parses the `position`-th (from 1) --volume value: DRIVER:NAME[:CONTAINERPATH], split at the first
// two colons (so the container path may hold more). Its host path is exported to the command as
// DVDCLI_VOLUME_MOUNTPOINT<position>. Throws UsageError.
TaskVolume parse_volume_flag(const std::string& value, std::size_t position = 1);

// Checks a container path: absolute, without . or .. components, not a system directory (/, /tmp,
// /etc, /usr, /var, /run, /boot, ... or anything under /proc, /sys, /dev), no symlink in a parent
// component, and existing unless under /tmp (as mesos-module-dvdi). Throws UsageError.
void validate_container_path(const std::string& path);

struct TaskSettings {
    // Returns the driver for a volume; called once per volume, in order.
    std::function<Driver&(const TaskVolume& volume)> open_driver;
    // Unique to this run, so two tasks sharing a volume never release it under each other.
    std::function<std::string(const TaskVolume&)> mount_id;
    // Locks a volume against other processes; held around its mount and around its unmount,
    // never while the command runs. Unset: no locking. May throw (e.g. TimeoutError).
    std::function<VolumeLock(const TaskVolume&)> lock_volume;
};

// Mounts `volumes` in order (attaching each container path, resolved without following any
// symlink: a bind mount when the process may mount, else a symlink, replacing one left by an
// earlier run), runs `command` (no shell) with the mountpoint variables added to `environment`,
// passes on every signal whose default action terminates (all but SIGKILL) to it, then unmounts
// in reverse order. Returns the command's exit status (128+N for a signal); a signal before the
// command starts releases what was mounted and returns 128+N. The command gets the caller's
// signal dispositions and is killed (PR_SET_PDEATHSIG) if this process dies without unmounting.
// If a mount fails, the volumes already mounted are unmounted, the command is not run and the
// mount's error is thrown. A cleanup failure after a successful command is thrown too.
int run_task(const std::vector<TaskVolume>& volumes, const std::vector<std::string>& command,
             const EnvironmentList& environment, const TaskSettings& settings);

}  // namespace volumecli
