// dvdcli exec's library half: reading the DVDI_VOLUME_* / FLOCKER_* contract, --volume flags,
// container-path rules, and run_task (mount order, rollback, the command's status, signal
// forwarding, reverse-order release) against a recording fake driver and real child processes.

#include <volumecli/driver.hpp>
#include <volumecli/error.hpp>
#include <volumecli/task.hpp>

#include "thrown.hpp"

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

using Catch::Matchers::Contains;
using volumecli::Capabilities;
using volumecli::Driver;
using volumecli::DriverError;
using volumecli::EnvironmentList;
using volumecli::LookupResult;
using volumecli::parse_volume_flag;
using volumecli::run_task;
using volumecli::task_volumes_from_environment;
using volumecli::TaskSettings;
using volumecli::TaskVolume;
using volumecli::TimeoutError;
using volumecli::UsageError;
using volumecli::validate_container_path;
using volumecli::Volume;
using volumecli::VolumeOptions;
using volumecli::test::read_file;
using volumecli::test::TempDir;
using volumecli::test::thrown;

namespace {

using Lines = std::vector<std::string>;

// One line per volume, every field the contract defines, so a table row reads like the result.
std::string describe(const TaskVolume& volume)
{
    std::string options;
    for (const auto& [key, value] : volume.options) {
        options.append(options.empty() ? "" : ",").append(key).append("=").append(value);
    }
    return volume.driver + "|" + volume.name + "|{" + options + "}|" + volume.container_path + "|" +
           (volume.explicit_create ? "explicit" : "implicit") + "|" + volume.mountpoint_variable;
}

Lines describe_all(const std::vector<TaskVolume>& volumes)
{
    Lines lines;
    for (const auto& volume : volumes) {
        lines.push_back(describe(volume));
    }
    return lines;
}

bool exists(const std::string& path)
{
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0;
}

// A driver that writes every call to a log shared by all fakes of a test, noting whether the
// command's marker file existed at that moment (so the log shows what happened before and after
// the command ran). Volumes are found by Get and mounted at /mnt/<name>.
class RecordingDriver final : public Driver {
public:
    RecordingDriver(std::string name, Lines& log, std::string marker)
        : m_name(std::move(name)), m_log(log), m_marker(std::move(marker))
    {
    }

    // Call name ("mount", "unmount", ...) + volume -> error thrown instead of answering.
    std::map<std::string, std::exception_ptr> failures;

    [[nodiscard]] const std::string& name() const override { return m_name; }
    void create(const std::string& volume, const VolumeOptions& /*options*/) override { record("create", volume); }
    void remove(const std::string& volume) override { record("remove", volume); }
    std::string mount(const std::string& volume, const std::string& mount_id) override
    {
        record("mount", volume, " " + mount_id);
        return "/mnt/" + volume;
    }
    void unmount(const std::string& volume, const std::string& mount_id) override
    {
        record("unmount", volume, " " + mount_id);
    }
    std::string path(const std::string& volume) override
    {
        record("path", volume);
        return "/mnt/" + volume;
    }
    LookupResult get(const std::string& volume) override
    {
        record("get", volume);
        LookupResult found;
        found.kind = LookupResult::Kind::found;
        found.volume = Volume{volume, "", {}, {}};
        return found;
    }
    std::vector<Volume> list() override { return {}; }
    Capabilities capabilities() override { return {}; }

private:
    void record(const std::string& call, const std::string& volume, const std::string& extra = "")
    {
        m_log.push_back(m_name + " " + call + " " + volume + extra + (exists(m_marker) ? " (after)" : ""));
        if (const auto failure = failures.find(call + " " + volume); failure != failures.end()) {
            std::rethrow_exception(failure->second);
        }
    }

    std::string m_name;
    Lines& m_log;
    std::string m_marker;
};

TaskVolume task_volume(const std::string& driver, const std::string& name, const std::string& variable = "")
{
    TaskVolume volume;
    volume.driver = driver;
    volume.name = name;
    volume.mountpoint_variable = variable;
    volume.origin = "test " + name;
    return volume;
}

// Two fakes ("a" and "b") sharing one log; mount IDs are "id-<volume>".
struct TaskFixture {
    TempDir dir;
    std::string marker = dir.file("command-ran");
    Lines log;
    RecordingDriver a{"a", log, marker};
    RecordingDriver b{"b", log, marker};
    TaskSettings settings;
    EnvironmentList environment{{"PATH", "/usr/local/bin:/usr/bin:/bin"}};

