#include <volumecli/error.hpp>

#include <algorithm>

namespace volumecli {

namespace {

// The length of the valid UTF-8 sequence at text[i], or 0 when the byte there starts none.
std::size_t utf8_length(const std::string& text, std::size_t i)
{
    const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
    const unsigned char first = byte(i);
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xbf;
    if (first < 0x80) {
        return 1;
    }
    if (first >= 0xc2 && first <= 0xdf) {
        length = 2;
    } else if (first >= 0xe0 && first <= 0xef) {
        length = 3;
        low = first == 0xe0 ? 0xa0 : 0x80;   // no overlong forms
        high = first == 0xed ? 0x9f : 0xbf;  // no surrogates
    } else if (first >= 0xf0 && first <= 0xf4) {
        length = 4;
        low = first == 0xf0 ? 0x90 : 0x80;
        high = first == 0xf4 ? 0x8f : 0xbf;  // nothing past U+10FFFF
    } else {
        return 0;
    }
    if (i + length > text.size() || byte(i + 1) < low || byte(i + 1) > high) {
        return 0;
    }
    for (std::size_t k = 2; k < length; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) {
            return 0;
        }
    }
    return length;
}

// True for a sequence that is a control character: C0, DEL, or C1 (U+0080..U+009F, C2 80..C2 9F).
bool is_control(const std::string& text, std::size_t i, std::size_t length)
{
    const auto first = static_cast<unsigned char>(text[i]);
    if (length == 1) {
        return first < 0x20 || first == 0x7f;
    }
    return length == 2 && first == 0xc2 && static_cast<unsigned char>(text[i + 1]) <= 0x9f;
}

}  // namespace

std::string printable_text(const std::string& text)
{
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_length(text, i);
        if (length != 0 && !is_control(text, i, length)) {
            out.append(text, i, length);
            i += length;
            continue;
        }
        for (std::size_t k = 0; k < std::max<std::size_t>(length, 1); ++k) {
            const auto c = static_cast<unsigned char>(text[i + k]);
            out += "\\x";
            out.push_back(k_hex[c >> 4U]);
            out.push_back(k_hex[c & 0xfU]);
        }
        i += std::max<std::size_t>(length, 1);
    }
    return out;
}

bool is_utf8(const std::string& text)
{
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_length(text, i);
        if (length == 0) {
            return false;
        }
        i += length;
    }
    return true;
}

bool is_printable_text(const std::string& text)
{
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_length(text, i);
        if (length == 0 || is_control(text, i, length)) {
            return false;
        }
        i += length;
    }
    return true;
}

std::string driver_context(const std::string& driver)
{
    return "driver \"" + driver + "\": ";
}

void rethrow_with_context(const Error& current, const std::string& prefix)
{
    const std::string message = prefix + current.what();
    // Ordered most-derived first so the exit code survives the rewrap.
    if (dynamic_cast<const TransportError*>(&current) != nullptr) {
        throw TransportError(message);
    }
    if (dynamic_cast<const UnreachableError*>(&current) != nullptr) {
        throw UnreachableError(message);
    }
    if (dynamic_cast<const TimeoutError*>(&current) != nullptr) {
        throw TimeoutError(message);
    }
    if (dynamic_cast<const ProtocolError*>(&current) != nullptr) {
        throw ProtocolError(message);
    }
    if (dynamic_cast<const UsageError*>(&current) != nullptr) {
        throw UsageError(message);
    }
    if (dynamic_cast<const OutputError*>(&current) != nullptr) {
        throw OutputError(message);
    }
    throw DriverError(message);
}

}  // namespace volumecli
