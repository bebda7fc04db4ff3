// dvdcli exec end to end: volumes from DVDI_VOLUME_* slots and --volume flags, mounted through
// the built-in local driver (DVDCLI_LOCAL_ROOT in a per-test temporary directory) or a fake
// plugin; the command's view (variables, mounts, files), its exit status, signal forwarding,
// rollback of a failed slot, and what is left afterwards (nothing mounted, no holders).

#include "harness.hpp"
#include "mounts.hpp"

#include <catch2/catch.hpp>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

using namespace volumecli::e2e;
using Catch::Matchers::Contains;
using nlohmann::json;
using volumecli::test::BackgroundProcess;
using volumecli::test::ProcessOptions;
using volumecli::test::read_file;
using Args = std::vector<std::string>;
using Env = std::map<std::string, std::optional<std::string>>;
using Ids = std::vector<std::string>;

namespace {

using Clock = std::chrono::steady_clock;

// Polls `condition` every 10 ms for up to `limit`.
template <typename Condition>
bool wait_until(Condition condition, std::chrono::milliseconds limit = std::chrono::seconds(10))
{
    const auto deadline = Clock::now() + limit;
    while (!condition()) {
        if (Clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

// A harness with DVDCLI_LOCAL_ROOT=<tmp>/volumes and a scratch area <tmp>/task for container
// paths and markers (under /tmp, so dvdcli may create container paths there).
struct ExecHarness {
    Harness harness;
    std::string root = harness.dir().file("volumes");
    std::string task = harness.dir().make_dir("task");
    MountGuard guard{harness.dir().path()};

    [[nodiscard]] ProcessOptions options(const Env& env = {}) const
    {
        ProcessOptions options = harness.options();
        options.env["DVDCLI_LOCAL_ROOT"] = root;
        // Commands are looked up here only: an inherited entry we may not search would turn
        // "not found" (127) into "permission denied" (126).
        options.env["PATH"] = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
        for (const auto& name :
             {"DVDI_VOLUME_NAME", "DVDI_VOLUME_DRIVER", "DVDI_VOLUME_OPTS", "DVDI_VOLUME_CONTAINERPATH",
              "DVDI_VOLUME_EXPLICITCREATE", "DVDI_VOLUME_MOUNTPOINT", "FLOCKER_ID", "FLOCKER_CONTAINER_VOLUME_PATH"}) {
            options.env[name] = std::nullopt;
        }
        for (const auto& [name, value] : env) {
            options.env[name] = value;
        }
        return options;
    }
    // dvdcli ARGS with the harness environment plus `env`.
    [[nodiscard]] ProcessResult run(const Args& args, const Env& env = {}) const
    {
        Args argv{k_dvdcli};
        argv.insert(argv.end(), args.begin(), args.end());
        return volumecli::test::run_process(argv, options(env));
    }
    [[nodiscard]] std::unique_ptr<BackgroundProcess> start(const Args& args, const Env& env = {}) const
    {
        Args argv{k_dvdcli};
        argv.insert(argv.end(), args.begin(), args.end());
        return std::make_unique<BackgroundProcess>(argv, options(env));
    }
    [[nodiscard]] std::string path(const std::string& relative) const { return task + "/" + relative; }
    [[nodiscard]] std::string data(const std::string& volume) const { return root + "/" + volume + "/_data"; }
    [[nodiscard]] Ids ids(const std::string& volume) const
    {
        return json::parse(read_file(root + "/" + volume + "/state.json")).at("MountIDs").get<Ids>();
    }
};

// Waits for a background dvdcli to end by itself (up to 10 s, then it is killed).
ProcessResult wait_for_exit(BackgroundProcess& process)
{
    wait_until([&] { return !process.running(); });
    return process.stop(SIGKILL);
}

bool is_random_mount_id(const std::string& id)
{
    return std::regex_match(id, std::regex("[0-9a-f]{64}"));
}

}  // namespace

TEST_CASE("dvdcli exec runs the issue's example: the file lands in the volume and nothing stays mounted", "[e2e][exec]")
{
    ExecHarness exec;
    const std::string container = exec.path("data");
    REQUIRE_FALSE(exists(container));

    const auto result = exec.run(
        {"exec", "--", "sh", "-c", "echo hi > " + container + "/f"},
        {{"DVDI_VOLUME_NAME", "data"}, {"DVDI_VOLUME_DRIVER", "local"}, {"DVDI_VOLUME_CONTAINERPATH", container}});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out.empty());
    CHECK(result.err.empty());
    CHECK(read_file(exec.data("data") + "/f") == "hi\n");
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
    CHECK(exec.ids("data").empty());
}

TEST_CASE("dvdcli exec mounts every DVDI slot for the command's lifetime and exports their mountpoints", "[e2e][exec]")
{
    ExecHarness exec;
    const std::string alpha_path = exec.path("alpha");
    const std::string gamma_path = exec.path("deeper/gamma");
    // Prints the three variables, each volume's holders and the mounts at the container paths,
    // then writes through both container paths.
    const std::string script =
        "echo \"$DVDI_VOLUME_MOUNTPOINT|$DVDI_VOLUME_MOUNTPOINT1|$DVDI_VOLUME_MOUNTPOINT3\"; "
        "for v in alpha beta gamma; do cat \"$DVDCLI_LOCAL_ROOT/$v/state.json\"; done; "
        "grep -c -e ' " +
        alpha_path + " ' -e ' " + gamma_path +
        " ' /proc/self/mountinfo; "
        "echo a > " +
        alpha_path + "/f && echo g > " + gamma_path + "/f";

    const auto result = exec.run({"exec", "--", "/bin/sh", "-c", script}, {{"DVDI_VOLUME_NAME3", "gamma"},
                                                                           {"DVDI_VOLUME_DRIVER3", "local"},
                                                                           {"DVDI_VOLUME_CONTAINERPATH3", gamma_path},
                                                                           {"DVDI_VOLUME_NAME1", "beta"},
                                                                           {"DVDI_VOLUME_DRIVER1", "local"},
                                                                           {"DVDI_VOLUME_NAME", "alpha"},
                                                                           {"DVDI_VOLUME_DRIVER", "local"},
                                                                           {"DVDI_VOLUME_CONTAINERPATH", alpha_path}});

    REQUIRE_EXIT(result, 0);
    std::vector<std::string> lines;
    for (std::size_t start = 0; start < result.out.size();) {
        const auto newline = result.out.find('\n', start);
        lines.push_back(result.out.substr(start, newline - start));
        start = newline == std::string::npos ? result.out.size() : newline + 1;
    }
    REQUIRE(lines.size() == 5);
    CHECK(lines[0] == exec.data("alpha") + "|" + exec.data("beta") + "|" + exec.data("gamma"));
    std::set<std::string> ids;
    for (std::size_t i = 1; i <= 3; ++i) {
        const auto held = json::parse(lines[i]).at("MountIDs").get<Ids>();
        REQUIRE(held.size() == 1);
        CHECK(is_random_mount_id(held[0]));
        ids.insert(held[0]);
    }
    CHECK_FALSE(ids.count(expected_mount_id("local", "alpha")));
    // As root both container paths are bind mounts; otherwise symlinks.
    CHECK(lines[4] == (::geteuid() == 0 ? "2" : "0"));

    CHECK(read_file(exec.data("alpha") + "/f") == "a\n");
    CHECK(read_file(exec.data("gamma") + "/f") == "g\n");
    for (const char* volume : {"alpha", "beta", "gamma"}) {
        INFO(volume);
        CHECK(exec.ids(volume).empty());
    }
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
}

TEST_CASE("dvdcli exec tells the command where each --volume is mounted on the host", "[e2e][exec]")
{
    ExecHarness exec;

    const auto result = exec.run({"exec", "--volume=local:one", "--volume=local:two", "--", "/bin/sh", "-c",
                                  "echo \"$DVDCLI_VOLUME_MOUNTPOINT1|$DVDCLI_VOLUME_MOUNTPOINT2\""});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == exec.data("one") + "|" + exec.data("two") + "\n");
}

TEST_CASE("dvdcli exec replaces a DVDI_VOLUME_MOUNTPOINT already in its environment", "[e2e][exec]")
{
    ExecHarness exec;

    const auto result = exec.run({"exec", "--", "/bin/sh", "-c", "env | grep '^DVDI_VOLUME_MOUNTPOINT='"},
                                 {{"DVDI_VOLUME_NAME", "vol1"},
                                  {"DVDI_VOLUME_DRIVER", "local"},
                                  {"DVDI_VOLUME_MOUNTPOINT", "/stale/from/the/caller"}});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "DVDI_VOLUME_MOUNTPOINT=" + exec.data("vol1") + "\n");
}