    TaskFixture()
    {
        settings.open_driver = [this](const TaskVolume& volume) -> Driver& { return volume.driver == "a" ? a : b; };
        settings.mount_id = [](const TaskVolume& volume) { return "id-" + volume.name; };
    }

    // sh -c SCRIPT, with the marker path as $0.
    int run(const std::vector<TaskVolume>& volumes, const std::string& script)
    {
        return run_task(volumes, {"/bin/sh", "-c", script, marker}, environment, settings);
    }
};

// Sets PATH for the lifetime of the object.
class ScopedPath {
public:
    explicit ScopedPath(const char* value)
    {
        if (const char* old = std::getenv("PATH")) {
            m_old = old;
        }
        ::setenv("PATH", value, 1);
    }
    ~ScopedPath()
    {
        if (m_old) {
            ::setenv("PATH", m_old->c_str(), 1);
        } else {
            ::unsetenv("PATH");
        }
    }
    ScopedPath(const ScopedPath&) = delete;
    ScopedPath& operator=(const ScopedPath&) = delete;

private:
    std::optional<std::string> m_old;
};

bool signal_blocked(int signal)
{
    sigset_t current;
    sigprocmask(SIG_BLOCK, nullptr, &current);
    return sigismember(&current, signal) == 1;
}

}  // namespace

TEST_CASE("task_volumes_from_environment reads the DVDI_VOLUME slots in slot order", "[task][environment]")
{
    using Row = std::tuple<std::string, EnvironmentList, Lines>;
    const auto row = GENERATE(table<std::string, EnvironmentList, Lines>({
        Row{"one unsuffixed volume gets the defaults",
            {{"DVDI_VOLUME_NAME", "v1"}},
            {"rexray|v1|{}||implicit|DVDI_VOLUME_MOUNTPOINT"}},
        Row{"suffix 0 is slot 0 and its variable keeps the 0",
            {{"DVDI_VOLUME_NAME0", "v1"}},
            {"rexray|v1|{}||implicit|DVDI_VOLUME_MOUNTPOINT0"}},
        Row{"slots come out in digit order whatever the environment order",
            {{"DVDI_VOLUME_NAME3", "c"}, {"DVDI_VOLUME_NAME1", "b"}, {"DVDI_VOLUME_NAME", "a"}},
            {"rexray|a|{}||implicit|DVDI_VOLUME_MOUNTPOINT", "rexray|b|{}||implicit|DVDI_VOLUME_MOUNTPOINT1",
             "rexray|c|{}||implicit|DVDI_VOLUME_MOUNTPOINT3"}},
        Row{"every field of a slot",
            {{"DVDI_VOLUME_NAME2", "data"},
             {"DVDI_VOLUME_DRIVER2", "local"},
             {"DVDI_VOLUME_OPTS2", "size=5,,iops=150"},
             {"DVDI_VOLUME_CONTAINERPATH2", "/tmp/vcli-unit-never-created/data"},
             {"DVDI_VOLUME_EXPLICITCREATE2", "true"},
             {"DVDI_VOLUME_DVDCLI2", "/usr/bin/dvdcli"}},
            {"local|data|{iops=150,size=5}|/tmp/vcli-unit-never-created/data|explicit|DVDI_VOLUME_MOUNTPOINT2"}},
        Row{"an option piece without '=' continues the previous value",
            {{"DVDI_VOLUME_NAME", "v"}, {"DVDI_VOLUME_OPTS", "o=addr=10.0.0.1,rw"}},
            {"rexray|v|{o=addr=10.0.0.1,rw}||implicit|DVDI_VOLUME_MOUNTPOINT"}},
        Row{"an empty driver means rexray",
            {{"DVDI_VOLUME_NAME", "v"}, {"DVDI_VOLUME_DRIVER", ""}},
            {"rexray|v|{}||implicit|DVDI_VOLUME_MOUNTPOINT"}},
        Row{"a slot without a name is skipped", {{"DVDI_VOLUME_DRIVER1", "local"}, {"DVDI_VOLUME_OPTS1", "a=1"}}, {}},
        Row{"a slot with an empty name is skipped", {{"DVDI_VOLUME_NAME5", ""}}, {}},
        Row{"NAME and NAME0 are one slot: the later one wins",
            {{"DVDI_VOLUME_NAME", "first"}, {"DVDI_VOLUME_NAME0", "second"}},
            {"rexray|second|{}||implicit|DVDI_VOLUME_MOUNTPOINT0"}},
        Row{"other DVDI_VOLUME_ names and unrelated variables are ignored",
            {{"DVDI_VOLUME_MOUNTPOINT", "/stale"},
             {"DVDI_VOLUME_FOO", "x"},
             {"DVDI_VOLUMES", "x"},
             {"OTHER", std::string("multi\nline\0nul", 14)},
             {"DVDI_VOLUME_NAME", "v"}},
            {"rexray|v|{}||implicit|DVDI_VOLUME_MOUNTPOINT"}},
        Row{"FLOCKER_ID comes after every slot, with the flocker driver",
            {{"FLOCKER_ID", "dataset"},
             {"FLOCKER_CONTAINER_VOLUME_PATH", "/tmp/vcli-unit-never-created/f"},
             {"DVDI_VOLUME_NAME9", "last-slot"}},
            {"rexray|last-slot|{}||implicit|DVDI_VOLUME_MOUNTPOINT9",
             "flocker|dataset|{}|/tmp/vcli-unit-never-created/f|implicit|FLOCKER_VOLUME_MOUNTPOINT"}},
        Row{"an empty FLOCKER_ID asks for nothing", {{"FLOCKER_ID", ""}}, {}},
        Row{"nothing asked", {{"PATH", "/bin"}}, {}},
    }));
    const auto& [what, environment, expected] = row;
    INFO(what);

    CHECK(describe_all(task_volumes_from_environment(environment)) == expected);
}

