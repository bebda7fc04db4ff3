// dvdcli check proven both ways: for every mandatory check, a fake plugin that breaks exactly that
// rule fails exactly that check; the checks that depend on it are skipped, every other one passes
// (or warns). The default fake plugin is the control: it fails nothing.

#include "check_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace volumecli::e2e;
using volumecli::test::k_default_reply;

namespace {

using Json = nlohmann::json;

struct Breakage {
    std::string check;                                // the check that must fail, alone
    std::function<void(CheckFixture&)> break_plugin;  // scripts the fake plugin to break its rule
    std::vector<std::string> extra_args;              // more flags for dvdcli check
    std::vector<std::string> skipped;                 // every check that depends on it: skipped
};

Reply json_reply(const Json& body)
{
    return Reply{200, body.dump()};
}

const Reply k_default{k_default_reply, ""};

// The reply for requests naming `name`; every other request gets the plugin's own.
std::function<Reply(const RecordedRequest&)> for_volume(const std::string& name, Reply reply)
{
    return [name, reply](const RecordedRequest& request) {
        return CheckFixture::name_in(request) == name ? reply : k_default;
    };
}

// The reply for requests naming a volume the plugin has; every other request gets its own.
std::function<Reply(const RecordedRequest&)> while_it_exists(CheckFixture& f, Reply reply)
{
    return [&f, reply](const RecordedRequest& request) {
        return f.plugin.has_volume(CheckFixture::name_in(request)) ? reply : k_default;
    };
}

std::vector<Breakage> breakages()
{
    const Reply success = json_reply(Json::object());
    return {
        {"activate.implements-volumedriver",
         [](CheckFixture& f) { f.plugin.reply("Plugin.Activate", 200, R"({"Implements":["NetworkDriver"]})"); },
         {},
         {}},
        {"create.new-volume",
         [](CheckFixture& f) {
             // A plugin that cannot take Opts null, as the docker CLI sends it.
             f.plugin.handle("VolumeDriver.Create", [](const RecordedRequest& request) {
                 return Json::parse(request.body)["Opts"].is_null() ? Reply{500, R"({"Err":"Opts: not an object"})"}
                                                                    : k_default;
             });
         },
         {},
         {"create.second-create-same-name", "get.found", "get.fields", "get.created-at-rfc3339", "get.status-object",
          "list.found", "list.fields", "mount.absolute-path", "mount.second-holder-same-path", "mount.parallel-holders",
          "mount.path-matches", "unmount.holder-left-stays-mounted", "unmount.last-holder-releases",
          "remove.unmounted-volume", "remove.gone-from-get", "remove.gone-from-list"}},
        {"create.with-options",
         [](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.Create", [](const RecordedRequest& request) {
                 return Json::parse(request.body)["Opts"].is_object() ? Reply{500, R"({"Err":"size is required"})"}
                                                                      : k_default;
             });
         },
         {},
         {}},
        {"create.second-create-same-name",
         [](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.Create", while_it_exists(f, Reply{500, R"({"Err":"volume exists"})"}));
         },
         {},
         {}},
        {"get.found",
         [](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.Get", for_volume("scratch", json_reply({{"Volume", nullptr}})));
         },
         {},
         {"get.fields", "get.created-at-rfc3339", "get.status-object"}},
        {"get.fields",
         [](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.Get",
                             while_it_exists(f, json_reply({{"Volume", {{"Name", "scratch"}, {"Mountpoint", 42}}}})));
         },
         {},
         {}},
        {"get.created-at-rfc3339",
         [](CheckFixture& f) {
             f.plugin.handle(
                 "VolumeDriver.Get",
                 while_it_exists(
                     f, json_reply({{"Volume",
                                     {{"Name", "scratch"}, {"CreatedAt", "yesterday"}, {"Status", Json::object()}}}})));
         },
         {},
         {}},
        {"get.status-object",
         [](CheckFixture& f) {
             f.plugin.handle(
                 "VolumeDriver.Get",
                 while_it_exists(
                     f,
                     json_reply({{"Volume",
                                  {{"Name", "scratch"}, {"CreatedAt", "2024-01-02T03:04:05Z"}, {"Status", "ok"}}}})));
         },
         {},
         {}},
        {"list.found",
         [](CheckFixture& f) { f.plugin.reply("VolumeDriver.List", 200, R"({"Volumes":[]})"); },
         {},
         {"list.fields"}},
        {"list.fields",
         [](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.List", [&f](const RecordedRequest& /*request*/) {
                 return f.plugin.has_volume("scratch")
                            ? json_reply({{"Volumes",
                                           {{{"Name", "scratch"}}, {{"Name", "other"}, {"CreatedAt", 1700000000}}}}})
                            : k_default;
             });
         },
         {},
         {}},
        {"mount.absolute-path",
         [](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.Mount", for_volume("scratch", json_reply({{"Mountpoint", "mnt/scratch"}})));
         },
         {},
         {"mount.second-holder-same-path", "mount.parallel-holders", "mount.path-matches",
          "unmount.holder-left-stays-mounted", "unmount.last-holder-releases"}},
        {"mount.second-holder-same-path",
         [](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.Mount", [&f](const RecordedRequest& request) {
                 return Json::parse(request.body)["ID"] == "dvdcli-check-mount-2"
                            ? json_reply({{"Mountpoint", f.mount_root + "/other"}})
                            : k_default;
             });
         },
         {},
         {"unmount.holder-left-stays-mounted", "unmount.last-holder-releases"}},
        {"mount.parallel-holders",
         [](CheckFixture& f) {
             // One Mount at a time: a second one arriving meanwhile is refused.
             auto in_flight = std::make_shared<std::atomic<int>>(0);
             f.plugin.handle("VolumeDriver.Mount", [in_flight](const RecordedRequest& /*request*/) {
                 const bool busy = ++*in_flight > 1;
                 std::this_thread::sleep_for(std::chrono::milliseconds(50));
                 --*in_flight;
                 return busy ? Reply{500, R"({"Err":"busy"})"} : k_default;
             });
         },
         {},
         {}},
        {"mount.path-matches",
         [](CheckFixture& f) {
             // A stale answer to the first Path.
             auto first = std::make_shared<std::atomic<bool>>(true);
             f.plugin.handle("VolumeDriver.Path", [&f, first](const RecordedRequest& /*request*/) {
                 return first->exchange(false) ? json_reply({{"Mountpoint", f.mount_root + "/other"}}) : k_default;
             });
         },
         {},
         {}},
        {"unmount.holder-left-stays-mounted",
         [](CheckFixture& f) {
             // Counting done wrong: with fewer than two holders it says nothing is mounted.
             f.plugin.handle("VolumeDriver.Path", [&f](const RecordedRequest& request) {
                 return f.plugin.mount_ids(CheckFixture::name_in(request)).size() == 1
                            ? json_reply({{"Mountpoint", ""}})
                            : k_default;
             });
         },
         {},
         {"unmount.last-holder-releases"}},
        {"unmount.last-holder-releases",
         [](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.Unmount", [&f](const RecordedRequest& request) {
                 return f.plugin.mount_ids(CheckFixture::name_in(request)).size() == 1
                            ? Reply{500, R"({"Err":"device busy"})"}
                            : k_default;
             });
         },
         {},
         {}},
        {"remove.unmounted-volume",
         [](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.Remove", for_volume("scratch", Reply{500, R"({"Err":"in use"})"}));
         },
         {},
         {"remove.gone-from-get", "remove.gone-from-list"}},
        {"remove.gone-from-get",
         [](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.Get", [&f](const RecordedRequest& request) {
                 return CheckFixture::name_in(request) == "scratch" && !f.plugin.has_volume("scratch")
                            ? json_reply({{"Volume", {{"Name", "scratch"}}}})
                            : k_default;
             });
         },
         {},
         {}},
        {"remove.gone-from-list",
         [](CheckFixture& f) { f.plugin.reply("VolumeDriver.List", 200, R"({"Volumes":[{"Name":"scratch"}]})"); },
         {},
         {}},
        {"errors.get-missing",
         [](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.Get",
                             for_volume("scratch-missing", json_reply({{"Volume", {{"Name", "scratch-missing"}}}})));
         },
         {},
         {}},
        {"errors.path-missing",
         [](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.Path", for_volume("scratch-missing", json_reply({{"Mountpoint", ""}})));
         },
         {},
         {}},
        {"errors.mount-missing",
         [](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.Mount",
                             for_volume("scratch-missing", json_reply({{"Mountpoint", f.mount_root + "/other"}})));
         },
         {},
         {}},
        {"errors.unmount-missing",
         [success](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.Unmount", for_volume("scratch-missing", success));
         },
         {},
         {}},
        {"errors.remove-missing",
         [success](CheckFixture& f) { f.plugin.handle("VolumeDriver.Remove", for_volume("scratch-missing", success)); },
         {},
         {}},
        {"robustness.malformed-json",
         [](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.Get", [](const RecordedRequest& request) {
                 return Json::parse(request.body, nullptr, false).is_discarded() ? json_reply({{"Volume", nullptr}})
                                                                                 : k_default;
             });
         },
         {},
         {}},
        {"robustness.unknown-endpoint",
         [success](CheckFixture& f) {
             f.plugin.handle("VolumeDriver.DvdcliCheckUnknownEndpoint",
                             [success](const RecordedRequest& /*request*/) { return success; });
         },
         {},
         {}},
        {"timing.within-docker-timeouts",
         [](CheckFixture& f) { f.plugin.delay("VolumeDriver.Capabilities", std::chrono::milliseconds(1500)); },
         {"--timeout=1"},
         {}},
    };
}

}  // namespace

