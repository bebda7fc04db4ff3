#pragma once

// dvdcli exec's container paths: checked and attached from "/" one component at a time, never
// through a symlink, so a directory another user controls cannot redirect a bind mount made as
// root. Internal to libvolumecli.

#include "transport/stream.hpp"

#include <string>

namespace volumecli {

enum class Attachment { none, bind, symlink };

// How a volume sits at its container path; for a bind mount, a descriptor of the mount's root,
// so the unmount takes exactly that mount wherever the path leads by then.
struct Attached {
    Attachment kind = Attachment::none;
    detail::UniqueFd mount_root;
};

// Puts the volume (`source`, the driver's mountpoint) at container path `target`: a bind mount
// onto the directory that was checked, or a symlink when this process may not mount (replacing
// one left there atomically). Missing directories are made only under /tmp. Throws DriverError.
Attached attach_volume(const std::string& source, const std::string& target);

// Undoes a bind mount made by attach_volume, through the descriptor of its root. Throws DriverError.
void detach_volume(const std::string& target, Attached& attached);

}  // namespace volumecli
