#pragma once

// Go's encoding/json key matching, for the lenient decoders (plugin replies, .json plugin specs).
// Internal to libvolumecli and plugins-discovery; nlohmann/json stays out of public headers.

#include <nlohmann/json.hpp>

#include <cctype>
#include <string>

namespace volumecli::json_fields {

inline bool equals_ignoring_case(const std::string& a, const char* b)
{
    std::size_t i = 0;
    for (; i < a.size() && b[i] != '\0'; ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return i == a.size() && b[i] == '\0';
}

// The value of `key` in `object`: an exact match wins, else any key equal ignoring case;
// nullptr when there is none.
inline const nlohmann::json* find(const nlohmann::json& object, const char* key)
{
    if (const auto exact = object.find(key); exact != object.end()) {
        return &*exact;
    }
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (equals_ignoring_case(it.key(), key)) {
            return &it.value();
        }
    }
    return nullptr;
}

}  // namespace volumecli::json_fields
