#pragma once

// How libvolumecli writes JSON, whatever it writes (--format=json output, plugin request bodies):
// nlohmann/json values dumped in one way. Internal; nlohmann/json stays out of public headers.

#include <nlohmann/json.hpp>

#include <string>

namespace volumecli::json_dump {

// Members in the order they are added (Docker's and Go's struct field order), not sorted.
using Json = nlohmann::ordered_json;

// Compact, UTF-8 as it is, control characters escaped (\n, \u001b). A byte that is not UTF-8
// becomes U+FFFD, as Go's encoder writes it, rather than an exception: the command line refuses
// such names, but a path (the local driver's root) or a plugin's raw error text can hold one.
inline std::string compact(const Json& value)
{
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace volumecli::json_dump
