// --format=json: every result dvdcli prints as JSON, built as nlohmann/json values and dumped in
// one place, so that all output escapes alike and never throws on text it did not check.
#include <volumecli/json_output.hpp>

#include "core/json_dump.hpp"

#include <volumecli/conformance.hpp>
#include <volumecli/error.hpp>

namespace volumecli {

namespace {

using json_dump::Json;

// A driver's Status, compact JSON it wrote itself (a dump of nlohmann/json), read back to be
// written inside the volume.
Json status_value(const std::string& status_json)
{
    Json status = Json::parse(status_json, nullptr, false);
    if (status.is_discarded()) {
        throw ProtocolError("a volume's Status is not JSON: " + status_json);
    }
    return status;
}

// {"Name","Mountpoint"[,"CreatedAt"][,"Status"]}, in Docker's order.
Json volume_value(const Volume& volume)
{
    Json value = {{"Name", volume.name}, {"Mountpoint", volume.mountpoint}};
    if (volume.created_at) {
        value["CreatedAt"] = *volume.created_at;
    }
    if (volume.status_json) {
        value["Status"] = status_value(*volume.status_json);
    }
    return value;
}

Json check_value(const CheckResult& check)
{
    return {{"ID", check.id},
            {"Title", check.title},
            {"Mandatory", check.mandatory},
            {"Status", status_name(check.status)},
            {"Milliseconds", check.duration.count() / 1000},
            {"Microseconds", check.duration.count()},
            {"Notes", check.notes}};
}

}  // namespace

std::string to_json(const Volume& volume)
{
    return json_dump::compact(volume_value(volume));
}

std::string to_json(const std::vector<Volume>& volumes)
{
    Json list = Json::array();
    for (const auto& volume : volumes) {
        list.push_back(volume_value(volume));
    }
    return json_dump::compact(list);
}

std::string to_json(const MountResult& result)
{
    return json_dump::compact(Json{{"Name", result.name}, {"Mountpoint", result.mountpoint}});
}

std::string to_json(const Capabilities& capabilities)
{
    return json_dump::compact(Json{{"Scope", capabilities.scope}});
}

std::string name_to_json(const std::string& name)
{
    return json_dump::compact(Json{{"Name", name}});
}

std::string to_json(const std::vector<CheckInfo>& checks)
{
    Json list = Json::array();
    for (const CheckInfo& check : checks) {
        list.push_back(Json{{"ID", check.id},
                            {"Title", check.title},
                            {"Mandatory", check.mandatory},
                            {"Rule", check.rule},
                            {"ReliedOnBy", check.relied_on_by},
                            {"DependsOn", check.depends_on}});
    }
    return json_dump::compact(list);
}

std::string to_json(const CheckReport& report)
{
    Json checks = Json::array();
    for (const CheckResult& check : report.checks) {
        checks.push_back(check_value(check));
    }
    Json calls = Json::array();
    for (const CallLatency& call : report.calls) {
        calls.push_back(Json{{"Call", call.call}, {"Microseconds", call.duration.count()}});
    }
    return json_dump::compact(Json{{"Driver", report.driver},
                                   {"Volumes", report.volumes},
                                   {"Passed", report.passed()},
                                   {"Interrupted", report.interrupted},
                                   {"Counts",
                                    {{"pass", report.count(CheckStatus::pass)},
                                     {"warn", report.count(CheckStatus::warn)},
                                     {"fail", report.count(CheckStatus::fail)},
                                     {"skipped", report.count(CheckStatus::skipped)}}},
                                   {"Checks", checks},
                                   {"Calls", calls},
                                   {"Cleanup", report.cleanup}});
}

}  // namespace volumecli