TEST_CASE("dvdcli exec bind-mounts a tmpfs volume at the container path while the command runs", "[e2e][exec][root]")
{
    if (!running_as_root("mount tmpfs and bind-mount")) {
        return;
    }
    ExecHarness exec;
    const std::string container = exec.path("scratch");

    const auto result =
        exec.run({"exec", "--", "/bin/sh", "-c", "grep ' " + container + " ' /proc/self/mountinfo | grep -c tmpfs"},
                 {{"DVDI_VOLUME_NAME", "scratch"},
                  {"DVDI_VOLUME_DRIVER", "local"},
                  {"DVDI_VOLUME_OPTS", "type=tmpfs,device=tmpfs,o=size=8m"},
                  {"DVDI_VOLUME_CONTAINERPATH", container}});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "1\n");
    CHECK(mounts_at(container).empty());
    CHECK(mounts_at(exec.data("scratch")).empty());
    CHECK(exec.ids("scratch").empty());
}

TEST_CASE("dvdcli exec creates a missing container path under /tmp with its parents", "[e2e][exec]")
{
    ExecHarness exec;
    const std::string container = exec.path("a/b/c");

    const auto result = exec.run(
        {"exec", "--volume=local:vol1:" + container, "--", "/bin/sh", "-c", "echo deep > " + container + "/f"});

    REQUIRE_EXIT(result, 0);
    CHECK(exists(container));
    CHECK(read_file(exec.data("vol1") + "/f") == "deep\n");
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
}

TEST_CASE("dvdcli exec rolls back every mounted volume when a slot fails, and never runs the command",
          "[e2e][exec][rollback]")
{
    ExecHarness exec;
    const std::string marker = exec.path("command-ran");
    const std::string good_path = exec.path("good");
    Env env{{"DVDI_VOLUME_NAME", "good"},
            {"DVDI_VOLUME_DRIVER", "local"},
            {"DVDI_VOLUME_CONTAINERPATH", good_path},
            {"DVDI_VOLUME_NAME1", "bad"}};
    Args global;
    int expected_exit = 1;
    std::string expected_message;

    SECTION("mount(2) fails: exit 1")
    {
        env["DVDI_VOLUME_DRIVER1"] = "local";
        env["DVDI_VOLUME_OPTS1"] = "type=vcli-no-such-fs,device=none";
        expected_message = "vcli-no-such-fs";
    }
    SECTION("the plugin does not exist: exit 3")
    {
        env["DVDI_VOLUME_DRIVER1"] = "vcli-missing-plugin";
        global = {"--retry-timeout=0"};
        expected_exit = 3;
        expected_message = "vcli-missing-plugin";
    }
    SECTION("an explicitly created volume is missing: exit 1")
    {
        env["DVDI_VOLUME_DRIVER1"] = "local";
        env["DVDI_VOLUME_EXPLICITCREATE1"] = "true";
        expected_message = "bad";
    }
    SECTION("the local driver refuses the name: exit 2")
    {
        env["DVDI_VOLUME_NAME1"] = "b";
        env["DVDI_VOLUME_DRIVER1"] = "local";
        expected_exit = 2;
        expected_message = "\"b\"";
    }
    Args args = global;
    for (const char* word : {"exec", "--volume=local:later", "--", "touch"}) {
        args.emplace_back(word);
    }
    args.push_back(marker);

    const auto result = exec.run(args, env);

    REQUIRE_FAILURE(result, expected_exit);
    CHECK_THAT(result.err, Contains(expected_message));
    CHECK_FALSE(exists(marker));
    CHECK(exec.ids("good").empty());
    CHECK_FALSE(exists(exec.root + "/later"));
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
}

