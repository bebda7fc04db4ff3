#pragma once

// Text from a file the tool read (a path in a spec, a name in a config) put into an error message.
// Internal to libvolumecli and plugins-discovery.

#include <string>

namespace volumecli {

// `text` with every control character (NUL, newline, ...) written as \xNN: what() is a C string,
// so a NUL would cut the message short, and a newline would split its one stderr line.
inline std::string printable(const std::string& text)
{
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            out += "\\x";
            out.push_back(k_hex[byte >> 4U]);
            out.push_back(k_hex[byte & 0xfU]);
        } else {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace volumecli
