// Request bodies of the Docker volume-plugin protocol, as nlohmann/json values: Docker's field
// order and the newline its Go encoder ends a body with.
#include "plugin/plugin_codec.hpp"

#include "core/json_dump.hpp"

#include <string>

namespace volumecli::codec {

namespace {

using json_dump::Json;

std::string body(const Json& value)
{
    return json_dump::compact(value) + "\n";
}

}  // namespace

std::string name_request(const std::string& name)
{
    return body(Json{{"Name", name}});
}

std::string create_request(const std::string& name, const VolumeOptions& options)
{
    Json opts = Json::object();
    for (const auto& [key, value] : options) {
        opts[key] = value;
    }
    return body(Json{{"Name", name}, {"Opts", opts}});
}

std::string mount_request(const std::string& name, const std::string& id)
{
    return body(Json{{"Name", name}, {"ID", id}});
}

std::string empty_request()
{
    return "{}\n";
}

}  // namespace volumecli::codec
