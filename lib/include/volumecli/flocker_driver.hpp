#pragma once

#include <volumecli/driver.hpp>
#include <volumecli/retry.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace volumecli {

// The control service's REST port (agent.yml's control-service.port is the agents' port, 4524).
inline constexpr const char* k_flocker_default_port = "4523";
// Size of a dataset created without a size option: 75 GiB, what Flocker itself uses.
inline constexpr std::uint64_t k_flocker_default_size = 80530636800ULL;
// Bounds on each HTTP request when FlockerSettings::timeout is unset.
inline constexpr std::chrono::milliseconds k_flocker_default_call_timeout{60000};

// How to reach and use the Flocker control service. Each unset field is looked up on its own, in
// this order: the FLOCKER_* environment variable, then the files under etc_dir (agent.yml for the
// host only, cluster.crt, plugin.crt, plugin.key; node.crt for the node UUID), then the default.
// Empty environment variables count as unset.
struct FlockerSettings {
    std::optional<std::string> control_host;  // --control-host / FLOCKER_CONTROL_SERVICE_HOST / agent.yml
    std::optional<std::string> control_port;  // --control-port / FLOCKER_CONTROL_SERVICE_PORT (default 4523)
    std::optional<std::string> ca_file;       // --cacert / FLOCKER_CONTROL_SERVICE_CA_FILE / cluster.crt
    std::optional<std::string> cert_file;     // --cert / FLOCKER_CONTROL_SERVICE_CLIENT_CERT_FILE / plugin.crt
    std::optional<std::string> key_file;      // --key / FLOCKER_CONTROL_SERVICE_CLIENT_KEY_FILE / plugin.key
    std::optional<std::string> node_uuid;     // --node-uuid / FLOCKER_NODE_UUID, else looked up (see below)
    std::string name_key = "name";            // --name-key: the dataset metadata key holding the volume name
    // --wait-timeout: one deadline for a whole mount (node lookup, create, move, convergence),
    // counted from `started`.
    std::chrono::milliseconds wait_timeout{120000};
    std::optional<std::chrono::milliseconds> timeout;  // --timeout: per HTTP request (default 60 s)
    RetryPolicy retry;                                 // --retry-timeout: connect failures only
    // When the run began (the CLI passes its start); unset: when make_flocker_driver is called.
    std::optional<std::chrono::steady_clock::time_point> started;
    std::string etc_dir = "/etc/flocker";
};

// A Driver on the Flocker control-service REST API: volumes are the datasets whose metadata
// name_key holds the volume name; deleted datasets are ignored. Resolves the configuration at once:
// throws UsageError for malformed settings (port, node UUID, name key, timeouts) and
// UnreachableError when no host is configured anywhere, agent.yml cannot be read, or a
// certificate or key file is missing. The service is contacted by the first call.
//
// This node's UUID: node_uuid, else GET /v1/state/nodes/by_era/<boot id> (a JSON 404 "not reported
// yet" is retried until the wait deadline by mount, asked once by the other calls; an HTML 404,
// 405 or 5xx means an older server), else the CN of <etc_dir>/node.crt, else the one node of
// GET /v1/state/nodes whose host is an address of this machine; when all fail, TimeoutError.
//
// Calls: get finds the dataset (Mountpoint only when the state shows it mounted on this node);
// create makes it (primary = this node, maximum_size from the "size" option, other options as
// metadata; X-If-Configuration-Matches, retried on 412 up to 20 times; an existing dataset of that
// name counts as created); mount takes a lease for this node, moves the dataset here, and waits for
// /v1/state/datasets to report it here with a path (the mount ID is not used: leases are per
// node); unmount releases this node's leases on the name's datasets; path reads the state once;
// remove releases this node's lease and deletes the dataset (refused while another node holds a
// lease); list names every live dataset with the name key once; capabilities is "global".
std::unique_ptr<Driver> make_flocker_driver(const std::string& name, FlockerSettings settings);

}  // namespace volumecli
