#pragma once

// What the Flocker driver asks of the host it runs on (its environment, its addresses, its boot
// id), as replaceable functions: tests give fakes here, consumers always get the real host.

#include <volumecli/driver.hpp>
#include <volumecli/flocker_driver.hpp>

#include "transport/http_client.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace volumecli::flocker {

struct HostProbes {
    // This boot's id, Flocker's "era" (GET /v1/state/nodes/by_era).
    std::string boot_id_file = "/proc/sys/kernel/random/boot_id";
    // Reads an environment variable; unset: the process environment.
    std::function<std::optional<std::string>(const char*)> environment;
    // This host's addresses, for matching GET /v1/state/nodes; unset: every address of every
    // interface (getifaddrs), loopback included.
    std::function<std::vector<std::string>()> local_addresses;
};

// volumecli::make_flocker_driver on `probes` instead of the host itself.
std::unique_ptr<Driver> make_flocker_driver(const std::string& name, const FlockerSettings& settings,
                                            const HostProbes& probes);

// The same driver over `client` instead of a connection made from the settings; the host and
// certificate settings are not looked at.
std::unique_ptr<Driver> make_flocker_driver(const std::string& name, const FlockerSettings& settings,
                                            const HostProbes& probes, std::unique_ptr<HttpClient> client);

}  // namespace volumecli::flocker