TEST_CASE("dvdcli check fails no check on the fake plugin, which warns of no CreatedAt and Status", "[e2e][check]")
{
    CheckFixture fixture;
    const auto result = fixture.check();
    REQUIRE_EXIT(result, 0);
    const auto report = stdout_json(result);
    CHECK(ids_with(report, "fail").empty());
    CHECK(ids_with(report, "skipped").empty());
    CHECK(ids_with(report, "warn") == std::vector<std::string>{"get.created-at-rfc3339", "get.status-object"});
    CHECK_FALSE(fixture.plugin.has_volume("scratch"));
    CHECK_FALSE(fixture.plugin.has_volume("scratch-opts"));
}

TEST_CASE("dvdcli check has a broken plugin for every mandatory check", "[e2e][check]")
{
    const auto rows = breakages();
    const auto listed = Harness().run({"check", "--list"});
    REQUIRE_EXIT(listed, 0);
    std::size_t mandatory = 0;
    std::size_t start = 0;
    for (auto end = listed.out.find('\n'); end != std::string::npos; end = listed.out.find('\n', start)) {
        const std::string line = listed.out.substr(start, end - start);
        start = end + 1;
        if (line.find("(advisory)") == std::string::npos) {
            ++mandatory;
            const std::string id = line.substr(0, line.find('\t'));
            INFO(id);
            CHECK(std::any_of(rows.begin(), rows.end(), [&id](const Breakage& row) { return row.check == id; }));
        }
    }
    CHECK(rows.size() == mandatory);
}

TEST_CASE("dvdcli check fails exactly the mandatory check whose rule the plugin breaks", "[e2e][check]")
{
    const auto row = GENERATE(from_range(breakages()));
    INFO(row.check);
    CheckFixture fixture;
    row.break_plugin(fixture);
    const auto result = fixture.check(row.extra_args);
    REQUIRE_EXIT(result, 1);
    const auto report = stdout_json(result);
    INFO(report.dump());
    CHECK(ids_with(report, "fail") == std::vector<std::string>{row.check});
    CHECK(ids_with(report, "skipped") == row.skipped);
    for (const auto& id : row.skipped) {
        CHECK(check_of(report, id)["Notes"][0].get<std::string>().find("depends on") != std::string::npos);
    }
    CHECK_FALSE(fixture.plugin.has_volume("scratch-opts"));
}