TEST_CASE("task_volumes_from_environment gives slots without a driver the default driver", "[task][environment]")
{
    const auto volumes = task_volumes_from_environment(
        {{"DVDI_VOLUME_NAME", "v0"}, {"DVDI_VOLUME_NAME1", "v1"}, {"DVDI_VOLUME_DRIVER1", "local"}}, "flocker");

    CHECK(describe_all(volumes) ==
          Lines{"flocker|v0|{}||implicit|DVDI_VOLUME_MOUNTPOINT", "local|v1|{}||implicit|DVDI_VOLUME_MOUNTPOINT1"});
}

TEST_CASE("task_volumes_from_environment names the FLOCKER_ID key for Flocker volumes", "[task][environment]")
{
    const auto volumes = task_volumes_from_environment({{"FLOCKER_ID", "dataset"}});

    REQUIRE(volumes.size() == 1);
    CHECK(volumes[0].name_key == "FLOCKER_ID");
    CHECK(volumes[0].container_path.empty());
}

TEST_CASE("task_volumes_from_environment reads EXPLICITCREATE as mesos-module-dvdi did", "[task][environment]")
{
    using Row = std::tuple<std::string, bool>;
    const auto [value, expected] = GENERATE(table<std::string, bool>({
        Row{"true", true},
        Row{"TRUE", true},
        Row{"True", true},
        Row{" true ", true},
        Row{"false", false},
        Row{"FALSE", false},
        Row{" False", false},
        Row{"", false},
    }));
    INFO("DVDI_VOLUME_EXPLICITCREATE=\"" << value << "\"");

    const auto volumes =
        task_volumes_from_environment({{"DVDI_VOLUME_NAME", "v"}, {"DVDI_VOLUME_EXPLICITCREATE", value}});

    REQUIRE(volumes.size() == 1);
    CHECK(volumes[0].explicit_create == expected);
}

