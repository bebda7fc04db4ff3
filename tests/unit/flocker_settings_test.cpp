// Where the Flocker driver's settings come from (flocker_settings, agent_yml, node_identity) and the
// checks on sizes and options (dataset_spec), all in lib/src/flocker/.

#include <volumecli/error.hpp>
#include <volumecli/flocker_driver.hpp>

#include "certs.hpp"
#include "flocker/agent_yml.hpp"
#include "flocker/dataset_spec.hpp"
#include "flocker/flocker_settings.hpp"
#include "flocker/host_probes.hpp"
#include "flocker/node_identity.hpp"
#include "temp_dir.hpp"
#include "thrown.hpp"
#include "timing.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <tuple>

using Catch::Matchers::Contains;
using volumecli::FlockerSettings;
using volumecli::UnreachableError;
using volumecli::UsageError;
using volumecli::VolumeOptions;
using volumecli::flocker::HostProbes;
using volumecli::test::TempDir;
using volumecli::test::within;
namespace flocker = volumecli::flocker;

namespace {

constexpr std::uint64_t k_gib = 1024ULL * 1024 * 1024;
constexpr std::uint64_t k_mib = 1024ULL * 1024;

// An /etc/flocker in a temporary directory, and an environment that is a map.
struct Setup {
    TempDir dir;
    std::string etc = dir.make_dir("etc");
    std::map<std::string, std::string> env;

    FlockerSettings settings() const
    {
        FlockerSettings settings;
        settings.etc_dir = etc;
        return settings;
    }
    HostProbes probes()
    {
        HostProbes probes;
        probes.environment = [this](const char* name) -> std::optional<std::string> {
            const auto found = env.find(name);
            return found == env.end() ? std::nullopt : std::optional<std::string>(found->second);
        };
        return probes;
    }
    void add_certificates()
    {
        dir.write_file("etc/cluster.crt", "ca");
        dir.write_file("etc/plugin.crt", "cert");
        dir.write_file("etc/plugin.key", "key");
    }
};

}  // namespace

TEST_CASE("dataset_spec::parse_size reads N[.N][k|m|g|t][i][b] in binary units, GiB by default", "[flocker][config]")
{
    const auto [text, bytes] = GENERATE(table<std::string, std::uint64_t>({
        {"1", k_gib},
        {"10", 10 * k_gib},
        {"1.5", k_gib + k_gib / 2},
        {"512m", 512 * k_mib},
        {"512MiB", 512 * k_mib},
        {"512MB", 512 * k_mib},
        {"512mb", 512 * k_mib},
        {"2G", 2 * k_gib},
        {"1t", 1024 * k_gib},
        {"100k", 100 * 1024},
        {"100KiB", 100 * 1024},
        {"4096b", 4096},
        {"4096B", 4096},
        {"0.5k", 512},
        {"1.0000000001", k_gib + 1},  // a fraction of a byte rounds up
        {"0.1b", 1},
        {"1.9999999999999999999t", 2048 * k_gib},  // past 18 decimals: rounds up
        {"4194304t", std::uint64_t{1} << 62U},     // the largest: 2^62 bytes
        {"4194303.5t", (std::uint64_t{1} << 62U) - 512 * k_gib},
    }));
    CAPTURE(text);
    CHECK(flocker::parse_size(text) == bytes);
}

TEST_CASE("dataset_spec::parse_size refuses malformed, non-positive and huge sizes", "[flocker][config]")
{
    const std::string text =
        GENERATE(as<std::string>{}, "", "0", "0.0", "-1", "abc", "1x", "1gg", "1i", "1.", ".5", "1 g", "1e9",
                 "99999999999999999999", "9999999999t", "4194305t", "4194304.000001t", "4611686018427387905b");
    CAPTURE(text);
    CHECK_THROWS_AS(flocker::parse_size(text), UsageError);
}

TEST_CASE("dataset_spec::round_size gives a multiple of 1024 of at least 64 MiB", "[flocker][config]")
{
    CHECK(flocker::round_size(1) == 64 * k_mib);
    CHECK(flocker::round_size(64 * k_mib) == 64 * k_mib);
    CHECK(flocker::round_size(64 * k_mib + 1) == 64 * k_mib + 1024);
    CHECK(flocker::round_size(k_gib + k_gib / 2) == k_gib + k_gib / 2);
}

