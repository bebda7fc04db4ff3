// The local driver's remove end to end: it deletes the volume's own files and nothing else. A
// mount anywhere inside the volume (or inside a half-removed one) makes it refuse before anything
// is deleted; links are removed, never followed; a remove killed half-way is finished by the next.

#include "harness.hpp"
#include "local_harness.hpp"
#include "mounts.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace volumecli::e2e;
using Catch::Matchers::Contains;
using volumecli::test::BackgroundProcess;
using volumecli::test::read_file;
using Args = std::vector<std::string>;

namespace {

// The names in `dir`, sorted.
std::set<std::string> entries(const std::string& dir)
{
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        names.insert(entry.path().filename().string());
    }
    return names;
}

// A directory outside the volume root with one file in it: what must survive.
std::string precious_dir(const LocalHarness& local, const std::string& name)
{
    const std::string dir = local.harness.dir().make_dir(name);
    local.harness.dir().write_file(name + "/precious", "keep me");
    return dir;
}

void bind_mount(const std::string& source, const std::string& target)
{
    REQUIRE(::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) == 0);
}

}  // namespace

TEST_CASE("dvdcli local remove refuses a volume with a mount inside it and deletes nothing",
          "[e2e][local][remove][root]")
{
    if (!running_as_root("bind-mount into a volume")) {
        return;
    }
    LocalHarness local;
    REQUIRE_RUN(local.local("create", "vol1"), 0);
    local.harness.dir().write_file("volumes/vol1/_data/own-file", "the volume's");
    const std::string outside = precious_dir(local, "outside");
    std::string point;

    SECTION("a bind mount of another directory below _data")
    {
        point = local.harness.dir().make_dir("volumes/vol1/_data/sub");
        bind_mount(outside, point);
    }
    SECTION("a bind mount deeper down")
    {
        point = local.harness.dir().make_dir("volumes/vol1/_data/a");
        point = local.harness.dir().make_dir("volumes/vol1/_data/a/b");
        point = local.harness.dir().make_dir("volumes/vol1/_data/a/b/c");
        bind_mount(outside, point);
    }
    SECTION("a bind mount on _data itself, in a volume without options")
    {
        point = local.data("vol1");
        bind_mount(outside, point);
    }
    SECTION("a tmpfs on _data itself, in a volume without options")
    {
        point = local.data("vol1");
        REQUIRE(::mount("tmpfs", point.c_str(), "tmpfs", 0, "size=1m") == 0);
        local.harness.dir().write_file("volumes/vol1/_data/on-tmpfs", "kept");
    }
    SECTION("a bind mount on the volume's directory")
    {
        point = local.root + "/vol1";
        const std::string copy = local.harness.dir().make_dir("copy");
        local.harness.dir().make_dir("copy/_data");
        local.harness.dir().write_file("copy/state.json", R"({"Options":{},"MountIDs":[]})");
        local.harness.dir().write_file("copy/_data/precious", "keep me");
        bind_mount(copy, point);
        bind_mount(outside, point + "/_data");
    }

    const auto refused = local.local("remove", "vol1");

    REQUIRE_FAILURE(refused, 1);
    CHECK_THAT(refused.err, Contains(point));
    CHECK(read_file(outside + "/precious") == "keep me");
    CHECK(mount_points_under(point).size() >= 1);
    CHECK(entries(local.root) == std::set<std::string>{".locks", "vol1"});
    const auto listed = local.run({"list", "--volumedriver=local"});
    CHECK(listed.out == "vol1\n");

    unmount_all_under(local.harness.dir().path());
    REQUIRE_RUN(local.local("remove", "vol1"), 0);
    CHECK(entries(local.root) == std::set<std::string>{".locks"});
    CHECK(read_file(outside + "/precious") == "keep me");
}

TEST_CASE("dvdcli local remove deletes links inside the volume, never what they point to", "[e2e][local][remove]")
{
    LocalHarness local;
    REQUIRE_RUN(local.local("create", "vol1"), 0);
    const std::string outside = precious_dir(local, "outside");

    SECTION("a link to a directory in _data")
    {
        REQUIRE(::symlink(outside.c_str(), (local.data("vol1") + "/to-outside").c_str()) == 0);
    }
    SECTION("a link to a file in _data")
    {
        REQUIRE(::symlink((outside + "/precious").c_str(), (local.data("vol1") + "/to-file").c_str()) == 0);
    }
    SECTION("_data itself is a link")
    {
        std::filesystem::remove_all(local.data("vol1"));
        REQUIRE(::symlink(outside.c_str(), local.data("vol1").c_str()) == 0);
    }

    REQUIRE_RUN(local.local("remove", "vol1"), 0);

    CHECK(entries(local.root) == std::set<std::string>{".locks"});
    CHECK(read_file(outside + "/precious") == "keep me");
}

TEST_CASE("dvdcli local remove of a volume whose directory is a link refuses and deletes nothing",
          "[e2e][local][remove]")
{
    LocalHarness local;
    REQUIRE_RUN(local.local("create", "other"), 0);
    const std::string outside = precious_dir(local, "outside");
    local.harness.dir().make_dir("outside/_data");
    local.harness.dir().write_file("outside/state.json", R"({"Options":{},"MountIDs":[]})");
    REQUIRE(::symlink(outside.c_str(), (local.root + "/vol1").c_str()) == 0);

    REQUIRE_FAILED_RUN(local.local("remove", "vol1"), 1);

    CHECK(read_file(outside + "/precious") == "keep me");
    CHECK(is_symlink(local.root + "/vol1"));
}

