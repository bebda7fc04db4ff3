#include <volumecli/discovery.hpp>

#include <volumecli/error.hpp>

#include "core/json_fields.hpp"
#include "core/regular_file.hpp"
#include "plugin_search.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace volumecli::discovery {

namespace {

// Caps on what is read: a spec is one URL or a small object, a PEM file a few certificates.
constexpr std::size_t k_max_spec_bytes = 1024U * 1024U;
constexpr std::size_t k_max_tls_file_bytes = 1024U * 1024U;

// "plugin spec FILE: what", with the file name (and `what`) kept whole and on one line.
UnreachableError spec_error(const std::string& origin, const std::string& what)
{
    return UnreachableError("plugin spec " + printable_text(origin) + ": " + what);
}

// The spec's bytes; nullopt when nothing is at `path` (the next place is looked at). Anything there
// that is not a regular file of at most k_max_spec_bytes fails at once: a FIFO or a device is never
// opened for blocking reads.
std::optional<std::string> read_spec(const std::string& path)
{
    FileRead read = read_regular_file(path, k_max_spec_bytes);
    if (read.error == ENOENT || read.error == ENOTDIR) {
        return std::nullopt;
    }
    if (!read.ok()) {
        throw UnreachableError("cannot read plugin spec " + printable_text(path) + ": " + read.problem);
    }
    return std::move(read.text);
}

std::string require_spec(const std::string& path)
{
    auto text = read_spec(path);
    if (!text) {
        throw UnreachableError("cannot read plugin spec " + printable_text(path) + ": " + std::strerror(ENOENT));
    }
    return std::move(*text);
}

Endpoint endpoint_from_address(const std::string& address, const std::string& origin)
{
    if (printable_text(address) != address) {
        // Checked here, as the address is shown: a NUL would cut the message short.
        throw spec_error(origin,
                         "invalid plugin address \"" + printable_text(address) + "\": contains a control character");
    }
    try {
        return parse_endpoint_url(address);
    } catch (const UsageError& error) {
        throw spec_error(origin, error.what());
    }
}

const nlohmann::json* field(const nlohmann::json& object, const char* key)
{
    return json_fields::find(object, key);
}

std::string string_field(const nlohmann::json& object, const char* key, const std::string& origin)
{
    const nlohmann::json* value = field(object, key);
    if (value == nullptr || value->is_null()) {
        return {};
    }
    if (!value->is_string()) {
        throw spec_error(origin, std::string(key) + " must be a string");
    }
    return value->get<std::string>();
}

// A certificate or key file the spec names must be a readable regular file within the cap; it is
// loaded when connecting, by the same rule.
void require_file(const std::string& path, const char* what, const std::string& origin, bool show_path)
{
    const FileRead read = read_regular_file(path, k_max_tls_file_bytes);
    if (read.ok()) {
        return;
    }
    // A private key's location is not repeated in messages.
    throw spec_error(origin, what + (show_path ? " " + printable_text(path) : std::string()) + ": " + read.problem);
}

bool is_socket(const std::string& path)
{
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode);
}

bool ends_with(const std::string& text, const char* suffix)
{
    const std::size_t length = std::strlen(suffix);
    return text.size() >= length && text.compare(text.size() - length, length, suffix) == 0;
}

}  // namespace

void validate_plugin_name(const std::string& name)
{
    if (name.empty()) {
        throw UsageError("empty volume driver name");
    }
    if (name.find('\0') != std::string::npos) {
        throw UsageError("invalid volume driver name: contains NUL");
    }
    if (name.front() == '/') {
        throw UsageError("invalid volume driver name \"" + name + "\": must not start with '/'");
    }
    if (name.find("..") != std::string::npos) {
        throw UsageError("invalid volume driver name \"" + name + "\": must not contain \"..\"");
    }
}

std::vector<std::string> candidate_paths(const std::string& name, const SearchPaths& paths)
{
    std::vector<std::string> candidates;
    if (!paths.socket_dir.empty()) {
        candidates.push_back(paths.socket_dir + "/" + name + ".sock");
        candidates.push_back(paths.socket_dir + "/" + name + "/" + name + ".sock");
    }
    for (const auto& dir : paths.spec_dirs) {
        candidates.push_back(dir + "/" + name + ".spec");
        candidates.push_back(dir + "/" + name + "/" + name + ".spec");
        candidates.push_back(dir + "/" + name + ".json");
        candidates.push_back(dir + "/" + name + "/" + name + ".json");
    }
    return candidates;
}