TEST_CASE("task_volumes_from_environment rejects bad variables with a usage error naming them", "[task][environment]")
{
    using Row = std::tuple<EnvironmentList, std::string>;
    const auto row = GENERATE(table<EnvironmentList, std::string>({
        Row{{{"DVDI_VOLUME_NAME", "v"}, {"DVDI_VOLUME_EXPLICITCREATE", "yes"}}, "DVDI_VOLUME_EXPLICITCREATE: expected"},
        Row{{{"DVDI_VOLUME_NAME2", "v"}, {"DVDI_VOLUME_EXPLICITCREATE2", "1"}}, "DVDI_VOLUME_EXPLICITCREATE2"},
        Row{{{"DVDI_VOLUME_NAME", "v"}, {"DVDI_VOLUME_EXPLICITCREATE", "truex"}}, "\"truex\""},
        Row{{{"DVDI_VOLUME_NAMES", "x"}}, "DVDI_VOLUME_NAMES"},
        Row{{{"DVDI_VOLUME_NAME10", "x"}}, "DVDI_VOLUME_NAME10"},
        Row{{{"DVDI_VOLUME_NAME", "v"}, {"DVDI_VOLUME_DRIVERX", "x"}}, "DVDI_VOLUME_DRIVERX"},
        Row{{{"DVDI_VOLUME_OPTS_1", "a=1"}}, "DVDI_VOLUME_OPTS_1"},
        Row{{{"DVDI_VOLUME_CONTAINERPATHS", "/tmp/x"}}, "DVDI_VOLUME_CONTAINERPATHS"},
        Row{{{"DVDI_VOLUME_EXPLICITCREATEa", "true"}}, "DVDI_VOLUME_EXPLICITCREATEa"},
        Row{{{"DVDI_VOLUME_DVDCLI01", "/usr/bin/dvdcli"}}, "DVDI_VOLUME_DVDCLI01"},
        Row{{{"DVDI_VOLUME_NAME", "a\nb"}}, "DVDI_VOLUME_NAME"},
        Row{{{"DVDI_VOLUME_NAME2", std::string("a\0b", 3)}}, "DVDI_VOLUME_NAME2"},
        Row{{{"DVDI_VOLUME_NAME", "v"}, {"DVDI_VOLUME_OPTS", "a=1\n"}}, "DVDI_VOLUME_OPTS"},
        Row{{{"DVDI_VOLUME_NAME", "v"}, {"DVDI_VOLUME_CONTAINERPATH", "/tmp/a\nb"}}, "DVDI_VOLUME_CONTAINERPATH"},
        Row{{{"DVDI_VOLUME_NAME1", "v"}, {"DVDI_VOLUME_OPTS1", "novalue"}}, "DVDI_VOLUME_OPTS1"},
        Row{{{"FLOCKER_ID", "a\nb"}}, "FLOCKER_ID"},
        Row{{{"DVDI_VOLUME_NAME", "v"}, {"DVDI_VOLUME_CONTAINERPATH", "data"}}, "container path \"data\""},
        Row{{{"DVDI_VOLUME_NAME", "v"}, {"DVDI_VOLUME_CONTAINERPATH", "/vcli-unit-no-such-dir/data"}}, "must exist"},
        Row{{{"DVDI_VOLUME_NAME3", "v"}, {"DVDI_VOLUME_CONTAINERPATH3", "data"}}, "DVDI_VOLUME_CONTAINERPATH3:"},
        Row{{{"DVDI_VOLUME_NAME", "v"}, {"DVDI_VOLUME_CONTAINERPATH", "/tmp/../etc/x"}}, ". or .. components"},
        Row{{{"FLOCKER_ID", "dataset"}, {"FLOCKER_CONTAINER_VOLUME_PATH", "relative/path"}},
            "FLOCKER_CONTAINER_VOLUME_PATH:"},
    }));
    const EnvironmentList environment = std::get<0>(row);
    const std::string expected = std::get<1>(row);
    INFO("expecting a usage error mentioning " << expected);

    CHECK_THAT(thrown<UsageError>([&] { task_volumes_from_environment(environment); }), Contains(expected));
}

TEST_CASE("parse_volume_flag splits DRIVER:NAME[:CONTAINERPATH] at the first two colons", "[task][flag]")
{
    using Row = std::tuple<std::string, std::string>;
    const auto [value, expected] = GENERATE(table<std::string, std::string>({
        Row{"local:vol", "local|vol|{}||implicit|DVDCLI_VOLUME_MOUNTPOINT3"},
        Row{"rexray:vol:/tmp/vcli-unit-never-created/a",
            "rexray|vol|{}|/tmp/vcli-unit-never-created/a|implicit|DVDCLI_VOLUME_MOUNTPOINT3"},
        Row{"rexray:vol:/tmp/vcli-unit-never-created/a:b",
            "rexray|vol|{}|/tmp/vcli-unit-never-created/a:b|implicit|DVDCLI_VOLUME_MOUNTPOINT3"},
    }));
    INFO("--volume=" << value);

    // The third --volume flag: its host path goes to DVDCLI_VOLUME_MOUNTPOINT3.
    const TaskVolume volume = parse_volume_flag(value, 3);

    CHECK(describe(volume) == expected);
    CHECK_THAT(volume.origin, Contains(value));
}

