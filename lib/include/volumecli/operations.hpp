#pragma once

#include <volumecli/driver.hpp>
#include <volumecli/volume.hpp>

#include <string>
#include <vector>

namespace volumecli {

// The call sequences of dvdcli 0.2, on any Driver. Every error is rethrown with the context
// `driver "D": <Call> "V": `, keeping its type (and so its exit code).

struct MountRequest {
    std::string volume;
    VolumeOptions options;         // sent only when the volume has to be created
    bool explicit_create = false;  // never create: fail when Get finds nothing
    std::string mount_id;
    std::string options_source{};  // where `options` came from, for messages ("--volumeopts"); may be empty
};

struct MountResult {
    std::string name;        // the name the driver used (Get may normalise it)
    std::string mountpoint;  // validated: absolute, no newline or NUL
    // True when, before this Mount, the volume was known to be held by nobody: this run created
    // it, or Get showed no Mountpoint. Then an Unmount with the same ID releases only what this
    // run added. False when it was mounted already (perhaps by this very ID) or the driver has no Get.
    bool mounted_by_this_run = false;
};

// Get, then Mount the name Get returned; when Get finds nothing (an Err, a null volume, any
// non-200) Create then Mount the given name, unless explicit_create. A driver without Get
// makes mount go straight to Create (or to Mount, with explicit_create).
MountResult mount_volume(Driver& driver, const MountRequest& request);
// Get, then Unmount the name Get returned (the given name if the driver has no Get, or does
// not look volumes up before releasing them).
void unmount_volume(Driver& driver, const std::string& volume, const std::string& mount_id);
// Get's Mountpoint when it has one, else Path's; an empty mountpoint when Path reports none or
// answers with an error (logged as a warning), as dvdcli 0.2 and Docker do. Throws DriverError
// when the volume does not exist, ProtocolError for an unusable mountpoint.
MountResult volume_path(Driver& driver, const std::string& volume);
// Create, directly (no Get), as dvdcli.
void create_volume(Driver& driver, const std::string& volume, const VolumeOptions& options);
// Get, then Remove the name Get returned (the given name if the driver has no Get, or does not
// look volumes up before releasing them).
void remove_volume(Driver& driver, const std::string& volume);
// Get. Throws DriverError when the volume is not found.
Volume get_volume(Driver& driver, const std::string& volume);
std::vector<Volume> list_volumes(Driver& driver);
Capabilities driver_capabilities(Driver& driver);

// True for a path a caller can bind-mount: absolute, with no newline, carriage return or NUL.
bool is_usable_mountpoint(const std::string& path);

}  // namespace volumecli
