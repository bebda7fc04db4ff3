#pragma once

#include <volumecli/discovery.hpp>
#include <volumecli/endpoint.hpp>
#include <volumecli/retry.hpp>
#include <volumecli/scoped_driver.hpp>

#include <optional>
#include <string>
#include <vector>

namespace volumecli::discovery {

// Docker's managed (v2) plugins, found the way dockerd finds them: by reading its private state,
// <docker_root>/plugins/<id>/config.json. Not a documented interface of Docker's.

// An enabled managed volume plugin.
struct ManagedPlugin {
    std::string id;    // 64 hex digits
    std::string name;  // as Docker shows it, e.g. "rexray/ebs:latest"
    Endpoint endpoint;
    PluginFilesystem filesystem;  // to map its mountpoints to host paths
};

// A reference as Docker stores plugin names: "docker.io/" and "docker.io/library/" dropped,
// ":latest" added when there is neither a tag nor a digest. "rexray/ebs" -> "rexray/ebs:latest".
std::string normalize_plugin_reference(const std::string& name);

// Looks `name` up among the managed plugins under <docker_root>/plugins: a full ID, then the
// normalised name, then a unique ID prefix. The socket is <socket_dir>/<id>/<Interface.Socket>.
// Returns nullopt when none matches (or there is no plugins directory). Throws UnreachableError
// when the match is ambiguous, disabled or not a volume driver, when a config.json cannot be read
// or parsed, or when the plugin's socket does not exist.
std::optional<ManagedPlugin> find_managed_plugin(const std::string& name, const std::string& docker_root,
                                                 const std::string& socket_dir);

// Where a driver was found, and for a managed plugin what calling it needs.
struct PluginLocation {
    Endpoint endpoint;
    std::optional<ManagedPlugin> managed;  // set for a managed plugin: no Activate, scoped paths
};

// resolve_plugin, also looking at managed plugins first (as dockerd does) when `docker_root` is
// set. A disabled or broken managed plugin fails at once; "not found" is retried under `retry`.
PluginLocation locate_plugin(const std::string& name, const SearchPaths& paths,
                             const std::optional<std::string>& docker_root, const RetryPolicy& retry);

}  // namespace volumecli::discovery
