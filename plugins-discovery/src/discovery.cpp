#include <volumecli/discovery.hpp>

#include <volumecli/error.hpp>

#include "json_fields.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace volumecli::discovery {

namespace {

constexpr std::size_t k_max_spec_bytes = 1024U * 1024U;

std::string read_spec(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw UnreachableError("cannot read plugin spec " + path + ": " + std::strerror(errno));
    }
    std::string text;
    char buffer[4096];
    while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (text.size() > k_max_spec_bytes) {
            throw UnreachableError("plugin spec " + path + " is larger than 1 MiB");
        }
    }
    if (in.bad()) {
        throw UnreachableError("cannot read plugin spec " + path + ": " + std::strerror(errno));
    }
    return text;
}

Endpoint endpoint_from_address(const std::string& address, const std::string& origin)
{
    try {
        return parse_endpoint_url(address);
    } catch (const UsageError& error) {
        throw UnreachableError("plugin spec " + origin + ": " + error.what());
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
        throw UnreachableError("plugin spec " + origin + ": " + key + " must be a string");
    }
    return value->get<std::string>();
}

void require_file(const std::string& path, const char* what, const std::string& origin, bool show_path)
{
    struct stat info {};
    std::string reason;
    if (::stat(path.c_str(), &info) != 0) {
        reason = std::strerror(errno);
    } else if (!S_ISREG(info.st_mode)) {
        reason = "not a regular file";
    } else {
        return;
    }
    // A private key's location is not repeated in messages.
    throw UnreachableError("plugin spec " + origin + ": " + what + (show_path ? " " + path : std::string()) + ": " +
                           reason);
}

bool is_socket(const std::string& path)
{
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode);
}

bool exists(const std::string& path)
{
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0;
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
        if (!exists(candidate)) {
            continue;
        }
        spdlog::debug("plugin \"{}\" found at {}", name, candidate);
        return ends_with(candidate, ".spec") ? parse_spec_file(candidate) : parse_json_spec_file(candidate);
    }
    return std::nullopt;
}

Endpoint resolve_plugin(const std::string& name, const SearchPaths& paths, const RetryPolicy& retry)
{
    std::optional<Endpoint> found;
    const auto attempt = [&] {
        found = find_plugin(name, paths);
        if (!found) {
            std::string places = paths.socket_dir;
            for (const auto& dir : paths.spec_dirs) {
                places += (places.empty() ? "" : ", ") + dir;
            }
            throw TransportError("plugin not found (looked in " + places + ")");
        }
    };
    const auto log_retry = [&](const TransportError& error, std::chrono::milliseconds pause) {
        spdlog::info("driver \"{}\": {}; retrying in {}s", name, error.what(), pause.count() / 1000);
    };
    try {
        with_retries(retry, attempt, log_retry);
    } catch (const TransportError& error) {
        throw UnreachableError(error.what());
    }
    return *found;
}

Endpoint parse_spec_file(const std::string& path)
{
    return parse_spec(read_spec(path), path);
}

Endpoint parse_spec(const std::string& text, const std::string& origin)
{
    const auto first = text.find_first_not_of(" \t\r\n\v\f");
    if (first == std::string::npos) {
        throw UnreachableError("plugin spec " + origin + " is empty");
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
    return parse_json_spec(read_spec(path), path);
}

Endpoint parse_json_spec(const std::string& text, const std::string& origin)
{
    nlohmann::json spec;
    try {
        spec = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& error) {
        std::string what = error.what();
        if (const auto tag_end = what.find("] "); tag_end != std::string::npos) {
            what.erase(0, tag_end + 2);
        }
        throw UnreachableError("plugin spec " + origin + ": invalid JSON: " + what);
    }
    if (!spec.is_object()) {
        throw UnreachableError("plugin spec " + origin + ": expected a JSON object");
    }
    const std::string address = string_field(spec, "Addr", origin);
    if (address.empty()) {
        throw UnreachableError("plugin spec " + origin + ": no Addr");
    }
    Endpoint endpoint = endpoint_from_address(address, origin);
    const nlohmann::json* tls = field(spec, "TLSConfig");
    if (tls == nullptr || tls->is_null()) {
        return endpoint;
    }
    if (!tls->is_object()) {
        throw UnreachableError("plugin spec " + origin + ": TLSConfig must be an object");
    }
    TlsFiles& files = endpoint.tls_files;
    files.ca_file = string_field(*tls, "CAFile", origin);
    files.cert_file = string_field(*tls, "CertFile", origin);
    files.key_file = string_field(*tls, "KeyFile", origin);
    if (const nlohmann::json* insecure = field(*tls, "InsecureSkipVerify");
        insecure != nullptr && !insecure->is_null()) {
        if (!insecure->is_boolean()) {
            throw UnreachableError("plugin spec " + origin + ": InsecureSkipVerify must be true or false");
        }
        files.insecure_skip_verify = insecure->get<bool>();
    }
    if (files.cert_file.empty() != files.key_file.empty()) {
        throw UnreachableError("plugin spec " + origin + ": CertFile and KeyFile go together");
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
