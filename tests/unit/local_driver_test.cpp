// The built-in local driver through make_local_driver, in a temporary root: names, options,
// the state file, holders (mount IDs), remove's refusal, the per-volume lock; and Docker's
// reading of the "o" option. Only option-less volumes are mounted here (no root needed); real
// mount(2) is exercised end to end (tests/e2e/local_driver_test.cpp).

#include <volumecli/driver.hpp>
#include <volumecli/error.hpp>
#include <volumecli/local_driver.hpp>

#include "thrown.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "local/local_mount.hpp"
#include "local/local_tree.hpp"
#include "temp_dir.hpp"
#include "timing.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

using Catch::Matchers::Contains;
using nlohmann::json;
using volumecli::DriverError;
using volumecli::LocalSettings;
using volumecli::LookupResult;
using volumecli::make_local_driver;
using volumecli::TimeoutError;
using volumecli::UsageError;
using volumecli::validate_local_volume_name;
using volumecli::VolumeOptions;
using volumecli::test::read_file;
using volumecli::test::TempDir;
using volumecli::test::thrown;
using volumecli::test::within;
using Ids = std::vector<std::string>;

namespace {

bool is_directory(const std::string& path)
{
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool exists(const std::string& path)
{
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0;
}

// A driver on <tmp>/volumes (not created: the driver makes it) with a short lock timeout.
struct LocalFixture {
    TempDir dir;
    std::string root = dir.file("volumes");
    std::unique_ptr<volumecli::Driver> driver = make_local_driver("local", settings());

    [[nodiscard]] LocalSettings settings() const
    {
        LocalSettings settings;
        settings.root = root;
        settings.lock_timeout = std::chrono::milliseconds(300);
        return settings;
    }
    [[nodiscard]] std::string data(const std::string& volume) const { return root + "/" + volume + "/_data"; }
    [[nodiscard]] std::string state_path(const std::string& volume) const
    {
        return root + "/" + volume + "/state.json";
    }
    [[nodiscard]] json state(const std::string& volume) const { return json::parse(read_file(state_path(volume))); }
    [[nodiscard]] Ids ids(const std::string& volume) const { return state(volume).at("MountIDs").get<Ids>(); }
};

}  // namespace

TEST_CASE("validate_local_volume_name accepts Docker's volume names", "[local][name]")
{
    const auto name = GENERATE(as<std::string>{}, "ab", "a1", "0x", "demo", "A-b", "a_b", "a.b", "a..", "a--", "Z9_.-",
                               std::string(200, 'v'));
    INFO(name);

    CHECK_NOTHROW(validate_local_volume_name(name));
}

TEST_CASE("validate_local_volume_name refuses anything else with a usage error", "[local][name]")
{
    const auto name = GENERATE(as<std::string>{}, "", "a", "-ab", ".ab", "_ab", "..", "a b", "a/b", "ab/", "/ab", "a:b",
                               "a\nb", "a@b", "caf\xc3\xa9", std::string("a\0b", 3));
    INFO("\"" << name << "\"");

    CHECK_THAT(thrown<UsageError>([&] { validate_local_volume_name(name); }), Contains("invalid"));
}

TEST_CASE("local driver refuses an invalid name in every call before touching the root", "[local][name]")
{
    LocalFixture fixture;
    const std::string bad = GENERATE(as<std::string>{}, "a", "../escape", ".locks");
    INFO(bad);

    CHECK_THROWS_AS(fixture.driver->create(bad, {}), UsageError);
    CHECK_THROWS_AS(fixture.driver->mount(bad, "id"), UsageError);
    CHECK_THROWS_AS(fixture.driver->unmount(bad, "id"), UsageError);
    CHECK_THROWS_AS(fixture.driver->remove(bad), UsageError);
    CHECK_THROWS_AS(fixture.driver->path(bad), UsageError);
    CHECK_THROWS_AS(fixture.driver->get(bad), UsageError);
    CHECK_FALSE(exists(fixture.root));
}

TEST_CASE("local driver create makes <root>/<name>/_data and a state file", "[local][create]")
{
    LocalFixture fixture;

    fixture.driver->create("demo", {});

    CHECK(is_directory(fixture.data("demo")));
    const json state = fixture.state("demo");
    CHECK(state.at("Options") == json::object());
    CHECK(state.at("MountIDs") == json::array());
    CHECK(std::regex_match(state.at("CreatedAt").get<std::string>(),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d))")));
    CHECK(read_file(fixture.state_path("demo")).back() == '\n');
}

TEST_CASE("local driver create records Docker's local-driver options without mounting", "[local][create]")
{
    LocalFixture fixture;
    const VolumeOptions options{{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=64m,uid=1000"}};

    fixture.driver->create("scratch", options);

    CHECK(fixture.state("scratch").at("Options") == json(options));
    CHECK(fixture.ids("scratch").empty());
    CHECK_FALSE(volumecli::local::is_mount_point(fixture.data("scratch")));
}

TEST_CASE("local driver create of an existing volume keeps it, unless the options differ", "[local][create]")
{
    LocalFixture fixture;
    fixture.driver->create("demo", {});
    fixture.driver->mount("demo", "holder");
    const std::string before = read_file(fixture.state_path("demo"));

    SECTION("same options: nothing changes")
    {
        fixture.driver->create("demo", {});
        CHECK(read_file(fixture.state_path("demo")) == before);
    }
    SECTION("other options: a driver error, nothing changes")
    {
        CHECK_THAT(thrown<DriverError>([&] {
                       fixture.driver->create("demo", {{"type", "tmpfs"}, {"device", "tmpfs"}});
                   }),
                   Contains("already exists"));
        CHECK(read_file(fixture.state_path("demo")) == before);
    }
}

TEST_CASE("local driver create refuses unknown and incomplete options with a usage error", "[local][options]")
{
    using Row = std::tuple<VolumeOptions, std::string>;
    const auto row = GENERATE(table<VolumeOptions, std::string>({
        Row{{{"size", "5"}}, "--volumeopt=o="},
        Row{{{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=64m"}, {"uid", "1000"}}, "--volumeopt=o="},
        Row{{{"Type", "tmpfs"}, {"device", "tmpfs"}}, "unknown option \"Type\""},
        Row{{{"type", "tmpfs"}}, "device"},
        Row{{{"device", "/dev/sdb"}}, "type"},
        Row{{{"o", "size=64m"}}, "type"},
    }));
    const VolumeOptions options = std::get<0>(row);
    const std::string expected = std::get<1>(row);
    INFO(json(options).dump());
    LocalFixture fixture;

    CHECK_THAT(thrown<UsageError>([&] { fixture.driver->create("demo", options); }), Contains(expected));
    CHECK_FALSE(exists(fixture.root + "/demo"));
}

TEST_CASE("local driver mount without options returns _data and records the holder", "[local][mount]")
{
    LocalFixture fixture;
    fixture.driver->create("demo", {});

    CHECK(fixture.driver->mount("demo", "id1") == fixture.data("demo"));
    CHECK(fixture.ids("demo") == Ids{"id1"});
    CHECK(fixture.driver->path("demo") == fixture.data("demo"));
    CHECK_FALSE(volumecli::local::is_mount_point(fixture.data("demo")));
}

TEST_CASE("local driver mount of a missing volume is a driver error", "[local][mount]")
{
    LocalFixture fixture;

    CHECK_THAT(thrown<DriverError>([&] { fixture.driver->mount("ghost", "id1"); }), Contains("no such"));
    CHECK_THROWS_AS(fixture.driver->path("ghost"), DriverError);
    CHECK_FALSE(exists(fixture.root + "/ghost"));
}

TEST_CASE("local driver counts holders by mount ID: N mounts with one ID need one unmount", "[local][mount]")
{
    LocalFixture fixture;
    fixture.driver->create("demo", {});

    for (int i = 0; i < 3; ++i) {
        CHECK(fixture.driver->mount("demo", "mesos") == fixture.data("demo"));
    }
    CHECK(fixture.ids("demo") == Ids{"mesos"});
    fixture.driver->unmount("demo", "mesos");
    CHECK(fixture.ids("demo").empty());
}

TEST_CASE("local driver keeps a volume held until its last mount ID leaves", "[local][mount]")
{
    LocalFixture fixture;
    fixture.driver->create("demo", {});
    fixture.driver->mount("demo", "a");
    fixture.driver->mount("demo", "b");
    CHECK(fixture.ids("demo") == Ids{"a", "b"});

    fixture.driver->unmount("demo", "a");
    CHECK(fixture.ids("demo") == Ids{"b"});
    CHECK_THROWS_AS(fixture.driver->remove("demo"), DriverError);

    fixture.driver->unmount("demo", "b");
    CHECK(fixture.ids("demo").empty());
}

TEST_CASE("local driver unmount of an ID that holds nothing succeeds and changes nothing", "[local][unmount]")
{
    LocalFixture fixture;
    fixture.driver->create("demo", {});
    fixture.driver->mount("demo", "a");
    const std::string before = read_file(fixture.state_path("demo"));

    fixture.driver->unmount("demo", "never-mounted");

    CHECK(read_file(fixture.state_path("demo")) == before);
}

TEST_CASE("local driver remove refuses a held volume and deletes a free one", "[local][remove]")
{
    LocalFixture fixture;
    fixture.driver->create("demo", {});
    fixture.driver->mount("demo", "a");
    const std::string file = fixture.dir.write_file("volumes/demo/_data/payload", "kept");

    CHECK_THAT(thrown<DriverError>([&] { fixture.driver->remove("demo"); }), Contains("in use"));
    CHECK(exists(file));
    CHECK(fixture.ids("demo") == Ids{"a"});

    fixture.driver->unmount("demo", "a");
    fixture.driver->remove("demo");

    CHECK_FALSE(exists(fixture.root + "/demo"));
    CHECK(fixture.driver->get("demo").kind == LookupResult::Kind::not_found);
    CHECK(fixture.driver->list().empty());
    CHECK_THROWS_AS(fixture.driver->remove("demo"), DriverError);
}

TEST_CASE("local driver get and list describe volumes with their holders", "[local][get][list]")
{
    LocalFixture fixture;
    CHECK(fixture.driver->list().empty());  // the root does not even exist yet
    fixture.driver->create("zeta", {});
    fixture.driver->create("alpha", {{"type", "tmpfs"}, {"device", "tmpfs"}});
    fixture.driver->mount("zeta", "a");
    fixture.driver->mount("zeta", "b");

    const LookupResult found = fixture.driver->get("zeta");
    REQUIRE(found.kind == LookupResult::Kind::found);
    CHECK(found.volume.name == "zeta");
    CHECK(found.volume.mountpoint == fixture.data("zeta"));
    CHECK(found.volume.created_at == fixture.state("zeta").at("CreatedAt").get<std::string>());
    CHECK(found.volume.status_json == R"({"MountIDs":2})");

    const auto volumes = fixture.driver->list();
    REQUIRE(volumes.size() == 2);
    CHECK(volumes[0].name == "alpha");
    CHECK(volumes[0].mountpoint == fixture.data("alpha"));
    CHECK(volumes[0].status_json == R"({"Device":"tmpfs","MountIDs":0,"Type":"tmpfs"})");
    CHECK(volumes[1].name == "zeta");

    CHECK(fixture.driver->get("missing").kind == LookupResult::Kind::not_found);
}

TEST_CASE("local driver list skips what is not a volume", "[local][list]")
{
    LocalFixture fixture;
    fixture.driver->create("real", {});
    fixture.dir.make_dir("volumes/no-state-yet/_data");  // a create that died before saving
    fixture.dir.make_dir("volumes/.removing-old-1/_data");
    fixture.dir.write_file("volumes/.removing-old-1/state.json", R"({"Options":{},"MountIDs":[]})");
    fixture.dir.write_file("volumes/stray-file", "x");

    const auto volumes = fixture.driver->list();

    REQUIRE(volumes.size() == 1);
    CHECK(volumes[0].name == "real");
}

TEST_CASE("local driver finishes a create that died before saving its state", "[local][crash]")
{
    LocalFixture fixture;
    fixture.dir.make_dir("volumes/demo/_data");
    CHECK(fixture.driver->get("demo").kind == LookupResult::Kind::not_found);

    fixture.driver->create("demo", {});

    CHECK(fixture.driver->mount("demo", "a") == fixture.data("demo"));
    CHECK(fixture.ids("demo") == Ids{"a"});
}

TEST_CASE("local driver ignores a temporary state file left by a crash", "[local][crash]")
{
    LocalFixture fixture;
    fixture.driver->create("demo", {});
    fixture.driver->mount("demo", "a");
    const std::string leftover = fixture.state_path("demo") + ".tmp.99999";
    fixture.dir.write_file("volumes/demo/state.json.tmp.99999", R"({"Options":{},"MountIDs":["gho)");

    CHECK(fixture.driver->get("demo").volume.status_json == R"({"MountIDs":1})");
    fixture.driver->mount("demo", "b");
    CHECK(fixture.ids("demo") == Ids{"a", "b"});
    fixture.driver->unmount("demo", "a");
    fixture.driver->unmount("demo", "b");
    CHECK(fixture.ids("demo").empty());
    CHECK(fixture.driver->list().size() == 1);

    fixture.driver->remove("demo");
    CHECK_FALSE(exists(leftover));
    CHECK_FALSE(exists(fixture.root + "/demo"));
}

TEST_CASE("local driver reports a corrupt state file instead of guessing", "[local][crash]")
{
    LocalFixture fixture;
    fixture.driver->create("demo", {});
    const std::string content = GENERATE(as<std::string>{}, "", "{", R"({"Options":{}})", "[]", R"({"MountIDs":3})");
    fixture.dir.write_file("volumes/demo/state.json", content);
    INFO("state.json: " << content);

    CHECK_THAT(thrown<DriverError>([&] { fixture.driver->mount("demo", "a"); }), Contains("state"));
    CHECK_THROWS_AS(fixture.driver->get("demo"), DriverError);
    CHECK(read_file(fixture.state_path("demo")) == content);
}

TEST_CASE("local driver never leaves a temporary file behind after saving", "[local][crash]")
{
    LocalFixture fixture;
    fixture.driver->create("demo", {});
    fixture.driver->mount("demo", "a");
    fixture.driver->unmount("demo", "a");

    std::set<std::string> entries;
    for (const auto& entry : std::filesystem::directory_iterator(fixture.root + "/demo")) {
        entries.insert(entry.path().filename().string());
    }
    CHECK(entries == std::set<std::string>{"_data", "state.json"});
}

TEST_CASE("local driver waits for the volume's lock and times out while another holder keeps it", "[local][lock]")
{
    LocalFixture fixture;
    fixture.driver->create("demo", {});
    const std::string lock_path = fixture.root + "/.locks/demo.lock";
    const int held = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(held >= 0);
    REQUIRE(::flock(held, LOCK_EX | LOCK_NB) == 0);

    const auto started = std::chrono::steady_clock::now();
    CHECK_THAT(thrown<TimeoutError>([&] { fixture.driver->mount("demo", "a"); }), Contains("demo"));
    const auto waited = std::chrono::steady_clock::now() - started;
    CHECK(waited >= std::chrono::milliseconds(250));
    CHECK(waited < within(std::chrono::milliseconds(300)));
    CHECK(fixture.ids("demo").empty());
    CHECK_THROWS_AS(fixture.driver->remove("demo"), TimeoutError);

    ::close(held);
    CHECK(fixture.driver->mount("demo", "a") == fixture.data("demo"));
    CHECK(fixture.ids("demo") == Ids{"a"});
}

TEST_CASE("local driver with a failing mount(2) records no holder", "[local][mount]")
{
    // A filesystem type no kernel has: mount(2) fails (ENODEV as root, EPERM otherwise).
    LocalFixture fixture;
    fixture.driver->create("broken", {{"type", "vcli-no-such-fs"}, {"device", "none"}});

    CHECK_THAT(thrown<DriverError>([&] { fixture.driver->mount("broken", "a"); }), Contains("vcli-no-such-fs"));

    CHECK(fixture.ids("broken").empty());
    CHECK_FALSE(volumecli::local::is_mount_point(fixture.data("broken")));
    fixture.driver->remove("broken");
    CHECK_FALSE(exists(fixture.root + "/broken"));
}

TEST_CASE("parse_mount_options splits Docker's o into flags, propagation and filesystem data", "[local][options]")
{
    using Row = std::tuple<std::string, unsigned long, unsigned long, std::string>;
    const auto [o, flags, propagation, data] = GENERATE(table<std::string, unsigned long, unsigned long, std::string>({
        Row{"", 0, 0, ""},
        Row{"size=64m", 0, 0, "size=64m"},
        Row{"size=64m,uid=1000,mode=0755", 0, 0, "size=64m,uid=1000,mode=0755"},
        Row{"bind", MS_BIND, 0, ""},
        Row{"rbind,ro", MS_BIND | MS_REC | MS_RDONLY, 0, ""},
        Row{"ro,rw", 0, 0, ""},
        Row{"nosuid,nodev,noexec,size=1m", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, "size=1m"},
        Row{"noexec,exec", 0, 0, ""},
        Row{"defaults", 0, 0, ""},
        Row{"bind,rprivate", MS_BIND, MS_PRIVATE | MS_REC, ""},
        Row{"addr=10.0.0.1,rw,vers=4", 0, 0, "addr=10.0.0.1,vers=4"},
        Row{",,size=1m,,", 0, 0, "size=1m"},
    }));
    INFO("o=" << o);

    const auto parsed = volumecli::local::parse_mount_options(o);

    CHECK(parsed.flags == flags);
    CHECK(parsed.propagation == propagation);
    CHECK(parsed.data == data);
}

TEST_CASE("validate_local_volume_name refuses names whose derived file names would not fit NAME_MAX", "[local][name]")
{
    CHECK_NOTHROW(validate_local_volume_name(std::string(234, 'a')));
    const auto length = GENERATE(235, 255, 256, 10000);
    INFO(length << " characters");
    CHECK_THAT(
        thrown<UsageError>([&] { validate_local_volume_name(std::string(static_cast<std::size_t>(length), 'a')); }),
        Contains("at most 234") && Contains(std::to_string(length)));
}

TEST_CASE("local::trash_owner names the volume of a remove's trash and nothing else", "[local][remove]")
{
    using volumecli::local::trash_entry;
    using volumecli::local::trash_owner;
    CHECK(trash_owner(trash_entry("vol1", 4242)) == "vol1");
    CHECK(trash_owner(".removing-my-vol-2-17") == "my-vol-2");
    CHECK(trash_owner(trash_entry(std::string(234, 'n'), 2147483647)) == std::string(234, 'n'));
    const auto stranger =
        GENERATE(as<std::string>{}, ".locks", "vol1", ".removing-", ".removing-vol1", ".removing-vol1-",
                 ".removing-vol1-12a", ".removing--12", ".removing-a-12", ".removing-.x-12");
    INFO(stranger);
    CHECK(trash_owner(stranger).empty());
}

TEST_CASE("local driver list skips a volume whose state file is corrupt and lists the others", "[local][list]")
{
    LocalFixture fixture;
    fixture.driver->create("alpha", {});
    fixture.driver->create("broken", {});
    fixture.driver->create("gamma", {});
    fixture.dir.write_file("volumes/broken/state.json", "{");

    const auto volumes = fixture.driver->list();

    REQUIRE(volumes.size() == 2);
    CHECK(volumes[0].name == "alpha");
    CHECK(volumes[1].name == "gamma");
}

TEST_CASE("local driver says what is wrong with a corrupt state file in its own words", "[local][crash]")
{
    LocalFixture fixture;
    fixture.driver->create("demo", {});
    const auto [content, gist] = GENERATE(table<std::string, std::string>({
        {"", "not valid JSON"},
        {"{", "not valid JSON"},
        {"[]", "not a JSON object"},
        {R"({"MountIDs":[]})", "\"Options\" is missing or not an object"},
        {R"({"Options":{"type":3},"MountIDs":[]})", "option \"type\" is not a string"},
        {R"({"Options":{}})", "\"MountIDs\" is missing or not an array"},
        {R"({"Options":{},"MountIDs":[1]})", "\"MountIDs\" holds something other than a string"},
    }));
    fixture.dir.write_file("volumes/demo/state.json", content);
    INFO("state.json: " << content);

    const std::string message = thrown<DriverError>([&] { fixture.driver->get("demo"); });

    CHECK(message == "corrupt state file " + fixture.state_path("demo") + ": " + gist);
}

TEST_CASE("local driver refuses a state file that is not a regular file, without blocking", "[local][crash]")
{
    LocalFixture fixture;
    fixture.driver->create("demo", {});
    REQUIRE(::unlink(fixture.state_path("demo").c_str()) == 0);
    REQUIRE(::mkfifo(fixture.state_path("demo").c_str(), 0600) == 0);

    CHECK_THAT(thrown<DriverError>([&] { fixture.driver->get("demo"); }),
               Contains(fixture.state_path("demo")) && Contains("FIFO"));
}
