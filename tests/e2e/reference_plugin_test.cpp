// The reference plugin as a real process, driven by the real dvdcli: the directory a user would
// look at exists while the volume lives, and the plugin cleans up its socket on SIGTERM.

#include "harness.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <future>

using namespace volumecli::e2e;
using volumecli::test::BackgroundProcess;

namespace {

bool is_directory(const std::string& path)
{
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool exists(const std::string& path)
{
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0;
}

std::unique_ptr<BackgroundProcess> start_reference_plugin(const Harness& harness, const std::string& root,
                                                          long precreate = 0)
{
    std::vector<std::string> argv{k_reference_plugin, "--socket", harness.socket_path("ref"), "--root", root};
    if (precreate > 0) {
        argv.emplace_back("--precreate");
        argv.push_back(std::to_string(precreate));
    }
    auto plugin = std::make_unique<BackgroundProcess>(argv);
    REQUIRE(volumecli::test::wait_for_unix_socket(harness.socket_path("ref"), std::chrono::seconds(5)));
    return plugin;
}

}  // namespace

TEST_CASE("reference plugin serves a full mount path unmount remove cycle through dvdcli", "[e2e][reference]")
{
    Harness harness;
    const std::string root = harness.dir().file("volumes");
    auto plugin = start_reference_plugin(harness, root);
    const std::string volume_dir = root + "/data1";

    const auto created = harness.run({"create", "--volumedriver=ref", "--volumename=data1", "--volumeopts=size=1"});
    REQUIRE_EXIT(created, 0);
    CHECK(is_directory(volume_dir));

    const auto mounted = harness.run({"mount", "--volumedriver=ref", "--volumename=data1"});
    REQUIRE_EXIT(mounted, 0);
    CHECK(mounted.out == volume_dir + "\n");

    const auto path = harness.run({"path", "--volumedriver=ref", "--volumename=data1"});
    REQUIRE_EXIT(path, 0);
    CHECK(path.out == volume_dir + "\n");

    const auto listed = harness.run({"list", "--volumedriver=ref"});
    REQUIRE_EXIT(listed, 0);
    CHECK(listed.out == "data1\n");

    const auto got = harness.run({"get", "--volumedriver=ref", "--volumename=data1"});
    REQUIRE_EXIT(got, 0);
    CHECK(got.out == "data1\n");

    // A mounted volume cannot be removed.
    const auto busy = harness.run({"remove", "--volumedriver=ref", "--volumename=data1"});
    REQUIRE_FAILURE(busy, 1);
    CHECK(is_directory(volume_dir));

    const auto unmounted = harness.run({"unmount", "--volumedriver=ref", "--volumename=data1"});
    REQUIRE_EXIT(unmounted, 0);
    CHECK(unmounted.out.empty());

    // Nobody holds it any more: no mountpoint, so nothing printed (as dvdcli 0.2).
    const auto unmounted_path = harness.run({"path", "--volumedriver=ref", "--volumename=data1"});
    REQUIRE_EXIT(unmounted_path, 0);
    CHECK(unmounted_path.out.empty());

    const auto removed = harness.run({"remove", "--volumedriver=ref", "--volumename=data1"});
    REQUIRE_EXIT(removed, 0);
    CHECK_FALSE(exists(volume_dir));

    const auto gone = harness.run({"get", "--volumedriver=ref", "--volumename=data1"});
    REQUIRE_FAILURE(gone, 1);

    const auto stopped = plugin->stop(SIGTERM);
    INFO("plugin: " << stopped.describe());
    CHECK(stopped.exit_code == 0);
    CHECK_FALSE(exists(harness.socket_path("ref")));
}

TEST_CASE("reference plugin mount creates a missing volume and capabilities is local", "[e2e][reference]")
{
    Harness harness;
    const std::string root = harness.dir().file("volumes");
    auto plugin = start_reference_plugin(harness, root);

    const auto mounted = harness.run({"mount", "--volumedriver=ref", "--volumename=auto", "--volumeopts=size=5"});
    REQUIRE_EXIT(mounted, 0);
    CHECK(mounted.out == root + "/auto\n");
    CHECK(is_directory(root + "/auto"));

    const auto json_get = harness.run({"get", "--volumedriver=ref", "--volumename=auto", "--format=json"});
    REQUIRE_EXIT(json_get, 0);
    const auto volume = stdout_json(json_get);
    CHECK(volume.at("Name") == "auto");
    CHECK(volume.at("Mountpoint") == root + "/auto");
    CHECK(volume.contains("CreatedAt"));

    const auto capabilities = harness.run({"capabilities", "--volumedriver=ref"});
    REQUIRE_EXIT(capabilities, 0);
    CHECK(capabilities.out == "local\n");
}

TEST_CASE("reference plugin --precreate makes volumes that list shows", "[e2e][reference]")
{
    Harness harness;
    const std::string root = harness.dir().file("volumes");
    auto plugin = start_reference_plugin(harness, root, 3);

    const auto listed = harness.run({"list", "--volumedriver=ref"});

    REQUIRE_EXIT(listed, 0);
    CHECK(listed.out == "vol0\nvol1\nvol2\n");
    CHECK(is_directory(root + "/vol2"));
}

TEST_CASE("reference plugin keeps volumes across a restart and stops on SIGINT", "[e2e][reference]")
{
    Harness harness;
    const std::string root = harness.dir().file("volumes");
    {
        auto plugin = start_reference_plugin(harness, root);
        const auto created = harness.run({"create", "--volumedriver=ref", "--volumename=kept"});
        REQUIRE_EXIT(created, 0);
        const auto stopped = plugin->stop(SIGINT);
        INFO("plugin: " << stopped.describe());
        CHECK(stopped.exit_code == 0);
        CHECK_FALSE(exists(harness.socket_path("ref")));
    }
    auto plugin = start_reference_plugin(harness, root);

    const auto listed = harness.run({"list", "--volumedriver=ref"});

    REQUIRE_EXIT(listed, 0);
    CHECK(listed.out == "kept\n");
}

TEST_CASE("reference plugin refuses names that escape its root", "[e2e][reference]")
{
    Harness harness;
    const std::string root = harness.dir().file("volumes");
    auto plugin = start_reference_plugin(harness, root);
    const auto name = GENERATE(as<std::string>{}, "..", "a/b", "../escape");
    INFO("name " << name);

    const auto result = harness.run({"create", "--volumedriver=ref", "--volumename=" + name});

    REQUIRE_FAILURE(result, 1);
    CHECK(result.err.find("invalid volume name") != std::string::npos);
    CHECK_FALSE(exists(harness.dir().file("escape")));
}

TEST_CASE("reference plugin serves concurrent dvdcli runs for different volumes", "[e2e][reference]")
{
    Harness harness;
    const std::string root = harness.dir().file("volumes");
    auto plugin = start_reference_plugin(harness, root);
    constexpr int k_runs = 8;

    std::vector<std::future<ProcessResult>> runs;
    runs.reserve(k_runs);
    for (int i = 0; i < k_runs; ++i) {
        runs.push_back(std::async(std::launch::async, [&harness, i] {
            return harness.run({"mount", "--volumedriver=ref", "--volumename=c" + std::to_string(i)});
        }));
    }

    for (int i = 0; i < k_runs; ++i) {
        const auto result = runs[static_cast<size_t>(i)].get();
        REQUIRE_EXIT(result, 0);
        CHECK(result.out == root + "/c" + std::to_string(i) + "\n");
        CHECK(is_directory(root + "/c" + std::to_string(i)));
    }
}
