#include <volumecli/managed_plugins.hpp>

#include <volumecli/error.hpp>

#include "core/json_fields.hpp"
#include "core/regular_file.hpp"
#include "plugin_search.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

namespace volumecli::discovery {

namespace {

namespace fs = std::filesystem;

constexpr const char* k_volume_driver_type = "docker.volumedriver/";
// dockerd's config.json holds the plugin's whole manifest and settings: a few KiB, far below this.
constexpr std::size_t k_max_config_bytes = 4U * 1024U * 1024U;

// What dvdcli needs from one <docker_root>/plugins/<id>/config.json.
struct PluginConfig {
    std::string id;
    std::string name;
    bool enabled = false;
    bool volume_driver = false;
    std::string socket;
    std::string propagated_mount;
    std::string file;
};

bool is_full_id(const std::string& text)
{
    if (text.size() != 64) {
        return false;
    }
    for (const char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

std::string string_at(const nlohmann::json& object, const char* key, const std::string& file)
{
    const nlohmann::json* value = json_fields::find(object, key);
    if (value == nullptr || value->is_null()) {
        return {};
    }
    if (!value->is_string()) {
        throw UnreachableError("managed plugin config " + file + ": " + key + " must be a string");
    }
    return value->get<std::string>();
}

const nlohmann::json* object_at(const nlohmann::json& object, const char* key, const std::string& file)
{
    const nlohmann::json* value = json_fields::find(object, key);
    if (value == nullptr || value->is_null()) {
        return nullptr;
    }
    if (!value->is_object()) {
        throw UnreachableError("managed plugin config " + file + ": " + key + " must be an object");
    }
    return value;
}

PluginConfig read_config(const std::string& file, const std::string& directory_id)
{
    const FileRead read = read_regular_file(file, k_max_config_bytes);
    if (!read.ok()) {
        throw UnreachableError("cannot read managed plugin config " + file + ": " + read.problem +
                               (read.error == EACCES ? " (dockerd's state is readable by root only)" : ""));
    }
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(read.text);
    } catch (const nlohmann::json::parse_error& error) {
        // nlohmann's own text ("[json.exception.parse_error.101] ...") is not for users.
        throw UnreachableError("managed plugin config " + file + ": invalid JSON at byte " +
                               std::to_string(error.byte));
    } catch (const nlohmann::json::exception&) {
        throw UnreachableError("managed plugin config " + file + ": invalid JSON");
    }
    if (!json.is_object()) {
        throw UnreachableError("managed plugin config " + file + ": expected a JSON object");
    }
    PluginConfig config;
    config.file = file;
    config.id = string_at(json, "Id", file);
    if (config.id.empty()) {
        config.id = directory_id;
    }
    config.name = string_at(json, "Name", file);
    if (const nlohmann::json* enabled = json_fields::find(json, "Enabled"); enabled != nullptr) {
        config.enabled = enabled->is_boolean() && enabled->get<bool>();
    }
    if (const nlohmann::json* settings = object_at(json, "Config", file)) {
        config.propagated_mount = string_at(*settings, "PropagatedMount", file);
        if (const nlohmann::json* interface = object_at(*settings, "Interface", file)) {
            config.socket = string_at(*interface, "Socket", file);
            if (const nlohmann::json* types = json_fields::find(*interface, "Types");
                types != nullptr && types->is_array()) {
                for (const auto& type : *types) {
                    if (type.is_string() && type.get<std::string>().rfind(k_volume_driver_type, 0) == 0) {
                        config.volume_driver = true;
                    }
                }
            }
        }
    }
    return config;
}

// Every <docker_root>/plugins/<id>/config.json; directories without one (storage, tmp) are skipped.
std::vector<PluginConfig> read_configs(const std::string& docker_root)
{
    std::vector<PluginConfig> configs;
    std::error_code error;
    const fs::path plugins = fs::path(docker_root) / "plugins";
    fs::directory_iterator it(plugins, error);
    if (error) {
        if (error != std::errc::no_such_file_or_directory && error != std::errc::not_a_directory) {
            throw UnreachableError(
                "cannot read " + plugins.string() + ": " + error.message() +
                (error == std::errc::permission_denied ? " (dockerd's state is readable by root only)" : ""));
        }
        return configs;
    }
    for (const auto& entry : it) {
        const fs::path file = entry.path() / "config.json";
        if (!fs::exists(file, error)) {
            continue;
        }
        configs.push_back(read_config(file.string(), entry.path().filename().string()));
    }
    return configs;
}

bool is_socket(const std::string& path)
{
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode);
}

}  // namespace

std::string normalize_plugin_reference(const std::string& name)
{
    std::string reference = name;
    for (const char* registry : {"docker.io/", "index.docker.io/"}) {
        if (reference.rfind(registry, 0) == 0) {
            reference.erase(0, std::strlen(registry));
            if (reference.rfind("library/", 0) == 0 && reference.find('/', 8) == std::string::npos) {
                reference.erase(0, 8);
            }
            break;
        }
    }
    if (reference.rfind("library/", 0) == 0 && reference.find('/', 8) == std::string::npos) {
        reference.erase(0, 8);
    }
    const auto last_slash = reference.rfind('/');
    const std::string last = reference.substr(last_slash == std::string::npos ? 0 : last_slash + 1);
    if (last.find(':') == std::string::npos && reference.find('@') == std::string::npos) {
        reference += ":latest";
    }
    return reference;
}

std::optional<ManagedPlugin> find_managed_plugin(const std::string& name, const std::string& docker_root,
                                                 const std::string& socket_dir)
{
    const std::vector<PluginConfig> configs = read_configs(docker_root);
    const PluginConfig* match = nullptr;
    if (is_full_id(name)) {
        for (const auto& config : configs) {
            if (config.id == name) {
                match = &config;
            }
        }
    }
    const std::string reference = normalize_plugin_reference(name);
    for (const auto& config : configs) {
        if (match == nullptr && config.name == reference) {
            match = &config;
        }
    }
    if (match == nullptr) {
        for (const auto& config : configs) {
            if (config.id.rfind(name, 0) == 0) {
                if (match != nullptr) {
                    throw UnreachableError("managed plugin ID prefix \"" + name + "\" is ambiguous");
                }
                match = &config;
            }
        }
    }
    if (match == nullptr) {
        return std::nullopt;
    }
    const std::string shown = printable_text(match->name.empty() ? match->id : match->name);
    if (!match->enabled) {
        throw UnreachableError("managed plugin " + shown + " is disabled (docker plugin enable " + shown + ")");
    }
    if (!match->volume_driver) {
        throw UnreachableError("managed plugin " + shown + " is not a volume driver (no " + k_volume_driver_type +
                               " in Config.Interface.Types of " + match->file + ")");
    }
    if (match->socket.empty() || match->socket.find('/') != std::string::npos ||
        printable_text(match->socket) != match->socket || match->id.find('/') != std::string::npos ||
        match->id.find("..") != std::string::npos || printable_text(match->id) != match->id) {
        throw UnreachableError("managed plugin config " + match->file + ": invalid Id or Config.Interface.Socket");
    }
    ManagedPlugin plugin;
    plugin.id = match->id;
    plugin.name = shown;
    const std::string socket_path = socket_dir + "/" + match->id + "/" + match->socket;
    if (!is_socket(socket_path)) {
        throw UnreachableError("managed plugin " + shown + " is enabled but its socket " + socket_path +
                               " does not exist (is dockerd running it?)");
    }
    plugin.endpoint.kind = Endpoint::Kind::unix_socket;
    plugin.endpoint.socket_path = socket_path;
    plugin.endpoint.address = "unix://" + socket_path;
    plugin.filesystem.plugin_dir = docker_root + "/plugins/" + match->id;
    plugin.filesystem.propagated_mount = match->propagated_mount;
    spdlog::debug("managed plugin \"{}\" is {} at {}", name, plugin.id, socket_path);
    return plugin;
}

PluginLocation locate_plugin(const std::string& name, const SearchPaths& paths,
                             const std::optional<std::string>& docker_root, const RetryPolicy& retry)
{
    validate_plugin_name(name);
    PluginLocation location;
    std::vector<std::string> places{docker_root ? *docker_root + "/plugins" : std::string(), paths.socket_dir};
    places.insert(places.end(), paths.spec_dirs.begin(), paths.spec_dirs.end());
    search_with_retries(name, places, retry, [&] {
        if (docker_root) {
            if (auto managed = find_managed_plugin(name, *docker_root, paths.socket_dir)) {
                location.endpoint = managed->endpoint;
                location.managed = std::move(managed);
                return true;
            }
        }
        if (auto endpoint = find_plugin(name, paths)) {
            location.endpoint = std::move(*endpoint);
            return true;
        }
        return false;
    });
    return location;
}

}  // namespace volumecli::discovery