TEST_CASE("dvdcli exec rolls back a real tmpfs and its bind mount when a later slot fails",
          "[e2e][exec][rollback][root]")
{
    if (!running_as_root("mount tmpfs and bind-mount")) {
        return;
    }
    ExecHarness exec;
    const std::string marker = exec.path("command-ran");

    const auto result =
        exec.run({"exec", "--", "touch", marker}, {{"DVDI_VOLUME_NAME", "first"},
                                                   {"DVDI_VOLUME_DRIVER", "local"},
                                                   {"DVDI_VOLUME_OPTS", "type=tmpfs,device=tmpfs,o=size=8m"},
                                                   {"DVDI_VOLUME_CONTAINERPATH", exec.path("first")},
                                                   {"DVDI_VOLUME_NAME2", "second"},
                                                   {"DVDI_VOLUME_DRIVER2", "local"},
                                                   {"DVDI_VOLUME_OPTS2", "type=vcli-no-such-fs,device=none"}});

    REQUIRE_FAILURE(result, 1);
    CHECK_FALSE(exists(marker));
    CHECK(exec.ids("first").empty());
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
}

TEST_CASE("dvdcli exec refuses bad requests with exit 2 before mounting or running anything", "[e2e][exec][usage]")
{
    using Row = std::tuple<std::string, Env, Args, std::string>;
    const auto row = GENERATE(table<std::string, Env, Args, std::string>({
        Row{"a misspelt variable", {{"DVDI_VOLUME_NAMES", "x"}}, {}, "DVDI_VOLUME_NAMES"},
        Row{"a two-digit slot", {{"DVDI_VOLUME_NAME", "vol1"}, {"DVDI_VOLUME_NAME12", "x"}}, {}, "DVDI_VOLUME_NAME12"},
        Row{"a relative container path",
            {{"DVDI_VOLUME_NAME", "vol1"}, {"DVDI_VOLUME_DRIVER", "local"}, {"DVDI_VOLUME_CONTAINERPATH", "data"}},
            {},
            "absolute"},
        Row{"a container path outside /tmp that does not exist",
            {{"DVDI_VOLUME_NAME", "vol1"},
             {"DVDI_VOLUME_DRIVER", "local"},
             {"DVDI_VOLUME_CONTAINERPATH", "/vcli-no-such-dir/data"}},
            {},
            "must exist"},
        Row{"a newline in a value", {{"DVDI_VOLUME_NAME", "vol1\nvol2"}}, {}, "DVDI_VOLUME_NAME"},
        Row{"options that do not parse",
            {{"DVDI_VOLUME_NAME", "vol1"}, {"DVDI_VOLUME_DRIVER", "local"}, {"DVDI_VOLUME_OPTS", "novalue"}},
            {},
            "DVDI_VOLUME_OPTS"},
        Row{"a relative Flocker container path",
            {{"FLOCKER_ID", "dataset"}, {"FLOCKER_CONTAINER_VOLUME_PATH", "relative"}},
            {},
            "absolute"},
        Row{"an EXPLICITCREATE that is neither true nor false",
            {{"DVDI_VOLUME_NAME", "vol1"}, {"DVDI_VOLUME_DRIVER", "local"}, {"DVDI_VOLUME_EXPLICITCREATE", "yes"}},
            {},
            "DVDI_VOLUME_EXPLICITCREATE"},
        Row{"a --volume without a name", {}, {"--volume=local"}, "DRIVER:NAME"},
        Row{"a --volume with a relative path", {}, {"--volume=local:vol1:data"}, "absolute"},
        Row{"a local option the driver does not have",
            {{"DVDI_VOLUME_NAME", "vol1"}, {"DVDI_VOLUME_DRIVER", "local"}, {"DVDI_VOLUME_OPTS", "size=5"}},
            {},
            "--volumeopt=o="},
    }));
    const auto& [what, env, flags, expected] = row;
    INFO(what);
    ExecHarness exec;
    const std::string marker = exec.path("command-ran");
    Args args{"exec"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"--", "touch", marker});

    const auto result = exec.run(args, env);

    REQUIRE_FAILURE(result, 2);
    CHECK_THAT(result.err, Contains(expected));
    CHECK_FALSE(exists(marker));
    CHECK_FALSE(exists(exec.root + "/vol1"));
}

TEST_CASE("dvdcli exec without a command is a usage error", "[e2e][exec][usage]")
{
    const auto args = GENERATE(Args{"exec"}, Args{"exec", "--"}, Args{"exec", "--volume=local:vol1"},
                               Args{"exec", "--volume=local:vol1", "--"});
    INFO(describe_calls(args));
    ExecHarness exec;

    const auto result = exec.run(args);

    REQUIRE_FAILURE(result, 2);
    CHECK_THAT(result.err, Contains("command"));
    CHECK_FALSE(exists(exec.root + "/vol1"));
}

