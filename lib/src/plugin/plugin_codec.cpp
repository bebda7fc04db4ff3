// Reply decoders of the Docker volume-plugin protocol: each HTTP 200 body read into what the
// driver returns, with the errors a user is shown for a reply that breaks the protocol.
#include "plugin/plugin_codec.hpp"

#include "core/json_fields.hpp"
#include "core/json_reply.hpp"
#include "plugin/rfc3339.hpp"

#include <volumecli/error.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

namespace volumecli::codec {

namespace {

using nlohmann::json;

json parse_object(const std::string& body)
{
    json value = json_reply::parse(body);
    if (!value.is_object()) {
        throw ProtocolError(std::string("reply is a JSON ") + value.type_name() + ", not an object");
    }
    return value;
}

const json* field(const json& object, const char* key)
{
    return json_fields::find(object, key);
}

std::string string_field(const json& object, const char* key)
{
    const json* value = field(object, key);
    if (value == nullptr || value->is_null()) {
        return {};
    }
    if (!value->is_string()) {
        throw ProtocolError(std::string("reply field ") + key + " is a JSON " + value->type_name() + ", not a string");
    }
    return value->get<std::string>();
}

Volume decode_volume(const json& object)
{
    if (!object.is_object()) {
        throw ProtocolError(std::string("volume in reply is a JSON ") + object.type_name() + ", not an object");
    }
    Volume volume;
    volume.name = string_field(object, "Name");
    volume.mountpoint = string_field(object, "Mountpoint");
    const std::string created_at = string_field(object, "CreatedAt");
    if (!created_at.empty()) {
        if (!is_rfc3339(created_at)) {
            throw ProtocolError("volume \"" + volume.name + "\": CreatedAt \"" + created_at +
                                "\" is not an RFC 3339 time");
        }
        volume.created_at = created_at;
    }
    if (const json* status = field(object, "Status"); status != nullptr && !status->is_null()) {
        if (!status->is_object()) {
            throw ProtocolError("volume \"" + volume.name + "\": Status is a JSON " + status->type_name() +
                                ", not an object");
        }
        volume.status_json = status->dump();
    }
    return volume;
}

}  // namespace

std::vector<std::string> decode_implements(const std::string& body)
{
    const json reply = parse_object(body);
    std::vector<std::string> implements;
    const json* list = field(reply, "Implements");
    if (list == nullptr || list->is_null()) {
        return implements;
    }
    if (!list->is_array()) {
        throw ProtocolError(std::string("reply field Implements is a JSON ") + list->type_name() + ", not an array");
    }
    for (const json& item : *list) {
        if (item.is_string()) {
            implements.push_back(item.get<std::string>());
        }
    }
    return implements;
}

std::string decode_err(const std::string& body)
{
    return string_field(parse_object(body), "Err");
}

MountpointReply decode_mountpoint(const std::string& body)
{
    const json reply = parse_object(body);
    return {string_field(reply, "Mountpoint"), string_field(reply, "Err")};
}

GetReply decode_get(const std::string& body)
{
    const json reply = parse_object(body);
    GetReply result;
    result.err = string_field(reply, "Err");
    if (!result.err.empty()) {
        return result;
    }
    if (const json* volume = field(reply, "Volume"); volume != nullptr && !volume->is_null()) {
        result.volume = decode_volume(*volume);
    }
    return result;
}

CapabilitiesReply decode_capabilities(const std::string& body)
{
    const json reply = parse_object(body);
    CapabilitiesReply result;
    result.err = string_field(reply, "Err");
    if (const json* capabilities = field(reply, "Capabilities"); capabilities != nullptr && capabilities->is_object()) {
        result.scope = string_field(*capabilities, "Scope");
    }
    return result;
}

std::string failure_message(const std::string& method, const std::string& body)
{
    std::string detail;
    try {
        const auto reply = json_reply::try_parse(body).value;
        if (reply && reply->is_object()) {
            detail = string_field(*reply, "Err");
            if (detail.empty()) {
                detail = string_field(*reply, "Error");
            }
        }
    } catch (const ProtocolError&) {
        detail.clear();  // not JSON, or Err of the wrong type: fall back to the raw body
    }
    if (detail.empty()) {
        detail = body;
    }
    while (!detail.empty() && std::isspace(static_cast<unsigned char>(detail.back())) != 0) {
        detail.pop_back();
    }
    // Keep the one-line error promise: a multi-line body is folded.
    for (char& c : detail) {
        if (c == '\n' || c == '\r') {
            c = ' ';
        }
    }
    constexpr std::size_t k_max_detail = 512;
    if (detail.size() > k_max_detail) {
        detail.resize(k_max_detail);
        detail += "...";
    }
    return method + ": " + detail;
}

}  // namespace volumecli::codec