TEST_CASE("parse_volume_flag rejects malformed values with a usage error", "[task][flag]")
{
    using Row = std::tuple<std::string, std::string>;
    const auto row = GENERATE(table<std::string, std::string>({
        Row{"", "DRIVER:NAME"},
        Row{"local", "DRIVER:NAME"},
        Row{"local:", "DRIVER:NAME"},
        Row{":vol", "DRIVER:NAME"},
        Row{"local:vol:", "empty container path"},
        Row{"local:vol:relative/path", "must be absolute"},
        Row{"local:vol:/vcli-unit-no-such-dir/a", "must exist"},
        Row{"local:vol:/", "system directory"},
        Row{"local:vol:/tmp/", "system directory"},
        Row{"local:v\nx", "newline"},
    }));
    const std::string value = std::get<0>(row);
    const std::string expected = std::get<1>(row);
    INFO("--volume=" << value);

    CHECK_THAT(thrown<UsageError>([&] { parse_volume_flag(value); }), Contains(expected));
}

TEST_CASE("validate_container_path wants an absolute path that exists unless under /tmp", "[task][flag]")
{
    SECTION("accepted")
    {
        const auto path = GENERATE(as<std::string>{}, "/tmp/vcli-unit-never-created/deep/er", "/mnt", "/usr/bin",
                                   "//usr//bin/", "/var/lib");
        INFO(path);
        CHECK_NOTHROW(validate_container_path(path));
    }
    SECTION("refused")
    {
        const auto path = GENERATE(as<std::string>{}, "", "tmp/x", "./x", "/vcli-unit-no-such-dir", "/tmp/a/../../etc");
        INFO(path);
        CHECK_THROWS_AS(validate_container_path(path), UsageError);
    }
}

TEST_CASE("validate_container_path refuses a system directory, or anything under a kernel file system", "[task][flag]")
{
    const auto path =
        GENERATE(as<std::string>{}, "/", "//", "/tmp", "/tmp/", "/proc", "/proc/1", "/sys", "/sys/fs/cgroup", "/dev",
                 "/dev/shm", "/etc", "/usr", "/var", "/run", "/boot", "/bin", "/sbin", "/lib", "/root");
    INFO(path);

    CHECK_THAT(thrown<UsageError>([&] { validate_container_path(path); }), Contains("system directory"));
}

TEST_CASE("validate_container_path refuses a symlink in a parent component but not as the last one", "[task][flag]")
{
    TempDir dir;
    const std::string real = dir.make_dir("real");
    dir.make_dir("real/data");
    const std::string link = dir.file("link");
    REQUIRE(::symlink(real.c_str(), link.c_str()) == 0);

    CHECK_THAT(thrown<UsageError>([&] { validate_container_path(link + "/data"); }),
               Contains("\"" + link + "\" is a symlink"));
    CHECK_THAT(thrown<UsageError>([&] { validate_container_path(link + "/new/deeper"); }), Contains("symlink"));
    CHECK_NOTHROW(validate_container_path(link));
    CHECK_NOTHROW(validate_container_path(real + "/data"));
}

TEST_CASE("run_task mounts in order, runs the command with the mountpoints, then unmounts in reverse order",
          "[task][run]")
{
    TaskFixture fixture;
    const std::string output = fixture.dir.file("output");
    const std::vector<TaskVolume> volumes{task_volume("a", "v1", "DVDI_VOLUME_MOUNTPOINT"),
                                          task_volume("b", "v2", "DVDI_VOLUME_MOUNTPOINT1")};

    const int status =
        fixture.run(volumes, "printf '%s|%s' \"$DVDI_VOLUME_MOUNTPOINT\" \"$DVDI_VOLUME_MOUNTPOINT1\" > " + output +
                                 "; touch \"$0\"");

    CHECK(status == 0);
    CHECK(read_file(output) == "/mnt/v1|/mnt/v2");
    CHECK(fixture.log == Lines{"a get v1", "a mount v1 id-v1", "b get v2", "b mount v2 id-v2", "b get v2 (after)",
                               "b unmount v2 id-v2 (after)", "a get v1 (after)", "a unmount v1 id-v1 (after)"});
    CHECK_FALSE(signal_blocked(SIGTERM));
    CHECK_FALSE(signal_blocked(SIGCHLD));
}

