#include "check/reply_checks.hpp"

#include "core/json_fields.hpp"
#include "plugin/plugin_codec.hpp"
#include "plugin/rfc3339.hpp"

#include <sys/stat.h>

namespace volumecli::check {

namespace {

bool is_directory(const std::string& path)
{
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

// The non-empty Err of a reply body, or nullopt.
std::optional<std::string> err_of(const Json& reply)
{
    const Json* err = reply.is_object() ? json_fields::find(reply, "Err") : nullptr;
    if (err != nullptr && err->is_string() && !err->get<std::string>().empty()) {
        return err->get<std::string>();
    }
    return std::nullopt;
}

}  // namespace

std::optional<Json> success_reply(Verdict& verdict, const CallOutcome& outcome, const std::string& call)
{
    if (!outcome.response) {
        verdict.fail(call + ": " + outcome.problem);
        return std::nullopt;
    }
    const HttpResponse& response = *outcome.response;
    if (response.status != 200) {
        verdict.fail(call + ": HTTP " + std::to_string(response.status) + ": " +
                     codec::failure_message(call, response.body));
        return std::nullopt;
    }
    Json reply = Json::parse(response.body, nullptr, false);
    if (reply.is_discarded()) {
        verdict.fail(call + ": reply is not JSON");
        return std::nullopt;
    }
    if (!reply.is_object()) {
        verdict.fail(call + ": reply is not a JSON object");
        return std::nullopt;
    }
    const Json* err = json_fields::find(reply, "Err");
    if (err != nullptr && !err->is_string() && !err->is_null()) {
        verdict.fail(call + ": Err must be a string");
        return std::nullopt;
    }
    if (const auto message = err_of(reply)) {
        verdict.fail(call + ": Err: " + *message);
        return std::nullopt;
    }
    return reply;
}

bool expect_error_reply(Verdict& verdict, const CallOutcome& outcome, const std::string& what)
{
    if (!outcome.response) {
        verdict.fail(what + ": " + outcome.problem + " (an error reply was expected)");
        return false;
    }
    if (outcome.response->status != 200) {
        return true;
    }
    const Json reply = Json::parse(outcome.response->body, nullptr, false);
    if (err_of(reply)) {
        return true;
    }
    verdict.fail(what + ": answered success (HTTP 200 without Err)");
    return false;
}

const Json* member(Verdict& verdict, const Json& object, const char* key)
{
    const Json* value = json_fields::find(object, key);
    if (value != nullptr && object.find(key) == object.end()) {
        verdict.warn(std::string("field should be spelled \"") + key + "\"");
    }
    return value != nullptr && value->is_null() ? nullptr : value;
}

void check_volume_fields(Verdict& verdict, const Json& volume)
{
    const Json* name = member(verdict, volume, "Name");
    if (name == nullptr || !name->is_string() || name->get<std::string>().empty()) {
        verdict.fail("Volume.Name must be a non-empty string");
    }
    if (const Json* mountpoint = member(verdict, volume, "Mountpoint");
        mountpoint != nullptr && !mountpoint->is_string()) {
        verdict.fail("Volume.Mountpoint must be a string");
    }
}

void check_created_at(Verdict& verdict, const Json& volume, bool warn_missing)
{
    const Json* created_at = member(verdict, volume, "CreatedAt");
    if (created_at == nullptr) {
        if (warn_missing) {
            verdict.warn("no CreatedAt");
        }
    } else if (!created_at->is_string() || !codec::is_rfc3339(created_at->get<std::string>())) {
        verdict.fail("CreatedAt " + created_at->dump() + " is not an RFC 3339 time");
    }
}

void check_status(Verdict& verdict, const Json& volume, bool warn_missing)
{
    const Json* status = member(verdict, volume, "Status");
    if (status == nullptr) {
        if (warn_missing) {
            verdict.warn("no Status");
        }
    } else if (!status->is_object()) {
        verdict.fail("Status " + status->dump() + " is not an object");
    }
}

std::optional<std::string> checked_mountpoint(Verdict& verdict, const Json& reply,
                                              const std::optional<PluginFilesystem>& filesystem)
{
    const Json* mountpoint = member(verdict, reply, "Mountpoint");
    if (mountpoint == nullptr || !mountpoint->is_string() || mountpoint->get<std::string>().empty()) {
        verdict.fail("no Mountpoint");
        return std::nullopt;
    }
    std::string path = mountpoint->get<std::string>();
    if (path.front() != '/' || path.find_first_of(std::string("\n\r\0", 3)) != std::string::npos) {
        verdict.fail("Mountpoint \"" + path + "\" is not an absolute path");
        return std::nullopt;
    }
    if (filesystem) {
        path = scoped_path(*filesystem, path);
    }
    if (!is_directory(path)) {
        verdict.fail("Mountpoint " + path + " is not a directory on this host");
        return std::nullopt;
    }
    return path;
}

}  // namespace volumecli::check
