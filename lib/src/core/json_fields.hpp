#pragma once

// Go's encoding/json key matching, for the lenient decoders (plugin replies, .json plugin specs).
// Internal to libvolumecli and plugins-discovery; nlohmann/json stays out of public headers.

#include <nlohmann/json.hpp>

#include <cctype>
#include <cstddef>
#include <cstring>
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

// Go's key matching for one field, as find applies it: exact, else equal ignoring case. Both need
// the same length, which rules most keys out before any comparison.
template <std::size_t Size>
bool names_field(const std::string& key, const char (&field)[Size])
{
    return key.size() == Size - 1 &&
           (std::memcmp(key.data(), field, Size - 1) == 0 || equals_ignoring_case(key, field));
}

// Which of the keys naming one field counts, as find decides over a DOM: an exact
// key before any other spelling, else the spelling first in byte order (the DOM's std::map order);
// of a repeated key, its last value. For readers of SAX events: each key is offered in document
// order, and one that takes the field replaces what the field held.
class KeyChoice {
public:
    // `key` names `field` (names_field).
    template <std::size_t Size>
    bool takes(const std::string& key, const char (&field)[Size])
    {
        if (std::memcmp(key.data(), field, Size - 1) == 0) {
            m_exact = true;
            return true;
        }
        if (m_exact || (m_seen && m_key < key)) {
            return false;
        }
        m_seen = true;
        m_key = key;
        return true;
    }

    // As new, keeping the string's room.
    void reset()
    {
        m_exact = false;
        m_seen = false;
    }

private:
    bool m_exact = false;
    bool m_seen = false;  // a spelling other than the exact one was taken
    std::string m_key;    // that spelling
};

}  // namespace volumecli::json_fields