TEST_CASE("run_task replaces a mountpoint variable already in the environment", "[task][run]")
{
    TaskFixture fixture;
    fixture.environment.emplace_back("DVDI_VOLUME_MOUNTPOINT", "/stale");
    const std::string output = fixture.dir.file("output");

    const int status = fixture.run({task_volume("a", "v1", "DVDI_VOLUME_MOUNTPOINT")},
                                   "env | grep '^DVDI_VOLUME_MOUNTPOINT=' > " + output);

    CHECK(status == 0);
    CHECK(read_file(output) == "DVDI_VOLUME_MOUNTPOINT=/mnt/v1\n");
}

TEST_CASE("run_task passes the environment and arguments to the command unchanged", "[task][run]")
{
    TaskFixture fixture;
    fixture.environment.emplace_back("VCLI_SPACES", " two  spaces ");
    const std::string output = fixture.dir.file("output");

    const int status = volumecli::run_task(
        {}, {"/bin/sh", "-c", "printf '%s|%s|%s' \"$1\" \"$2\" \"$VCLI_SPACES\" > \"$0\"", output, "--help", "a b"},
        fixture.environment, fixture.settings);

    CHECK(status == 0);
    CHECK(read_file(output) == "--help|a b| two  spaces ");
    CHECK(fixture.log.empty());
}

TEST_CASE("run_task unmounts what it mounted when a later mount fails, and never runs the command", "[task][run]")
{
    TaskFixture fixture;
    SECTION("a driver error")
    {
        fixture.b.failures["mount v2"] = std::make_exception_ptr(DriverError("no space left"));
        CHECK_THAT(
            thrown<DriverError>([&] {
                fixture.run({task_volume("a", "v1"), task_volume("b", "v2"), task_volume("a", "v3")}, "touch \"$0\"");
            }),
            Contains("no space left"));
    }
    SECTION("a timeout keeps its type, and so its exit code")
    {
        fixture.b.failures["mount v2"] = std::make_exception_ptr(TimeoutError("timed out"));
        REQUIRE_THROWS_AS(
            fixture.run({task_volume("a", "v1"), task_volume("b", "v2"), task_volume("a", "v3")}, "touch \"$0\""),
            TimeoutError);
    }

    CHECK_FALSE(exists(fixture.marker));
    CHECK(fixture.log ==
          Lines{"a get v1", "a mount v1 id-v1", "b get v2", "b mount v2 id-v2", "a get v1", "a unmount v1 id-v1"});
    CHECK_FALSE(signal_blocked(SIGTERM));
}

TEST_CASE("run_task rolls back every earlier volume when opening a driver fails", "[task][run]")
{
    TaskFixture fixture;
    fixture.settings.open_driver = [&fixture](const TaskVolume& volume) -> Driver& {
        if (volume.driver == "missing") {
            throw volumecli::UnreachableError("plugin not found");
        }
        return volume.driver == "a" ? static_cast<Driver&>(fixture.a) : fixture.b;
    };

    REQUIRE_THROWS_AS(
        fixture.run({task_volume("a", "v1"), task_volume("b", "v2"), task_volume("missing", "v3")}, "touch \"$0\""),
        volumecli::UnreachableError);

    CHECK_FALSE(exists(fixture.marker));
    CHECK(fixture.log == Lines{"a get v1", "a mount v1 id-v1", "b get v2", "b mount v2 id-v2", "b get v2",
                               "b unmount v2 id-v2", "a get v1", "a unmount v1 id-v1"});
}

TEST_CASE("run_task returns the command's exit status, 128+N for a signal", "[task][run]")
{
    using Row = std::tuple<std::string, int>;
    const auto [script, expected] = GENERATE(table<std::string, int>({
        Row{"exit 0", 0},
        Row{"exit 7", 7},
        Row{"exit 255", 255},
        Row{"kill -TERM $$", 128 + SIGTERM},
        Row{"kill -KILL $$", 128 + SIGKILL},
        Row{"kill -USR1 $$", 128 + SIGUSR1},
    }));
    INFO("sh -c '" << script << "'");
    TaskFixture fixture;

    const int status = fixture.run({task_volume("a", "v1")}, script);

    CHECK(status == expected);
    // Released whatever the status.
    CHECK(fixture.log == Lines{"a get v1", "a mount v1 id-v1", "a get v1", "a unmount v1 id-v1"});
}

