// Per-(driver, volume) locking end to end: concurrent dvdcli processes on one volume run one at
// a time (20 parallel mounts of a new volume send one Create), other volumes run in parallel, the
// wait is bounded by --timeout (exit 4), a killed holder blocks nobody, exec holds no lock while
// its task runs; and file safety: lock and state files 0600 in 0700 directories, symlinks planted
// at the run directory, a lock file or a local volume refused and their targets untouched.

#include "harness.hpp"

#include <catch2/catch.hpp>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace volumecli::e2e;
using Catch::Matchers::Contains;
using volumecli::test::BackgroundProcess;
using volumecli::test::exists;
using volumecli::test::permissions;
using volumecli::test::ProcessOptions;
using volumecli::test::read_file;
using Args = std::vector<std::string>;
using Calls = std::vector<std::string>;
using std::chrono::milliseconds;

namespace {

using Clock = std::chrono::steady_clock;

// Polls `condition` every 5 ms for up to `limit`.
template <typename Condition>
bool wait_until(Condition condition, milliseconds limit = std::chrono::seconds(10))
{
    const auto deadline = Clock::now() + limit;
    while (!condition()) {
        if (Clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(milliseconds(5));
    }
    return true;
}

// The lock file's name the manual promises: sha256(key NUL volume) in hex, then ".lock", where
// the key of a plugin on a unix socket is "unix://" and the socket's real path.
std::string lock_name(const std::string& key, const std::string& volume)
{
    return sha256_hex(key + '\0' + volume) + ".lock";
}

std::string unix_key(const std::string& socket_path)
{
    char resolved[PATH_MAX];
    REQUIRE(::realpath(socket_path.c_str(), resolved) != nullptr);
    return std::string("unix://") + resolved;
}

// A fake plugin on <tmp>/sockets/fake.sock and a run directory <tmp>/run for the lock files.
struct LockHarness {
    Harness harness;
    FakePlugin plugin;
    std::string run_dir = harness.dir().file("run");

    LockHarness() { plugin.set_mount_root(harness.dir().file("mnt")); }

    void start() { harness.start(plugin); }
    // The lock key of the plugin "fake".
    [[nodiscard]] std::string key() const { return unix_key(harness.socket_path("fake")); }

    // dvdcli COMMAND --volumedriver=fake --volumename=VOLUME --run-dir=<tmp>/run EXTRA...
    [[nodiscard]] Args args(const std::string& command, const std::string& volume, const Args& extra = {}) const
    {
        Args args{command, "--volumedriver=fake", "--volumename=" + volume, "--run-dir=" + run_dir};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }
    [[nodiscard]] ProcessResult run(const std::string& command, const std::string& volume, const Args& extra = {}) const
    {
        return harness.run(args(command, volume, extra));
    }
    // The same, in the background.
    [[nodiscard]] std::unique_ptr<BackgroundProcess> start_run(const std::string& command, const std::string& volume,
                                                               const Args& extra = {}) const
    {
        Args argv{k_dvdcli};
        const Args rest = args(command, volume, extra);
        argv.insert(argv.end(), rest.begin(), rest.end());
        return std::make_unique<BackgroundProcess>(argv, harness.options());
    }
    [[nodiscard]] std::size_t count(const std::string& call) const { return plugin.requests_for(call).size(); }
};

// Mounts "newvol" (mount ID one-id) with `count` dvdcli processes at once, naming the plugin by
// each of `spellings` in turn; every one must succeed.
void mount_at_once(const LockHarness& fixture, const std::vector<std::string>& spellings, int count)
{
    std::vector<std::future<ProcessResult>> runs;
    for (int i = 0; i < count; ++i) {
        const std::string driver = spellings[static_cast<std::size_t>(i) % spellings.size()];
        runs.push_back(std::async(std::launch::async, [&fixture, driver] {
            return fixture.harness.run(
                {"mount", driver, "--volumename=newvol", "--run-dir=" + fixture.run_dir, "--mountid=one-id"});
        }));
    }
    for (auto& run : runs) {
        const auto result = run.get();
        REQUIRE_EXIT(result, 0);
    }
}

// The Name field of a plugin request body, e.g. {"Name":"volA","ID":"..."} → volA.
std::string name_in(const std::string& body)
{
    return nlohmann::json::parse(body).at("Name").get<std::string>();
}

Reply mounted_at(const std::string& mountpoint)
{
    return Reply{200, nlohmann::json{{"Mountpoint", mountpoint}, {"Err", ""}}.dump()};
}

// REQUIRE_EXIT for a run given as an expression (the macro evaluates its argument twice).
void require_exit(const ProcessResult& result, int code)
{
    REQUIRE_EXIT(result, code);
}

// Waits for a background dvdcli to end by itself and returns its outcome.
ProcessResult finish(BackgroundProcess& process, milliseconds limit = std::chrono::seconds(20))
{
    wait_until([&] { return !process.running(); }, limit);
    return process.stop(SIGKILL, milliseconds(100));
}

}  // namespace

TEST_CASE("20 parallel dvdcli mounts of one new volume send one Create and all print the same path", "[e2e][lock]")
{
    LockHarness fixture;
    fixture.plugin.delay("VolumeDriver.Create", milliseconds(200));  // a wide window for the race
    fixture.start();

    std::vector<std::future<ProcessResult>> runs;
    for (int i = 0; i < 20; ++i) {
        runs.push_back(std::async(std::launch::async, [&] { return fixture.run("mount", "newvol"); }));
    }
    std::vector<ProcessResult> results;
    for (auto& run : runs) {
        results.push_back(run.get());
    }

    CHECK(fixture.count("VolumeDriver.Create") == 1);
    CHECK(fixture.count("VolumeDriver.Mount") == 20);
    const std::string expected = fixture.plugin.mountpoint_of("newvol") + "\n";
    CHECK(expected.size() > 1);
    for (const auto& result : results) {
        REQUIRE_EXIT(result, 0);
        CHECK(result.out == expected);
        CHECK(result.err.empty());
    }
}

TEST_CASE("20 parallel dvdcli mounts of one plugin named in different ways send one Create", "[e2e][lock]")
{
    LockHarness fixture;
    fixture.plugin.delay("VolumeDriver.Create", milliseconds(200));
    fixture.start();
    // The socket directory, also reached through a symlink.
    const std::string linked_dir = fixture.harness.dir().file("linked-sockets");
    REQUIRE(::symlink(fixture.harness.socket_dir().c_str(), linked_dir.c_str()) == 0);
    const std::string socket = fixture.harness.socket_path("fake");
    const std::vector<std::string> spellings = {
        "--volumedriver=fake",
        "--plugin-addr=unix://" + socket,
        "--plugin-addr=unix://" + fixture.harness.socket_dir() + "//./fake.sock",
        "--plugin-addr=unix://" + linked_dir + "/fake.sock",
    };

    mount_at_once(fixture, spellings, 20);

    CHECK(fixture.count("VolumeDriver.Create") == 1);
    CHECK(fixture.count("VolumeDriver.Mount") == 20);
    // One lock file for all of them, named after the socket's real path.
    std::size_t lock_files = 0;
    CHECK(exists(fixture.run_dir + "/locks/" + lock_name(fixture.key(), "newvol")));
    if (DIR* dir = ::opendir((fixture.run_dir + "/locks").c_str())) {
        while (const dirent* entry = ::readdir(dir)) {
            lock_files += entry->d_name[0] != '.' ? 1 : 0;
        }
        ::closedir(dir);
    }
    CHECK(lock_files == 1);
}

// The same over TCP: a spec file, localhost, a loopback address and an http:// URL with a path
// all lead to the one plugin listening on the loopback interface.
TEST_CASE("20 parallel dvdcli mounts of a TCP plugin spelt as localhost or 127.0.0.1 send one Create", "[e2e][lock]")
{
    LockHarness fixture;
    fixture.plugin.delay("VolumeDriver.Create", milliseconds(200));
    const std::string port = std::to_string(fixture.plugin.start_tcp());
    fixture.harness.dir().write_file("spec1/fake.spec", "tcp://127.0.0.1:" + port + "\n");
    const std::vector<std::string> spellings = {
        "--volumedriver=fake",
        "--plugin-addr=tcp://localhost:" + port,
        "--plugin-addr=http://LocalHost:" + port + "/plugin",
        "--plugin-addr=tcp://127.0.0.1:" + port,
    };

    mount_at_once(fixture, spellings, 20);

    CHECK(fixture.count("VolumeDriver.Create") == 1);
    CHECK(fixture.count("VolumeDriver.Mount") == 20);
    CHECK(exists(fixture.run_dir + "/locks/" + lock_name("tcp://loopback:" + port, "newvol")));
}

TEST_CASE("dvdcli mounts of different volumes run in parallel", "[e2e][lock]")
{
    LockHarness fixture;
    fixture.plugin.add_volume("volA");
    fixture.plugin.add_volume("volB");
    std::atomic<bool> b_arrived{false};
    // Mount of volA answers only once Mount of volB has arrived: serialised, volA would fail.
    fixture.plugin.handle("VolumeDriver.Mount", [&](const RecordedRequest& request) {
        const std::string name = name_in(request.body);
        if (name == "volB") {
            b_arrived = true;
        } else if (!wait_until([&] { return b_arrived.load(); }, std::chrono::seconds(5))) {
            return Reply{500, R"({"Err":"volB's Mount never came while volA's was pending"})"};
        }
        return mounted_at("/mnt/" + name);
    });
    fixture.start();

    auto a = std::async(std::launch::async, [&] { return fixture.run("mount", "volA"); });
    wait_until([&] { return fixture.count("VolumeDriver.Mount") == 1; });
    const ProcessResult b = fixture.run("mount", "volB");
    const ProcessResult a_result = a.get();

    REQUIRE_EXIT(a_result, 0);
    REQUIRE_EXIT(b, 0);
    CHECK(a_result.out == "/mnt/volA\n");
    CHECK(b.out == "/mnt/volB\n");
}

TEST_CASE("dvdcli waits for a volume's lock at most --timeout, then exits 4 without calling the plugin",
          "[e2e][lock][timeout]")
{
    LockHarness fixture;
    fixture.plugin.add_volume("vol1");
    fixture.plugin.delay("VolumeDriver.Mount", milliseconds(3000));
    fixture.start();
    auto holder = fixture.start_run("mount", "vol1", {"--timeout=10"});
    REQUIRE(wait_until([&] { return fixture.count("VolumeDriver.Mount") == 1; }));
    const std::size_t calls_before = fixture.plugin.calls().size();

    const auto result = fixture.run("mount", "vol1", {"--timeout=1"});

    REQUIRE_FAILURE(result, 4);
    CHECK_THAT(result.err,
               Contains("driver \"fake\": volume \"vol1\" is busy: another process (pid " +
                        std::to_string(holder->pid()) + ") still holds its lock " + fixture.run_dir + "/locks/") &&
                   Contains(".lock after 1s"));
    CHECK(result.wall_time >= milliseconds(950));
    CHECK(result.wall_time < within(milliseconds(1000)));
    INFO("calls: " << describe_calls(fixture.plugin.calls()));
    CHECK(fixture.plugin.calls().size() == calls_before);

    const auto held = finish(*holder);
    REQUIRE_EXIT(held, 0);
    CHECK(held.out == fixture.plugin.mountpoint_of("vol1") + "\n");
}

TEST_CASE("dvdcli is not blocked by a lock whose holder was killed mid-call", "[e2e][lock]")
{
    LockHarness fixture;
    fixture.plugin.add_volume("vol1");
    fixture.plugin.delay("VolumeDriver.Mount", milliseconds(20000));
    fixture.start();
    auto holder = fixture.start_run("mount", "vol1");
    REQUIRE(wait_until([&] { return fixture.count("VolumeDriver.Mount") == 1; }));
    const auto killed = holder->stop(SIGKILL);
    CHECK(killed.signal == SIGKILL);
    fixture.plugin.reset("VolumeDriver.Mount");

    const auto result = fixture.run("mount", "vol1", {"--timeout=5"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == fixture.plugin.mountpoint_of("vol1") + "\n");
    CHECK(result.wall_time < milliseconds(2000));  // at once, not after the 5 s wait
}

TEST_CASE("dvdcli makes its lock files 0600 in 0700 directories, keyed by driver and volume", "[e2e][lock][files]")
{
    LockHarness fixture;
    fixture.start();

    require_exit(fixture.run("mount", "vol1"), 0);

    const std::string lock = fixture.run_dir + "/locks/" + lock_name(fixture.key(), "vol1");
    CHECK(permissions(fixture.run_dir) == mode_t{0700});
    CHECK(permissions(fixture.run_dir + "/locks") == mode_t{0700});
    CHECK(permissions(lock) == mode_t{0600});
    // Commands that change nothing take no lock.
    require_exit(fixture.run("path", "vol2"), 1);
    require_exit(fixture.run("get", "vol2"), 1);
    CHECK_FALSE(exists(fixture.run_dir + "/locks/" + lock_name(fixture.key(), "vol2")));
}

TEST_CASE("dvdcli takes --run-dir over DVDCLI_RUN_DIR and refuses a relative one", "[e2e][lock][usage]")
{
    LockHarness fixture;
    fixture.start();
    const std::string from_env = fixture.harness.dir().file("env-run");
    const std::string lock = lock_name(fixture.key(), "vol1");
    ProcessOptions env;
    env.env["DVDCLI_RUN_DIR"] = from_env;

    require_exit(fixture.harness.run({"create", "--volumedriver=fake", "--volumename=vol1"}, env), 0);
    CHECK(exists(from_env + "/locks/" + lock));
    require_exit(fixture.harness.run(fixture.args("remove", "vol1"), env), 0);
    CHECK(exists(fixture.run_dir + "/locks/" + lock));

    const auto relative = fixture.harness.run({"mount", "--volumedriver=fake", "--volumename=vol1", "--run-dir=run"});
    REQUIRE_FAILURE(relative, 2);
    CHECK_THAT(relative.err, Contains("--run-dir") && Contains("absolute"));
}

TEST_CASE("dvdcli refuses a run directory that is a symlink, before calling the plugin", "[e2e][lock][files]")
{
    LockHarness fixture;
    fixture.start();
    const std::string target = fixture.harness.dir().make_dir("elsewhere");
    REQUIRE(::symlink(target.c_str(), fixture.run_dir.c_str()) == 0);

    const auto result = fixture.run("mount", "vol1");

    REQUIRE_FAILURE(result, 2);
    CHECK_THAT(result.err, Contains("run directory " + fixture.run_dir + " is a symlink"));
    CHECK_FALSE(exists(target + "/locks"));
    CHECK(fixture.plugin.calls().empty());
}

TEST_CASE("dvdcli never follows a lock file planted as a symlink", "[e2e][lock][files]")
{
    LockHarness fixture;
    fixture.start();
    require_exit(fixture.run("create", "vol1"), 0);
    const std::string lock = fixture.run_dir + "/locks/" + lock_name(fixture.key(), "vol1");
    const std::string precious = fixture.harness.dir().write_file("precious", "keep me\n");
    REQUIRE(::unlink(lock.c_str()) == 0);
    REQUIRE(::symlink(precious.c_str(), lock.c_str()) == 0);
    fixture.plugin.clear_requests();

    const auto result = fixture.run("mount", "vol1");

    REQUIRE_FAILURE(result, 1);
    CHECK_THAT(result.err, Contains(lock) && Contains("symlink"));
    CHECK(read_file(precious) == "keep me\n");
    CHECK(fixture.plugin.calls().empty());
}

TEST_CASE("dvdcli exec holds no lock while its command runs", "[e2e][lock][exec]")
{
    LockHarness fixture;
    fixture.start();
    const std::string started = fixture.harness.dir().file("started");
    const std::string done = fixture.harness.dir().file("done");
    Args argv{k_dvdcli,
              "exec",
              "--run-dir=" + fixture.run_dir,
              "--volume=fake:vol1",
              "--",
              "/bin/sh",
              "-c",
              "touch " + started + "; while [ ! -e " + done + " ]; do sleep 0.02; done"};
    BackgroundProcess task(argv, fixture.harness.options());
    REQUIRE(wait_until([&] { return exists(started); }));

    const auto mounted = fixture.run("mount", "vol1", {"--timeout=1"});
    const auto unmounted = fixture.run("unmount", "vol1", {"--timeout=1"});
    fixture.harness.dir().write_file("done", "");
    const auto ran = finish(task);

    REQUIRE_EXIT(mounted, 0);
    REQUIRE_EXIT(unmounted, 0);
    REQUIRE_EXIT(ran, 0);
    CHECK(fixture.count("VolumeDriver.Mount") == 2);
    CHECK(fixture.count("VolumeDriver.Unmount") == 2);
}

TEST_CASE("dvdcli exec waits for a volume's lock before mounting it, at most --timeout", "[e2e][lock][exec]")
{
    LockHarness fixture;
    fixture.plugin.add_volume("vol1");
    fixture.plugin.delay("VolumeDriver.Mount", milliseconds(3000));
    fixture.start();
    auto holder = fixture.start_run("mount", "vol1", {"--timeout=10"});
    REQUIRE(wait_until([&] { return fixture.count("VolumeDriver.Mount") == 1; }));

    const auto result = fixture.harness.run(
        {"exec", "--run-dir=" + fixture.run_dir, "--timeout=0.5", "--volume=fake:vol1", "--", "/bin/true"});

    REQUIRE_FAILURE(result, 4);
    CHECK_THAT(result.err, Contains("volume \"vol1\" is busy"));
    CHECK(fixture.count("VolumeDriver.Mount") == 1);
    require_exit(finish(*holder), 0);
}

// --- the local driver's own files ---

namespace {

struct LocalFiles {
    Harness harness;
    std::string root = harness.dir().file("volumes");
    std::string outside = harness.dir().make_dir("outside");

    [[nodiscard]] ProcessResult local(const std::string& command, const std::string& volume) const
    {
        ProcessOptions options;
        options.env["DVDCLI_LOCAL_ROOT"] = root;
        return harness.run(
            {command, "--volumedriver=local", "--volumename=" + volume, "--run-dir=" + harness.dir().file("run")},
            options);
    }
};

}  // namespace

TEST_CASE("dvdcli local driver keeps its state 0600 and its lock directory 0700", "[e2e][local][files]")
{
    LocalFiles fixture;

    require_exit(fixture.local("create", "demo"), 0);

    CHECK(permissions(fixture.root + "/demo/state.json") == mode_t{0600});
    CHECK(permissions(fixture.root + "/.locks") == mode_t{0700});
    CHECK(permissions(fixture.root + "/.locks/demo.lock") == mode_t{0600});
}

TEST_CASE("dvdcli local driver refuses a volume directory planted as a symlink", "[e2e][local][files]")
{
    LocalFiles fixture;
    require_exit(fixture.local("create", "real"), 0);
    const std::string state = R"({"Options":{},"MountIDs":[],"CreatedAt":""})";
    fixture.harness.dir().write_file("outside/state.json", state);
    fixture.harness.dir().make_dir("outside/_data");
    REQUIRE(::symlink(fixture.outside.c_str(), (fixture.root + "/evil").c_str()) == 0);

    for (const char* command : {"mount", "unmount", "path", "remove", "create"}) {
        INFO(command);
        const auto result = fixture.local(command, "evil");
        REQUIRE_FAILURE(result, 1);
        CHECK_THAT(result.err, Contains(fixture.root + "/evil"));
    }
    CHECK(read_file(fixture.outside + "/state.json") == state);
    CHECK(exists(fixture.outside + "/_data"));
    ProcessOptions options;
    options.env["DVDCLI_LOCAL_ROOT"] = fixture.root;
    const auto listed = fixture.harness.run({"list", "--volumedriver=local"}, options);
    REQUIRE_EXIT(listed, 0);
    CHECK(listed.out == "real\n");
}

TEST_CASE("dvdcli local driver refuses a data directory planted as a symlink", "[e2e][local][files]")
{
    LocalFiles fixture;
    require_exit(fixture.local("create", "demo"), 0);
    const std::string data = fixture.root + "/demo/_data";
    REQUIRE(::rmdir(data.c_str()) == 0);
    REQUIRE(::symlink(fixture.outside.c_str(), data.c_str()) == 0);
    const std::string state = read_file(fixture.root + "/demo/state.json");

    for (const char* command : {"mount", "path", "get"}) {
        INFO(command);
        const auto result = fixture.local(command, "demo");
        REQUIRE_FAILURE(result, 1);
        CHECK_THAT(result.err, Contains(data + " is a symlink"));
    }
    CHECK(read_file(fixture.root + "/demo/state.json") == state);  // no holder recorded
}
