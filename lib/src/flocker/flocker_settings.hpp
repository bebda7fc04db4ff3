#pragma once

// Where the Flocker driver's configuration comes from: flags, environment, /etc/flocker files,
// defaults, in that order for each setting on its own.

#include <volumecli/endpoint.hpp>
#include <volumecli/flocker_driver.hpp>

#include "core/clock.hpp"
#include "flocker/host_probes.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace volumecli::flocker {

// The settings with every lookup done. Endpoint is tcp + tls, address "https://host:port".
struct ResolvedSettings {
    Endpoint endpoint;                     // only when a connection is to be made
    std::optional<std::string> node_uuid;  // lower case
    std::string name_key;
    std::chrono::milliseconds wait_timeout{};
    std::chrono::milliseconds call_timeout{};
    RetryPolicy retry;
    Clock::time_point started;
    std::string etc_dir;
    std::string boot_id_file;                                   // from HostProbes
    std::function<std::vector<std::string>()> local_addresses;  // from HostProbes, never unset
};

// Validates `settings` and, when `connect`, finds the host, port and certificate files; environment
// variables and this host's addresses come from `probes` (the process's own when unset). Throws
// UsageError for malformed values, UnreachableError for a missing host, an unreadable agent.yml,
// or certificate/key files that cannot be read.
ResolvedSettings resolve_settings(const FlockerSettings& settings, const HostProbes& probes, bool connect);

}  // namespace volumecli::flocker