TEST_CASE("run_task returns 127 for a command that does not exist and 126 for one that cannot run", "[task][run]")
{
    TaskFixture fixture;
    // No x bit at all: refused with EACCES even for root.
    const std::string not_executable = fixture.dir.write_file("not-executable", "#!/bin/sh\nexit 0\n");
    REQUIRE(::chmod(not_executable.c_str(), 0644) == 0);

    SECTION("missing from PATH")
    {
        // The lookup uses this process's PATH; an inherited entry we may not search (root's
        // home, when run as another user) would make it "permission denied" (126).
        const ScopedPath path("/usr/local/bin:/usr/bin:/bin");
        CHECK(run_task({task_volume("a", "v1")}, {"vcli-no-such-command"}, fixture.environment, fixture.settings) ==
              127);
    }
    SECTION("missing absolute path")
    {
        CHECK(run_task({task_volume("a", "v1")}, {"/vcli-no-such-dir/cmd"}, fixture.environment, fixture.settings) ==
              127);
    }
    SECTION("not executable")
    {
        CHECK(run_task({task_volume("a", "v1")}, {not_executable}, fixture.environment, fixture.settings) == 126);
    }

    CHECK(fixture.log == Lines{"a get v1", "a mount v1 id-v1", "a get v1", "a unmount v1 id-v1"});
}

TEST_CASE("run_task refuses an empty command before mounting anything", "[task][run]")
{
    TaskFixture fixture;

    REQUIRE_THROWS_AS(run_task({task_volume("a", "v1")}, {}, fixture.environment, fixture.settings), UsageError);

    CHECK(fixture.log.empty());
}

TEST_CASE("run_task releases every volume even when one unmount fails", "[task][run]")
{
    TaskFixture fixture;
    fixture.b.failures["unmount v2"] = std::make_exception_ptr(DriverError("device busy"));
    const std::vector<TaskVolume> volumes{task_volume("a", "v1"), task_volume("b", "v2")};

    SECTION("after a successful command the failure is thrown")
    {
        CHECK_THAT(thrown<DriverError>([&] { fixture.run(volumes, "touch \"$0\""); }), Contains("device busy"));
    }
    SECTION("after a failed command its status wins")
    {
        CHECK(fixture.run(volumes, "touch \"$0\"; exit 3") == 3);
    }

    CHECK(fixture.log == Lines{"a get v1", "a mount v1 id-v1", "b get v2", "b mount v2 id-v2", "b get v2 (after)",
                               "b unmount v2 id-v2 (after)", "a get v1 (after)", "a unmount v1 id-v1 (after)"});
}

TEST_CASE("run_task forwards every terminating signal to the command and returns its status", "[task][run][signal]")
{
    const auto [signal, name] = GENERATE(table<int, std::string>({
        std::make_tuple(SIGTERM, std::string("TERM")),
        std::make_tuple(SIGINT, std::string("INT")),
        std::make_tuple(SIGHUP, std::string("HUP")),
        std::make_tuple(SIGUSR1, std::string("USR1")),
        std::make_tuple(SIGUSR2, std::string("USR2")),
        std::make_tuple(SIGALRM, std::string("ALRM")),
        std::make_tuple(SIGQUIT, std::string("QUIT")),
        std::make_tuple(SIGPIPE, std::string("PIPE")),
        std::make_tuple(SIGVTALRM, std::string("VTALRM")),
    }));
    INFO("SIG" << name);
    TaskFixture fixture;
    // The command signals its parent (this process, inside run_task) and waits for the signal to
    // come back; without forwarding it gives up after 10 s with status 3.
    const std::string script = "trap 'touch \"$0\"; exit 42' " + name + "; kill -" + name +
                               " $PPID; i=0; while [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; exit 3";

    const int status = fixture.run({task_volume("a", "v1")}, script);

    CHECK(status == 42);
    CHECK(exists(fixture.marker));
    CHECK(fixture.log == Lines{"a get v1", "a mount v1 id-v1", "a get v1 (after)", "a unmount v1 id-v1 (after)"});
    CHECK_FALSE(signal_blocked(signal));
}
