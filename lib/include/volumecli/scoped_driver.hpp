#pragma once

#include <volumecli/driver.hpp>

#include <memory>
#include <string>

namespace volumecli {

// Where a managed (v2) plugin's filesystem lives on the host (dockerd's layout).
struct PluginFilesystem {
    std::string plugin_dir;        // <docker root>/plugins/<id>
    std::string propagated_mount;  // the plugin's Config.PropagatedMount; empty when it has none
};

// Docker's Plugin.ScopedPath: a path under propagated_mount becomes
// <plugin_dir>/propagated-mount/<rest>, any other path <plugin_dir>/rootfs/<path>; the result is
// cleaned lexically. Empty and relative paths are returned unchanged, for the caller to reject.
std::string scoped_path(const PluginFilesystem& filesystem, const std::string& path);

// Wraps a managed plugin's driver so that every mountpoint it reports (Mount, Path, Get, List)
// is the host path, as Docker maps it. Everything else is passed through.
std::unique_ptr<Driver> make_scoped_driver(std::unique_ptr<Driver> inner, PluginFilesystem filesystem);

}  // namespace volumecli
