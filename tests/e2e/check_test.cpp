// dvdcli check: the conformance report against the reference plugin (which must pass) and against
// deliberately broken fake plugins (which must fail the right step, and be cleaned up after).

#include "harness.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using namespace volumecli::e2e;
using Catch::Matchers::Contains;
using volumecli::test::BackgroundProcess;

namespace {

const std::vector<std::string> k_steps{"activate",  "capabilities", "create", "get",       "list",
                                       "mount 1",   "mount 2",      "path",   "unmount 1", "still mounted",
                                       "unmount 2", "remove",       "gone"};

// The step called `name` in a --format=json report.
nlohmann::json step(const nlohmann::json& report, const std::string& name)
{
    for (const auto& entry : report["Steps"]) {
        if (entry["Name"] == name) {
            return entry;
        }
    }
    FAIL("no step " << name << " in " << report.dump());
    return {};
}

// A fake plugin on <socket dir>/fake.sock whose mountpoints are real directories.
struct FakeFixture {
    FakeFixture()
    {
        harness.start(plugin);
        mount_root = harness.dir().make_dir("mounts");
        harness.dir().make_dir("mounts/scratch");
        plugin.set_mount_root(mount_root);
    }

    [[nodiscard]] ProcessResult check(std::vector<std::string> extra = {}) const
    {
        std::vector<std::string> args{"check", "--volumedriver=fake", "--volumename=scratch", "--format=json"};
        args.insert(args.end(), extra.begin(), extra.end());
        return harness.run(args);
    }

    Harness harness;
    FakePlugin plugin;
    std::string mount_root;
};

}  // namespace

TEST_CASE("dvdcli check passes the reference plugin and leaves nothing behind", "[e2e][check]")
{
    Harness harness;
    const std::string root = harness.dir().make_dir("volumes");
    BackgroundProcess plugin({k_reference_plugin, "--socket", harness.socket_path("ref"), "--root", root});
    REQUIRE(volumecli::test::wait_for_unix_socket(harness.socket_path("ref"), std::chrono::seconds(5)));

    SECTION("text")
    {
        const auto result = harness.run({"check", "--volumedriver=ref", "--volumeopts=size=1"});
        REQUIRE_EXIT(result, 0);
        CHECK_THAT(result.out, Contains("dvdcli check: driver \"ref\", scratch volume \"dvdcli-check-"));
        CHECK_THAT(result.out, Contains("still mounted  pass"));
        CHECK_THAT(result.out, Contains("\nPASS: 0 mandatory step(s) failed, 0 warning(s)"));
        CHECK(result.err.empty());
    }
    SECTION("json")
    {
        const auto result = harness.run({"check", "--volumedriver=ref", "--format=json"});
        REQUIRE_EXIT(result, 0);
        const auto report = stdout_json(result);
        CHECK(report["Passed"] == true);
        std::vector<std::string> names;
        for (const auto& entry : report["Steps"]) {
            names.push_back(entry["Name"].get<std::string>());
            INFO(entry.dump());
            CHECK(entry["Status"] == "pass");
            CHECK(entry["Milliseconds"].is_number_unsigned());
        }
        CHECK(names == k_steps);
    }
    CHECK(std::filesystem::is_empty(root));
}

TEST_CASE("dvdcli check passes a plugin without Capabilities or CreatedAt, with warnings", "[e2e][check]")
{
    FakeFixture fixture;
    fixture.plugin.reply_status("VolumeDriver.Capabilities", 404);
    const auto result = fixture.check();
    REQUIRE_EXIT(result, 0);
    const auto report = stdout_json(result);
    CHECK(report["Passed"] == true);
    CHECK(step(report, "capabilities")["Status"] == "warn");
    CHECK(step(report, "capabilities")["Mandatory"] == false);
    CHECK(step(report, "get")["Status"] == "warn");
    CHECK_THAT(step(report, "get")["Notes"].dump(), Contains("no CreatedAt"));
    CHECK(fixture.plugin.calls().front() == "Plugin.Activate");
}

TEST_CASE("dvdcli check fails a plugin whose mount fails, and still removes the volume", "[e2e][check]")
{
    FakeFixture fixture;
    fixture.plugin.reply("VolumeDriver.Mount", 500, R"({"Err":"no device"})");
    const auto result = fixture.check();
    REQUIRE_EXIT(result, 1);
    const auto report = stdout_json(result);
    CHECK(report["Passed"] == false);
    CHECK(step(report, "mount 1")["Status"] == "fail");
    CHECK_THAT(step(report, "mount 1")["Notes"].dump(), Contains("no device"));
    CHECK(step(report, "mount 2")["Status"] == "skipped");
    CHECK(step(report, "remove")["Status"] == "pass");
    CHECK_FALSE(fixture.plugin.has_volume("scratch"));
    // The mount that may have half-happened is released before the volume is removed.
    const auto calls = fixture.plugin.calls();
    INFO(describe_calls(calls));
    CHECK(std::count(calls.begin(), calls.end(), "VolumeDriver.Unmount") == 1);
}