TEST_CASE("dataset_spec::create_spec turns options into a size and metadata", "[flocker][config]")
{
    SECTION("no size: the documented 75 GiB default")
    {
        const auto spec = flocker::create_spec("name", "vol", {{"profile", "gold"}});
        CHECK(spec.maximum_size == 80530636800ULL);
        CHECK(spec.maximum_size == volumecli::k_flocker_default_size);
        CHECK_FALSE(spec.size_given);
        CHECK(spec.metadata == std::map<std::string, std::string>{{"name", "vol"}, {"profile", "gold"}});
    }
    SECTION("size is not metadata; it is rounded")
    {
        const auto spec = flocker::create_spec("FLOCKER_ID", "vol", {{"size", "100k"}, {"o", "a=b,c"}});
        CHECK(spec.maximum_size == 64 * k_mib);
        CHECK(spec.size_given);
        CHECK(spec.metadata == std::map<std::string, std::string>{{"FLOCKER_ID", "vol"}, {"o", "a=b,c"}});
    }
    SECTION("an option named like the name key clashes")
    {
        CHECK_THROWS_WITH(flocker::create_spec("name", "vol", {{"name", "other"}}), Contains("clashes"));
    }
    SECTION("Flocker's limits: 16 keys, 256 characters")
    {
        VolumeOptions fifteen;
        for (int i = 0; i < 15; ++i) {
            fifteen["k" + std::to_string(i)] = "v";
        }
        CHECK_NOTHROW(flocker::create_spec("name", "vol", fifteen));
        VolumeOptions sixteen = fifteen;
        sixteen["k15"] = "v";
        CHECK_THROWS_AS(flocker::create_spec("name", "vol", sixteen), UsageError);
        CHECK_THROWS_AS(flocker::create_spec("name", "vol", {{std::string(257, 'k'), "v"}}), UsageError);
        CHECK_THROWS_AS(flocker::create_spec("name", "vol", {{"k", std::string(257, 'v')}}), UsageError);
        CHECK_NOTHROW(flocker::create_spec("name", "vol", {{std::string(256, 'k'), std::string(256, 'v')}}));
        CHECK_THROWS_AS(flocker::create_spec("name", std::string(257, 'n'), {}), UsageError);
    }
    SECTION("a bad size")
    {
        CHECK_THROWS_AS(flocker::create_spec("name", "vol", {{"size", "-5"}}), UsageError);
    }
}

TEST_CASE("agent_yml::agent_yml_hostname reads control-service.hostname", "[flocker][config]")
{
    SECTION("Flocker's documented layout, quoted keys and values")
    {
        const std::string text =
            "\"version\": 1\n"
            "\"control-service\":\n"
            "   \"hostname\": \"192.0.2.1\"\n"
            "   \"port\": 4524\n"
            "\n"
            "# dataset backend\n"
            "\"dataset\":\n"
            "   \"backend\": \"aws\"\n"
            "   \"hostname\": \"not-this-one\"\n";
        CHECK(flocker::agent_yml_hostname(text) == std::optional<std::string>("192.0.2.1"));
    }
    SECTION("plain scalars, comments, CRLF, a document marker")
    {
        const std::string text =
            "---\r\nversion: 1   # the format\r\ncontrol-service:\r\n  port: 4524\r\n  hostname: control.example.com  "
            "# the control node\r\n";
        CHECK(flocker::agent_yml_hostname(text) == std::optional<std::string>("control.example.com"));
    }
    SECTION("a flow mapping")
    {
        CHECK(flocker::agent_yml_hostname("version: 1\ncontrol-service: {hostname: '10.0.0.1', port: 4524}\n") ==
              std::optional<std::string>("10.0.0.1"));
    }
    SECTION("a hostname nested elsewhere does not count")
    {
        const std::string text =
            "dataset:\n  control-service:\n    hostname: wrong\nlist:\n  - hostname: wrong\nblock: |\n  "
            "control-service:\n    hostname: wrong\n";
        CHECK_FALSE(flocker::agent_yml_hostname(text).has_value());
    }
    SECTION("no control-service at all")
    {
        CHECK_FALSE(flocker::agent_yml_hostname("version: 1\n").has_value());
    }
    SECTION("an unterminated quote")
    {
        CHECK_THROWS(flocker::agent_yml_hostname("control-service:\n  hostname: \"10.0.0.1\n"));
    }
}