TEST_CASE("dvdcli exec gives every word after COMMAND to the command, even ones that look like dvdcli flags",
          "[e2e][exec][usage]")
{
    using Row = std::tuple<Args, std::string>;
    const auto row = GENERATE(table<Args, std::string>({
        Row{{"--", "echo", "plain", "words"}, "plain words\n"},
        Row{{"--", "echo", "--", "x"}, "-- x\n"},
        Row{{"--", "echo", "mount", "exec"}, "mount exec\n"},
        Row{{"--", "echo", "--format=json"}, "--format=json\n"},
        Row{{"--", "echo", "a", "--timeout=3"}, "a --timeout=3\n"},
        Row{{"--", "echo", "--volume=local:vol1"}, "--volume=local:vol1\n"},
        Row{{"echo", "--volume=local:vol1"}, "--volume=local:vol1\n"},
        Row{{"echo", "x", "--format=json"}, "x --format=json\n"},
        Row{{"--", "echo", "--volumename=x", "--log-level=debug"}, "--volumename=x --log-level=debug\n"},
        // printf, not echo: coreutils' echo answers a lone --help or --version itself.
        Row{{"--", "printf", "%s\n", "--help"}, "--help\n"},
        Row{{"printf", "%s\n", "--version"}, "--version\n"},
        Row{{"--", "/bin/sh", "-c", "echo \"$@\"", "sh", "--volumedriver=y"}, "--volumedriver=y\n"},
    }));
    const auto& [words, expected] = row;
    INFO("dvdcli exec " << describe_calls(words));
    ExecHarness exec;
    Args args{"exec"};
    args.insert(args.end(), words.begin(), words.end());

    const auto result = exec.run(args);

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == expected);
    CHECK_FALSE(exists(exec.root + "/vol1"));
}

