// The two known callers, invoked exactly as they invoke dvdcli: Apache Mesos' docker/volume
// isolator (execvp with a fixed argv) and mesos-module-dvdi (a /bin/sh -c command string).

#include "harness.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

using namespace volumecli::e2e;
using Calls = std::vector<std::string>;

namespace {

// Stout's strings::trim with WHITESPACE = " \t\n\r", as both callers apply it.
std::string mesos_trim(const std::string& text)
{
    const auto first = text.find_first_not_of(" \t\n\r");
    if (first == std::string::npos) {
        return "";
    }
    const auto last = text.find_last_not_of(" \t\n\r");
    return text.substr(first, last - first + 1);
}

// Runs `command` through /bin/sh -c with the harness environment, as popen() does.
ProcessResult run_shell(const Harness& harness, const std::string& command)
{
    return volumecli::test::run_process({"/bin/sh", "-c", command}, harness.options());
}

}  // namespace

TEST_CASE("Mesos mount argv creates a missing volume and prints only its path", "[e2e][callers]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.set_mount_root("/var/lib/rexray/volumes");
    harness.start(plugin, "rexray");

    // DriverClient::mount: [path, "mount", "--volumedriver=D", "--volumename=N",
    // "--volumeopts=k=v"...], no shell, options verbatim.
    const auto result = volumecli::test::run_process(
        {k_dvdcli, "mount", "--volumedriver=rexray", "--volumename=name1", "--volumeopts=iops=150"}, harness.options());

    REQUIRE_EXIT(result, 0);
    CHECK(mesos_trim(result.out) == "/var/lib/rexray/volumes/name1");
    CHECK(result.out == "/var/lib/rexray/volumes/name1\n");
    REQUIRE(plugin.calls() ==
            Calls{"Plugin.Activate", "VolumeDriver.Get", "VolumeDriver.Create", "VolumeDriver.Mount"});
    CHECK(plugin.requests()[2].body == "{\"Name\":\"name1\",\"Opts\":{\"iops\":\"150\"}}\n");
}

TEST_CASE("Mesos passes option values verbatim with commas and equals signs", "[e2e][callers]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin, "rexray");

    const auto result = volumecli::test::run_process({k_dvdcli, "mount", "--volumedriver=rexray", "--volumename=name1",
                                                      "--volumeopts=o=addr=10.0.0.1,rw", "--volumeopts=size=100"},
                                                     harness.options());

    REQUIRE_EXIT(result, 0);
    const auto creates = plugin.requests_for("VolumeDriver.Create");
    REQUIRE(creates.size() == 1);
    CHECK(creates[0].body == "{\"Name\":\"name1\",\"Opts\":{\"o\":\"addr=10.0.0.1,rw\",\"size\":\"100\"}}\n");
}

TEST_CASE("Mesos mounts a volume twice and unmounts it once from a fresh process", "[e2e][callers]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin, "rexray");
    const std::vector<std::string> mount{k_dvdcli, "mount", "--volumedriver=rexray", "--volumename=shared"};
    const std::vector<std::string> unmount{k_dvdcli, "unmount", "--volumedriver=rexray", "--volumename=shared"};

    const auto first = volumecli::test::run_process(mount, harness.options());
    const auto second = volumecli::test::run_process(mount, harness.options());
    REQUIRE_EXIT(first, 0);
    REQUIRE_EXIT(second, 0);
    CHECK(first.out == "/tmp/fake-plugin/shared\n");
    CHECK(second.out == first.out);
    CHECK(plugin.mount_ids("shared") == std::vector<std::string>{expected_mount_id("rexray", "shared")});

    const auto released = volumecli::test::run_process(unmount, harness.options());

    REQUIRE_EXIT(released, 0);
    CHECK(released.out.empty());
    CHECK(plugin.requests_for("VolumeDriver.Mount").size() == 2);
    CHECK(plugin.requests_for("VolumeDriver.Unmount").size() == 1);
    // One ID for every run, so the plugin's refcount for (volume, ID) drops to zero.
    CHECK(plugin.mount_ids("shared").empty());
}

TEST_CASE("Mesos unmount argv releases the volume", "[e2e][callers]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("name1", expected_mount_id("rexray", "name1"));
    harness.start(plugin, "rexray");

    const auto result = volumecli::test::run_process(
        {k_dvdcli, "unmount", "--volumedriver=rexray", "--volumename=name1"}, harness.options());

    REQUIRE_EXIT(result, 0);
    CHECK(result.out.empty());
    CHECK(plugin.calls() == Calls{"Plugin.Activate", "VolumeDriver.Get", "VolumeDriver.Unmount"});
    CHECK(plugin.mount_ids("name1").empty());
}

