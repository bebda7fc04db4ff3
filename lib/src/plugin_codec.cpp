#include "plugin_codec.hpp"

#include "json_fields.hpp"

#include <volumecli/error.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace volumecli::codec {

namespace {

using nlohmann::json;

constexpr int k_max_depth = 64;

// The most containers open at once in `body`, stopping early once over `limit`. Strings are
// skipped as nlohmann's lexer reads them, so on the prefix the parser accepts the count is exact.
int nesting_depth(const std::string& body, int limit)
{
    int open = 0;
    int deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < body.size() && deepest <= limit; ++i) {
        const char c = body[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++open);
        } else if (c == '}' || c == ']') {
            --open;
        }
    }
    return deepest;
}

json parse_object(const std::string& body)
{
    // nlohmann's callback parser, which enforces the depth limit, costs about ten times the plain
    // one (150 ms instead of 15 for a 10,000-volume List). Where the limit cannot be reached
    // (events never report more containers than are open) the plain parser gives the same result
    // and the same errors; only a reply that nests that deep takes the checked path.
    if (nesting_depth(body, k_max_depth) <= k_max_depth) {
        try {
            json value = json::parse(body);
            if (value.is_object()) {
                return value;
            }
        } catch (const json::exception&) {
            // Reported below, by the checked parse, with the same message.
        }
    }
    json::parser_callback_t limit_depth = [](int depth, json::parse_event_t /*event*/, json& /*parsed*/) {
        if (depth > k_max_depth) {
            throw ProtocolError("reply nested deeper than " + std::to_string(k_max_depth) + " levels");
        }
        return true;
    };
    json value;
    try {
        value = json::parse(body, limit_depth);
    } catch (const json::exception& error) {
        std::string what = error.what();
        // Drop nlohmann's "[json.exception.parse_error.101] " tag: the user wants the reason.
        if (const auto tag_end = what.find("] ");
            !what.empty() && what.front() == '[' && tag_end != std::string::npos) {
            what.erase(0, tag_end + 2);
        }
        if (body.empty()) {
            what = "empty body";
        }
        throw ProtocolError("invalid JSON in reply: " + what);
    }
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

int digits(const std::string& text, std::size_t at, std::size_t count)
{
    if (at + count > text.size()) {
        return -1;
    }
    int value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9') {
            return -1;
        }
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

}  // namespace

void append_json_string(std::string& out, const std::string& text)
{
    static constexpr char k_hex[] = "0123456789abcdef";
    out.push_back('"');
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                // Go also escapes <, > and & (HTML safety) and U+2028/U+2029.
                if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                    out += "\\u00";
                    out.push_back(k_hex[c >> 4U]);
                    out.push_back(k_hex[c & 0xfU]);
                } else if (c == 0xe2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
                           (static_cast<unsigned char>(text[i + 2]) == 0xa8 ||
                            static_cast<unsigned char>(text[i + 2]) == 0xa9)) {
                    out += static_cast<unsigned char>(text[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029";
                    i += 2;
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
    }
    out.push_back('"');
}

std::string name_request(const std::string& name)
{
    std::string out = "{\"Name\":";
    append_json_string(out, name);
    out += "}\n";
    return out;
}

std::string create_request(const std::string& name, const VolumeOptions& options)
{
    std::string out = "{\"Name\":";
    append_json_string(out, name);
    out += ",\"Opts\":{";
    bool first = true;
    for (const auto& [key, value] : options) {
        if (!first) {
            out.push_back(',');
        }
        first = false;
        append_json_string(out, key);
        out.push_back(':');
        append_json_string(out, value);
    }
    out += "}}\n";
    return out;
}

std::string mount_request(const std::string& name, const std::string& id)
{
    std::string out = "{\"Name\":";
    append_json_string(out, name);
    out += ",\"ID\":";
    append_json_string(out, id);
    out += "}\n";
    return out;
}

std::string empty_request()
{
    return "{}\n";
}

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

ListReply decode_list(const std::string& body)
{
    const json reply = parse_object(body);
    ListReply result;
    result.err = string_field(reply, "Err");
    if (!result.err.empty()) {
        return result;
    }
    const json* volumes = field(reply, "Volumes");
    if (volumes == nullptr || volumes->is_null()) {
        return result;
    }
    if (!volumes->is_array()) {
        throw ProtocolError(std::string("reply field Volumes is a JSON ") + volumes->type_name() + ", not an array");
    }
    result.volumes.reserve(volumes->size());
    for (const json& volume : *volumes) {
        result.volumes.push_back(decode_volume(volume));
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
        const json reply = json::parse(body);
        if (reply.is_object()) {
            detail = string_field(reply, "Err");
            if (detail.empty()) {
                detail = string_field(reply, "Error");
            }
        }
    } catch (const std::exception&) {
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

bool is_rfc3339(const std::string& text)
{
    // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
    const int month = digits(text, 5, 2);
    const int day = digits(text, 8, 2);
    const int hour = digits(text, 11, 2);
    const int minute = digits(text, 14, 2);
    const int second = digits(text, 17, 2);
    if (digits(text, 0, 4) < 0 || text.size() < 20 || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':' || month < 1 || month > 12 ||
        day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
        return false;
    }
    std::size_t at = 19;
    if (text[at] == '.') {
        const std::size_t start = ++at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
            ++at;
        }
        if (at == start) {
            return false;
        }
    }
    if (at == text.size()) {
        return false;
    }
    if ((text[at] == 'Z' || text[at] == 'z') && at + 1 == text.size()) {
        return true;
    }
    if ((text[at] != '+' && text[at] != '-') || at + 6 != text.size() || text[at + 3] != ':') {
        return false;
    }
    const int offset_hour = digits(text, at + 1, 2);
    const int offset_minute = digits(text, at + 4, 2);
    return offset_hour >= 0 && offset_hour <= 23 && offset_minute >= 0 && offset_minute <= 59;
}

}  // namespace volumecli::codec