TEST_CASE("dvdcli exec passes the command's output through untouched", "[e2e][exec]")
{
    ExecHarness exec;

    const auto result = exec.run({"exec", "--volume=local:vol1", "--", "printf", "a\\nb"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "a\nb");
    CHECK(result.err.empty());
}

TEST_CASE("dvdcli exec exits with the command's status and releases the volume whatever it is", "[e2e][exec]")
{
    using Row = std::tuple<std::string, Args, int>;
    const auto row = GENERATE(table<std::string, Args, int>({
        Row{"success", {"true"}, 0},
        Row{"exit 7", {"/bin/sh", "-c", "exit 7"}, 7},
        Row{"exit 255", {"/bin/sh", "-c", "exit 255"}, 255},
        Row{"not found in PATH", {"vcli-no-such-command"}, 127},
        Row{"not found at a path", {"/vcli-no-such-dir/command"}, 127},
        Row{"killed by SIGKILL", {"/bin/sh", "-c", "kill -KILL $$"}, 128 + SIGKILL},
        Row{"killed by SIGUSR1", {"/bin/sh", "-c", "kill -USR1 $$"}, 128 + SIGUSR1},
        Row{"killed by SIGTERM", {"/bin/sh", "-c", "kill -TERM $$"}, 128 + SIGTERM},
    }));
    const auto& [what, command, expected] = row;
    INFO(what);
    ExecHarness exec;
    Args args{"exec", "--volume=local:vol1:" + exec.path("vol1"), "--"};
    args.insert(args.end(), command.begin(), command.end());

    const auto result = exec.run(args);

    REQUIRE_EXIT(result, expected);
    CHECK(result.signal == 0);
    CHECK(result.out.empty());
    if (expected == 127) {
        CHECK(is_one_line(result.err));
        CHECK_THAT(result.err, Contains(command.front()));
    }
    CHECK(exec.ids("vol1").empty());
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
}

TEST_CASE("dvdcli exec exits 126 for a command that is not executable", "[e2e][exec]")
{
    ExecHarness exec;
    const std::string script = exec.harness.dir().write_file("not-executable", "#!/bin/sh\nexit 0\n");
    REQUIRE(::chmod(script.c_str(), 0644) == 0);

    const auto result = exec.run({"exec", "--volume=local:vol1", "--", script});

    REQUIRE_EXIT(result, 126);
    CHECK(exec.ids("vol1").empty());
}

TEST_CASE("dvdcli exec forwards SIGTERM to the command and exits with the status the command chose",
          "[e2e][exec][signal]")
{
    ExecHarness exec;
    const std::string container = exec.path("vol1");
    const std::string script =
        "trap 'echo trapped > \"$0/trapped\"; exit 42' TERM; touch \"$0/ready\"; "
        "i=0; while [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; exit 3";
    auto dvdcli = exec.start({"exec", "--volume=local:vol1:" + container, "--", "/bin/sh", "-c", script, exec.task});
    REQUIRE(wait_until([&] { return exists(exec.task + "/ready"); }));
    CHECK(exec.ids("vol1").size() == 1);
    if (::geteuid() == 0) {
        CHECK(mounts_at(container).size() == 1);
    }

    REQUIRE(::kill(dvdcli->pid(), SIGTERM) == 0);
    const auto result = wait_for_exit(*dvdcli);

    REQUIRE_EXIT(result, 42);
    CHECK_FALSE(result.killed);
    CHECK(read_file(exec.task + "/trapped") == "trapped\n");
    CHECK(exec.ids("vol1").empty());
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
}

TEST_CASE("dvdcli exec passes TERM, INT and HUP on and exits 128+N when the command dies of it", "[e2e][exec][signal]")
{
    const int signal = GENERATE(SIGTERM, SIGINT, SIGHUP);
    INFO("signal " << signal);
    ExecHarness exec;
    auto dvdcli = exec.start({"exec", "--volume=local:vol1:" + exec.path("vol1"), "--", "/bin/sh", "-c",
                              "touch \"$0/ready\"; exec sleep 30", exec.task});
    REQUIRE(wait_until([&] { return exists(exec.task + "/ready"); }));
    // `exec sleep` replaces the shell; give it a moment so the signal reaches sleep, not sh.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));

    REQUIRE(::kill(dvdcli->pid(), signal) == 0);
    const auto result = wait_for_exit(*dvdcli);

    REQUIRE_EXIT(result, 128 + signal);
    CHECK(result.wall_time < std::chrono::seconds(10));
    CHECK(exec.ids("vol1").empty());
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
}

TEST_CASE("dvdcli exec stopped by a signal while mounting releases the volume and never runs the command",
          "[e2e][exec][signal]")
{
    const int signal = GENERATE(SIGTERM, SIGUSR1, SIGQUIT, SIGALRM, SIGPIPE);
    INFO("signal " << signal);
    ExecHarness exec;
    FakePlugin plugin;
    plugin.set_mount_root(exec.harness.dir().file("plugin-mounts"));
    plugin.delay("VolumeDriver.Mount", std::chrono::milliseconds(1500));
    exec.harness.start(plugin, "fake");
    const std::string marker = exec.path("command-ran");
    auto dvdcli =
        exec.start({"exec", "--", "touch", marker}, {{"DVDI_VOLUME_NAME", "v1"}, {"DVDI_VOLUME_DRIVER", "fake"}});
    REQUIRE(wait_until([&] { return !plugin.requests_for("VolumeDriver.Mount").empty(); }));

    REQUIRE(::kill(dvdcli->pid(), signal) == 0);
    const auto result = wait_for_exit(*dvdcli);

    INFO("dvdcli: " << result.describe());
    CHECK_FALSE(exists(marker));
    const auto mounts = plugin.requests_for("VolumeDriver.Mount");
    const auto unmounts = plugin.requests_for("VolumeDriver.Unmount");
    REQUIRE(mounts.size() == 1);
    REQUIRE(unmounts.size() == 1);
    CHECK(json::parse(unmounts[0].body) == json::parse(mounts[0].body));
    CHECK(plugin.mount_ids("v1").empty());
    // Like a command killed by the signal: the status a caller sees is 128+N, as an exit code.
    CHECK(result.signal == 0);
    CHECK(result.exit_code == 128 + signal);
}

TEST_CASE(
    "dvdcli exec mounts slots in order, then --volume flags, with one fresh mount ID per run, and unmounts "
    "in reverse order",
    "[e2e][exec][plugin]")
{
    ExecHarness exec;
    FakePlugin plugin;
    plugin.set_mount_root(exec.harness.dir().file("plugin-mounts"));
    exec.harness.start(plugin, "fake");
    const Env env{{"DVDI_VOLUME_NAME1", "v2"},
                  {"DVDI_VOLUME_DRIVER1", "fake"},
                  {"DVDI_VOLUME_NAME", "v1"},
                  {"DVDI_VOLUME_DRIVER", "fake"}};
    const Args args{"exec", "--volume=fake:v3", "--", "true"};

    // (call, volume, ID) for every Mount and Unmount the plugin received.
    const auto mount_calls = [&plugin] {
        std::vector<std::tuple<std::string, std::string, std::string>> calls;
        for (const auto& request : plugin.requests()) {
            if (request.call() == "VolumeDriver.Mount" || request.call() == "VolumeDriver.Unmount") {
                const json body = json::parse(request.body);
                calls.emplace_back(request.call().substr(13), body.at("Name"), body.at("ID"));
            }
        }
        return calls;
    };

    REQUIRE_RUN(exec.run(args, env), 0);
    const auto first = mount_calls();
    plugin.clear_requests();
    REQUIRE_RUN(exec.run(args, env), 0);
    const auto second = mount_calls();

    REQUIRE(first.size() == 6);
    const std::vector<std::string> order{"Mount v1", "Mount v2", "Mount v3", "Unmount v3", "Unmount v2", "Unmount v1"};
    std::vector<std::string> seen;
    for (const auto& [call, volume, id] : first) {
        seen.push_back(call);
        seen.back().append(" ").append(volume);
        CHECK(is_random_mount_id(id));
        CHECK(id != expected_mount_id("fake", volume));
    }
    CHECK(seen == order);
    // Each volume is released with the ID it was mounted with.
    CHECK(std::get<2>(first[0]) == std::get<2>(first[5]));
    CHECK(std::get<2>(first[1]) == std::get<2>(first[4]));
    CHECK(std::get<2>(first[2]) == std::get<2>(first[3]));
    REQUIRE(second.size() == 6);
    CHECK(std::get<2>(second[0]) != std::get<2>(first[0]));
    for (const char* volume : {"v1", "v2", "v3"}) {
        CHECK(plugin.mount_ids(volume).empty());
    }
}

TEST_CASE("dvdcli exec runs sharing a volume never release it under each other", "[e2e][exec][concurrency]")
{
    ExecHarness exec;
    Env env{{"DVDI_VOLUME_NAME", "shared"}, {"DVDI_VOLUME_DRIVER", "local"}};
    const bool root = ::geteuid() == 0;
    if (root) {
        env["DVDI_VOLUME_OPTS"] = "type=tmpfs,device=tmpfs,o=size=8m";
    }
    const std::string script =
        "touch \"$0/ready\"; i=0; while [ ! -e \"$0/stop\" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done";
    auto long_task = exec.start({"exec", "--", "/bin/sh", "-c", script, exec.task}, env);
    REQUIRE(wait_until([&] { return exists(exec.task + "/ready"); }));

    const auto short_task = exec.run({"exec", "--", "true"}, env);

    REQUIRE_EXIT(short_task, 0);
    CHECK(exec.ids("shared").size() == 1);
    if (root) {
        CHECK(mounts_at(exec.data("shared")).size() == 1);
    }

    exec.harness.dir().write_file("task/stop", "");
    const auto finished = wait_for_exit(*long_task);
    REQUIRE_EXIT(finished, 0);
    CHECK(exec.ids("shared").empty());
    CHECK(mounts_at(exec.data("shared")).empty());
}

TEST_CASE("dvdcli exec unmounts nested container paths innermost first", "[e2e][exec][root]")
{
    // The second volume's container path lies inside the first one's bind mount: releasing in
    // mount order would pull the outer mount from under the inner one.
    if (!running_as_root("bind-mount")) {
        return;
    }
    ExecHarness exec;
    const std::string outer = exec.path("outer");
    const std::string inner = outer + "/inner";

    const auto result = exec.run({"exec", "--volume=local:outer:" + outer, "--volume=local:inner:" + inner, "--",
                                  "/bin/sh", "-c", "echo in > " + inner + "/f"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.err.empty());
    CHECK(read_file(exec.data("inner") + "/f") == "in\n");
    CHECK(exec.ids("outer").empty());
    CHECK(exec.ids("inner").empty());
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
}

TEST_CASE("dvdcli exec replaces a symlink at the container path instead of mounting over its target", "[e2e][exec]")
{
    // Whether or not it may mount: following the old link would put the volume over whatever the
    // link points at.
    ExecHarness exec;
    const std::string elsewhere = exec.harness.dir().make_dir("elsewhere");
    exec.harness.dir().write_file("elsewhere/precious", "untouched");
    const std::string container = exec.path("data");
    REQUIRE(::symlink(elsewhere.c_str(), container.c_str()) == 0);

    const auto result =
        exec.run({"exec", "--volume=local:vol1:" + container, "--", "/bin/sh", "-c",
                  "grep -c ' " + elsewhere + " ' /proc/self/mountinfo; echo new > \"$0/f\"", container});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "0\n");
    CHECK(link_target(container) == exec.data("vol1"));
    CHECK(read_file(exec.data("vol1") + "/f") == "new\n");
    CHECK(read_file(elsewhere + "/precious") == "untouched");
    CHECK_FALSE(exists(elsewhere + "/f"));
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
}

TEST_CASE("dvdcli exec releases the volume and runs nothing when the container path cannot take it",
          "[e2e][exec][rollback]")
{
    ExecHarness exec;
    const std::string container = exec.harness.dir().write_file("task/a-file", "not a directory");
    const std::string marker = exec.path("command-ran");

    const auto result = exec.run({"exec", "--volume=local:vol1:" + container, "--", "touch", marker});

    REQUIRE_FAILURE(result, 1);
    CHECK_THAT(result.err, Contains(container));
    CHECK_FALSE(exists(marker));
    CHECK(exec.ids("vol1").empty());
    CHECK(read_file(container) == "not a directory");
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
}

TEST_CASE("dvdcli exec hands the command no file descriptors of its own", "[e2e][exec]")
{
    ExecHarness exec;
    FakePlugin plugin;
    plugin.set_mount_root(exec.harness.dir().file("plugin-mounts"));
    exec.harness.start(plugin, "fake");
    const Args list_fds{"/bin/sh", "-c", "ls /proc/$$/fd"};
    const auto direct = volumecli::test::run_process(list_fds, exec.options());
    REQUIRE(direct.exit_code == 0);

    Args args{"exec", "--volume=local:vol1", "--volume=fake:v2", "--"};
    args.insert(args.end(), list_fds.begin(), list_fds.end());
    const auto wrapped = exec.run(args);

    REQUIRE_EXIT(wrapped, 0);
    CHECK(wrapped.out == direct.out);
}

namespace {

// Runs `unshare -U -r dvdcli ARGS`: root in a new user namespace but not in the mount namespace,
// so mount(2) fails with EPERM and exec has to use a symlink.
ProcessResult run_without_mount_rights(const ExecHarness& exec, const Args& args)
{
    Args argv{"/usr/bin/unshare", "-U", "-r", k_dvdcli};
    argv.insert(argv.end(), args.begin(), args.end());
    return volumecli::test::run_process(argv, exec.options());
}

// Checked before any temporary directory exists: a skip under CTest ends the process at once.
bool can_drop_mount_rights()
{
    if (!exists("/usr/bin/unshare")) {
        skip_test("needs /usr/bin/unshare (util-linux) to run without the right to mount");
        return false;
    }
    const auto probe = volumecli::test::run_process({"/usr/bin/unshare", "-U", "-r", "/bin/true"});
    if (probe.exit_code != 0) {
        skip_test("user namespaces are not available here: " + probe.err);
        return false;
    }
    return true;
}

}  // namespace

TEST_CASE("dvdcli exec without the right to mount replaces a symlink left at the container path",
          "[e2e][exec][symlink]")
{
    if (!can_drop_mount_rights()) {
        return;
    }
    ExecHarness exec;
    const std::string elsewhere = exec.harness.dir().make_dir("elsewhere");
    const std::string container = exec.path("data");
    REQUIRE(::symlink(elsewhere.c_str(), container.c_str()) == 0);
    const Args args{"exec", "--volume=local:vol1:" + container, "--",     "/bin/sh",
                    "-c",   "echo linked > \"$0/f\"",           container};

    const auto first = run_without_mount_rights(exec, args);

    REQUIRE_EXIT(first, 0);
    CHECK(is_symlink(container));
    CHECK(link_target(container) == exec.data("vol1"));
    CHECK(read_file(exec.data("vol1") + "/f") == "linked\n");
    CHECK_FALSE(exists(elsewhere + "/f"));
    CHECK(exec.ids("vol1").empty());

    // The next run finds its own symlink there and replaces it again.
    const auto second = run_without_mount_rights(exec, args);
    REQUIRE_EXIT(second, 0);
    CHECK(link_target(container) == exec.data("vol1"));
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
}

TEST_CASE("dvdcli exec without the right to mount puts a symlink at a new container path", "[e2e][exec][symlink]")
{
    if (!can_drop_mount_rights()) {
        return;
    }
    ExecHarness exec;
    const std::string container = exec.path("fresh/data");

    const auto result = run_without_mount_rights(
        exec, {"exec", "--volume=local:vol1:" + container, "--", "/bin/sh", "-c", "readlink \"$0\"", container});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == exec.data("vol1") + "\n");
    CHECK(link_target(container) == exec.data("vol1"));
}

