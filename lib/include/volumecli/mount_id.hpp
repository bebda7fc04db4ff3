#pragma once

#include <string>

namespace volumecli {

// The mount ID used when none is given: 64 lowercase hex digits derived from the driver and
// volume names only, so a mount and a later unmount from another process send the same ID.
std::string default_mount_id(const std::string& driver, const std::string& volume);

// A fresh random mount ID (64 lowercase hex digits from the kernel's random source).
std::string random_mount_id();

}  // namespace volumecli
