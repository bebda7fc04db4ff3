#pragma once

// Helpers shared by the fuzz targets: turning libFuzzer's bytes into the inputs of a parser.

#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace volumecli::fuzz {

inline std::string to_string(const std::uint8_t* data, std::size_t size)
{
    return {reinterpret_cast<const char*>(data), size};
}

// Splits `text` at every `separator`; an empty text gives no pieces, a trailing separator no
// empty last piece (so a hand-written corpus file may end with a newline).
inline std::vector<std::string> split(const std::string& text, char separator)
{
    std::vector<std::string> pieces;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(separator, start);
        if (end == std::string::npos) {
            end = text.size();
        }
        pieces.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return pieces;
}

// Silences the library's logging once: the targets check behaviour, and stderr is libFuzzer's.
inline void quiet_logs()
{
    static const bool k_quiet = [] {
        spdlog::set_level(spdlog::level::off);
        return true;
    }();
    static_cast<void>(k_quiet);
}

// A violated invariant is a bug like a crash: abort, so libFuzzer keeps the input.
inline void require(bool condition)
{
    if (!condition) {
        std::abort();
    }
}

}  // namespace volumecli::fuzz