std::optional<Endpoint> find_plugin(const std::string& name, const SearchPaths& paths)
{
    validate_plugin_name(name);
    for (const auto& candidate : candidate_paths(name, paths)) {
        if (ends_with(candidate, ".sock")) {
            if (is_socket(candidate)) {
                Endpoint endpoint;
                endpoint.kind = Endpoint::Kind::unix_socket;
                endpoint.socket_path = candidate;
                endpoint.address = "unix://" + candidate;
                spdlog::debug("plugin \"{}\" found at {}", name, candidate);
                return endpoint;
            }
            continue;
        }
        const auto text = read_spec(candidate);
        if (!text) {
            continue;
        }
        spdlog::debug("plugin \"{}\" found at {}", name, candidate);
        return ends_with(candidate, ".spec") ? parse_spec(*text, candidate) : parse_json_spec(*text, candidate);
    }
    return std::nullopt;
}

void search_with_retries(const std::string& name, const std::vector<std::string>& places, const RetryPolicy& retry,
                         const std::function<bool()>& search)
{
    const auto attempt = [&] {
        if (search()) {
            return;
        }
        std::string looked;
        for (const auto& place : places) {
            if (!place.empty()) {
                looked += (looked.empty() ? "" : ", ") + place;
            }
        }
        throw TransportError("plugin not found (looked in " + looked + ")");
    };
    const auto log_retry = [&](const TransportError& error, std::chrono::milliseconds pause) {
        spdlog::info("driver \"{}\": {}; retrying in {}s", name, error.what(), pause.count() / 1000);
    };
    try {
        with_retries(retry, attempt, log_retry);
    } catch (const TransportError& error) {
        throw UnreachableError(error.what());
    }
}

Endpoint resolve_plugin(const std::string& name, const SearchPaths& paths, const RetryPolicy& retry)
{
    std::optional<Endpoint> found;
    std::vector<std::string> places{paths.socket_dir};
    places.insert(places.end(), paths.spec_dirs.begin(), paths.spec_dirs.end());
    search_with_retries(name, places, retry, [&] {
        found = find_plugin(name, paths);
        return found.has_value();
    });
    return *found;
}

Endpoint parse_spec_file(const std::string& path)
{
    return parse_spec(require_spec(path), path);
}

Endpoint parse_spec(const std::string& text, const std::string& origin)
{
    const auto first = text.find_first_not_of(" \t\r\n\v\f");
    if (first == std::string::npos) {
        throw UnreachableError("plugin spec " + printable_text(origin) + " is empty");
    }
    const std::string address = text.substr(first, text.find_last_not_of(" \t\r\n\v\f") - first + 1);
    Endpoint endpoint = endpoint_from_address(address, origin);
    if (endpoint.tls) {
        spdlog::debug("plugin spec {}: https certificate verified against the system roots", origin);
    }
    return endpoint;
}

Endpoint parse_json_spec_file(const std::string& path)
{
    return parse_json_spec(require_spec(path), path);
}

Endpoint parse_json_spec(const std::string& text, const std::string& origin)
{
    nlohmann::json spec;
    try {
        spec = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& error) {
        // nlohmann's own text ("[json.exception.parse_error.101] ...") is not for users.
        throw spec_error(origin, "invalid JSON at byte " + std::to_string(error.byte));
    } catch (const nlohmann::json::exception&) {
        throw spec_error(origin, "invalid JSON");
    }
    if (!spec.is_object()) {
        throw spec_error(origin, "expected a JSON object");
    }
    const std::string address = string_field(spec, "Addr", origin);
    if (address.empty()) {
        throw spec_error(origin, "no Addr");
    }
    Endpoint endpoint = endpoint_from_address(address, origin);
    const nlohmann::json* tls = field(spec, "TLSConfig");
    if (tls == nullptr || tls->is_null()) {
        return endpoint;
    }
    if (!tls->is_object()) {
        throw spec_error(origin, "TLSConfig must be an object");
    }
    TlsFiles& files = endpoint.tls_files;
    files.ca_file = string_field(*tls, "CAFile", origin);
    files.cert_file = string_field(*tls, "CertFile", origin);
    files.key_file = string_field(*tls, "KeyFile", origin);
    if (const nlohmann::json* insecure = field(*tls, "InsecureSkipVerify");
        insecure != nullptr && !insecure->is_null()) {
        if (!insecure->is_boolean()) {
            throw spec_error(origin, "InsecureSkipVerify must be true or false");
        }
        files.insecure_skip_verify = insecure->get<bool>();
    }
    if (files.cert_file.empty() != files.key_file.empty()) {
        throw spec_error(origin, "CertFile and KeyFile go together");
    }
    if (!endpoint.tls) {
        // As Docker: TLS is used for https:// addresses only.
        spdlog::warn("plugin spec {}: TLSConfig ignored for the non-https address {}", origin, address);
        return endpoint;
    }
    if (!files.ca_file.empty()) {
        require_file(files.ca_file, "CAFile", origin, true);
    }
    if (!files.cert_file.empty()) {
        require_file(files.cert_file, "CertFile", origin, true);
        require_file(files.key_file, "KeyFile", origin, false);
    }
    return endpoint;
}

}  // namespace volumecli::discovery
