// The connection itself: timeouts, retries of transport failures (with the real body), and one
// keep-alive connection per run.

#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace volumecli::e2e;
using volumecli::test::SilentSocket;
using Calls = std::vector<std::string>;
using std::chrono::milliseconds;

TEST_CASE("dvdcli times out with exit 4 on a plugin that never answers", "[e2e][timeout]")
{
    Harness harness;
    std::unique_ptr<SilentSocket> silent;
    SECTION("accepts and never answers")
    {
        silent = std::make_unique<SilentSocket>(harness.socket_path("fake"), SilentSocket::Mode::accept_never_answer);
    }
    SECTION("never accepts")
    {
        silent = std::make_unique<SilentSocket>(harness.socket_path("fake"), SilentSocket::Mode::never_accept);
    }

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--timeout=1"});

    REQUIRE_FAILURE(result, 4);
    CHECK(result.wall_time >= milliseconds(900));
    CHECK(result.wall_time < within(milliseconds(1000)));
}

TEST_CASE("dvdcli --timeout accepts decimals", "[e2e][timeout]")
{
    Harness harness;
    SilentSocket silent(harness.socket_path("fake"), SilentSocket::Mode::accept_never_answer);

    const auto result = harness.run({"list", "--volumedriver=fake", "--timeout=0.3", "--retry-timeout=0"});

    REQUIRE_FAILURE(result, 4);
    CHECK(result.wall_time >= milliseconds(250));
    CHECK(result.wall_time < within(milliseconds(300)));
    // What the plugin got is a real Activate request.
    CHECK(silent.received().rfind("POST /Plugin.Activate HTTP/1.1\r\n", 0) == 0);
}

TEST_CASE("dvdcli does not retry a call that timed out", "[e2e][timeout]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    plugin.delay("VolumeDriver.Mount", milliseconds(4000));
    harness.start(plugin);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--timeout=1"});

    REQUIRE_FAILURE(result, 4);
    CHECK(result.wall_time < within(milliseconds(1000)));
    CHECK(plugin.calls() == Calls{"Plugin.Activate", "VolumeDriver.Get", "VolumeDriver.Mount"});
}

TEST_CASE("dvdcli waits for a slow plugin within the timeout", "[e2e][timeout]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    plugin.delay("VolumeDriver.Mount", milliseconds(700));
    harness.start(plugin);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--timeout=3"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/tmp/fake-plugin/v1\n");
}

TEST_CASE("dvdcli retries a refused stale socket then exits 3", "[e2e][retry]")
{
    Harness harness;
    volumecli::test::make_stale_socket(harness.socket_path("fake"));

    SECTION("--retry-timeout=2: one retry after about a second")
    {
        const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--retry-timeout=2"});
        REQUIRE_FAILURE(result, 3);
        CHECK(result.wall_time >= milliseconds(900));
        CHECK(result.wall_time < within(milliseconds(2000)));
    }
    SECTION("--retry-timeout=0: a single attempt")
    {
        const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--retry-timeout=0"});
        REQUIRE_FAILURE(result, 3);
        CHECK(result.wall_time < milliseconds(900));
    }
}

TEST_CASE("dvdcli retries connections closed before any reply", "[e2e][retry]")
{
    Harness harness;
    SilentSocket closer(harness.socket_path("fake"), SilentSocket::Mode::accept_and_close);

    SECTION("--retry-timeout=2: attempts at 0 s and 1 s")
    {
        const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--retry-timeout=2"});
        REQUIRE_FAILURE(result, 3);
        CHECK(closer.accepted() == 2);
        CHECK(result.wall_time >= milliseconds(900));
    }
    SECTION("--retry-timeout=3.5: attempts at 0 s, 1 s and 3 s")
    {
        const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--retry-timeout=3.5"});
        REQUIRE_FAILURE(result, 3);
        CHECK(closer.accepted() == 3);
        CHECK(result.wall_time >= milliseconds(2900));
    }
    SECTION("--retry-timeout=0: one attempt")
    {
        const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--retry-timeout=0"});
        REQUIRE_FAILURE(result, 3);
        CHECK(closer.accepted() == 1);
    }
    SECTION("--log-level=info shows the retries")
    {
        const auto result =
            harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--retry-timeout=2", "--log-level=info"});
        INFO("dvdcli: " << result.describe());
        REQUIRE(result.exit_code == 3);
        CHECK(closer.accepted() == 2);
        CHECK(result.err.find("dvdcli: info: ") != std::string::npos);
        CHECK_FALSE(is_one_line(result.err));
    }
}

