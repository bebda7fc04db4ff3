// VolumeLock and volume_lock_path in a temporary run directory: where lock files go (any name
// stays inside <run dir>/locks), their permissions, the bounded wait and its message, hand-over
// when a holder goes away, and the refusal of unsafe run directories and planted symlinks.

#include <volumecli/endpoint.hpp>
#include <volumecli/error.hpp>
#include <volumecli/mount_id.hpp>
#include <volumecli/volume_lock.hpp>

#include "core/sha256.hpp"
#include "thrown.hpp"

#include <catch2/catch.hpp>

#include "temp_dir.hpp"
#include "timing.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include <chrono>
#include <optional>
#include <regex>
#include <string>

using Catch::Matchers::Contains;
using std::chrono::milliseconds;
using volumecli::DriverError;
using volumecli::lock_volume;
using volumecli::TimeoutError;
using volumecli::UsageError;
using volumecli::volume_lock_path;
using volumecli::VolumeLock;
using volumecli::test::exists;
using volumecli::test::permissions;
using volumecli::test::read_file;
using volumecli::test::TempDir;
using volumecli::test::thrown;
using volumecli::test::within;

TEST_CASE("volume_lock_path keeps every name inside <run dir>/locks", "[lock]")
{
    TempDir dir;
    const std::string run = dir.file("run");
    const std::string name = GENERATE(as<std::string>{}, "vol1", "../../etc/passwd", "a/b", "/abs", "..", "");

    const std::string path = volume_lock_path(run, "rexray", name);

    const std::string key = std::string("rexray") + '\0' + name;
    CHECK(path == run + "/locks/" + volumecli::sha256_hex(key) + ".lock");
    CHECK(std::regex_match(path.substr(run.size()), std::regex("/locks/[0-9a-f]{64}\\.lock")));
}

TEST_CASE("volume_lock_path gives each (driver, volume) its own file", "[lock]")
{
    TempDir dir;
    const std::string run = dir.file("run");
    CHECK(volume_lock_path(run, "a", "v") == volume_lock_path(run, "a", "v"));
    CHECK(volume_lock_path(run, "a", "v") != volume_lock_path(run, "b", "v"));
    CHECK(volume_lock_path(run, "a", "v") != volume_lock_path(run, "a", "w"));
    // The separator cannot be forged: "a" + "bv" is not "ab" + "v".
    CHECK(volume_lock_path(run, "a", "bv") != volume_lock_path(run, "ab", "v"));
}

TEST_CASE("volume_lock_path creates each missing directory 0700 and VolumeLock its file 0600", "[lock]")
{
    TempDir dir;
    const std::string run = dir.file("deep/er/run");
    const mode_t old_mask = ::umask(0);  // what the code asks for, not what a umask leaves of it

    const VolumeLock lock = lock_volume(run, "rexray", "vol1", milliseconds(100));
    ::umask(old_mask);

    CHECK(permissions(dir.file("deep")) == mode_t{0700});
    CHECK(permissions(dir.file("deep/er")) == mode_t{0700});
    CHECK(permissions(run) == mode_t{0700});
    CHECK(permissions(run + "/locks") == mode_t{0700});
    CHECK(permissions(lock.path()) == mode_t{0600});
    // The holder's pid, padded to a fixed width so the next holder overwrites it without truncating.
    std::string pid = std::to_string(::getpid());
    pid.resize(10, ' ');
    CHECK(read_file(lock.path()) == pid + "\n");
}

TEST_CASE("VolumeLock waits at most its timeout, then throws TimeoutError naming the volume, the wait, file and holder",
          "[lock]")
{
    TempDir dir;
    const std::string run = dir.file("run");
    const VolumeLock holder = lock_volume(run, "rexray", "vol1", milliseconds(100));

    const auto started = std::chrono::steady_clock::now();
    const std::string message =
        thrown<TimeoutError>([&] { static_cast<void>(lock_volume(run, "rexray", "vol1", milliseconds(300))); });
    const auto waited = std::chrono::steady_clock::now() - started;

    CHECK(message == "volume \"vol1\" is busy: another process (pid " + std::to_string(::getpid()) +
                         ") still holds its lock " + holder.path() + " after 0.3s");
    CHECK(waited >= milliseconds(300));
    CHECK(waited < within(milliseconds(300)));
}

TEST_CASE("VolumeLock on another volume or driver does not wait", "[lock]")
{
    TempDir dir;
    const std::string run = dir.file("run");
    const VolumeLock held = lock_volume(run, "rexray", "vol1", milliseconds(100));

    CHECK_NOTHROW(lock_volume(run, "rexray", "vol2", milliseconds(1)));
    CHECK_NOTHROW(lock_volume(run, "ebs", "vol1", milliseconds(1)));
}

TEST_CASE("VolumeLock is free again once its holder is gone, moved-from objects hold nothing", "[lock]")
{
    TempDir dir;
    const std::string run = dir.file("run");
    std::optional<VolumeLock> first(lock_volume(run, "rexray", "vol1", milliseconds(100)));
    VolumeLock moved = std::move(*first);
    first.reset();  // the moved-from object releases nothing
    CHECK_THROWS_AS(lock_volume(run, "rexray", "vol1", milliseconds(50)), TimeoutError);

    {
        const VolumeLock gone = std::move(moved);
    }

    const VolumeLock next = lock_volume(run, "rexray", "vol1", milliseconds(50));
    CHECK(exists(next.path()));  // the file stays: everyone always locks the same inode
}

