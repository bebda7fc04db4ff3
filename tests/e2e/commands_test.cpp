// Every dvdcli command against a fake plugin on a unix socket: the exact calls and bodies the
// plugin receives, the exact bytes on stdout, the exit code.

#include "harness.hpp"

#include <catch2/catch.hpp>

#include <sys/utsname.h>

#include <climits>
#include <cstdlib>
#include <regex>

using namespace volumecli::e2e;
using Calls = std::vector<std::string>;
using nlohmann::json;

namespace {

const std::string k_unix_host = "plugin.moby.localhost";

std::string mount_body(const std::string& name, const std::string& id)
{
    return "{\"Name\":\"" + name + "\",\"ID\":\"" + id + "\"}\n";
}

std::string name_body(const std::string& name)
{
    return "{\"Name\":\"" + name + "\"}\n";
}

std::vector<std::string> bodies(const FakePlugin& plugin)
{
    std::vector<std::string> result;
    for (const auto& request : plugin.requests()) {
        result.push_back(request.body);
    }
    return result;
}

}  // namespace

TEST_CASE(
    "dvdcli mount of an existing volume sends Activate then Get then Mount and prints the "
    "mountpoint",
    "[e2e][mount]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    harness.start(plugin);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/tmp/fake-plugin/v1\n");
    CHECK(result.err.empty());
    const auto id = expected_mount_id("fake", "v1");
    REQUIRE(plugin.calls() == Calls{k_activate, k_get, k_mount});
    CHECK(bodies(plugin) == std::vector<std::string>{"", name_body("v1"), mount_body("v1", id)});
    for (const auto& request : plugin.requests()) {
        check_docker_request(request, k_unix_host);
    }
    CHECK(plugin.requests()[0].header("Content-Length") == std::optional<std::string>("0"));
    CHECK(plugin.mount_ids("v1") == std::vector<std::string>{id});
}

TEST_CASE(
    "dvdcli mount of a missing volume sends Activate then Get then Create with the options "
    "then Mount",
    "[e2e][mount]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    const auto result = harness.run(
        {"mount", "--volumedriver=fake", "--volumename=v1", "--volumeopts=size=5,iops=150", "--volumeopts=a=b"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/tmp/fake-plugin/v1\n");
    REQUIRE(plugin.calls() == Calls{k_activate, k_get, k_create, k_mount});
    const auto requests = plugin.requests();
    CHECK(requests[1].body == name_body("v1"));
    CHECK(requests[2].body == "{\"Name\":\"v1\",\"Opts\":{\"a\":\"b\",\"iops\":\"150\",\"size\":\"5\"}}\n");
    CHECK(requests[3].body == mount_body("v1", expected_mount_id("fake", "v1")));
    for (const auto& request : requests) {
        check_docker_request(request, k_unix_host);
    }
}

TEST_CASE("dvdcli mount without options creates with an empty Opts object", "[e2e][mount]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_EXIT(result, 0);
    const auto creates = plugin.requests_for(k_create);
    REQUIRE(creates.size() == 1);
    CHECK(creates[0].body == "{\"Name\":\"v1\",\"Opts\":{}}\n");
}

TEST_CASE("dvdcli mount treats every Get not-found shape as missing and creates", "[e2e][mount]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    SECTION("200 with Err")
    {
        plugin.reply(k_get, 200, "{\"Err\":\"no such volume\"}\n");
    }
    SECTION("200 with a null Volume")
    {
        plugin.reply(k_get, 200, "{\"Volume\":null}\n");
    }
    SECTION("500 with Err")
    {
        plugin.reply(k_get, 500, "{\"Err\":\"not found\"}\n");
    }
    SECTION("404 from a plugin without Get")
    {
        plugin.reply(k_get, 404, "404 page not found\n");
    }
    SECTION("400 with a plain body")
    {
        plugin.reply(k_get, 400, "nope\n");
    }

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/tmp/fake-plugin/v1\n");
    CHECK(plugin.calls() == Calls{k_activate, k_get, k_create, k_mount});
}

TEST_CASE("dvdcli mount uses the name Get returned for Mount", "[e2e][mount]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("V1-normalised");
    plugin.reply(k_get, 200, "{\"Volume\":{\"Name\":\"V1-normalised\"}}\n");
    harness.start(plugin);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/tmp/fake-plugin/V1-normalised\n");
    REQUIRE(plugin.calls() == Calls{k_activate, k_get, k_mount});
    // The ID still derives from the names the caller gave.
    CHECK(plugin.requests()[2].body == mount_body("V1-normalised", expected_mount_id("fake", "v1")));
}

TEST_CASE("dvdcli mount of an existing volume warns that the --volumeopts given are ignored", "[e2e][mount]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    harness.start(plugin);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--volumeopts=size=5"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/tmp/fake-plugin/v1\n");
    CHECK(result.err ==
          "dvdcli: warning: driver \"fake\": volume \"v1\" exists; the options given (--volumeopts) are ignored\n");
    CHECK(plugin.requests_for(k_create).empty());
}

TEST_CASE("dvdcli mount sends the --mountid given", "[e2e][mount]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    harness.start(plugin);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--mountid=task-42"});

    REQUIRE_EXIT(result, 0);
    const auto mounts = plugin.requests_for(k_mount);
    REQUIRE(mounts.size() == 1);
    CHECK(mounts[0].body == mount_body("v1", "task-42"));
}

