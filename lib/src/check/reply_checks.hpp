#pragma once

// What every check asks of a plugin's reply: a success (HTTP 200, a JSON object, no Err), an error
// reply, Docker's field names and types, a mountpoint on this host. Internal to the check runner.

#include "check/plugin_calls.hpp"
#include "check/verdict.hpp"

#include <volumecli/scoped_driver.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace volumecli::check {

using Json = nlohmann::json;

// The reply as a JSON object when it is a success; otherwise fails `verdict` (saying `call`'s
// problem: no reply, an HTTP error, not JSON, a non-empty Err) and returns nullopt.
std::optional<Json> success_reply(Verdict& verdict, const CallOutcome& outcome, const std::string& call);

// True when `outcome` is an error reply: a status other than 200, or 200 with a non-empty Err.
// Otherwise fails `verdict`: "answered success" or "no reply: ...".
bool expect_error_reply(Verdict& verdict, const CallOutcome& outcome, const std::string& what);

// The value of `key` in `object`, null when absent; a key that matches only ignoring case is a
// warning (Docker's decoder accepts it, stricter clients do not).
const Json* member(Verdict& verdict, const Json& object, const char* key);

// A Volume object's Name (a string) and Mountpoint (a string when present).
void check_volume_fields(Verdict& verdict, const Json& volume);
// CreatedAt an RFC 3339 string when present; absent is a warning when `warn_missing`.
void check_created_at(Verdict& verdict, const Json& volume, bool warn_missing);
// Status an object when present; absent is a warning when `warn_missing`.
void check_status(Verdict& verdict, const Json& volume, bool warn_missing);

// A reply's Mountpoint: a non-empty absolute path that is a directory on this host (mapped
// through `filesystem` for a managed plugin). The path, or nullopt after failing `verdict`.
std::optional<std::string> checked_mountpoint(Verdict& verdict, const Json& reply,
                                              const std::optional<PluginFilesystem>& filesystem);

}  // namespace volumecli::check