TEST_CASE("dvdcli exec replaces an old symlink atomically: the container path never disappears", "[e2e][exec][symlink]")
{
    if (!can_drop_mount_rights()) {
        return;
    }
    ExecHarness exec;
    const std::string elsewhere = exec.harness.dir().make_dir("elsewhere");
    const std::string container = exec.path("data");
    REQUIRE(::symlink(elsewhere.c_str(), container.c_str()) == 0);
    std::atomic<bool> stop{false};
    std::atomic<long> looks{0};
    std::atomic<long> not_a_symlink{0};
    std::thread watcher([&] {
        while (!stop) {
            if (!is_symlink(container)) {
                ++not_a_symlink;
            }
            ++looks;
        }
    });

    std::vector<ProcessResult> runs;
    runs.reserve(10);
    for (int i = 0; i < 10; ++i) {
        runs.push_back(run_without_mount_rights(exec, {"exec", "--volume=local:vol1:" + container, "--", "true"}));
    }
    stop = true;
    watcher.join();

    for (const auto& run : runs) {
        REQUIRE_EXIT(run, 0);
    }
    INFO(looks << " looks at the container path");
    CHECK(looks > 0);
    CHECK(not_a_symlink == 0);
    CHECK(link_target(container) == exec.data("vol1"));
}

