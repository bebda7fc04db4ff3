// Managed (v2) plugins: dvdcli --managed-plugins against a fake dockerd data root (plugins/<id>/
// config.json) and a fake plugin on the real socket <socket dir>/<id>/<Interface.Socket>.

#include "harness.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace volumecli::e2e;
using Calls = std::vector<std::string>;

namespace {

const std::string k_id = "4f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

// A fake dockerd data root under the harness directory, with one plugin, and the plugin itself
// listening where dockerd would have started it.
struct ManagedFixture {
    explicit ManagedFixture(bool enabled = true)
    {
        docker_root = harness.dir().make_dir("docker");
        harness.dir().write_file("docker/plugins/" + k_id + "/config.json",
                                 R"({"Id":")" + k_id + R"(","Name":"rexray/ebs:latest","Enabled":)" +
                                     (enabled ? "true" : "false") +
                                     R"(,"Config":{"Interface":{"Types":["docker.volumedriver/1.0"],)"
                                     R"("Socket":"ebs.sock"},"PropagatedMount":"/var/lib/rexray"}})");
        // dockerd's other directories hold no config.json and are skipped.
        harness.dir().make_dir("docker/plugins/tmp");
        harness.dir().make_dir("sockets/" + k_id);
        plugin.start_unix(harness.socket_dir() + "/" + k_id + "/ebs.sock");
        plugin.set_mount_root("/var/lib/rexray/volumes");
    }

    [[nodiscard]] std::string plugin_dir() const { return docker_root + "/plugins/" + k_id; }

    Harness harness;
    FakePlugin plugin;
    std::string docker_root;
};

}  // namespace

TEST_CASE("dvdcli --managed-plugins mounts through the plugin's socket, maps the mountpoint, skips Activate",
          "[e2e][managed]")
{
    ManagedFixture fixture;
    const auto result = fixture.harness.run({"mount", "--volumedriver=rexray/ebs", "--volumename=vol1",
                                             "--managed-plugins", "--docker-root=" + fixture.docker_root});
    REQUIRE_EXIT(result, 0);
    CHECK(result.out == fixture.plugin_dir() + "/propagated-mount/volumes/vol1\n");
    INFO(describe_calls(fixture.plugin.calls()));
    CHECK(fixture.plugin.calls() == Calls{"VolumeDriver.Get", "VolumeDriver.Create", "VolumeDriver.Mount"});
}

TEST_CASE("dvdcli finds a managed plugin by ID prefix with DVDCLI_MANAGED_PLUGINS=1", "[e2e][managed]")
{
    ManagedFixture fixture;
    fixture.plugin.add_volume("vol1", "holder");
    fixture.plugin.set_mountpoint("vol1", "/mnt/vol1");
    auto options = fixture.harness.options();
    options.env["DVDCLI_MANAGED_PLUGINS"] = "1";
    const auto result = fixture.harness.run(
        {"list", "--volumedriver=" + k_id.substr(0, 12), "--docker-root", fixture.docker_root, "--format=json"},
        options);
    REQUIRE_EXIT(result, 0);
    const auto volumes = stdout_json(result);
    REQUIRE(volumes.size() == 1);
    // Outside the propagated mount: the path is inside the plugin's rootfs.
    CHECK(volumes[0]["Mountpoint"] == fixture.plugin_dir() + "/rootfs/mnt/vol1");
    CHECK(fixture.plugin.calls() == Calls{"VolumeDriver.List"});
}

TEST_CASE("dvdcli --managed-plugins normalises names as Docker does", "[e2e][managed]")
{
    ManagedFixture fixture;
    for (const std::string name : {"rexray/ebs:latest", "docker.io/rexray/ebs", "rexray/ebs"}) {
        const auto result = fixture.harness.run(
            {"capabilities", "--volumedriver=" + name, "--docker-root=" + fixture.docker_root, "--retry-timeout=0"});
        INFO(name);
        REQUIRE_EXIT(result, 0);
        CHECK(result.out == "local\n");
    }
    const auto other_tag = fixture.harness.run(
        {"capabilities", "--volumedriver=rexray/ebs:1.0", "--docker-root=" + fixture.docker_root, "--retry-timeout=0"});
    REQUIRE_FAILURE(other_tag, 3);
    CHECK_THAT(other_tag.err, Catch::Matchers::Contains("plugin not found") &&
                                  Catch::Matchers::Contains(fixture.docker_root + "/plugins"));
}

TEST_CASE("dvdcli refuses a disabled managed plugin with exit 3 and calls nothing", "[e2e][managed]")
{
    ManagedFixture fixture(false);
    const auto result = fixture.harness.run(
        {"list", "--volumedriver=rexray/ebs", "--managed-plugins", "--docker-root=" + fixture.docker_root});
    REQUIRE_FAILURE(result, 3);
    CHECK_THAT(result.err, Catch::Matchers::Contains("rexray/ebs:latest is disabled"));
    CHECK(fixture.plugin.calls().empty());
}

TEST_CASE("dvdcli does not look at managed plugins unless asked", "[e2e][managed]")
{
    ManagedFixture fixture;
    const auto result = fixture.harness.run({"list", "--volumedriver=rexray/ebs", "--retry-timeout=0"});
    REQUIRE_FAILURE(result, 3);
    CHECK(fixture.plugin.calls().empty());
    const auto bad_env = fixture.harness.run({"list", "--volumedriver=rexray/ebs"}, [&] {
        auto options = fixture.harness.options();
        options.env["DVDCLI_MANAGED_PLUGINS"] = "yes please";
        return options;
    }());
    REQUIRE_FAILURE(bad_env, 2);
}

TEST_CASE("dvdcli check on a managed plugin skips Activate and checks the mapped mountpoints", "[e2e][managed][check]")
{
    ManagedFixture fixture;
    fixture.harness.dir().make_dir("docker/plugins/" + k_id + "/propagated-mount/volumes/scratch");
    const auto result = fixture.harness.run({"check", "--volumedriver=rexray/ebs", "--volumename=scratch",
                                             "--docker-root=" + fixture.docker_root, "--format=json"});
    REQUIRE_EXIT(result, 0);
    const auto report = stdout_json(result);
    CHECK(report["Passed"] == true);
    CHECK(report["Checks"][0]["ID"] == "activate.implements-volumedriver");
    CHECK(report["Checks"][0]["Status"] == "skipped");
    CHECK(report["Counts"]["fail"] == 0);
    const auto calls = fixture.plugin.calls();
    CHECK(std::find(calls.begin(), calls.end(), "Plugin.Activate") == calls.end());
}

TEST_CASE("dvdcli refuses a relative --docker-root with exit 2", "[e2e][managed]")
{
    Harness harness;
    const auto result = harness.run({"list", "--volumedriver=rexray/ebs", "--docker-root=var/lib/docker"});
    REQUIRE_FAILURE(result, 2);
    CHECK_THAT(result.err, Catch::Matchers::Contains("--docker-root"));
}
