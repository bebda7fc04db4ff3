// Request bodies of the Docker volume-plugin protocol: what dvdcli sends, as Docker's Go encoder
// writes it, so that a plugin sees the bytes it would see from Docker.
#include "plugin/plugin_codec.hpp"

#include <cstddef>
#include <string>

namespace volumecli::codec {

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

}  // namespace volumecli::codec
