// The precedence every Flocker setting follows (flag > FLOCKER_* environment > /etc/flocker files >
// default), and the checks made on them before the first request.
#include "flocker/flocker_settings.hpp"

#include <volumecli/error.hpp>

#include "core/regular_file.hpp"
#include "core/text.hpp"
#include "flocker/agent_yml.hpp"
#include "flocker/dataset_spec.hpp"
#include "flocker/node_identity.hpp"

#include <cerrno>
#include <cstdlib>

#include <stdexcept>

namespace volumecli::flocker {

namespace {

using Environment = std::function<std::optional<std::string>(const char*)>;

// One setting: the flag when given (which must not be empty), else the environment variable when
// set and not empty.
std::optional<std::string> flag_or_env(const std::optional<std::string>& flag, const char* flag_name,
                                       const Environment& environment, const char* variable)
{
    if (flag) {
        if (flag->empty()) {
            throw UsageError(std::string(flag_name) + " must not be empty");
        }
        return flag;
    }
    if (auto value = environment(variable); value && !value->empty()) {
        return value;
    }
    return std::nullopt;
}

// Caps on what is read: agent.yml is a few lines, a PEM file a few certificates or one key.
constexpr std::size_t k_max_settings_bytes = std::size_t{1024} * 1024U;
constexpr std::size_t k_max_pem_bytes = std::size_t{1024} * 1024U;

// Reads the whole file; nullopt when it does not exist. Throws UnreachableError for anything else
// that is not a regular file within the cap (a FIFO or a device is never waited on).
std::optional<std::string> read_optional_file(const std::string& path)
{
    FileRead read = read_regular_file(path, k_max_settings_bytes);
    if (read.error == ENOENT) {
        return std::nullopt;
    }
    if (!read.ok()) {
        throw UnreachableError("cannot read " + printable_text(path) + ": " + read.problem);
    }
    return std::move(read.text);
}

// Throws UnreachableError unless `path` is a readable regular PEM-sized file. `what` names the file
// in the message (for the private key, without its path), `source` the flag and variable.
void require_readable(const std::string& path, const std::string& what, const std::string& source)
{
    const FileRead read = read_regular_file(path, k_max_pem_bytes);
    if (!read.ok()) {
        throw UnreachableError("cannot read " + what + " (" + source + "): " + read.problem);
    }
}

// The control service's host: the flag, the variable, else agent.yml; without brackets. Throws
// UnreachableError when none is configured or agent.yml cannot be read, UsageError when malformed.
std::string control_host(const FlockerSettings& settings, const Environment& environment)
{
    auto host = flag_or_env(settings.control_host, "--control-host", environment, "FLOCKER_CONTROL_SERVICE_HOST");
    if (!host) {
        const std::string agent_yml = settings.etc_dir + "/agent.yml";
        if (const auto text = read_optional_file(agent_yml)) {
            try {
                host = agent_yml_hostname(*text);
            } catch (const std::invalid_argument& error) {
                throw UnreachableError(printable_text(agent_yml) +
                                       ": cannot read control-service.hostname: " + error.what());
            }
        }
        if (!host || host->empty()) {
            throw UnreachableError(
                "no Flocker control service configured: pass --control-host, set FLOCKER_CONTROL_SERVICE_HOST, or "
                "set control-service.hostname in " +
                agent_yml);
        }
    }
    if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
        *host = host->substr(1, host->size() - 2);
    }
    if (host->find_first_of(" \t\r\n/[]@?#") != std::string::npos || printable_text(*host) != *host) {
        throw UsageError("invalid control service host \"" + printable_text(*host) + "\"");
    }
    return *host;
}

// The control service's REST port (default 4523). Throws UsageError unless it is 1 to 65535.
std::string control_port(const FlockerSettings& settings, const Environment& environment)
{
    std::string port = flag_or_env(settings.control_port, "--control-port", environment, "FLOCKER_CONTROL_SERVICE_PORT")
                           .value_or(k_flocker_default_port);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port) == 0 || std::stoul(port) > 65535) {
        throw UsageError("invalid control service port \"" + port +
                         "\" (--control-port / FLOCKER_CONTROL_SERVICE_PORT)");
    }
    return port;
}

