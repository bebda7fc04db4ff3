// The local driver's own files end to end: a state file that is not a regular file or not valid
// JSON, a lock directory that is a link, names too long for the files derived from them, and a
// mount a crash left with no holder recorded.

#include "harness.hpp"
#include "local_harness.hpp"
#include "mounts.hpp"

#include <catch2/catch.hpp>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

using namespace volumecli::e2e;
using Catch::Matchers::Contains;
using volumecli::test::read_file;
using Args = std::vector<std::string>;

namespace {

const Args k_tmpfs{"--volumeopts=type=tmpfs,device=tmpfs,o=size=16m"};

}  // namespace

TEST_CASE("dvdcli local driver with a state file that is not a regular file exits 1 at once", "[e2e][local][state]")
{
    LocalHarness local;
    const auto command = GENERATE(as<std::string>{}, "mount", "get", "path", "unmount", "remove", "create");
    INFO(command);
    REQUIRE_RUN(local.local("create", "vol1"), 0);
    REQUIRE(::unlink(local.state_path("vol1").c_str()) == 0);
    std::string kind;

    SECTION("a FIFO")
    {
        REQUIRE(::mkfifo(local.state_path("vol1").c_str(), 0600) == 0);
        kind = "FIFO";
    }
    SECTION("a directory")
    {
        REQUIRE(::mkdir(local.state_path("vol1").c_str(), 0700) == 0);
        kind = "directory";
    }
    SECTION("a symlink to a regular file")
    {
        local.harness.dir().write_file("elsewhere.json", R"({"Options":{},"MountIDs":[]})");
        REQUIRE(::symlink(local.harness.dir().file("elsewhere.json").c_str(), local.state_path("vol1").c_str()) == 0);
        kind = "symbolic link";
    }

    const auto result = local.local(command, "vol1", {"--timeout=10"});

    REQUIRE_FAILURE(result, 1);
    CHECK_THAT(result.err, Contains(local.state_path("vol1")) && Contains(kind));
    CHECK(result.wall_time < std::chrono::seconds(5));
}

TEST_CASE("dvdcli local driver says a corrupt state file is corrupt, in one line without library jargon",
          "[e2e][local][state]")
{
    LocalHarness local;
    REQUIRE_RUN(local.local("create", "vol1"), 0);
    std::string content;
    std::string gist;
    SECTION("not JSON")
    {
        content = "{\"Options\":{},\"MountIDs\":[\"torn";
        gist = "not valid JSON";
    }
    SECTION("empty")
    {
        content = "";
        gist = "not valid JSON";
    }
    SECTION("MountIDs of the wrong type")
    {
        content = R"({"Options":{},"MountIDs":"a"})";
        gist = "MountIDs";
    }
    SECTION("Options missing")
    {
        content = R"({"MountIDs":[]})";
        gist = "Options";
    }
    SECTION("an array")
    {
        content = "[]";
        gist = "not a JSON object";
    }
    local.harness.dir().write_file("volumes/vol1/state.json", content);

    const auto result = local.local("get", "vol1");

    REQUIRE_FAILURE(result, 1);
    CHECK_THAT(result.err, Contains("corrupt state file " + local.state_path("vol1")) && Contains(gist));
    CHECK_THAT(result.err, !Contains("json.exception"));
}

TEST_CASE("dvdcli list --volumedriver=local lists the other volumes when one state file is corrupt",
          "[e2e][local][state][list]")
{
    LocalHarness local;
    REQUIRE_RUN(local.local("create", "alpha"), 0);
    REQUIRE_RUN(local.local("create", "broken"), 0);
    REQUIRE_RUN(local.local("create", "gamma"), 0);
    local.harness.dir().write_file("volumes/broken/state.json", "{not json");

    const auto listed = local.run({"list", "--volumedriver=local"});

    REQUIRE_EXIT(listed, 0);
    CHECK(listed.out == "alpha\ngamma\n");
    CHECK(is_one_line(listed.err));
    CHECK_THAT(listed.err, Contains("broken") && Contains("not valid JSON"));
    CHECK_THAT(listed.err, !Contains("json.exception"));
}

TEST_CASE("dvdcli local driver refuses a lock directory that is a symlink", "[e2e][local][lock]")
{
    LocalHarness local;
    REQUIRE_RUN(local.local("create", "vol1"), 0);
    const std::string elsewhere = local.harness.dir().make_dir("elsewhere");
    std::filesystem::remove_all(local.root + "/.locks");
    REQUIRE(::symlink(elsewhere.c_str(), (local.root + "/.locks").c_str()) == 0);

    const auto result = local.local("mount", "vol1");

    REQUIRE_FAILURE(result, 1);
    CHECK_THAT(result.err, Contains(local.root + "/.locks") && Contains("symlink"));
    CHECK(std::filesystem::is_empty(elsewhere));
    CHECK(local.ids("vol1").empty());
}

TEST_CASE("dvdcli local driver takes names up to 234 characters and refuses longer ones with exit 2",
          "[e2e][local][usage]")
{
    LocalHarness local;

    SECTION("234: every file derived from the name fits, remove included")
    {
        const std::string name(234, 'n');
        const auto mounted = local.local("mount", name);
        REQUIRE_EXIT(mounted, 0);
        CHECK(mounted.out == local.data(name) + "\n");
        REQUIRE_RUN(local.local("unmount", name), 0);
        REQUIRE_RUN(local.local("remove", name), 0);
        CHECK_FALSE(exists(local.root + "/" + name));
    }
    SECTION("longer")
    {
        const auto length = GENERATE(235, 251, 255, 256, 4000);
        INFO(length << " characters");
        const auto command = GENERATE(as<std::string>{}, "mount", "create", "remove", "get");
        const auto result = local.local(command, std::string(static_cast<std::size_t>(length), 'n'));
        REQUIRE_FAILURE(result, 2);
        CHECK_THAT(result.err, Contains("234"));
        CHECK_FALSE(exists(local.root));
    }
}

TEST_CASE("dvdcli local unmount repairs a mount a crash left with no holder; remove says to run it",
          "[e2e][local][crash][root]")
{
    // A crash between mount(2) and saving the state leaves _data mounted with no holder recorded.
    if (!running_as_root("mount tmpfs")) {
        return;
    }
    LocalHarness local;
    const std::string data = local.data("scratch");
    REQUIRE_RUN(local.local("create", "scratch", k_tmpfs), 0);
    REQUIRE(::mount("tmpfs", data.c_str(), "tmpfs", 0, "size=16m") == 0);

    const auto refused = local.local("remove", "scratch");
    REQUIRE_FAILURE(refused, 1);
    CHECK_THAT(refused.err, Contains("dvdcli unmount --volumedriver=local --volumename=scratch"));
    CHECK(mounts_at(data).size() == 1);

    const auto repaired = local.local("unmount", "scratch");
    REQUIRE_EXIT(repaired, 0);
    CHECK(repaired.out.empty());
    CHECK(mounts_at(data).empty());

    REQUIRE_RUN(local.local("remove", "scratch"), 0);
    CHECK_FALSE(exists(local.root + "/scratch"));
}
