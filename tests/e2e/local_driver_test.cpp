// The built-in local driver end to end: the real dvdcli with DVDCLI_LOCAL_ROOT in a per-test
// temporary directory. Exact stdout, exit codes, the state file and directories; real tmpfs and
// bind mounts (root only, checked in /proc/self/mountinfo); holders from concurrent processes;
// the per-volume lock; what a crash leaves behind.

#include "harness.hpp"
#include "local_harness.hpp"
#include "mounts.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace volumecli::e2e;
using Catch::Matchers::Contains;
using nlohmann::json;
using volumecli::test::BackgroundProcess;
using volumecli::test::ProcessOptions;
using volumecli::test::read_file;
using Args = std::vector<std::string>;
using Ids = std::vector<std::string>;

namespace {

const Args k_tmpfs{"--volumeopts=type=tmpfs,device=tmpfs,o=size=16m"};

// A child process that takes an exclusive flock on `path` and keeps it until it is killed.
class LockHolder {
public:
    explicit LockHolder(const std::string& path)
    {
        int ready[2];
        REQUIRE(::pipe(ready) == 0);
        m_pid = ::fork();
        REQUIRE(m_pid >= 0);
        if (m_pid == 0) {
            ::close(ready[0]);
            const int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0600);
            if (fd < 0 || ::flock(fd, LOCK_EX) != 0) {
                ::_exit(1);
            }
            const char byte = 'x';
            static_cast<void>(::write(ready[1], &byte, 1));
            for (;;) {
                ::pause();
            }
        }
        ::close(ready[1]);
        char byte = 0;
        const bool locked = ::read(ready[0], &byte, 1) == 1;
        ::close(ready[0]);
        REQUIRE(locked);
    }
    ~LockHolder() { kill(); }
    LockHolder(const LockHolder&) = delete;
    LockHolder& operator=(const LockHolder&) = delete;

    void kill()
    {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
            m_pid = -1;
        }
    }

private:
    pid_t m_pid = -1;
};

}  // namespace

TEST_CASE("dvdcli local driver: mount, path, get, list, unmount and remove print exactly their results", "[e2e][local]")
{
    LocalHarness local;
    const std::string data = local.data("demo");

    const auto mounted = local.local("mount", "demo");
    REQUIRE_EXIT(mounted, 0);
    CHECK(mounted.out == data + "\n");
    CHECK(mounted.err.empty());
    CHECK(is_directory(data));
    CHECK(exists(local.root + "/.locks/demo.lock"));
    const json state = local.state("demo");
    CHECK(state.at("Options") == json::object());
    CHECK(state.at("MountIDs") == json::array({expected_mount_id("local", "demo")}));
    const std::string created = state.at("CreatedAt").get<std::string>();
    CHECK_FALSE(created.empty());

    const auto path = local.local("path", "demo");
    REQUIRE_EXIT(path, 0);
    CHECK(path.out == data + "\n");

    const auto got = local.local("get", "demo");
    REQUIRE_EXIT(got, 0);
    CHECK(got.out == "demo\n");
    const auto got_json = local.local("get", "demo", {"--format=json"});
    REQUIRE_EXIT(got_json, 0);
    CHECK(stdout_json(got_json) ==
          json{{"Name", "demo"}, {"Mountpoint", data}, {"CreatedAt", created}, {"Status", {{"MountIDs", 1}}}});

    REQUIRE_RUN(local.local("create", "alpha"), 0);
    const auto listed = local.run({"list", "--volumedriver=local"});
    REQUIRE_EXIT(listed, 0);
    CHECK(listed.out == "alpha\ndemo\n");
    const auto listed_json = local.run({"list", "--volumedriver=local", "--format=json"});
    REQUIRE_EXIT(listed_json, 0);
    const json volumes = stdout_json(listed_json);
    REQUIRE(volumes.size() == 2);
    CHECK(volumes[0].at("Name") == "alpha");
    CHECK(volumes[0].at("Status") == json{{"MountIDs", 0}});
    CHECK(volumes[1].at("Mountpoint") == data);

    const auto capabilities = local.run({"capabilities", "--volumedriver=local"});
    REQUIRE_EXIT(capabilities, 0);
    CHECK(capabilities.out == "local\n");

    const auto unmounted = local.local("unmount", "demo");
    REQUIRE_EXIT(unmounted, 0);
    CHECK(unmounted.out.empty());
    CHECK(local.ids("demo").empty());
    CHECK(is_directory(data));

    const auto removed = local.local("remove", "demo");
    REQUIRE_EXIT(removed, 0);
    CHECK(removed.out.empty());
    CHECK_FALSE(exists(local.root + "/demo"));

    REQUIRE_FAILED_RUN(local.local("get", "demo"), 1);
    REQUIRE_FAILED_RUN(local.local("path", "demo"), 1);
    const auto after = local.run({"list", "--volumedriver=local"});
    REQUIRE_EXIT(after, 0);
    CHECK(after.out == "alpha\n");
}