TEST_CASE("dvdcli mount and a later unmount from another process send the same default ID", "[e2e][mount][unmount]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    const auto mounted = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});
    REQUIRE_EXIT(mounted, 0);
    const auto unmounted = harness.run({"unmount", "--volumedriver=fake", "--volumename=v1"});
    REQUIRE_EXIT(unmounted, 0);

    const auto mounts = plugin.requests_for(k_mount);
    const auto unmounts = plugin.requests_for(k_unmount);
    REQUIRE(mounts.size() == 1);
    REQUIRE(unmounts.size() == 1);
    const json mount_request = json::parse(mounts[0].body);
    const std::string id = mount_request.at("ID");
    CHECK(std::regex_match(id, std::regex("[0-9a-f]{64}")));
    CHECK(id == expected_mount_id("fake", "v1"));
    CHECK(unmounts[0].body == mount_body("v1", id));
    CHECK(plugin.mount_ids("v1").empty());

    // Another driver or volume name gives another ID.
    CHECK(expected_mount_id("fake", "v2") != id);
}

TEST_CASE("dvdcli mount --format=json prints Name and Mountpoint", "[e2e][mount][json]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    harness.start(plugin);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--format=json"});

    REQUIRE_EXIT(result, 0);
    CHECK(stdout_json(result) == json{{"Name", "v1"}, {"Mountpoint", "/tmp/fake-plugin/v1"}});
}

TEST_CASE("dvdcli mount --explicitcreate of a missing volume fails without Create", "[e2e][mount]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);
    const auto flag = GENERATE(as<std::string>{}, "--explicitcreate", "--explicitcreate=true", "--explicitCreate=true",
                               "--explicitcreate=1", "--explicitCreate");
    INFO("flag " << flag);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", flag});

    REQUIRE_FAILURE(result, 1);
    CHECK(plugin.calls() == Calls{k_activate, k_get});
    CHECK_FALSE(plugin.has_volume("v1"));
}

TEST_CASE("dvdcli mount --explicitcreate=false still creates a missing volume", "[e2e][mount]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);
    const auto flag =
        GENERATE(as<std::string>{}, "--explicitcreate=false", "--explicitCreate=false", "--explicitcreate=0");
    INFO("flag " << flag);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", flag});

    REQUIRE_EXIT(result, 0);
    CHECK(plugin.calls() == Calls{k_activate, k_get, k_create, k_mount});
}

TEST_CASE("dvdcli mount --explicitcreate on a plugin without Get mounts directly", "[e2e][mount]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    plugin.reply(k_get, 404, "404 page not found\n");
    harness.start(plugin);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--explicitcreate"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/tmp/fake-plugin/v1\n");
    REQUIRE(plugin.calls() == Calls{k_activate, k_get, k_mount});
    CHECK(plugin.requests()[2].body == mount_body("v1", expected_mount_id("fake", "v1")));
}

TEST_CASE("dvdcli mount twice returns the same mountpoint both times", "[e2e][mount]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    const auto first = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});
    const auto second = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_EXIT(first, 0);
    REQUIRE_EXIT(second, 0);
    CHECK(first.out == second.out);
    // The second run finds the volume: no second Create.
    CHECK(plugin.requests_for(k_create).size() == 1);
    CHECK(plugin.requests_for(k_mount).size() == 2);
}