TEST_CASE("dvdcli resends the full body when it retries a dropped call", "[e2e][retry]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    plugin.drop_first("VolumeDriver.Mount", 1);
    harness.start(plugin, "fake", FakePlugin::Engine::raw);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--retry-timeout=3"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/tmp/fake-plugin/v1\n");
    const auto mounts = plugin.requests_for("VolumeDriver.Mount");
    REQUIRE(mounts.size() == 2);
    const std::string body = "{\"Name\":\"v1\",\"ID\":\"" + expected_mount_id("fake", "v1") + "\"}\n";
    CHECK(mounts[0].dropped);
    CHECK(mounts[0].body == body);
    CHECK_FALSE(mounts[1].dropped);
    CHECK(mounts[1].body == body);
    CHECK(mounts[1].header("Content-Length") == std::optional<std::string>(std::to_string(body.size())));
    check_docker_request(mounts[1], "plugin.moby.localhost");
    // The retry needed a new connection; Activate is not sent again.
    CHECK(mounts[1].connection != mounts[0].connection);
    CHECK(plugin.requests_for("Plugin.Activate").size() == 1);
}

TEST_CASE("dvdcli retries a dropped Create during mount exactly once", "[e2e][retry]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.drop_first("VolumeDriver.Create", 1);
    harness.start(plugin, "fake", FakePlugin::Engine::raw);

    const auto result =
        harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--volumeopts=size=5", "--retry-timeout=3"});

    REQUIRE_EXIT(result, 0);
    const auto creates = plugin.requests_for("VolumeDriver.Create");
    REQUIRE(creates.size() == 2);
    CHECK(creates[1].body == "{\"Name\":\"v1\",\"Opts\":{\"size\":\"5\"}}\n");
    CHECK(plugin.calls() == Calls{"Plugin.Activate", "VolumeDriver.Get", "VolumeDriver.Create", "VolumeDriver.Create",
                                  "VolumeDriver.Mount"});
}

TEST_CASE("dvdcli gives up on a dropped call when the retry window is 0", "[e2e][retry]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    plugin.drop_first("VolumeDriver.Mount", 1);
    harness.start(plugin, "fake", FakePlugin::Engine::raw);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--retry-timeout=0"});

    INFO("plugin calls " << describe_calls(plugin.calls()) << " over " << plugin.connections() << " connection(s)");
    REQUIRE_FAILURE(result, 3);
    CHECK(plugin.requests_for("VolumeDriver.Mount").size() == 1);
}

TEST_CASE("dvdcli sends every request of a run on one keep-alive connection", "[e2e][keepalive]")
{
    Harness harness;
    FakePlugin plugin;

    SECTION("TCP: one client port")
    {
        const int port = plugin.start_tcp();
        harness.dir().write_file("spec1/fake.spec", "tcp://127.0.0.1:" + std::to_string(port));
        const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});
        REQUIRE_EXIT(result, 0);
        const auto requests = plugin.requests();
        REQUIRE(requests.size() == 4);
        for (const auto& request : requests) {
            INFO(request.path);
            CHECK(request.remote_port > 0);
            CHECK(request.remote_port == requests[0].remote_port);
        }
    }
    SECTION("unix socket: one accepted connection")
    {
        harness.start(plugin, "fake", FakePlugin::Engine::raw);
        const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});
        REQUIRE_EXIT(result, 0);
        const auto requests = plugin.requests();
        REQUIRE(requests.size() == 4);
        for (const auto& request : requests) {
            INFO(request.path);
            CHECK(request.connection == 0);
            check_docker_request(request, "plugin.moby.localhost");
        }
        CHECK(plugin.connections() == 1);
    }
}