TEST_CASE("flocker_settings::resolve_settings takes each setting from the flag, the environment, then the files",
          "[flocker][config]")
{
    Setup setup;
    setup.add_certificates();
    setup.dir.write_file("etc/agent.yml", "control-service:\n  hostname: agent.example\n  port: 4524\n");

    SECTION("files and defaults: agent.yml's host, but port 4523, not agent.yml's 4524")
    {
        const auto resolved = flocker::resolve_settings(setup.settings(), setup.probes(), true);
        CHECK(resolved.endpoint.host == "agent.example");
        CHECK(resolved.endpoint.port == "4523");
        CHECK(resolved.endpoint.tls);
        CHECK(resolved.endpoint.address == "https://agent.example:4523");
        CHECK(resolved.endpoint.tls_files.ca_file == setup.etc + "/cluster.crt");
        CHECK(resolved.endpoint.tls_files.cert_file == setup.etc + "/plugin.crt");
        CHECK(resolved.endpoint.tls_files.key_file == setup.etc + "/plugin.key");
        CHECK_FALSE(resolved.node_uuid.has_value());
        CHECK(resolved.call_timeout == std::chrono::milliseconds(60000));
    }
    SECTION("the environment beats the files; empty variables are unset")
    {
        const std::string ca = setup.dir.write_file("env-ca.pem", "ca");
        setup.env = {{"FLOCKER_CONTROL_SERVICE_HOST", "env.example"},
                     {"FLOCKER_CONTROL_SERVICE_PORT", "9999"},
                     {"FLOCKER_CONTROL_SERVICE_CA_FILE", ca},
                     {"FLOCKER_CONTROL_SERVICE_CLIENT_CERT_FILE", ""},
                     {"FLOCKER_NODE_UUID", "7EC3C4EB-6B1C-43DA-8015-A163F7D15244"}};
        const auto resolved = flocker::resolve_settings(setup.settings(), setup.probes(), true);
        CHECK(resolved.endpoint.host == "env.example");
        CHECK(resolved.endpoint.port == "9999");
        CHECK(resolved.endpoint.tls_files.ca_file == ca);
        CHECK(resolved.endpoint.tls_files.cert_file == setup.etc + "/plugin.crt");
        CHECK(resolved.node_uuid == std::optional<std::string>("7ec3c4eb-6b1c-43da-8015-a163f7d15244"));
    }
    SECTION("flags beat the environment, each on its own")
    {
        setup.env = {{"FLOCKER_CONTROL_SERVICE_HOST", "env.example"}, {"FLOCKER_CONTROL_SERVICE_PORT", "9999"}};
        auto settings = setup.settings();
        settings.control_host = "[::1]";
        const auto resolved = flocker::resolve_settings(settings, setup.probes(), true);
        CHECK(resolved.endpoint.host == "::1");
        CHECK(resolved.endpoint.port == "9999");
        CHECK(resolved.endpoint.address == "https://[::1]:9999");
    }
}

TEST_CASE("flocker_settings::resolve_settings refuses what cannot work", "[flocker][config]")
{
    Setup setup;
    setup.add_certificates();
    auto settings = setup.settings();
    settings.control_host = "control.example";

    SECTION("no host anywhere is 'unreachable'")
    {
        settings.control_host.reset();
        CHECK_THROWS_AS(flocker::resolve_settings(settings, setup.probes(), true), UnreachableError);
        CHECK_THROWS_WITH(flocker::resolve_settings(settings, setup.probes(), true), Contains("--control-host"));
    }
    SECTION("a missing certificate file is 'unreachable' and names the file")
    {
        settings.ca_file = setup.dir.file("missing.pem");
        CHECK_THROWS_AS(flocker::resolve_settings(settings, setup.probes(), true), UnreachableError);
        CHECK_THROWS_WITH(flocker::resolve_settings(settings, setup.probes(), true), Contains("missing.pem"));
    }
    SECTION("a missing key is 'unreachable' without repeating its path")
    {
        settings.key_file = setup.dir.file("secret-dir/key.pem");
        CHECK_THROWS_AS(flocker::resolve_settings(settings, setup.probes(), true), UnreachableError);
        CHECK_THROWS_WITH(flocker::resolve_settings(settings, setup.probes(), true), !Contains("secret-dir"));
    }
    SECTION("malformed values are usage errors")
    {
        const auto [field, value] = GENERATE(table<std::string, std::string>({{"port", "0"},
                                                                              {"port", "65536"},
                                                                              {"port", "http"},
                                                                              {"port", ""},
                                                                              {"node", "not-a-uuid"},
                                                                              {"host", ""},
                                                                              {"host", "a b"},
                                                                              {"key", ""}}));
        CAPTURE(field, value);
        if (field == "port") {
            settings.control_port = value;
        } else if (field == "node") {
            settings.node_uuid = value;
        } else if (field == "host") {
            settings.control_host = value;
        } else {
            settings.name_key = value;
        }
        CHECK_THROWS_AS(flocker::resolve_settings(settings, setup.probes(), true), UsageError);
    }
    SECTION("a per-request timeout must be above zero")
    {
        settings.timeout = std::chrono::milliseconds(0);
        CHECK_THROWS_AS(flocker::resolve_settings(settings, setup.probes(), true), UsageError);
    }
}