TEST_CASE("volume_lock_path refuses an unsafe run directory with UsageError", "[lock]")
{
    TempDir dir;
    const std::string target = dir.make_dir("elsewhere");

    SECTION("a symlink, not followed")
    {
        const std::string link = dir.file("run");
        REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
        CHECK_THAT(thrown<UsageError>([&] { volume_lock_path(link, "rexray", "vol1"); }),
                   Contains(link) && Contains("is a symlink") && Contains("--run-dir"));
        CHECK_FALSE(exists(target + "/locks"));
    }
    SECTION("writable by others")
    {
        const std::string run = dir.make_dir("run");
        REQUIRE(::chmod(run.c_str(), 0777) == 0);
        CHECK_THAT(thrown<UsageError>([&] { volume_lock_path(run, "rexray", "vol1"); }),
                   Contains("may be written by other users"));
        CHECK_FALSE(exists(run + "/locks"));
    }
    SECTION("not a directory")
    {
        const std::string file = dir.write_file("run", "x");
        CHECK_THAT(thrown<UsageError>([&] { volume_lock_path(file, "rexray", "vol1"); }),
                   Contains("is not a directory"));
    }
    SECTION("relative")
    {
        CHECK_THAT(thrown<UsageError>([&] { volume_lock_path("run", "rexray", "vol1"); }),
                   Contains("not an absolute path"));
    }
    SECTION("a locks directory planted as a symlink")
    {
        const std::string run = dir.make_dir("run");
        REQUIRE(::symlink(target.c_str(), (run + "/locks").c_str()) == 0);
        CHECK_THAT(thrown<UsageError>([&] { volume_lock_path(run, "rexray", "vol1"); }), Contains("is a symlink"));
        CHECK_FALSE(exists(target + "/" + volumecli::sha256_hex(std::string("rexray") + '\0' + "vol1") + ".lock"));
    }
}

TEST_CASE("volume_lock_path refuses a run directory another user owns", "[lock][root]")
{
    if (::geteuid() != 0) {
        WARN("SKIP: needs root to give a directory to another user");
        return;
    }
    TempDir dir;
    const std::string run = dir.make_dir("run");
    REQUIRE(::chown(run.c_str(), 65534, 65534) == 0);

    CHECK_THAT(thrown<UsageError>([&] { volume_lock_path(run, "rexray", "vol1"); }), Contains("belongs to uid 65534"));
}

TEST_CASE("VolumeLock never follows a lock file planted as a symlink", "[lock]")
{
    TempDir dir;
    const std::string run = dir.file("run");
    const std::string path = volume_lock_path(run, "rexray", "vol1");
    const std::string target = dir.write_file("precious", "keep me\n");
    REQUIRE(::symlink(target.c_str(), path.c_str()) == 0);

    CHECK_THAT(thrown<DriverError>([&] { VolumeLock lock(path, "vol1", milliseconds(100)); }),
               Contains(path) && Contains("symlink"));
    CHECK(read_file(target) == "keep me\n");
    CHECK(permissions(target) != mode_t{0600});
}

TEST_CASE("endpoint_lock_key names a plugin by its resolved address, not its spelling", "[lock]")
{
    TempDir dir;
    const std::string real_dir = dir.make_dir("sockets");
    dir.write_file("sockets/p.sock", "");  // stands for the socket: only its path matters here
    const std::string linked = dir.file("linked");
    REQUIRE(::symlink(real_dir.c_str(), linked.c_str()) == 0);
    char resolved[PATH_MAX];
    REQUIRE(::realpath((real_dir + "/p.sock").c_str(), resolved) != nullptr);
    const std::string expected = std::string("unix://") + resolved;
    const auto key_of = [](const std::string& url) {
        return volumecli::endpoint_lock_key(volumecli::parse_endpoint_url(url));
    };

    CHECK(key_of("unix://" + real_dir + "/p.sock") == expected);
    CHECK(key_of("unix://" + real_dir + "//./p.sock") == expected);
    CHECK(key_of("unix://" + linked + "/p.sock") == expected);
    CHECK(key_of("unix://" + real_dir + "/../sockets/p.sock") == expected);
    // A socket that is not there yet: its directory is resolved all the same.
    CHECK(key_of("unix://" + linked + "//later.sock") ==
          expected.substr(0, expected.size() - std::string("p.sock").size()) + "later.sock");
    // Every way of writing this host's loopback interface is one plugin.
    CHECK(key_of("tcp://LocalHost:8080") == "tcp://loopback:8080");
    CHECK(key_of("http://localhost:8080/some/path") == "tcp://loopback:8080");
    CHECK(key_of("tcp://127.0.0.1:8080") == "tcp://loopback:8080");
    CHECK(key_of("tcp://127.1.2.3:8080") == "tcp://loopback:8080");
    CHECK(key_of("tcp://[::1]:8080") == "tcp://loopback:8080");
    CHECK(key_of("tcp://[::ffff:127.0.0.1]:8080") == "tcp://loopback:8080");
    CHECK(key_of("https://127.0.0.1:8080") == "https://loopback:8080");
    CHECK(key_of("tcp://127.0.0.1:8081") == "tcp://loopback:8081");
    // Other addresses by their numeric text; a name that does not resolve, as written.
    CHECK(key_of("tcp://192.0.2.7:9000") == "tcp://192.0.2.7:9000");
    CHECK(key_of("tcp://[2001:DB8::1]:9000") == "tcp://[2001:db8::1]:9000");
    CHECK(key_of("https://Plugin.Invalid") == "https://plugin.invalid:443");
}