TEST_CASE("dvdcli check fails a plugin that forgets the second mount after the first unmount", "[e2e][check]")
{
    FakeFixture fixture;
    int mounts_held = 0;
    fixture.plugin.handle("VolumeDriver.Mount", [&](const RecordedRequest& /*request*/) {
        ++mounts_held;
        return Reply{200, R"({"Mountpoint":")" + fixture.mount_root + R"(/scratch"})"};
    });
    // Reference counting done wrong: any unmount releases the volume.
    fixture.plugin.handle("VolumeDriver.Unmount", [&](const RecordedRequest& /*request*/) {
        mounts_held = 0;
        return Reply{200, "{}"};
    });
    fixture.plugin.handle("VolumeDriver.Path", [&](const RecordedRequest& /*request*/) {
        return Reply{200, mounts_held > 0 ? R"({"Mountpoint":")" + fixture.mount_root + R"(/scratch"})"
                                          : std::string(R"({"Mountpoint":""})")};
    });
    const auto result = fixture.harness.run({"check", "--volumedriver=fake", "--volumename=scratch"});
    REQUIRE_EXIT(result, 1);
    CHECK_THAT(result.out, Contains("still mounted  fail"));
    CHECK_THAT(result.out, Contains("    no Mountpoint\n"));
    CHECK_THAT(result.out, Contains("\nFAIL: 1 mandatory step(s) failed"));
}

TEST_CASE("dvdcli check fails bad CreatedAt, a bad mountpoint and a volume that is never removed", "[e2e][check]")
{
    FakeFixture fixture;
    SECTION("CreatedAt")
    {
        fixture.plugin.reply("VolumeDriver.Get", 200,
                             R"({"Volume":{"Name":"scratch","CreatedAt":"yesterday","Status":{}}})");
        const auto report = stdout_json(fixture.check());
        CHECK(step(report, "get")["Status"] == "fail");
        CHECK_THAT(step(report, "get")["Notes"].dump(), Contains("not an RFC 3339 time"));
    }
    SECTION("relative mountpoint")
    {
        fixture.plugin.reply("VolumeDriver.Mount", 200, R"({"Mountpoint":"mnt/scratch"})");
        const auto report = stdout_json(fixture.check());
        CHECK(step(report, "mount 1")["Status"] == "fail");
        CHECK_THAT(step(report, "mount 1")["Notes"].dump(), Contains("is not an absolute path"));
    }
    SECTION("mountpoint missing on this host")
    {
        fixture.plugin.set_mount_root(fixture.harness.dir().file("nowhere"));
        const auto report = stdout_json(fixture.check());
        CHECK(step(report, "mount 1")["Status"] == "fail");
        CHECK_THAT(step(report, "mount 1")["Notes"].dump(), Contains("is not a directory on this host"));
        CHECK_FALSE(fixture.plugin.has_volume("scratch"));
    }
    SECTION("remove that does nothing")
    {
        fixture.plugin.reply("VolumeDriver.Remove", 200, "{}");
        const auto result = fixture.check();
        REQUIRE_EXIT(result, 1);
        const auto report = stdout_json(result);
        CHECK(step(report, "remove")["Status"] == "pass");
        CHECK(step(report, "gone")["Status"] == "fail");
        CHECK_THAT(step(report, "gone")["Notes"].dump(), Contains("still found"));
    }
}

// The text report quotes what the plugin said (a mountpoint, a name): escaped, so a plugin can
// neither forge report lines nor send escape sequences to the operator's terminal.
TEST_CASE("dvdcli check's text report escapes control characters from the plugin", "[e2e][check]")
{
    FakeFixture fixture;
    fixture.plugin.reply("VolumeDriver.Mount", 200, R"({"Mountpoint":"/mnt/\u001b[2J\nPASS: 0 mandatory\r"})");

    const auto result = fixture.harness.run({"check", "--volumedriver=fake", "--volumename=scratch"});

    REQUIRE_EXIT(result, 1);
    CHECK(result.out.find('\x1b') == std::string::npos);
    CHECK(result.out.find('\r') == std::string::npos);
    CHECK_THAT(result.out, Contains("/mnt/\\x1b[2J\\x0aPASS: 0 mandatory\\x0d"));
    // Every line is the report's own: the header, the column titles, steps and notes, the verdict.
    std::size_t verdicts = 0;
    std::size_t start = 0;
    for (std::size_t end = result.out.find('\n'); end != std::string::npos; end = result.out.find('\n', start)) {
        const std::string line = result.out.substr(start, end - start);
        verdicts += line.rfind("PASS", 0) == 0 || line.rfind("FAIL", 0) == 0 ? 1 : 0;
        start = end + 1;
    }
    CHECK(verdicts == 1);
    CHECK_THAT(result.out, Contains("FAIL: "));
}

TEST_CASE("dvdcli check exits 3 when the plugin cannot be found or reached", "[e2e][check]")
{
    Harness harness;
    const auto missing = harness.run({"check", "--volumedriver=nothing", "--retry-timeout=0"});
    REQUIRE_FAILURE(missing, 3);
    CHECK_THAT(missing.err, Contains("plugin not found"));

    volumecli::test::make_stale_socket(harness.socket_path("stale"));
    const auto refused = harness.run({"check", "--volumedriver=stale", "--retry-timeout=0"});
    REQUIRE_FAILURE(refused, 3);
}