// Container paths are never resolved through a symlink in a parent component: a directory under
// /tmp owned by another user could point one at /etc. The stand-in for /etc here is a directory
// of the test's own ("elsewhere"), so a regression cannot touch the host.

TEST_CASE("dvdcli exec refuses a container path with a symlink in a parent before mounting anything",
          "[e2e][exec][paths][root]")
{
    if (!running_as_root("chown a directory to nobody")) {
        return;
    }
    ExecHarness exec;
    const std::string elsewhere = exec.harness.dir().make_dir("elsewhere");
    exec.harness.dir().make_dir("elsewhere/data");
    const std::string other = exec.harness.dir().make_dir("task/other");
    const std::string link = other + "/sub";
    REQUIRE(::symlink(elsewhere.c_str(), link.c_str()) == 0);
    REQUIRE(::lchown(link.c_str(), 65534, 65534) == 0);
    REQUIRE(::chown(other.c_str(), 65534, 65534) == 0);
    const std::string marker = exec.path("command-ran");
    // The generator keeps its values across runs: generate the part below the link, not the path.
    const auto below = GENERATE(as<std::string>{}, "/data", "/new/deeper");
    const std::string container = link + below;
    INFO("container path " << container);

    SECTION("from --volume")
    {
        const auto result = exec.run({"exec", "--volume=local:vol1:" + container, "--", "touch", marker});
        REQUIRE_FAILURE(result, 2);
        CHECK_THAT(result.err, Contains(link) && Contains("symlink"));
    }
    SECTION("from DVDI_VOLUME_CONTAINERPATH")
    {
        const auto result = exec.run(
            {"exec", "--", "touch", marker},
            {{"DVDI_VOLUME_NAME", "vol1"}, {"DVDI_VOLUME_DRIVER", "local"}, {"DVDI_VOLUME_CONTAINERPATH", container}});
        REQUIRE_FAILURE(result, 2);
        CHECK_THAT(result.err, Contains("DVDI_VOLUME_CONTAINERPATH") && Contains("symlink"));
    }

    CHECK_FALSE(exists(marker));
    CHECK_FALSE(exists(exec.root + "/vol1"));
    CHECK_FALSE(exists(elsewhere + "/new"));
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
}

TEST_CASE("dvdcli exec refuses a parent swapped for a symlink while the volume was mounting, and releases it",
          "[e2e][exec][paths][root]")
{
    if (!running_as_root("bind-mount")) {
        return;
    }
    ExecHarness exec;
    FakePlugin plugin;
    const std::string plugin_mounts = exec.harness.dir().make_dir("plugin-mounts");
    exec.harness.dir().make_dir("plugin-mounts/v1");
    plugin.set_mount_root(plugin_mounts);
    plugin.delay("VolumeDriver.Mount", std::chrono::milliseconds(1500));
    exec.harness.start(plugin, "fake");
    const std::string elsewhere = exec.harness.dir().make_dir("elsewhere");
    const std::string parent = exec.harness.dir().make_dir("task/parent");
    const std::string marker = exec.path("command-ran");
    auto dvdcli = exec.start({"exec", "--volume=fake:v1:" + parent + "/data", "--", "touch", marker});
    REQUIRE(wait_until([&] { return !plugin.requests_for("VolumeDriver.Mount").empty(); }));

    REQUIRE(::rename(parent.c_str(), (parent + ".real").c_str()) == 0);
    REQUIRE(::symlink(elsewhere.c_str(), parent.c_str()) == 0);
    const auto result = wait_for_exit(*dvdcli);

    REQUIRE_FAILURE(result, 1);
    CHECK_THAT(result.err, Contains(parent) && Contains("symlink"));
    CHECK_FALSE(exists(marker));
    CHECK(plugin.requests_for("VolumeDriver.Unmount").size() == 1);
    CHECK(plugin.mount_ids("v1").empty());
    CHECK_FALSE(exists(elsewhere + "/data"));
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
}

TEST_CASE("dvdcli exec unmounts the directory it mounted even after a parent was swapped for a symlink",
          "[e2e][exec][paths][root]")
{
    if (!running_as_root("bind-mount and mount tmpfs")) {
        return;
    }
    ExecHarness exec;
    // A decoy mount where the swapped link leads: a path-based unmount would take it instead.
    const std::string elsewhere = exec.harness.dir().make_dir("elsewhere");
    const std::string decoy = exec.harness.dir().make_dir("elsewhere/data");
    REQUIRE(::mount("tmpfs", decoy.c_str(), "tmpfs", 0, "size=1m") == 0);
    const std::string parent = exec.harness.dir().make_dir("task/parent");
    const std::string script = "mv \"$0\" \"$0.real\" && ln -s \"$1\" \"$0\"";

    const auto result =
        exec.run({"exec", "--volume=local:vol1:" + parent + "/data", "--", "/bin/sh", "-c", script, parent, elsewhere});

    REQUIRE_EXIT(result, 0);
    CHECK(is_symlink(parent));
    CHECK(mounts_at(decoy).size() == 1);
    CHECK(mounts_at(parent + ".real/data").empty());
    CHECK(exec.ids("vol1").empty());
}