// The CA, client certificate and key: each from its flag, its variable, else /etc/flocker. Throws
// UnreachableError when one cannot be read.
TlsFiles tls_files(const FlockerSettings& settings, const Environment& environment)
{
    TlsFiles files;
    const std::string etc = settings.etc_dir + "/";
    files.ca_file = flag_or_env(settings.ca_file, "--cacert", environment, "FLOCKER_CONTROL_SERVICE_CA_FILE")
                        .value_or(etc + "cluster.crt");
    files.cert_file = flag_or_env(settings.cert_file, "--cert", environment, "FLOCKER_CONTROL_SERVICE_CLIENT_CERT_FILE")
                          .value_or(etc + "plugin.crt");
    files.key_file = flag_or_env(settings.key_file, "--key", environment, "FLOCKER_CONTROL_SERVICE_CLIENT_KEY_FILE")
                         .value_or(etc + "plugin.key");
    require_readable(files.ca_file, "the cluster CA certificate " + printable_text(files.ca_file),
                     "--cacert, FLOCKER_CONTROL_SERVICE_CA_FILE");
    require_readable(files.cert_file, "the client certificate " + printable_text(files.cert_file),
                     "--cert, FLOCKER_CONTROL_SERVICE_CLIENT_CERT_FILE");
    // The key's path is not repeated: it is a secret's location.
    require_readable(files.key_file, "the client private key", "--key, FLOCKER_CONTROL_SERVICE_CLIENT_KEY_FILE");
    return files;
}

}  // namespace

ResolvedSettings resolve_settings(const FlockerSettings& settings, const HostProbes& probes, bool connect)
{
    const Environment environment =
        probes.environment ? probes.environment : Environment([](const char* name) -> std::optional<std::string> {
            const char* value = std::getenv(name);
            if (value == nullptr) {
                return std::nullopt;
            }
            return std::string(value);
        });
    ResolvedSettings resolved;
    resolved.etc_dir = settings.etc_dir;
    resolved.boot_id_file = probes.boot_id_file;
    resolved.local_addresses = probes.local_addresses ? probes.local_addresses : host_addresses;
    resolved.retry = settings.retry;
    resolved.started = settings.started.value_or(Clock::now());

    if (settings.name_key.empty() || settings.name_key.size() > k_max_metadata_length) {
        throw UsageError("--name-key must have 1 to " + std::to_string(k_max_metadata_length) + " characters");
    }
    resolved.name_key = settings.name_key;
    if (settings.wait_timeout.count() < 0) {
        throw UsageError("--wait-timeout must not be negative");
    }
    resolved.wait_timeout = settings.wait_timeout;
    if (settings.timeout && settings.timeout->count() <= 0) {
        throw UsageError("--timeout must be above zero");
    }
    resolved.call_timeout = settings.timeout.value_or(k_flocker_default_call_timeout);

    if (auto node = flag_or_env(settings.node_uuid, "--node-uuid", environment, "FLOCKER_NODE_UUID")) {
        if (!is_uuid(*node)) {
            throw UsageError("invalid node UUID \"" + *node + "\" (--node-uuid / FLOCKER_NODE_UUID)");
        }
        resolved.node_uuid = ascii_lower(*node);
    }
    if (!connect) {
        return resolved;
    }

    const std::string host = control_host(settings, environment);
    const std::string port = control_port(settings, environment);
    Endpoint& endpoint = resolved.endpoint;
    endpoint.kind = Endpoint::Kind::tcp;
    endpoint.host = host;
    endpoint.port = std::to_string(std::stoul(port));
    endpoint.tls = true;
    endpoint.address =
        "https://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + endpoint.port;
    endpoint.tls_files = tls_files(settings, environment);
    return resolved;
}

}  // namespace volumecli::flocker
