#include <volumecli/json_output.hpp>

#include "plugin/plugin_codec.hpp"

namespace volumecli {

namespace {

void append_member(std::string& out, const char* key, const std::string& value)
{
    if (out.back() != '{') {
        out.push_back(',');
    }
    codec::append_json_string(out, key);
    out.push_back(':');
    codec::append_json_string(out, value);
}

void append_volume(std::string& out, const Volume& volume)
{
    out.push_back('{');
    append_member(out, "Name", volume.name);
    append_member(out, "Mountpoint", volume.mountpoint);
    if (volume.created_at) {
        append_member(out, "CreatedAt", *volume.created_at);
    }
    if (volume.status_json) {
        out += ",\"Status\":" + *volume.status_json;
    }
    out.push_back('}');
}

}  // namespace

std::string to_json(const Volume& volume)
{
    std::string out;
    append_volume(out, volume);
    return out;
}

std::string to_json(const std::vector<Volume>& volumes)
{
    std::string out = "[";
    for (const auto& volume : volumes) {
        if (out.size() > 1) {
            out.push_back(',');
        }
        append_volume(out, volume);
    }
    return out + "]";
}

std::string to_json(const MountResult& result)
{
    std::string out = "{";
    append_member(out, "Name", result.name);
    append_member(out, "Mountpoint", result.mountpoint);
    return out + "}";
}

std::string to_json(const Capabilities& capabilities)
{
    std::string out = "{";
    append_member(out, "Scope", capabilities.scope);
    return out + "}";
}

std::string name_to_json(const std::string& name)
{
    std::string out = "{";
    append_member(out, "Name", name);
    return out + "}";
}

}  // namespace volumecli