TEST_CASE("node_identity::node_uuid_from_certificate reads the CN node-<uuid>", "[flocker][config]")
{
    TempDir dir;
    const auto authority = volumecli::test::generate_test_certificates(dir.path());
    const auto node =
        volumecli::test::issue_certificate(authority, dir.path(), "node", "node-7EC3C4EB-6B1C-43DA-8015-A163F7D15244");
    const auto user = volumecli::test::issue_certificate(authority, dir.path(), "user", "user-plugin");
    CHECK(flocker::node_uuid_from_certificate(node.cert) ==
          std::optional<std::string>("7ec3c4eb-6b1c-43da-8015-a163f7d15244"));
    CHECK_FALSE(flocker::node_uuid_from_certificate(user.cert).has_value());
    CHECK_FALSE(flocker::node_uuid_from_certificate(dir.file("absent.crt")).has_value());
    CHECK_FALSE(flocker::node_uuid_from_certificate(dir.write_file("junk.crt", "junk")).has_value());
}

TEST_CASE("flocker settings and node identity read no file that is not a regular file, and none past its cap",
          "[flocker][config][files]")
{
    Setup setup;
    setup.add_certificates();
    const auto started = std::chrono::steady_clock::now();
    const auto make = [&](const std::string& path, const std::string& kind) {
        if (kind == "FIFO") {
            REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
        } else if (kind == "directory") {
            std::filesystem::create_directory(path);
        } else {
            std::ofstream(path, std::ios::binary) << std::string(1024U * 1024U + 1, '#');
        }
    };
    const std::string kind = GENERATE(as<std::string>{}, "FIFO", "directory", "oversized");
    CAPTURE(kind);
    const std::string reason = kind == "oversized" ? "larger than 1048576 bytes" : "not a regular file";

    SECTION("agent.yml: exit 3 naming it")
    {
        const std::string agent_yml = setup.etc + "/agent.yml";
        make(agent_yml, kind);
        const std::string message = volumecli::test::thrown<UnreachableError>(
            [&] { flocker::resolve_settings(setup.settings(), setup.probes(), true); });
        CHECK_THAT(message, Contains("cannot read " + agent_yml + ": " + reason));
    }
    SECTION("node.crt: exit 3 naming it")
    {
        const std::string node_crt = setup.etc + "/node.crt";
        make(node_crt, kind);
        const std::string message =
            volumecli::test::thrown<UnreachableError>([&] { flocker::node_uuid_from_certificate(node_crt); });
        CHECK_THAT(message, Contains("cannot read " + node_crt + ": " + reason));
    }
    SECTION("the boot id file: no boot id")
    {
        const std::string boot_id = setup.dir.file("boot_id");
        make(boot_id, kind);
        CHECK_FALSE(flocker::read_boot_id(boot_id).has_value());
    }
    CHECK(std::chrono::steady_clock::now() - started < within(std::chrono::milliseconds(0)));  // never waits on a FIFO
}

TEST_CASE("node_identity::read_boot_id reads the first line, trimmed", "[flocker][config][files]")
{
    TempDir dir;
    CHECK(flocker::read_boot_id(dir.write_file("boot_id", " 6f1c2b0e-2b5a-4a3e-9d5e-0c1f2a3b4c5d \nnext\n")) ==
          std::optional<std::string>("6f1c2b0e-2b5a-4a3e-9d5e-0c1f2a3b4c5d"));
    CHECK_FALSE(flocker::read_boot_id(dir.write_file("empty", "\n")).has_value());
    CHECK_FALSE(flocker::read_boot_id(dir.file("absent")).has_value());
}

TEST_CASE("flocker_settings::resolve_settings shows a control service host with a NUL in full", "[flocker][config]")
{
    Setup setup;
    setup.add_certificates();
    setup.dir.write_file("etc/agent.yml", "control-service:\n  hostname: \"a\\0b\"\n");
    const std::string message =
        volumecli::test::thrown<UsageError>([&] { flocker::resolve_settings(setup.settings(), setup.probes(), true); });
    CHECK(message == "invalid control service host \"a\\x00b\"");
}

TEST_CASE("node_identity: addresses compare in canonical form", "[flocker][config]")
{
    CHECK(flocker::canonical_address("0:0:0:0:0:0:0:1") == "::1");
    CHECK(flocker::canonical_address("[::1]") == "::1");
    CHECK(flocker::canonical_address("10.0.0.3") == "10.0.0.3");
    CHECK(flocker::canonical_address("node.example") == "node.example");
    const auto addresses = flocker::host_addresses();
    CHECK(std::find(addresses.begin(), addresses.end(), "127.0.0.1") != addresses.end());
}