TEST_CASE("dvdcli local remove deletes a tree deeper than its open-file limit", "[e2e][local][remove]")
{
    LocalHarness local;
    REQUIRE_RUN(local.local("create", "deep"), 0);
    int dir = ::open(local.data("deep").c_str(), O_RDONLY | O_DIRECTORY);
    REQUIRE(dir >= 0);
    for (int level = 0; level < 300; ++level) {
        REQUIRE(::mkdirat(dir, "d", 0755) == 0);
        const int next = ::openat(dir, "d", O_RDONLY | O_DIRECTORY);
        ::close(dir);
        dir = next;
        REQUIRE(dir >= 0);
    }
    ::close(dir);
    auto options = local.harness.options();
    options.env["DVDCLI_LOCAL_ROOT"] = local.root;

    const auto removed = volumecli::test::run_process(
        {"/bin/sh", "-c", "ulimit -n 64 && exec \"$0\" remove --volumedriver=local --volumename=deep", k_dvdcli},
        options);

    REQUIRE_EXIT(removed, 0);
    CHECK(removed.err.empty());
    CHECK(entries(local.root) == std::set<std::string>{".locks"});
}

TEST_CASE("dvdcli local remove finishes a remove that was killed after it renamed the volume away",
          "[e2e][local][remove][crash]")
{
    // A killed remove leaves <root>/.removing-<name>-<pid>, the volume already gone from its name.
    LocalHarness local;
    REQUIRE_RUN(local.local("create", "vol1"), 0);
    local.harness.dir().make_dir("volumes/vol1/_data/half");
    local.harness.dir().write_file("volumes/vol1/_data/half/file", "x");
    REQUIRE(::rename((local.root + "/vol1").c_str(), (local.root + "/.removing-vol1-4242").c_str()) == 0);
    CHECK(local.run({"list", "--volumedriver=local"}).out.empty());

    SECTION("remove of the same name finishes it and succeeds")
    {
        const auto removed = local.local("remove", "vol1");

        REQUIRE_EXIT(removed, 0);
        CHECK(removed.out.empty());
        CHECK(entries(local.root) == std::set<std::string>{".locks"});
    }
    SECTION("the name was created again: remove deletes both")
    {
        REQUIRE_RUN(local.local("create", "vol1"), 0);

        REQUIRE_RUN(local.local("remove", "vol1"), 0);

        CHECK(entries(local.root) == std::set<std::string>{".locks"});
    }
    SECTION("remove of another volume cleans it too")
    {
        REQUIRE_RUN(local.local("create", "vol2"), 0);

        REQUIRE_RUN(local.local("remove", "vol2"), 0);

        CHECK(entries(local.root) == std::set<std::string>{".locks"});
    }
}

TEST_CASE("dvdcli local remove never deletes through a mount inside a half-removed volume",
          "[e2e][local][remove][crash][root]")
{
    if (!running_as_root("bind-mount into a volume")) {
        return;
    }
    LocalHarness local;
    REQUIRE_RUN(local.local("create", "vol1"), 0);
    REQUIRE_RUN(local.local("create", "vol2"), 0);
    const std::string outside = precious_dir(local, "outside");
    const std::string trash = local.root + "/.removing-vol1-4242";
    REQUIRE(::rename((local.root + "/vol1").c_str(), trash.c_str()) == 0);
    const std::string point = local.harness.dir().make_dir("volumes/.removing-vol1-4242/_data/sub");
    bind_mount(outside, point);

    SECTION("remove of the same name refuses, naming the mount")
    {
        const auto refused = local.local("remove", "vol1");

        REQUIRE_FAILURE(refused, 1);
        CHECK_THAT(refused.err, Contains(point));
    }
    SECTION("remove of another volume removes that one and leaves the trash")
    {
        const auto removed = local.local("remove", "vol2");

        REQUIRE_EXIT(removed, 0);
        CHECK_THAT(removed.err, Contains(point));  // a warning saying why it was left
        CHECK_FALSE(exists(local.root + "/vol2"));
    }

    CHECK(read_file(outside + "/precious") == "keep me");
    CHECK(mounts_at(point).size() == 1);
    CHECK(exists(trash));
}

TEST_CASE("dvdcli local remove killed at any point is finished by the next remove", "[e2e][local][remove][crash]")
{
    LocalHarness local;
    const auto delay = GENERATE(0, 5, 20, 60);
    INFO("SIGKILL after " << delay << " ms");
    REQUIRE_RUN(local.local("create", "big"), 0);
    for (int d = 0; d < 20; ++d) {
        const std::string dir = "volumes/big/_data/d" + std::to_string(d);
        local.harness.dir().make_dir(dir);
        for (int f = 0; f < 200; ++f) {
            local.harness.dir().write_file(dir + "/f" + std::to_string(f), "x");
        }
    }
    auto options = local.harness.options();
    options.env["DVDCLI_LOCAL_ROOT"] = local.root;
    BackgroundProcess first({k_dvdcli, "remove", "--volumedriver=local", "--volumename=big"}, options);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    const auto killed = first.stop(SIGKILL);

    const auto again = local.local("remove", "big");

    if (killed.exit_code == 0) {
        // It finished before the signal: the volume is gone and a second remove says so.
        REQUIRE_FAILURE(again, 1);
        CHECK_THAT(again.err, Contains("no such volume"));
    } else {
        REQUIRE_EXIT(again, 0);
    }
    CHECK(entries(local.root) == std::set<std::string>{".locks"});
}