TEST_CASE("mesos-module-dvdi mount and unmount command strings work through /bin/sh", "[e2e][callers]")
{
    if (::access("/bin/sh", X_OK) != 0) {
        skip_test("/bin/sh is not available");
        return;
    }
    Harness harness;
    FakePlugin plugin;
    plugin.set_mount_root("/var/lib/rexray/volumes");
    harness.start(plugin, "X");
    const std::string dvdcli = k_dvdcli;

    SECTION("mount with --explicitCreate=true of an existing volume")
    {
        plugin.add_volume("Y");
        const auto result = run_shell(harness, dvdcli +
                                                   " mount --volumedriver=X --volumename=Y "
                                                   "--volumeopts=a=1 --volumeopts=b=2  "
                                                   "--explicitCreate=true");
        REQUIRE_EXIT(result, 0);
        CHECK(mesos_trim(result.out) == "/var/lib/rexray/volumes/Y");
        CHECK(plugin.calls() == Calls{"Plugin.Activate", "VolumeDriver.Get", "VolumeDriver.Mount"});
    }
    SECTION("mount with --explicitCreate=true of a missing volume fails without creating")
    {
        const auto result = run_shell(harness, dvdcli +
                                                   " mount --volumedriver=X --volumename=Y "
                                                   "--volumeopts=a=1 --volumeopts=b=2  "
                                                   "--explicitCreate=true");
        REQUIRE_FAILURE(result, 1);
        CHECK(mesos_trim(result.out).empty());
        CHECK(plugin.calls() == Calls{"Plugin.Activate", "VolumeDriver.Get"});
    }
    SECTION("mount without explicit create: double space then a trailing space")
    {
        const auto result = run_shell(harness, dvdcli +
                                                   " mount --volumedriver=X --volumename=Y "
                                                   "--volumeopts=a=1 --volumeopts=b=2  ");
        REQUIRE_EXIT(result, 0);
        CHECK(mesos_trim(result.out) == "/var/lib/rexray/volumes/Y");
        const auto creates = plugin.requests_for("VolumeDriver.Create");
        REQUIRE(creates.size() == 1);
        CHECK(creates[0].body == "{\"Name\":\"Y\",\"Opts\":{\"a\":\"1\",\"b\":\"2\"}}\n");
    }
    SECTION("mount without options")
    {
        const auto result = run_shell(harness, dvdcli + " mount --volumedriver=X --volumename=Y  ");
        REQUIRE_EXIT(result, 0);
        CHECK(mesos_trim(result.out) == "/var/lib/rexray/volumes/Y");
    }
    SECTION("unmount with its trailing space")
    {
        plugin.add_volume("Y", expected_mount_id("X", "Y"));
        const auto result = run_shell(harness, dvdcli + " unmount --volumedriver=X --volumename=Y ");
        REQUIRE_EXIT(result, 0);
        CHECK(result.out.empty());
        CHECK(plugin.calls() == Calls{"Plugin.Activate", "VolumeDriver.Get", "VolumeDriver.Unmount"});
        CHECK(plugin.mount_ids("Y").empty());
    }
}

TEST_CASE("mesos-module-dvdi README options reach Create one by one", "[e2e][callers]")
{
    if (::access("/bin/sh", X_OK) != 0) {
        skip_test("/bin/sh is not available");
        return;
    }
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin, "rexray");

    // DVDI_VOLUME_OPTS=size=5,iops=150,volumetype=io1,newfstype=xfs,overwritefs=true
    const auto result = run_shell(harness, std::string(k_dvdcli) +
                                               " mount --volumedriver=rexray --volumename=VolXYZ --volumeopts=size=5"
                                               " --volumeopts=iops=150 --volumeopts=volumetype=io1"
                                               " --volumeopts=newfstype=xfs --volumeopts=overwritefs=true ");

    REQUIRE_EXIT(result, 0);
    const auto creates = plugin.requests_for("VolumeDriver.Create");
    REQUIRE(creates.size() == 1);
    CHECK(creates[0].body ==
          "{\"Name\":\"VolXYZ\",\"Opts\":{\"iops\":\"150\",\"newfstype\":\"xfs\","
          "\"overwritefs\":\"true\",\"size\":\"5\",\"volumetype\":\"io1\"}}\n");
}
