// Files dvdcli reads that are not what they should be: a plugin spec, a certificate or key, a
// managed plugin's config.json that is a FIFO, a directory, a device or too large. Each must end
// the run at once with exit 3, nothing on stdout and one stderr line naming the file (a key's path
// excepted); none may block in open(2) or read without end.

#include "certs.hpp"
#include "harness.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace volumecli::e2e;
using namespace std::chrono_literals;
using namespace std::string_literals;
using Catch::Matchers::Contains;
using volumecli::test::TestCertificates;

namespace {

// "At once": well inside the default 15 s retry window, and far from the harness's kill limit.
constexpr auto k_at_once = 1500ms;
// A run that blocks is killed after this, so the test fails instead of hanging.
constexpr auto k_hard_limit = 10s;

// What can stand where a file is expected.
enum class Hostile { fifo, directory, device, oversized };

const char* describe(Hostile kind)
{
    switch (kind) {
        case Hostile::fifo: return "a FIFO";
        case Hostile::directory: return "a directory";
        case Hostile::device: return "a symlink to /dev/zero";
        case Hostile::oversized: return "a file over 1 MiB";
    }
    return "?";
}

// The reason the one stderr line must give.
const char* expected_reason(Hostile kind)
{
    switch (kind) {
        case Hostile::fifo: return "not a regular file (a FIFO)";
        case Hostile::directory: return "not a regular file (a directory)";
        case Hostile::device: return "not a regular file (a character device)";
        case Hostile::oversized: return "larger than 1048576 bytes";
    }
    return "?";
}

// Puts `kind` at `path` (parents must exist). `oversized_with` is repeated past 1 MiB.
void make_hostile(Hostile kind, const std::string& path, const std::string& oversized_with = " ")
{
    switch (kind) {
        case Hostile::fifo: REQUIRE(::mkfifo(path.c_str(), 0600) == 0); break;
        case Hostile::directory: std::filesystem::create_directory(path); break;
        case Hostile::device: std::filesystem::create_symlink("/dev/zero", path); break;
        case Hostile::oversized: {
            std::string text;
            while (text.size() <= 1024U * 1024U) {
                text += oversized_with;
            }
            std::ofstream out(path, std::ios::binary);
            out << text;
            REQUIRE(out.good());
            break;
        }
    }
}

std::string json_string(const std::string& text)
{
    return nlohmann::json(text).dump();
}

volumecli::test::ProcessOptions bounded(const Harness& harness)
{
    auto options = harness.options();
    options.hard_limit = k_hard_limit;
    return options;
}

// Exit 3 at once, stdout empty, one "dvdcli: error: " line.
#define REQUIRE_REFUSED_AT_ONCE(result)        \
    do {                                       \
        REQUIRE_FAILURE(result, 3);            \
        CHECK_FALSE((result).killed);          \
        CHECK((result).wall_time < k_at_once); \
    } while (false)

}  // namespace

TEST_CASE("dvdcli refuses a plugin spec that is not a regular file, or too large, at once with exit 3",
          "[e2e][discovery][files]")
{
    const Hostile kind = GENERATE(Hostile::fifo, Hostile::directory, Hostile::device, Hostile::oversized);
    const std::string place = GENERATE(as<std::string>{}, "fake.spec", "fake/fake.spec", "fake.json", "fake/fake.json");
    Harness harness;
    harness.dir().make_dir("spec1/fake");
    const std::string file = harness.spec_dir() + "/" + place;
    make_hostile(kind, file);
    INFO(describe(kind) << " at " << file);

    // Default retry window (15 s): a spec that is there but unusable is not retried.
    const auto result = harness.run({"list", "--volumedriver=fake"}, bounded(harness));

    REQUIRE_REFUSED_AT_ONCE(result);
    CHECK_THAT(result.err, Contains("plugin spec " + file + ": " + expected_reason(kind)));
}

TEST_CASE("dvdcli still looks past a missing spec and finds the plugin in the next place", "[e2e][discovery][files]")
{
    Harness harness;
    FakePlugin plugin;
    const int port = plugin.start_tcp();
    // spec1 holds a dangling symlink and an unrelated FIFO; spec2 the spec.
    std::filesystem::create_symlink(harness.dir().file("nowhere.spec"), harness.spec_dir() + "/fake.spec");
    REQUIRE(::mkfifo((harness.spec_dir() + "/other.spec").c_str(), 0600) == 0);
    harness.dir().write_file("spec2/fake.spec", "tcp://127.0.0.1:" + std::to_string(port) + "\n");

    const auto result =
        harness.run({"list", "--volumedriver=fake", "--format=json", "--retry-timeout=0"}, bounded(harness));

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "[]\n");
    CHECK(plugin.calls() == std::vector<std::string>{"Plugin.Activate", "VolumeDriver.List"});
}