TEST_CASE("dvdcli unmount sends Activate then Get then Unmount and prints nothing", "[e2e][unmount]")
{
    Harness harness;
    FakePlugin plugin;
    const auto id = expected_mount_id("fake", "v1");
    plugin.add_volume("v1", id);
    harness.start(plugin);

    const auto result = harness.run({"unmount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out.empty());
    CHECK(result.err.empty());
    REQUIRE(plugin.calls() == Calls{k_activate, k_get, k_unmount});
    CHECK(bodies(plugin) == std::vector<std::string>{"", name_body("v1"), mount_body("v1", id)});
    for (const auto& request : plugin.requests()) {
        check_docker_request(request, k_unix_host);
    }
    CHECK(plugin.mount_ids("v1").empty());
}

TEST_CASE("dvdcli unmount with --mountid sends that ID", "[e2e][unmount]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1", "task-42");
    harness.start(plugin);

    const auto result = harness.run({"unmount", "--volumedriver=fake", "--volumename=v1", "--mountid", "task-42"});

    REQUIRE_EXIT(result, 0);
    const auto unmounts = plugin.requests_for(k_unmount);
    REQUIRE(unmounts.size() == 1);
    CHECK(unmounts[0].body == mount_body("v1", "task-42"));
}

TEST_CASE("dvdcli unmount of a missing volume fails after Get", "[e2e][unmount]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    const auto result = harness.run({"unmount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_FAILURE(result, 1);
    CHECK(plugin.calls() == Calls{k_activate, k_get});
}

TEST_CASE("dvdcli unmount path and remove go straight to their call on a plugin without Get",
          "[e2e][unmount][path][remove]")
{
    Harness harness;
    FakePlugin plugin;
    const auto id = expected_mount_id("fake", "v1");
    plugin.add_volume("v1", id);
    plugin.reply(k_get, 404, "404 page not found\n");
    harness.start(plugin);

    SECTION("unmount")
    {
        const auto result = harness.run({"unmount", "--volumedriver=fake", "--volumename=v1"});
        REQUIRE_EXIT(result, 0);
        REQUIRE(plugin.calls() == Calls{k_activate, k_get, k_unmount});
        CHECK(plugin.requests()[2].body == mount_body("v1", id));
    }
    SECTION("path")
    {
        const auto result = harness.run({"path", "--volumedriver=fake", "--volumename=v1"});
        REQUIRE_EXIT(result, 0);
        CHECK(result.out == "/tmp/fake-plugin/v1\n");
        REQUIRE(plugin.calls() == Calls{k_activate, k_get, k_path});
        CHECK(plugin.requests()[2].body == name_body("v1"));
    }
    SECTION("remove")
    {
        plugin.add_volume("v2");
        const auto result = harness.run({"remove", "--volumedriver=fake", "--volumename=v2"});
        REQUIRE_EXIT(result, 0);
        REQUIRE(plugin.calls() == Calls{k_activate, k_get, k_remove});
        CHECK(plugin.requests()[2].body == name_body("v2"));
        CHECK_FALSE(plugin.has_volume("v2"));
    }
}

TEST_CASE("dvdcli unmount and remove use the name Get returned", "[e2e][unmount][remove]")
{
    Harness harness;
    FakePlugin plugin;
    const auto id = expected_mount_id("fake", "v1");
    plugin.add_volume("V1-normalised", id);
    plugin.reply(k_get, 200, "{\"Volume\":{\"Name\":\"V1-normalised\"}}\n");
    harness.start(plugin);

    SECTION("unmount")
    {
        const auto result = harness.run({"unmount", "--volumedriver=fake", "--volumename=v1"});
        REQUIRE_EXIT(result, 0);
        REQUIRE(plugin.calls() == Calls{k_activate, k_get, k_unmount});
        CHECK(plugin.requests()[2].body == mount_body("V1-normalised", id));
    }
    SECTION("remove")
    {
        plugin.reset(k_get);
        plugin.add_volume("V2-normalised");
        plugin.reply(k_get, 200, "{\"Volume\":{\"Name\":\"V2-normalised\"}}\n");
        const auto result = harness.run({"remove", "--volumedriver=fake", "--volumename=v2"});
        REQUIRE_EXIT(result, 0);
        REQUIRE(plugin.calls() == Calls{k_activate, k_get, k_remove});
        CHECK(plugin.requests()[2].body == name_body("V2-normalised"));
    }
}

TEST_CASE("dvdcli path prints Get's Mountpoint without calling Path", "[e2e][path]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1", "someone");
    harness.start(plugin);

    const auto result = harness.run({"path", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/tmp/fake-plugin/v1\n");
    CHECK(result.err.empty());
    CHECK(plugin.calls() == Calls{k_activate, k_get});
}

TEST_CASE("dvdcli path calls Path with the name from Get when Get has no Mountpoint", "[e2e][path]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("V1-normalised", "someone");
    plugin.reply(k_get, 200, "{\"Volume\":{\"Name\":\"V1-normalised\"}}\n");
    harness.start(plugin);

    const auto result = harness.run({"path", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/tmp/fake-plugin/V1-normalised\n");
    REQUIRE(plugin.calls() == Calls{k_activate, k_get, k_path});
    CHECK(plugin.requests()[2].body == name_body("V1-normalised"));
    check_docker_request(plugin.requests()[2], k_unix_host);
}

TEST_CASE("dvdcli path --format=json prints Name and Mountpoint", "[e2e][path][json]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1", "someone");
    harness.start(plugin);

    const auto result = harness.run({"path", "--volumedriver=fake", "--volumename=v1", "--format=json"});

    REQUIRE_EXIT(result, 0);
    CHECK(stdout_json(result) == json{{"Name", "v1"}, {"Mountpoint", "/tmp/fake-plugin/v1"}});
}

TEST_CASE("dvdcli path prints nothing and exits 0 when the volume has no mountpoint, as dvdcli 0.2", "[e2e][path]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");  // nobody holds it: no Mountpoint anywhere
    harness.start(plugin);

    SECTION("empty Path reply: nothing on stdout, exit 0")
    {
        const auto result = harness.run({"path", "--volumedriver=fake", "--volumename=v1"});
        REQUIRE_EXIT(result, 0);
        CHECK(result.out.empty());
        CHECK(plugin.calls() == Calls{k_activate, k_get, k_path});
    }
    SECTION("empty Path reply, --format=json: an empty Mountpoint")
    {
        const auto result = harness.run({"path", "--volumedriver=fake", "--volumename=v1", "--format=json"});
        REQUIRE_EXIT(result, 0);
        CHECK(stdout_json(result) == json{{"Name", "v1"}, {"Mountpoint", ""}});
    }
    SECTION("Path error reply (REX-Ray after Unmount): a warning on stderr, nothing on stdout, exit 0")
    {
        plugin.reply(k_path, 500, "{\"Err\":\"path exploded\"}\n");
        const auto result = harness.run({"path", "--volumedriver=fake", "--volumename=v1"});
        REQUIRE_EXIT(result, 0);
        CHECK(result.out.empty());
        CHECK(result.err.find("warning") != std::string::npos);
        CHECK(result.err.find("VolumeDriver.Path: path exploded") != std::string::npos);
    }
    SECTION("relative Path reply: exit 5")
    {
        plugin.reply(k_path, 200, "{\"Mountpoint\":\"relative/dir\"}\n");
        const auto result = harness.run({"path", "--volumedriver=fake", "--volumename=v1"});
        REQUIRE_FAILURE(result, 5);
    }
    SECTION("missing volume: exit 1 without Path")
    {
        const auto result = harness.run({"path", "--volumedriver=fake", "--volumename=nope"});
        REQUIRE_FAILURE(result, 1);
        CHECK(plugin.calls() == Calls{k_activate, k_get});
    }
}

TEST_CASE("dvdcli create sends Activate then Create without Get", "[e2e][create]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    const auto result = harness.run({"create", "--volumedriver=fake", "--volumename=v1", "--volumeopts=size=5"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out.empty());
    CHECK(result.err.empty());
    REQUIRE(plugin.calls() == Calls{k_activate, k_create});
    CHECK(plugin.requests()[1].body == "{\"Name\":\"v1\",\"Opts\":{\"size\":\"5\"}}\n");
    for (const auto& request : plugin.requests()) {
        check_docker_request(request, k_unix_host);
    }
    CHECK(plugin.has_volume("v1"));
}

TEST_CASE("dvdcli create --format=json prints the name", "[e2e][create][json]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    const auto result = harness.run({"create", "--volumedriver=fake", "--volumename=v1", "--format=json"});

    REQUIRE_EXIT(result, 0);
    CHECK(stdout_json(result) == json{{"Name", "v1"}});
}

TEST_CASE("dvdcli create reports the plugin's error", "[e2e][create]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.reply(k_create, 500, "{\"Err\":\"quota exceeded\"}\n");
    harness.start(plugin);

    const auto result = harness.run({"create", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_FAILURE(result, 1);
    CHECK(result.err == "dvdcli: error: driver \"fake\": Create \"v1\": VolumeDriver.Create: quota exceeded\n");
}

TEST_CASE("dvdcli remove sends Activate then Get then Remove", "[e2e][remove]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    harness.start(plugin);

    const auto result = harness.run({"remove", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out.empty());
    CHECK(result.err.empty());
    REQUIRE(plugin.calls() == Calls{k_activate, k_get, k_remove});
    CHECK(bodies(plugin) == std::vector<std::string>{"", name_body("v1"), name_body("v1")});
    for (const auto& request : plugin.requests()) {
        check_docker_request(request, k_unix_host);
    }
    CHECK_FALSE(plugin.has_volume("v1"));
}

TEST_CASE("dvdcli remove of a missing volume fails without Remove", "[e2e][remove]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    const auto result = harness.run({"remove", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_FAILURE(result, 1);
    CHECK(plugin.calls() == Calls{k_activate, k_get});
}

TEST_CASE("dvdcli get prints the name Get returned", "[e2e][get]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.reply(k_get, 200, "{\"Volume\":{\"Name\":\"V1-normalised\"}}\n");
    harness.start(plugin);

    const auto result = harness.run({"get", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "V1-normalised\n");
    CHECK(result.err.empty());
    REQUIRE(plugin.calls() == Calls{k_activate, k_get});
    CHECK(plugin.requests()[1].body == name_body("v1"));
}

TEST_CASE("dvdcli get --format=json prints the Volume object", "[e2e][get][json]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    SECTION("with every field")
    {
        plugin.reply(k_get, 200,
                     "{\"Volume\":{\"Name\":\"v1\",\"Mountpoint\":\"/mnt/v1\","
                     "\"CreatedAt\":\"2024-05-01T10:20:30Z\",\"Status\":{\"size\":5,"
                     "\"tags\":[\"a\"]},\"Unknown\":1}}\n");
        const auto result = harness.run({"get", "--volumedriver=fake", "--volumename=v1", "--format=json"});
        REQUIRE_EXIT(result, 0);
        CHECK(stdout_json(result) == json::parse(R"({"Name":"v1","Mountpoint":"/mnt/v1",
            "CreatedAt":"2024-05-01T10:20:30Z","Status":{"size":5,"tags":["a"]}})"));
    }
    SECTION("with the name only")
    {
        plugin.reply(k_get, 200, "{\"volume\":{\"name\":\"v1\"}}\n");
        const auto result = harness.run({"get", "--volumedriver=fake", "--volumename=v1", "--format=json"});
        REQUIRE_EXIT(result, 0);
        const json printed = stdout_json(result);
        CHECK(printed.at("Name") == "v1");
        CHECK_FALSE(printed.contains("CreatedAt"));
        CHECK_FALSE(printed.contains("Status"));
    }
}

TEST_CASE("dvdcli get of a missing volume fails with exit 1", "[e2e][get]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    SECTION("500 with Err")
    {
        const auto result = harness.run({"get", "--volumedriver=fake", "--volumename=v1"});
        REQUIRE_FAILURE(result, 1);
        CHECK(result.err == "dvdcli: error: driver \"fake\": Get \"v1\": VolumeDriver.Get: no such volume: v1\n");
    }
    SECTION("200 with a null Volume")
    {
        plugin.reply(k_get, 200, "{\"Volume\":null}\n");
        const auto result = harness.run({"get", "--volumedriver=fake", "--volumename=v1"});
        REQUIRE_FAILURE(result, 1);
    }
}

TEST_CASE("dvdcli get rejects a CreatedAt that is not RFC 3339", "[e2e][get]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.reply(k_get, 200, "{\"Volume\":{\"Name\":\"v1\",\"CreatedAt\":\"yesterday\"}}\n");
    harness.start(plugin);

    const auto result = harness.run({"get", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_FAILURE(result, 5);
    CHECK(plugin.calls() == Calls{k_activate, k_get});
}

TEST_CASE("dvdcli list prints one name per line", "[e2e][list]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("alpha");
    plugin.add_volume("beta", "someone");
    plugin.add_volume("gamma");
    harness.start(plugin);

    const auto result = harness.run({"list", "--volumedriver=fake"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "alpha\nbeta\ngamma\n");
    CHECK(result.err.empty());
    REQUIRE(plugin.calls() == Calls{k_activate, k_list});
    CHECK(plugin.requests()[1].body == "{}\n");
    for (const auto& request : plugin.requests()) {
        check_docker_request(request, k_unix_host);
    }
}

TEST_CASE("dvdcli list of no volumes prints nothing or an empty JSON array", "[e2e][list][json]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    SECTION("text")
    {
        const auto result = harness.run({"list", "--volumedriver=fake"});
        REQUIRE_EXIT(result, 0);
        CHECK(result.out.empty());
    }
    SECTION("json")
    {
        const auto result = harness.run({"list", "--volumedriver=fake", "--format=json"});
        REQUIRE_EXIT(result, 0);
        CHECK(result.out == "[]\n");
    }
}

TEST_CASE("dvdcli list --format=json prints the Volume objects", "[e2e][list][json]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("alpha");
    plugin.add_volume("beta", "someone");
    harness.start(plugin);

    const auto result = harness.run({"list", "--volumedriver=fake", "--format=json"});

    REQUIRE_EXIT(result, 0);
    CHECK(stdout_json(result) == json::parse(R"([{"Name":"alpha","Mountpoint":""},
                               {"Name":"beta","Mountpoint":"/tmp/fake-plugin/beta"}])"));
}

TEST_CASE("dvdcli capabilities prints the lower-cased scope", "[e2e][capabilities]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    std::string expected;
    SECTION("local")
    {
        expected = "local\n";
    }
    SECTION("GLOBAL")
    {
        plugin.reply(k_capabilities, 200, "{\"Capabilities\":{\"Scope\":\"GLOBAL\"}}\n");
        expected = "global\n";
    }
    SECTION("an unknown scope is local")
    {
        plugin.reply(k_capabilities, 200, "{\"Capabilities\":{\"Scope\":\"WeIrD\"}}\n");
        expected = "local\n";
    }
    SECTION("a plugin without Capabilities (404) is local")
    {
        plugin.reply(k_capabilities, 404, "404 page not found\n");
        expected = "local\n";
    }

    const auto result = harness.run({"capabilities", "--volumedriver=fake"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == expected);
    REQUIRE(plugin.calls() == Calls{k_activate, k_capabilities});
    CHECK(plugin.requests()[1].body == "{}\n");
    check_docker_request(plugin.requests()[1], k_unix_host);
}

TEST_CASE("dvdcli capabilities --format=json prints the scope object", "[e2e][capabilities][json]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.reply(k_capabilities, 200, "{\"Capabilities\":{\"Scope\":\"global\"}}\n");
    harness.start(plugin);

    const auto result = harness.run({"capabilities", "--volumedriver=fake", "--format=json"});

    REQUIRE_EXIT(result, 0);
    CHECK(stdout_json(result) == json{{"Scope", "global"}});
}

TEST_CASE("dvdcli version prints six lines and contacts no plugin", "[e2e][version]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    const auto result = harness.run({"version", "--volumedriver=fake"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.err.empty());
    CHECK(plugin.requests().empty());
    std::vector<std::string> lines;
    std::string::size_type start = 0;
    while (start < result.out.size()) {
        const auto end = result.out.find('\n', start);
        REQUIRE(end != std::string::npos);
        lines.push_back(result.out.substr(start, end - start));
        start = end + 1;
    }
    REQUIRE(lines.size() == 6);
    char resolved[4096];
    REQUIRE(::realpath(k_dvdcli, resolved) != nullptr);
    CHECK(lines[0] == std::string("Binary: ") + resolved);
    CHECK(std::regex_match(lines[1], std::regex("SemVer: [0-9]+\\.[0-9]+\\.[0-9]+.*")));
    utsname system{};
    REQUIRE(::uname(&system) == 0);
    CHECK(lines[2] == std::string("OsArch: Linux-") + system.machine);
    CHECK(lines[3].rfind("Branch: ", 0) == 0);
    CHECK(lines[4].rfind("Commit: ", 0) == 0);
    CHECK(lines[5].rfind("Formed: ", 0) == 0);
    CHECK(lines[5].size() > std::string("Formed: ").size());
}

TEST_CASE("dvdcli --version prints the name and version", "[e2e][version]")
{
    Harness harness;

    const auto result = harness.run({"--version"});

    REQUIRE_EXIT(result, 0);
    CHECK(std::regex_match(result.out, std::regex("dvdcli [0-9]+\\.[0-9]+\\.[0-9]+[^\\n]*\\n")));
}