TEST_CASE("dvdcli exec refuses a system directory as the container path with exit 2 before mounting anything",
          "[e2e][exec][paths][usage]")
{
    const auto path = GENERATE(as<std::string>{}, "/", "//", "/tmp", "/tmp/", "//tmp//", "/proc", "/proc/sys", "/sys",
                               "/sys/kernel", "/dev", "/dev/shm", "/etc", "/etc/", "/usr", "/var", "/run", "/boot");
    INFO("container path \"" << path << "\"");
    ExecHarness exec;
    const std::string marker = exec.path("command-ran");
    // As root a regression would mount over the host's directory: run in a private mount
    // namespace so it could not.
    Args argv;
    if (::geteuid() == 0) {
        argv = {"/usr/bin/unshare", "-m", "--propagation", "private"};
        // In a chroot whose root is not a mount point, unshare cannot make the namespace private.
        Args probe_argv = argv;
        probe_argv.push_back("/bin/true");
        const auto probe = exists(argv[0]) ? volumecli::test::run_process(probe_argv, exec.options())
                                           : volumecli::test::ProcessResult{};
        if (probe.exit_code != 0) {
            skip_test("as root this test runs in a private mount namespace, which unshare cannot make here: " +
                      probe.err);
            return;
        }
    }
    argv.insert(argv.end(), {k_dvdcli, "exec", "--volume=local:vol1:" + path, "--", "touch", marker});

    const auto result = volumecli::test::run_process(argv, exec.options());

    REQUIRE_FAILURE(result, 2);
    CHECK_THAT(result.err, Contains("system directory"));
    CHECK_FALSE(exists(marker));
    CHECK_FALSE(exists(exec.root + "/vol1"));
}

namespace {

// True while process `pid` exists and is not a zombie.
bool process_alive(int pid)
{
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) {
        return false;
    }
    const auto close = text.rfind(") ");
    return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z' && text[close + 2] != 'X';
}

// Starts exec on vol1 at <task>/vol1 with a command that records its pid, says it is ready, and
// becomes `sleep 30` (no core files: some signals dump core by default).
std::unique_ptr<BackgroundProcess> start_sleeping_task(const ExecHarness& exec)
{
    return exec.start({"exec", "--volume=local:vol1:" + exec.path("vol1"), "--", "/bin/sh", "-c",
                       "ulimit -c 0; echo $$ > \"$0/pid\"; touch \"$0/ready\"; exec sleep 30", exec.task});
}

int wait_for_task_pid(const ExecHarness& exec)
{
    REQUIRE(wait_until([&] { return exists(exec.task + "/ready"); }));
    // `exec sleep` replaces the shell; give it a moment so the signal reaches sleep, not sh.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return std::stoi(read_file(exec.task + "/pid"));
}

}  // namespace

TEST_CASE("dvdcli exec passes every terminating signal on, and releases the volume when the command dies of it",
          "[e2e][exec][signal]")
{
    const int signal = GENERATE(SIGUSR1, SIGUSR2, SIGALRM, SIGQUIT, SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGVTALRM,
                                SIGPROF, SIGIO, SIGPWR, SIGXCPU, SIGXFSZ, SIGABRT, SIGSYS, SIGTRAP, SIGRTMIN + 3);
    INFO("signal " << signal << " (" << strsignal(signal) << ")");
    ExecHarness exec;
    auto dvdcli = start_sleeping_task(exec);
    const int child = wait_for_task_pid(exec);
    if (::geteuid() == 0) {
        CHECK(mounts_at(exec.path("vol1")).size() == 1);
    }

    REQUIRE(::kill(dvdcli->pid(), signal) == 0);
    const auto result = wait_for_exit(*dvdcli);

    REQUIRE_EXIT(result, 128 + signal);
    CHECK(result.wall_time < std::chrono::seconds(10));
    CHECK_FALSE(process_alive(child));
    CHECK(exec.ids("vol1").empty());
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
}

TEST_CASE("dvdcli exec lets the command decide: a signal it handles does not end the task", "[e2e][exec][signal]")
{
    ExecHarness exec;
    const std::string script =
        "trap 'echo usr1 >> \"$0/seen\"' USR1; touch \"$0/ready\"; "
        "i=0; while [ ! -e \"$0/seen\" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done";
    auto dvdcli =
        exec.start({"exec", "--volume=local:vol1:" + exec.path("vol1"), "--", "/bin/sh", "-c", script, exec.task});
    REQUIRE(wait_until([&] { return exists(exec.task + "/ready"); }));

    REQUIRE(::kill(dvdcli->pid(), SIGUSR1) == 0);
    const auto result = wait_for_exit(*dvdcli);

    REQUIRE_EXIT(result, 0);
    CHECK(read_file(exec.task + "/seen") == "usr1\n");
    CHECK(exec.ids("vol1").empty());
    CHECK(mount_points_under(exec.harness.dir().path()).empty());
}

TEST_CASE("dvdcli exec killed by SIGKILL takes the command with it; the volume stays for the operator",
          "[e2e][exec][signal]")
{
    ExecHarness exec;
    auto dvdcli = start_sleeping_task(exec);
    const int child = wait_for_task_pid(exec);

    REQUIRE(::kill(dvdcli->pid(), SIGKILL) == 0);
    const auto result = wait_for_exit(*dvdcli);

    CHECK(result.signal == SIGKILL);
    CHECK(wait_until([&] { return !process_alive(child); }, std::chrono::seconds(5)));
    // What docs/local-driver-and-exec.md documents: the holder (and, as root, the bind mount) are left to
    // release by hand.
    CHECK(exec.ids("vol1").size() == 1);
}