TEST_CASE("dvdcli refuses a .json spec whose certificate or key is not a regular file, at once with exit 3",
          "[e2e][discovery][tls][files]")
{
    const Hostile kind = GENERATE(Hostile::fifo, Hostile::directory, Hostile::device, Hostile::oversized);
    const std::string role = GENERATE(as<std::string>{}, "CAFile", "CertFile", "KeyFile");
    Harness harness;
    const TestCertificates certs = volumecli::test::generate_test_certificates(harness.dir().make_dir("certs"));
    FakePlugin plugin;
    const int port = plugin.start_https(certs.server_cert, certs.server_key, certs.ca_cert);
    const std::string hostile = harness.dir().make_dir("secret") + "/k3y-never-logged.pem";
    make_hostile(kind, hostile, "-----BEGIN CERTIFICATE-----\n");
    const auto file_for = [&](const std::string& which, const std::string& good) {
        return json_string(which == role ? hostile : good);
    };
    harness.dir().write_file("spec1/fake.json",
                             "{\"Addr\":" + json_string("https://127.0.0.1:" + std::to_string(port)) +
                                 ",\"TLSConfig\":{\"CAFile\":" + file_for("CAFile", certs.ca_cert) +
                                 ",\"CertFile\":" + file_for("CertFile", certs.client_cert) +
                                 ",\"KeyFile\":" + file_for("KeyFile", certs.client_key) + "}}");
    INFO(role << " is " << describe(kind));

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"}, bounded(harness));

    REQUIRE_REFUSED_AT_ONCE(result);
    CHECK(plugin.requests().empty());
    if (role == "KeyFile") {
        CHECK_THAT(result.err, Contains(role + ": " + expected_reason(kind)));
        CHECK_THAT(result.err, !Contains("k3y-never-logged"));
    } else {
        CHECK_THAT(result.err, Contains(role + " " + hostile + ": " + expected_reason(kind)));
    }
}

TEST_CASE("dvdcli refuses --cacert, --cert or --key that is not a regular file, at once with exit 3",
          "[e2e][discovery][tls][files]")
{
    const Hostile kind = GENERATE(Hostile::fifo, Hostile::directory, Hostile::device, Hostile::oversized);
    const std::string flag = GENERATE(as<std::string>{}, "--cacert", "--cert", "--key");
    Harness harness;
    const TestCertificates certs = volumecli::test::generate_test_certificates(harness.dir().make_dir("certs"));
    FakePlugin plugin;
    const int port = plugin.start_https(certs.server_cert, certs.server_key, certs.ca_cert);
    const std::string hostile = harness.dir().make_dir("secret") + "/k3y-never-logged.pem";
    make_hostile(kind, hostile, "-----BEGIN CERTIFICATE-----\n");
    const auto value = [&](const std::string& which, const std::string& good) {
        return which + "=" + (which == flag ? hostile : good);
    };
    INFO(flag << " is " << describe(kind));

    // --timeout bounds the calls; the files are read before any of them.
    const auto result = harness.run(
        {"mount", "--plugin-addr=https://127.0.0.1:" + std::to_string(port), "--volumename=v1", "--timeout=5",
         value("--cacert", certs.ca_cert), value("--cert", certs.client_cert), value("--key", certs.client_key)},
        bounded(harness));

    REQUIRE_REFUSED_AT_ONCE(result);
    CHECK(plugin.requests().empty());
    CHECK_THAT(result.err, Contains(expected_reason(kind)));
    if (flag == "--key") {
        CHECK_THAT(result.err, Contains("the client private key: "));
        CHECK_THAT(result.err, !Contains("k3y-never-logged"));
    } else {
        CHECK_THAT(result.err, Contains(hostile + ": "));
    }
}