TEST_CASE("dvdcli list --volumedriver=local on a machine without volumes prints nothing", "[e2e][local]")
{
    LocalHarness local;

    const auto text = local.run({"list", "--volumedriver=local"});
    const auto as_json = local.run({"list", "--volumedriver=local", "--format=json"});

    REQUIRE_EXIT(text, 0);
    CHECK(text.out.empty());
    REQUIRE_EXIT(as_json, 0);
    CHECK(as_json.out == "[]\n");
}

TEST_CASE("dvdcli --volumedriver=local is built in and takes precedence over a plugin called local",
          "[e2e][local][discovery]")
{
    LocalHarness local;
    FakePlugin plugin;
    local.harness.start(plugin, "local");

    const auto result = local.local("mount", "demo");

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == local.data("demo") + "\n");
    CHECK(plugin.calls().empty());
}

TEST_CASE("dvdcli mount --volumedriver=local works on a fresh machine with the default root", "[e2e][local][root]")
{
    // The issue's "Done when", without touching the host: /var/lib is a fresh tmpfs in a private
    // mount namespace, DVDCLI_LOCAL_ROOT is unset and no plugin exists anywhere.
    if (!running_as_root("mount a private /var/lib in a new mount namespace")) {
        return;
    }
    if (!exists("/usr/bin/unshare") || !is_directory("/var/lib")) {
        skip_test("needs /usr/bin/unshare (util-linux) and /var/lib");
        return;
    }
    Harness harness;
    ProcessOptions options = harness.options();
    options.env["DVDCLI_LOCAL_ROOT"] = std::nullopt;
    // In a chroot whose root is not a mount point, unshare cannot make the namespace private.
    const auto probe =
        volumecli::test::run_process({"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/true"}, options);
    if (probe.exit_code != 0) {
        skip_test("unshare cannot make a private mount namespace here: " + probe.err);
        return;
    }
    const std::string script =
        "mount -t tmpfs vcli-test /var/lib || exit 99; \"$0\" mount --volumedriver=local --volumename=demo || exit; "
        "test -d /var/lib/dvdcli/volumes/demo/_data && cat /var/lib/dvdcli/volumes/demo/state.json";

    const auto result = volumecli::test::run_process(
        {"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script, k_dvdcli}, options);

    REQUIRE_EXIT(result, 0);
    const auto newline = result.out.find('\n');
    REQUIRE(newline != std::string::npos);
    CHECK(result.out.substr(0, newline + 1) == "/var/lib/dvdcli/volumes/demo/_data\n");
    const json state = json::parse(result.out.substr(newline + 1));
    CHECK(state.at("MountIDs") == json::array({expected_mount_id("local", "demo")}));
    CHECK(mount_points_under("/var/lib/dvdcli").empty());
}

TEST_CASE("dvdcli local driver: N mounts with the default ID and one unmount release the volume", "[e2e][local][mesos]")
{
    // Mesos' docker/volume isolator: one mount per container, a single unmount at the end,
    // every call from a fresh process knowing only driver and name.
    LocalHarness local;
    for (int i = 0; i < 3; ++i) {
        const auto mounted = local.local("mount", "shared");
        REQUIRE_EXIT(mounted, 0);
        CHECK(mounted.out == local.data("shared") + "\n");
    }
    CHECK(local.ids("shared") == Ids{expected_mount_id("local", "shared")});

    REQUIRE_RUN(local.local("unmount", "shared"), 0);

    CHECK(local.ids("shared").empty());
    REQUIRE_RUN(local.local("remove", "shared"), 0);
}

TEST_CASE("dvdcli local tmpfs volume: N mounts with one ID mount once, one unmount unmounts", "[e2e][local][root]")
{
    if (!running_as_root("mount tmpfs")) {
        return;
    }
    LocalHarness local;
    const std::string data = local.data("scratch");
    for (int i = 0; i < 3; ++i) {
        REQUIRE_RUN(local.local("mount", "scratch", k_tmpfs), 0);
        CHECK(mounts_at(data).size() == 1);
    }

    REQUIRE_RUN(local.local("unmount", "scratch"), 0);

    CHECK(mounts_at(data).empty());
    CHECK(local.ids("scratch").empty());
}

TEST_CASE("dvdcli local tmpfs volume is mounted for the first holder and unmounted after the last",
          "[e2e][local][root]")
{
    if (!running_as_root("mount tmpfs")) {
        return;
    }
    LocalHarness local;
    const std::string data = local.data("scratch");
    REQUIRE_RUN(local.local("create", "scratch", k_tmpfs), 0);
    CHECK(mounts_at(data).empty());
    CHECK(local.state("scratch").at("Options") == json{{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=16m"}});

    const auto first = local.local("mount", "scratch", {"--mountid=a"});
    REQUIRE_EXIT(first, 0);
    CHECK(first.out == data + "\n");
    auto mounted = mounts_at(data);
    REQUIRE(mounted.size() == 1);
    CHECK(mounted[0].fstype == "tmpfs");
    CHECK_THAT(mounted[0].super_options, Contains("size=16384k"));
    {
        std::ofstream(data + "/payload") << "kept";
    }

    REQUIRE_RUN(local.local("mount", "scratch", {"--mountid=b"}), 0);
    CHECK(mounts_at(data).size() == 1);
    const auto described = local.local("get", "scratch", {"--format=json"});
    REQUIRE_EXIT(described, 0);
    CHECK(stdout_json(described).at("Status") == json{{"Device", "tmpfs"}, {"MountIDs", 2}, {"Type", "tmpfs"}});

    REQUIRE_RUN(local.local("unmount", "scratch", {"--mountid=a"}), 0);
    CHECK(mounts_at(data).size() == 1);
    CHECK(read_file(data + "/payload") == "kept");
    CHECK(local.ids("scratch") == Ids{"b"});

    REQUIRE_RUN(local.local("unmount", "scratch", {"--mountid=b"}), 0);
    CHECK(mounts_at(data).empty());
    CHECK_FALSE(exists(data + "/payload"));
    CHECK(local.ids("scratch").empty());

    REQUIRE_RUN(local.local("remove", "scratch"), 0);
    CHECK_FALSE(exists(local.root + "/scratch"));
}

TEST_CASE("dvdcli local bind volume shows its device directory, read-only with o=bind,ro", "[e2e][local][root]")
{
    if (!running_as_root("bind-mount")) {
        return;
    }
    LocalHarness local;
    const std::string device = local.harness.dir().make_dir("device");
    local.harness.dir().write_file("device/hello", "from the device");
    const std::string data = local.data("shared");

    SECTION("read-write")
    {
        REQUIRE_RUN(local.local("mount", "shared", {"--volumeopts=type=none,device=" + device + ",o=bind"}), 0);
        REQUIRE(mounts_at(data).size() == 1);
        CHECK(read_file(data + "/hello") == "from the device");
        {
            std::ofstream(data + "/written") << "through the volume";
        }
        CHECK(read_file(device + "/written") == "through the volume");
    }
    SECTION("read-only")
    {
        REQUIRE_RUN(
            local.local("mount", "shared", {"--volumeopts=type=none,device=" + device, "--volumeopt=o=bind,ro"}), 0);
        REQUIRE(mounts_at(data).size() == 1);
        CHECK(read_file(data + "/hello") == "from the device");
        const int fd = ::open((data + "/written").c_str(), O_WRONLY | O_CREAT, 0644);
        const int error = errno;
        if (fd >= 0) {
            ::close(fd);
        }
        CHECK(fd < 0);
        CHECK(error == EROFS);
    }

    REQUIRE_RUN(local.local("unmount", "shared"), 0);
    CHECK(mounts_at(data).empty());
    CHECK_FALSE(exists(data + "/hello"));
    CHECK(read_file(device + "/hello") == "from the device");
}

TEST_CASE("dvdcli local mount whose mount(2) fails exits 1 and records no holder", "[e2e][local]")
{
    LocalHarness local;

    const auto result = local.local("mount", "broken", {"--volumeopts=type=vcli-no-such-fs,device=none"});

    REQUIRE_FAILURE(result, 1);
    CHECK_THAT(result.err, Contains("vcli-no-such-fs"));
    CHECK(local.ids("broken").empty());
    CHECK(mounts_at(local.data("broken")).empty());
    REQUIRE_RUN(local.local("remove", "broken"), 0);
}

TEST_CASE("dvdcli local unmount that the kernel refuses keeps the holder recorded", "[e2e][local][root]")
{
    if (!running_as_root("mount tmpfs")) {
        return;
    }
    LocalHarness local;
    const std::string data = local.data("busy");
    REQUIRE_RUN(local.local("mount", "busy", k_tmpfs), 0);
    ProcessOptions in_volume;
    in_volume.cwd = data;
    auto user = std::make_unique<BackgroundProcess>(Args{"/bin/sleep", "30"}, in_volume);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));

    const auto refused = local.local("unmount", "busy");

    REQUIRE_FAILURE(refused, 1);
    CHECK(mounts_at(data).size() == 1);
    CHECK(local.ids("busy") == Ids{expected_mount_id("local", "busy")});

    user.reset();
    REQUIRE_RUN(local.local("unmount", "busy"), 0);
    CHECK(mounts_at(data).empty());
    CHECK(local.ids("busy").empty());
}

TEST_CASE("dvdcli remove of a held local volume exits 1 and keeps the volume", "[e2e][local][remove]")
{
    LocalHarness local;
    REQUIRE_RUN(local.local("mount", "held", {"--mountid=task-1"}), 0);
    local.harness.dir().write_file("volumes/held/_data/payload", "kept");

    const auto refused = local.local("remove", "held");

    REQUIRE_FAILURE(refused, 1);
    CHECK_THAT(refused.err, Contains("held"));
    CHECK(read_file(local.data("held") + "/payload") == "kept");
    CHECK(local.ids("held") == Ids{"task-1"});
    const auto listed = local.run({"list", "--volumedriver=local"});
    CHECK(listed.out == "held\n");

    REQUIRE_RUN(local.local("unmount", "held", {"--mountid=task-1"}), 0);
    REQUIRE_RUN(local.local("remove", "held"), 0);
    CHECK_FALSE(exists(local.root + "/held"));
}

TEST_CASE("dvdcli remove of a mounted local tmpfs volume exits 1 and leaves it mounted", "[e2e][local][root]")
{
    if (!running_as_root("mount tmpfs")) {
        return;
    }
    LocalHarness local;
    REQUIRE_RUN(local.local("mount", "scratch", k_tmpfs), 0);

    REQUIRE_FAILED_RUN(local.local("remove", "scratch"), 1);

    CHECK(mounts_at(local.data("scratch")).size() == 1);
    CHECK(exists(local.state_path("scratch")));
}

TEST_CASE("dvdcli local driver refuses names Docker refuses with exit 2 and creates nothing", "[e2e][local][usage]")
{
    const auto command = GENERATE(as<std::string>{}, "mount", "create", "get", "path", "unmount", "remove");
    const auto name = GENERATE(as<std::string>{}, "a", "-ab", ".ab", "a/b", "..", "a b", "a:b");
    INFO(command << " --volumename=\"" << name << "\"");
    LocalHarness local;

    const auto result = local.local(command, name);

    REQUIRE_FAILURE(result, 2);
    CHECK_THAT(result.err, Contains("name"));
    CHECK_FALSE(exists(local.root));
}

TEST_CASE("dvdcli local driver refuses unknown options with exit 2, pointing at --volumeopt=o=", "[e2e][local][usage]")
{
    LocalHarness local;
    const auto command = GENERATE(as<std::string>{}, "create", "mount");
    INFO(command);

    SECTION("an option the local driver does not have")
    {
        const auto result = local.local(command, "vol1", {"--volumeopts=size=5"});
        REQUIRE_FAILURE(result, 2);
        CHECK_THAT(result.err, Contains("size") && Contains("--volumeopt=o="));
    }
    SECTION("mount options with a comma split by --volumeopts")
    {
        const auto result = local.local(command, "vol1", {"--volumeopts=type=tmpfs,device=tmpfs,o=size=64m,uid=1000"});
        REQUIRE_FAILURE(result, 2);
        CHECK_THAT(result.err, Contains("uid") && Contains("--volumeopt=o="));
    }
    SECTION("type without device")
    {
        REQUIRE_FAILED_RUN(local.local(command, "vol1", {"--volumeopts=type=tmpfs"}), 2);
    }

    CHECK_FALSE(exists(local.root + "/vol1"));
}

TEST_CASE("dvdcli create --volumeopt=o= keeps commas in the local mount options", "[e2e][local]")
{
    LocalHarness local;

    const auto result =
        local.local("create", "vol1", {"--volumeopts=type=tmpfs,device=tmpfs", "--volumeopt=o=size=64m,uid=1000"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out.empty());
    CHECK(local.state("vol1").at("Options") ==
          json{{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=64m,uid=1000"}});
}

TEST_CASE("dvdcli refuses a relative DVDCLI_LOCAL_ROOT with exit 2", "[e2e][local][usage]")
{
    Harness harness;
    ProcessOptions options;
    options.env["DVDCLI_LOCAL_ROOT"] = "volumes";
    options.cwd = harness.dir().path();

    const auto result = harness.run({"mount", "--volumedriver=local", "--volumename=demo"}, options);

    REQUIRE_FAILURE(result, 2);
    CHECK_THAT(result.err, Contains("DVDCLI_LOCAL_ROOT"));
    CHECK_FALSE(exists(harness.dir().file("volumes")));
}

namespace {

// 20 processes mount one volume at once with distinct IDs, then 20 unmount at once.
void check_concurrent_holders(const LocalHarness& local, const Args& options, bool expect_mount)
{
    constexpr int k_processes = 20;
    const std::string data = local.data("shared");
    std::vector<ProcessResult> results(k_processes);
    const auto run_all = [&](const std::string& command, const Args& extra) {
        std::vector<std::thread> threads;
        threads.reserve(k_processes);
        for (int i = 0; i < k_processes; ++i) {
            threads.emplace_back([&, i] {
                Args args = extra;
                args.push_back("--mountid=holder-" + std::to_string(i));
                results[static_cast<std::size_t>(i)] = local.local(command, "shared", args);
            });
        }
        for (auto& thread : threads) {
            thread.join();
        }
    };

    run_all("mount", options);

    std::set<std::string> expected;
    for (int i = 0; i < k_processes; ++i) {
        const auto& result = results[static_cast<std::size_t>(i)];
        INFO("mount holder-" << i << ": " << result.describe());
        CHECK(result.exit_code == 0);
        CHECK(result.out == data + "\n");
        expected.insert("holder-" + std::to_string(i));
    }
    const Ids held = local.ids("shared");
    CHECK(held.size() == k_processes);
    CHECK(std::set<std::string>(held.begin(), held.end()) == expected);
    CHECK(mounts_at(data).size() == (expect_mount ? 1U : 0U));

    run_all("unmount", {});

    for (int i = 0; i < k_processes; ++i) {
        const auto& result = results[static_cast<std::size_t>(i)];
        INFO("unmount holder-" << i << ": " << result.describe());
        CHECK(result.exit_code == 0);
        CHECK(result.out.empty());
    }
    CHECK(local.ids("shared").empty());
    CHECK(mounts_at(data).empty());
    CHECK_FALSE(exists(local.state_path("shared") + ".tmp." + std::to_string(::getpid())));
}

}  // namespace

TEST_CASE("dvdcli local driver: 20 concurrent mounts with distinct IDs all succeed and all are recorded",
          "[e2e][local][concurrency]")
{
    LocalHarness local;
    check_concurrent_holders(local, {}, false);
}

TEST_CASE("dvdcli local tmpfs volume: 20 concurrent mounts mount it once, 20 concurrent unmounts unmount it",
          "[e2e][local][concurrency][root]")
{
    if (!running_as_root("mount tmpfs")) {
        return;
    }
    LocalHarness local;
    check_concurrent_holders(local, k_tmpfs, true);
}

TEST_CASE("dvdcli local mount waits for a lock another live process holds and exits 4 after --timeout",
          "[e2e][local][lock]")
{
    LocalHarness local;
    REQUIRE_RUN(local.local("create", "demo"), 0);
    LockHolder holder(local.root + "/.locks/demo.lock");

    const auto result = local.local("mount", "demo", {"--timeout=0.5"});

    REQUIRE_FAILURE(result, 4);
    CHECK_THAT(result.err, Contains("demo"));
    CHECK_THAT(result.err, Contains("0.5"));  // says how long it waited
    CHECK(result.wall_time >= std::chrono::milliseconds(400));
    CHECK(result.wall_time < within(std::chrono::milliseconds(500)));
    CHECK(local.ids("demo").empty());

    holder.kill();
    REQUIRE_RUN(local.local("mount", "demo", {"--timeout=0.5"}), 0);
    CHECK(local.ids("demo").size() == 1);
}

TEST_CASE("dvdcli local mount is not blocked by a lock whose holder was killed", "[e2e][local][lock]")
{
    LocalHarness local;
    REQUIRE_RUN(local.local("create", "demo"), 0);
    {
        LockHolder holder(local.root + "/.locks/demo.lock");
        holder.kill();  // SIGKILL: no chance to clean anything up
    }

    const auto result = local.local("mount", "demo", {"--timeout=2"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == local.data("demo") + "\n");
    CHECK(result.wall_time < std::chrono::milliseconds(1500));
}

TEST_CASE("dvdcli local driver is not confused by a temporary state file or trash a crash left", "[e2e][local][crash]")
{
    LocalHarness local;
    REQUIRE_RUN(local.local("create", "demo"), 0);
    local.harness.dir().write_file("volumes/demo/state.json.tmp.99999", R"({"Options":{},"MountIDs":["torn)");
    local.harness.dir().write_file("volumes/.removing-old-4242/state.json", R"({"Options":{},"MountIDs":[]})");
    local.harness.dir().make_dir("volumes/.removing-old-4242/_data");
    local.harness.dir().make_dir("volumes/half-created/_data");  // died before its state was saved

    const auto listed = local.run({"list", "--volumedriver=local"});
    REQUIRE_EXIT(listed, 0);
    CHECK(listed.out == "demo\n");

    const auto mounted = local.local("mount", "demo");
    REQUIRE_EXIT(mounted, 0);
    CHECK(mounted.out == local.data("demo") + "\n");
    const auto got = local.local("get", "demo", {"--format=json"});
    REQUIRE_EXIT(got, 0);
    CHECK(stdout_json(got).at("Status") == json{{"MountIDs", 1}});
    REQUIRE_RUN(local.local("unmount", "demo"), 0);
    CHECK(local.ids("demo").empty());

    const auto finished = local.local("mount", "half-created");
    REQUIRE_EXIT(finished, 0);
    CHECK(finished.out == local.data("half-created") + "\n");

    REQUIRE_RUN(local.local("remove", "demo"), 0);
    CHECK_FALSE(exists(local.root + "/demo"));
}

TEST_CASE("dvdcli local driver replaces the state file instead of rewriting it", "[e2e][local][crash]")
{
    // Write-then-rename: a crash at any point leaves the old file or the new one, never a torn one.
    LocalHarness local;
    REQUIRE_RUN(local.local("create", "demo"), 0);
    struct stat before {};
    REQUIRE(::stat(local.state_path("demo").c_str(), &before) == 0);

    REQUIRE_RUN(local.local("mount", "demo"), 0);

    struct stat after {};
    REQUIRE(::stat(local.state_path("demo").c_str(), &after) == 0);
    CHECK(after.st_ino != before.st_ino);
    std::set<std::string> entries;
    for (const auto& entry : std::filesystem::directory_iterator(local.root + "/demo")) {
        entries.insert(entry.path().filename().string());
    }
    CHECK(entries == std::set<std::string>{"_data", "state.json"});
}

TEST_CASE("dvdcli local mount does not stack a second tmpfs on one a crash left mounted", "[e2e][local][crash][root]")
{
    // A crash between mount(2) and saving the state leaves _data mounted with no holder recorded.
    if (!running_as_root("mount tmpfs")) {
        return;
    }
    LocalHarness local;
    const std::string data = local.data("scratch");
    REQUIRE_RUN(local.local("create", "scratch", k_tmpfs), 0);
    REQUIRE(::mount("tmpfs", data.c_str(), "tmpfs", 0, "size=16m") == 0);
    {
        std::ofstream(data + "/from-before-the-crash") << "still here";
    }

    const auto result = local.local("mount", "scratch");

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == data + "\n");
    CHECK(mounts_at(data).size() == 1);
    CHECK(read_file(data + "/from-before-the-crash") == "still here");
    CHECK(local.ids("scratch").size() == 1);

    REQUIRE_RUN(local.local("unmount", "scratch"), 0);
    CHECK(mounts_at(data).empty());
}

namespace {

// Ways of naming the same root directory <tmp>/base/volumes in DVDCLI_LOCAL_ROOT.
struct RootSpelling {
    std::string what;
    std::string root;  // what DVDCLI_LOCAL_ROOT says
    std::string real;  // the directory it names, as /proc/self/mountinfo shows it
};

RootSpelling spell_root(const LocalHarness& local, const std::string& how)
{
    const std::string base = local.harness.dir().make_dir("base");
    const std::string real = local.harness.dir().make_dir("base/volumes");
    if (how == "trailing slash") {
        return {how, real + "/", real};
    }
    if (how == "symlinked parent") {
        const std::string link = local.harness.dir().file("base-link");
        REQUIRE(::symlink(base.c_str(), link.c_str()) == 0);
        return {how, link + "/volumes", real};
    }
    if (how == "symlink to the root") {
        const std::string link = local.harness.dir().file("volumes-link");
        REQUIRE(::symlink(real.c_str(), link.c_str()) == 0);
        return {how, link, real};
    }
    return {how, real, real};
}

std::string real_path(const std::string& path)
{
    char resolved[PATH_MAX];
    return ::realpath(path.c_str(), resolved) == nullptr ? std::string() : std::string(resolved);
}

}  // namespace

TEST_CASE("dvdcli local driver works whatever the spelling of DVDCLI_LOCAL_ROOT", "[e2e][local][root-dir]")
{
    LocalHarness local;
    const auto how = GENERATE(as<std::string>{}, "plain", "trailing slash", "symlinked parent", "symlink to the root");
    const RootSpelling spelling = spell_root(local, how);
    INFO(spelling.what << ": DVDCLI_LOCAL_ROOT=" << spelling.root);
    local.root = spelling.root;

    const auto mounted = local.local("mount", "demo");

    REQUIRE_EXIT(mounted, 0);
    REQUIRE(is_one_line(mounted.out));
    const std::string printed = mounted.out.substr(0, mounted.out.size() - 1);
    CHECK(printed.find("//") == std::string::npos);
    CHECK(real_path(printed) == spelling.real + "/demo/_data");
    const auto listed = local.run({"list", "--volumedriver=local"});
    REQUIRE_EXIT(listed, 0);
    CHECK(listed.out == "demo\n");
}

TEST_CASE("dvdcli local driver sees a mount a crash left whatever the spelling of DVDCLI_LOCAL_ROOT",
          "[e2e][local][crash][root][root-dir]")
{
    // After a crash between mount(2) and saving the state, _data is mounted with no holder: mount
    // must not stack a second tmpfs on it, and remove must refuse it. Both look the mount up in
    // /proc/self/mountinfo, which spells paths canonically.
    if (!running_as_root("mount tmpfs")) {
        return;
    }
    LocalHarness local;
    const auto how = GENERATE(as<std::string>{}, "plain", "trailing slash", "symlinked parent");
    const RootSpelling spelling = spell_root(local, how);
    INFO(spelling.what << ": DVDCLI_LOCAL_ROOT=" << spelling.root);
    local.root = spelling.root;
    const std::string data = spelling.real + "/scratch/_data";
    REQUIRE_RUN(local.local("create", "scratch", k_tmpfs), 0);
    REQUIRE(::mount("tmpfs", data.c_str(), "tmpfs", 0, "size=16m") == 0);

    SECTION("remove refuses it")
    {
        const auto removed = local.local("remove", "scratch");

        REQUIRE_FAILURE(removed, 1);
        CHECK(mounts_at(data).size() == 1);
        CHECK(exists(spelling.real + "/scratch/state.json"));
        const auto listed = local.run({"list", "--volumedriver=local"});
        CHECK(listed.out == "scratch\n");
    }
    SECTION("mount adopts it and the last unmount unmounts it")
    {
        REQUIRE_RUN(local.local("mount", "scratch"), 0);
        CHECK(mounts_at(data).size() == 1);

        REQUIRE_RUN(local.local("unmount", "scratch"), 0);
        CHECK(mounts_at(data).empty());
    }
}

TEST_CASE("dvdcli local mount mounts again when recorded holders outlived the mount", "[e2e][local][crash][root]")
{
    // A holder that never unmounted (a SIGKILLed dvdcli exec, a task lost with its machine) stays
    // in the state file, which lives on disk; the mount does not survive a reboot. The next
    // mount must not hand out the bare _data directory as if the volume were there.
    if (!running_as_root("mount tmpfs")) {
        return;
    }
    LocalHarness local;
    const std::string data = local.data("scratch");
    REQUIRE_RUN(local.local("mount", "scratch", {k_tmpfs[0], "--mountid=lost-task"}), 0);
    REQUIRE(::umount2(data.c_str(), 0) == 0);  // the reboot

    const auto result = local.local("mount", "scratch", {"--mountid=next-task"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == data + "\n");
    CHECK(mounts_at(data).size() == 1);
}
