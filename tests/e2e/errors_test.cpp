// How plugin errors and protocol violations reach the caller: the exit code, one stderr line
// with the plugin's words in it, and no call after the failing one.

#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace volumecli::e2e;
using Calls = std::vector<std::string>;

TEST_CASE("dvdcli reports a plugin's error message with the spec's context", "[e2e][errors]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    harness.start(plugin);
    std::string expected;

    SECTION("200 with Err: the message verbatim")
    {
        plugin.reply(k_mount, 200, "{\"Err\":\"x\"}\n");
        expected = "dvdcli: error: driver \"fake\": Mount \"v1\": x\n";
    }
    SECTION("500 with Err: prefixed with the method")
    {
        plugin.reply(k_mount, 500, "{\"Err\":\"boom\"}\n");
        expected = "dvdcli: error: driver \"fake\": Mount \"v1\": VolumeDriver.Mount: boom\n";
    }
    SECTION("500 with REX-Ray's Error field")
    {
        plugin.reply(k_mount, 500, "{\"Error\":\"rexray says\"}\n");
        expected = "dvdcli: error: driver \"fake\": Mount \"v1\": VolumeDriver.Mount: rexray says\n";
    }
    SECTION("500 with a plain-text body, trailing newline stripped")
    {
        plugin.reply(k_mount, 500, "plain failure text\n");
        expected =
            "dvdcli: error: driver \"fake\": Mount \"v1\": VolumeDriver.Mount: plain "
            "failure text\n";
    }
    SECTION("400 with Err in lower case keys")
    {
        plugin.reply(k_mount, 400, "{\"err\":\"bad request\"}\n");
        expected = "dvdcli: error: driver \"fake\": Mount \"v1\": VolumeDriver.Mount: bad request\n";
    }

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_FAILURE(result, 1);
    CHECK(result.err == expected);
    CHECK(plugin.calls() == Calls{k_activate, k_get, k_mount});
}

TEST_CASE("dvdcli reports a Create failure during mount and does not Mount", "[e2e][errors]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.reply(k_create, 500, "{\"Error\":\"volume name already exists\"}\n");
    harness.start(plugin);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_FAILURE(result, 1);
    CHECK(result.err ==
          "dvdcli: error: driver \"fake\": Create \"v1\": VolumeDriver.Create: "
          "volume name already exists\n");
    CHECK(plugin.calls() == Calls{k_activate, k_get, k_create});
}

TEST_CASE("dvdcli treats a malformed 200 reply as a protocol violation", "[e2e][errors]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    harness.start(plugin);
    const auto body = GENERATE(as<std::string>{}, "this is not json\n", "{\"Mountpoint\":\"/mnt", "", "[1,2]\n",
                               "{\"Mountpoint\":42}\n");
    INFO("Mount reply body: " << body);
    plugin.reply(k_mount, 200, body);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_FAILURE(result, 5);
    CHECK(plugin.calls() == Calls{k_activate, k_get, k_mount});
}

TEST_CASE("dvdcli never creates when Get's reply is malformed", "[e2e][errors]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.reply(k_get, 200, "{\"Volume\":");
    harness.start(plugin);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_FAILURE(result, 5);
    CHECK(plugin.calls() == Calls{k_activate, k_get});
}

TEST_CASE("dvdcli refuses a plugin whose Activate does not implement VolumeDriver", "[e2e][errors]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    SECTION("other implementations only")
    {
        plugin.reply(k_activate, 200, "{\"Implements\":[\"NetworkDriver\",\"volumedriver\"]}\n");
    }
    SECTION("empty Implements")
    {
        plugin.reply(k_activate, 200, "{\"Implements\":[]}\n");
    }
    SECTION("non-JSON reply")
    {
        plugin.reply(k_activate, 200, "hello\n");
    }
    SECTION("500 reply")
    {
        plugin.reply(k_activate, 500, "{\"Err\":\"not ready\"}\n");
    }
    SECTION("404 reply")
    {
        plugin.reply(k_activate, 404, "404 page not found\n");
    }

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_FAILURE(result, 5);
    // Activate failures carry the context of the first call they precede.
    CHECK(result.err.rfind("dvdcli: error: driver \"fake\": Get \"v1\": Plugin.Activate: ", 0) == 0);
    CHECK(plugin.calls() == Calls{k_activate});
}

TEST_CASE("dvdcli accepts Activate with extra implementations and unknown fields", "[e2e][errors]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    plugin.reply(k_activate, 200, "{\"implements\":[\"authz\",\"VolumeDriver\"],\"Extra\":{\"a\":1}}\n");
    harness.start(plugin);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/tmp/fake-plugin/v1\n");
}

TEST_CASE("dvdcli mount rejects an unusable mountpoint", "[e2e][errors]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    harness.start(plugin);
    const auto body = GENERATE(as<std::string>{}, "{\"Mountpoint\":\"\"}\n", "{}\n",
                               "{\"Mountpoint\":\"relative/path\"}\n", "{\"Mountpoint\":\"/mnt/a\\nb\"}\n",
                               "{\"Mountpoint\":\"/mnt/a\\rb\"}\n", "{\"Mountpoint\":\"/mnt/a\\u0000b\"}\n");
    INFO("Mount reply body: " << body);
    plugin.reply(k_mount, 200, body);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_FAILURE(result, 5);
    CHECK(plugin.calls() == Calls{k_activate, k_get, k_mount});
}

TEST_CASE("dvdcli mount decodes replies leniently", "[e2e][errors]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    plugin.reply(k_mount, 200, "{\"mountpoint\":\"/srv/v1\",\"Err\":\"\",\"Unknown\":[1,2,{}]}\n");
    harness.start(plugin);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/srv/v1\n");
}

TEST_CASE("dvdcli list and capabilities report plugin errors", "[e2e][errors]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    SECTION("list")
    {
        plugin.reply("VolumeDriver.List", 500, "{\"Err\":\"list failed\"}\n");
        const auto result = harness.run({"list", "--volumedriver=fake"});
        REQUIRE_FAILURE(result, 1);
        CHECK(result.err.find("VolumeDriver.List: list failed") != std::string::npos);
    }
    SECTION("capabilities")
    {
        plugin.reply("VolumeDriver.Capabilities", 500, "{\"Err\":\"caps failed\"}\n");
        const auto result = harness.run({"capabilities", "--volumedriver=fake"});
        REQUIRE_FAILURE(result, 1);
        CHECK(result.err.find("VolumeDriver.Capabilities: caps failed") != std::string::npos);
    }
    SECTION("list with a malformed reply")
    {
        plugin.reply("VolumeDriver.List", 200, "{\"Volumes\":[{\"Name\":");
        const auto result = harness.run({"list", "--volumedriver=fake"});
        REQUIRE_FAILURE(result, 5);
    }
}

TEST_CASE("dvdcli rejects a reply body over 32 MiB", "[e2e][errors]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);
    std::string huge = "{\"Volumes\":[],\"Padding\":\"";
    huge.append(std::size_t{33} * 1024 * 1024, 'x');
    huge += "\"}\n";
    plugin.reply("VolumeDriver.List", 200, huge);

    const auto result = harness.run({"list", "--volumedriver=fake"});

    REQUIRE_FAILURE(result, 5);
    CHECK(plugin.calls() == Calls{k_activate, "VolumeDriver.List"});
}