TEST_CASE("dvdcli refuses a managed plugin's config.json that is not a regular file, at once with exit 3",
          "[e2e][managed][files]")
{
    const Hostile kind = GENERATE(Hostile::fifo, Hostile::directory, Hostile::device);
    Harness harness;
    const std::string docker_root = harness.dir().make_dir("docker");
    const std::string file = harness.dir().make_dir("docker/plugins/0123abcd") + "/config.json";
    make_hostile(kind, file);
    INFO("config.json is " << describe(kind));

    const auto result = harness.run(
        {"list", "--volumedriver=rexray/ebs", "--managed-plugins", "--docker-root=" + docker_root}, bounded(harness));

    REQUIRE_REFUSED_AT_ONCE(result);
    CHECK_THAT(result.err, Contains("managed plugin config " + file + ": " + expected_reason(kind)));
}

TEST_CASE("dvdcli refuses a managed plugin's config.json over 4 MiB with exit 3", "[e2e][managed][files]")
{
    Harness harness;
    const std::string docker_root = harness.dir().make_dir("docker");
    const std::string file = harness.dir().write_file("docker/plugins/0123abcd/config.json",
                                                      "{\"Name\":\"" + std::string(4U * 1024U * 1024U, 'x') + "\"}");

    const auto result = harness.run(
        {"list", "--volumedriver=rexray/ebs", "--managed-plugins", "--docker-root=" + docker_root}, bounded(harness));

    REQUIRE_REFUSED_AT_ONCE(result);
    CHECK_THAT(result.err, Contains("managed plugin config " + file + ": larger than 4194304 bytes"));
}

TEST_CASE("dvdcli says where a spec or config.json stops being JSON, in its own words, and keeps NULs visible",
          "[e2e][discovery][files]")
{
    Harness harness;

    SECTION(".json spec that is not JSON")
    {
        const std::string file = harness.dir().write_file("spec1/fake.json", "{\"Addr\": tcp://x}");
        const auto result = harness.run({"list", "--volumedriver=fake"}, bounded(harness));
        REQUIRE_REFUSED_AT_ONCE(result);
        CHECK(result.err == "dvdcli: error: driver \"fake\": plugin spec " + file + ": invalid JSON at byte 11\n");
    }
    SECTION("config.json that is not JSON")
    {
        const std::string docker_root = harness.dir().make_dir("docker");
        const std::string file = harness.dir().write_file("docker/plugins/0123abcd/config.json", "{\"Id\":");
        const auto result =
            harness.run({"list", "--volumedriver=rexray/ebs", "--managed-plugins", "--docker-root=" + docker_root},
                        bounded(harness));
        REQUIRE_REFUSED_AT_ONCE(result);
        CHECK_THAT(result.err, Contains("managed plugin config " + file + ": invalid JSON at byte 7"));
        CHECK_THAT(result.err, !Contains("json.exception"));
    }
    SECTION(".json spec whose Addr holds a NUL")
    {
        const std::string file = harness.dir().write_file("spec1/fake.json", R"({"Addr":"unix:///run/a\u0000b.sock"})");
        const auto result = harness.run({"list", "--volumedriver=fake"}, bounded(harness));
        REQUIRE_REFUSED_AT_ONCE(result);
        CHECK(result.err ==
              "dvdcli: error: driver \"fake\": plugin spec " + file +
                  ": invalid plugin address \"unix:///run/a\\x00b.sock\": contains a control character\n");
    }
    SECTION(".spec whose URL holds a NUL")
    {
        harness.dir().write_file("spec1/fake.spec", "tcp://127.0.0.1:1\0:2\n"s);
        const auto result = harness.run({"list", "--volumedriver=fake"}, bounded(harness));
        REQUIRE_REFUSED_AT_ONCE(result);
        CHECK_THAT(result.err, Contains("\"tcp://127.0.0.1:1\\x00:2\": contains a control character"));
    }
    SECTION(".json spec whose CAFile holds a NUL")
    {
        const std::string file = harness.dir().write_file(
            "spec1/fake.json", R"({"Addr":"https://127.0.0.1:1","TLSConfig":{"CAFile":"/etc/a\u0000b.pem"}})");
        const auto result = harness.run({"list", "--volumedriver=fake"}, bounded(harness));
        REQUIRE_REFUSED_AT_ONCE(result);
        CHECK(result.err == "dvdcli: error: driver \"fake\": plugin spec " + file +
                                ": CAFile /etc/a\\x00b.pem: the path contains a NUL byte\n");
    }
}
