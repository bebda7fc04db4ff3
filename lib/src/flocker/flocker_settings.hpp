#pragma once

// Where the Flocker driver's configuration comes from: flags, environment, /etc/flocker files;
// and the checks made on user input before any request.

#include <volumecli/endpoint.hpp>
#include <volumecli/flocker_driver.hpp>
#include <volumecli/volume.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace volumecli::flocker {

// Smallest maximum_size Flocker accepts (64 MiB); sizes are also multiples of 1024.
inline constexpr std::uint64_t k_minimum_size = 67108864ULL;
// Flocker's limits on dataset metadata.
inline constexpr std::size_t k_max_metadata_keys = 16;
inline constexpr std::size_t k_max_metadata_length = 256;

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
    std::string boot_id_file;
    std::function<std::vector<std::string>()> local_addresses;
};

// Validates `settings` and, when `connect`, finds the host, port and certificate files. Throws
// UsageError for malformed values, UnreachableError for a missing host, an unreadable agent.yml,
// or certificate/key files that cannot be read.
ResolvedSettings resolve_settings(const FlockerSettings& settings, bool connect);

// control-service.hostname from the text of agent.yml (a YAML subset: block and flow mappings,
// quoted or plain scalars, comments). nullopt when absent. Throws std::invalid_argument for a
// malformed value on the way to it (e.g. an unterminated quote).
std::optional<std::string> agent_yml_hostname(const std::string& text);

// The bytes `text` asks for: N[.N][k|m|g|t][i][b], binary multiples, case-insensitive, no unit
// meaning GiB ("b" alone means bytes). Rounded up to a whole byte. Throws UsageError when
// malformed, not above zero, or too large.
std::uint64_t parse_size(const std::string& text);
// `bytes` rounded up to a multiple of 1024 and to at least k_minimum_size.
std::uint64_t round_size(std::uint64_t bytes);

// What a create sends, from the volume name and the driver options.
struct CreateSpec {
    std::uint64_t maximum_size = k_flocker_default_size;
    bool size_given = false;
    std::map<std::string, std::string> metadata;  // name_key -> volume, plus every option but "size"
};
// Throws UsageError when an option clashes with name_key or the metadata exceeds Flocker's limits
// (16 keys, keys of 1 to 256 characters, values up to 256), or the size is invalid.
CreateSpec create_spec(const std::string& name_key, const std::string& volume, const VolumeOptions& options);

// True for a UUID in 8-4-4-4-12 hexadecimal form (any case, any version).
bool is_uuid(const std::string& text);

// The node UUID in the CN ("node-<uuid>") of the PEM certificate at `path`; nullopt when the file
// is absent or not readable, or its CN is not of that form. Throws UnreachableError when something
// else is there: not a regular file (a FIFO is never waited on) or larger than 1 MiB.
std::optional<std::string> node_uuid_from_certificate(const std::string& path);

// The trimmed first line of `path` (the boot id); nullopt when unreadable, empty, not a regular
// file or larger than 4 KiB.
std::optional<std::string> read_boot_id(const std::string& path);

// Every address of every interface of this host (IPv4 and IPv6, loopback included).
std::vector<std::string> host_addresses();

// The canonical text of an address ("::ffff:10.0.0.1" stays as is; "0:0::1" becomes "::1"), or
// the input unchanged when it is not an IP address.
std::string canonical_address(const std::string& address);

}  // namespace volumecli::flocker
