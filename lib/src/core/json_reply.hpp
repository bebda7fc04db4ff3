#pragma once

// The one JSON parser for driver replies (plugin and Flocker): a DOM built from nlohmann's SAX
// events, with the nesting depth and the number of values bounded while parsing. Internal to
// libvolumecli; nlohmann/json stays out of public headers.
//
// Why not json::parse: it has no limit on values, and a 31 MiB reply of `[{},{},...]` (2 bytes per
// value, ~80 bytes each in a DOM) cost 1.24 GB. Why not its parser callback: the callback DOM
// parser's end_object scans the parent container for discarded values each time an object ends, so
// `[{},{},...]` is quadratic (1 MiB took 21 s). This builder is what json::parse does, plus counts.

#include <volumecli/error.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace volumecli::json_reply {

// Containers open at once in a reply.
inline constexpr int k_max_depth = 64;
// JSON values (scalars, arrays, objects; keys not counted) in one reply. A DOM value costs up to
// ~150 bytes (an object member: map node, key, value, the object's own allocation), so this bounds
// a decoded reply to about 150 MiB whatever the bytes; a 10,000-volume List holds ~60,000.
inline constexpr std::size_t k_max_values = std::size_t{1} << 20U;

namespace detail {

// The limits and the one-line errors every parse of a reply applies, for nlohmann SAX handlers
// (the DOM builder below, the plugin codec's List reader): the same bytes get the same error.
class ReplyLimits {
public:
    // One more value (scalar or container); false, with the error, past k_max_values.
    bool count_value()
    {
        if (++m_values > k_max_values) {
            m_error = "reply holds more than " + std::to_string(k_max_values) + " JSON values";
            return false;
        }
        return true;
    }

    // One more container, inside `open` others: false, with the error, past k_max_depth (checked
    // first) or k_max_values.
    bool open_container(std::size_t open)
    {
        if (open >= static_cast<std::size_t>(k_max_depth)) {
            m_error = "reply nested deeper than " + std::to_string(k_max_depth) + " levels";
            return false;
        }
        return count_value();
    }

    // nlohmann's parse error as one line; false, to stop the parse.
    bool parse_error(std::size_t position, const nlohmann::json::exception& error)
    {
        // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..." and
        // "[json.exception.out_of_range.406] number overflow ..." -> the reason alone.
        std::string what = error.what();
        if (const auto tag_end = what.find("] ");
            !what.empty() && what.front() == '[' && tag_end != std::string::npos) {
            what.erase(0, tag_end + 2);
        }
        if (const auto reason = what.find(": "); what.rfind("parse error", 0) == 0 && reason != std::string::npos) {
            what.erase(0, reason + 2);
        }
        m_error = "invalid JSON in reply at byte " + std::to_string(position) + ": " + what;
        return false;
    }

    // The failure that stopped the parse (empty when it did not stop).
    [[nodiscard]] const std::string& error() const { return m_error; }

private:
    std::size_t m_values = 0;
    std::string m_error;
};

// nlohmann's SAX interface; returning false stops the parse.
class BoundedDomBuilder {
public:
    using json = nlohmann::json;
    using number_integer_t = json::number_integer_t;
    using number_unsigned_t = json::number_unsigned_t;
    using number_float_t = json::number_float_t;
    using string_t = json::string_t;
    using binary_t = json::binary_t;

    bool null() { return add(json()) != nullptr; }
    bool boolean(bool value) { return add(json(value)) != nullptr; }
    bool number_integer(number_integer_t value) { return add(json(value)) != nullptr; }
    bool number_unsigned(number_unsigned_t value) { return add(json(value)) != nullptr; }
    bool number_float(number_float_t value, const string_t& /*text*/) { return add(json(value)) != nullptr; }
    bool string(string_t& value) { return add(json(std::move(value))) != nullptr; }
    bool binary(binary_t& /*value*/) { return false; }  // never produced by JSON text
    bool start_object(std::size_t /*elements*/) { return open(json::value_t::object); }
    bool start_array(std::size_t /*elements*/) { return open(json::value_t::array); }
    bool key(string_t& name)
    {
        m_key = std::move(name);
        return true;
    }
    bool end_object()
    {
        m_open.pop_back();
        return true;
    }
    bool end_array()
    {
        m_open.pop_back();
        return true;
    }
    bool parse_error(std::size_t position, const std::string& /*token*/, const nlohmann::json::exception& error)
    {
        return m_limits.parse_error(position, error);
    }

    // The failure that stopped the parse (empty when it did not stop).
    [[nodiscard]] const std::string& error() const { return m_limits.error(); }
    json take() { return std::move(m_root); }

private:
    // Places `value` in the open container (or as the root).
    json* place(json&& value)
    {
        if (m_open.empty()) {
            m_root = std::move(value);
            return &m_root;
        }
        json& parent = *m_open.back();
        if (parent.is_object()) {
            // As json::parse: a repeated key keeps its last value.
            json& member = parent[std::move(m_key)];
            member = std::move(value);
            return &member;
        }
        parent.push_back(std::move(value));
        return &parent.back();
    }

    // A scalar; nullptr past the value limit.
    json* add(json&& value) { return m_limits.count_value() ? place(std::move(value)) : nullptr; }

    // Containers are filled in place: only the innermost open one ever grows, so the pointers to
    // the ones around it stay valid.
    bool open(json::value_t type)
    {
        if (!m_limits.open_container(m_open.size())) {
            return false;
        }
        m_open.push_back(place(json(type)));
        return true;
    }

    json m_root;
    std::vector<json*> m_open;
    std::string m_key;
    ReplyLimits m_limits;
};

}  // namespace detail

// Runs nlohmann's SAX parser over `body` with `handler`, a handler whose error() is its
// ReplyLimits' error. Returns the one-line reason the parse stopped, or an empty string when the
// whole body was read: "invalid JSON in reply: empty body", "invalid JSON in reply at byte N:
// <reason>", "reply nested deeper than 64 levels", "reply holds more than N JSON values".
template <typename Handler>
std::string sax_parse(const std::string& body, Handler& handler)
{
    if (body.empty()) {
        return "invalid JSON in reply: empty body";
    }
    // A pointer range: nlohmann reads it faster than the std::string itself (7% fewer
    // instructions), and every reader of replies sees the same bytes.
    if (!nlohmann::json::sax_parse(body.data(), body.data() + body.size(), &handler) || !handler.error().empty()) {
        return handler.error().empty() ? std::string("invalid JSON in reply") : handler.error();
    }
    return {};
}

// The JSON value of `body`, or the one-line reason it is not one within the limits: "invalid JSON
// in reply: empty body", "invalid JSON in reply at byte N: <reason>", "reply nested deeper than
// 64 levels", "reply holds more than N JSON values". Linear in the size of `body`.
struct Parsed {
    std::optional<nlohmann::json> value;
    std::string error;
};

inline Parsed try_parse(const std::string& body)
{
    detail::BoundedDomBuilder builder;
    if (std::string error = sax_parse(body, builder); !error.empty()) {
        return {std::nullopt, std::move(error)};
    }
    return {builder.take(), {}};
}

// As try_parse; throws ProtocolError with the reason instead.
inline nlohmann::json parse(const std::string& body)
{
    Parsed parsed = try_parse(body);
    if (!parsed.value) {
        throw ProtocolError(parsed.error);
    }
    return std::move(*parsed.value);
}

}  // namespace volumecli::json_reply
