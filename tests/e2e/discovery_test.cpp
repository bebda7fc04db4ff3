// Finding the plugin: Docker's lookup order over real files and sockets, .spec and .json
// formats, TLS (including mutual TLS), bad names, --plugin-addr, and the failures' exit codes.

#include "certs.hpp"
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

using namespace volumecli::e2e;
using volumecli::test::SilentSocket;
using volumecli::test::TestCertificates;
using Calls = std::vector<std::string>;

namespace {

const Calls k_list_calls{"Plugin.Activate", "VolumeDriver.List"};

// Runs "dvdcli list --volumedriver=fake" and requires success.
void require_list_succeeds(const Harness& harness, const std::vector<std::string>& extra = {})
{
    std::vector<std::string> args{"list", "--volumedriver=fake"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto result = harness.run(args);
    REQUIRE_EXIT(result, 0);
}

std::string json_string(const std::string& text)
{
    return nlohmann::json(text).dump();
}

}  // namespace

TEST_CASE("dvdcli discovery prefers N.sock over N/N.sock", "[e2e][discovery]")
{
    Harness harness;
    FakePlugin flat;
    FakePlugin nested;
    harness.start(flat);
    harness.dir().make_dir("sockets/fake");
    nested.start_unix(harness.socket_dir() + "/fake/fake.sock");

    require_list_succeeds(harness);

    CHECK(flat.calls() == k_list_calls);
    CHECK(nested.calls().empty());
}

TEST_CASE("dvdcli discovery finds N/N.sock", "[e2e][discovery]")
{
    Harness harness;
    FakePlugin nested;
    harness.dir().make_dir("sockets/fake");
    nested.start_unix(harness.socket_dir() + "/fake/fake.sock");

    require_list_succeeds(harness);

    CHECK(nested.calls() == k_list_calls);
}

TEST_CASE("dvdcli discovery follows a symlinked socket", "[e2e][discovery]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.start_unix(harness.dir().file("real.sock"));
    REQUIRE(::symlink(harness.dir().file("real.sock").c_str(), harness.socket_path("fake").c_str()) == 0);

    require_list_succeeds(harness);

    CHECK(plugin.calls() == k_list_calls);
}

TEST_CASE("dvdcli discovery prefers sockets over spec files", "[e2e][discovery]")
{
    Harness harness;
    FakePlugin by_socket;
    FakePlugin by_spec;
    harness.start(by_socket);
    by_spec.start_unix(harness.dir().file("other.sock"));
    harness.dir().write_file("spec1/fake.spec", "unix://" + harness.dir().file("other.sock"));

    require_list_succeeds(harness);

    CHECK(by_socket.calls() == k_list_calls);
    CHECK(by_spec.calls().empty());
}

TEST_CASE("dvdcli discovery skips a regular file named N.sock", "[e2e][discovery]")
{
    Harness harness;
    FakePlugin by_spec;
    harness.dir().write_file("sockets/fake.sock", "not a socket\n");
    by_spec.start_unix(harness.dir().file("other.sock"));
    harness.dir().write_file("spec1/fake.spec", "unix://" + harness.dir().file("other.sock"));

    require_list_succeeds(harness, {"--retry-timeout=0"});

    CHECK(by_spec.calls() == k_list_calls);
}

TEST_CASE("dvdcli discovery order within and across spec directories", "[e2e][discovery]")
{
    Harness harness;
    FakePlugin winner;
    FakePlugin loser;
    winner.start_unix(harness.dir().file("winner.sock"));
    loser.start_unix(harness.dir().file("loser.sock"));
    const std::string to_winner = "unix://" + harness.dir().file("winner.sock");
    const std::string to_loser = "unix://" + harness.dir().file("loser.sock");
    const std::string json_to_winner = "{\"Addr\":" + json_string(to_winner) + "}";
    const std::string json_to_loser = "{\"Addr\":" + json_string(to_loser) + "}";

    SECTION("N.spec beats N/N.spec")
    {
        harness.dir().write_file("spec1/fake.spec", to_winner);
        harness.dir().write_file("spec1/fake/fake.spec", to_loser);
    }
    SECTION("N/N.spec beats N.json")
    {
        harness.dir().write_file("spec1/fake/fake.spec", to_winner);
        harness.dir().write_file("spec1/fake.json", json_to_loser);
    }
    SECTION(".spec beats .json")
    {
        harness.dir().write_file("spec1/fake.spec", to_winner);
        harness.dir().write_file("spec1/fake.json", json_to_loser);
    }
    SECTION("N.json beats N/N.json")
    {
        harness.dir().write_file("spec1/fake.json", json_to_winner);
        harness.dir().write_file("spec1/fake/fake.json", json_to_loser);
    }
    SECTION("N/N.json is found")
    {
        harness.dir().write_file("spec1/fake/fake.json", json_to_winner);
    }
    SECTION("the first spec directory beats the second")
    {
        harness.dir().write_file("spec1/fake.json", json_to_winner);
        harness.dir().write_file("spec2/fake.spec", to_loser);
    }
    SECTION("the second spec directory is searched")
    {
        harness.dir().write_file("spec2/fake.spec", to_winner);
    }
    SECTION("empty entries in DVDCLI_SPEC_DIRS are skipped")
    {
        harness.dir().write_file("spec2/fake.spec", to_winner);
        volumecli::test::ProcessOptions options;
        options.env["DVDCLI_SPEC_DIRS"] = "::" + harness.second_spec_dir() + ":";
        const auto result = harness.run({"list", "--volumedriver=fake"}, options);
        REQUIRE_EXIT(result, 0);
        CHECK(winner.calls() == k_list_calls);
        return;
    }

    require_list_succeeds(harness);

    CHECK(winner.calls() == k_list_calls);
    CHECK(loser.calls().empty());
}

TEST_CASE("dvdcli reads .spec URLs of every scheme", "[e2e][discovery][tcp]")
{
    Harness harness;
    FakePlugin plugin;
    std::string expected_host = "plugin.moby.localhost";
    volumecli::test::ProcessOptions options;

    SECTION("unix:// absolute, with surrounding whitespace")
    {
        plugin.start_unix(harness.dir().file("abs.sock"));
        harness.dir().write_file("spec1/fake.spec", "  \n unix://" + harness.dir().file("abs.sock") + " \n\n");
    }
    SECTION("unix:// relative to the working directory")
    {
        plugin.start_unix(harness.dir().make_dir("work") + "/rel.sock");
        harness.dir().write_file("spec1/fake.spec", "unix://rel.sock\n");
        options.cwd = harness.dir().file("work");
    }
    SECTION("tcp://")
    {
        const int port = plugin.start_tcp();
        harness.dir().write_file("spec1/fake.spec", "tcp://127.0.0.1:" + std::to_string(port));
        expected_host = "127.0.0.1:" + std::to_string(port);
    }
    SECTION("http:// with a path that is dropped")
    {
        const int port = plugin.start_tcp();
        harness.dir().write_file("spec1/fake.spec", "http://127.0.0.1:" + std::to_string(port) + "/some/prefix\n");
        expected_host = "127.0.0.1:" + std::to_string(port);
    }

    const auto result = harness.run({"list", "--volumedriver=fake"}, options);

    REQUIRE_EXIT(result, 0);
    REQUIRE(plugin.calls() == k_list_calls);
    for (const auto& request : plugin.requests()) {
        check_docker_request(request, expected_host);
    }
    CHECK(plugin.requests()[0].path == "/Plugin.Activate");
}

TEST_CASE("dvdcli reads .json specs with case-insensitive keys", "[e2e][discovery]")
{
    Harness harness;
    FakePlugin plugin;
    const int port = plugin.start_tcp();
    harness.dir().write_file("spec1/fake.json",
                             "{\"name\":\"ignored\",\"addr\":\"tcp://127.0.0.1:" + std::to_string(port) + "\"}\n");

    require_list_succeeds(harness);

    CHECK(plugin.calls() == k_list_calls);
}

TEST_CASE("dvdcli talks mutual TLS to an https plugin from a .json spec", "[e2e][discovery][tls]")
{
    Harness harness;
    const TestCertificates certs = volumecli::test::generate_test_certificates(harness.dir().make_dir("certs"));
    FakePlugin plugin;
    const int port = plugin.start_https(certs.server_cert, certs.server_key, certs.ca_cert);
    const std::string address = "https://127.0.0.1:" + std::to_string(port);
    std::string spec;

    SECTION("CAFile, CertFile and KeyFile")
    {
        spec = "{\"Addr\":" + json_string(address) + ",\"TLSConfig\":{\"CAFile\":" + json_string(certs.ca_cert) +
               ",\"CertFile\":" + json_string(certs.client_cert) + ",\"KeyFile\":" + json_string(certs.client_key) +
               "}}";
    }
    SECTION("lower-case keys")
    {
        spec = "{\"addr\":" + json_string(address) + ",\"tlsconfig\":{\"cafile\":" + json_string(certs.ca_cert) +
               ",\"certfile\":" + json_string(certs.client_cert) + ",\"keyfile\":" + json_string(certs.client_key) +
               "}}";
    }
    SECTION("InsecureSkipVerify true without a CA")
    {
        spec = "{\"Addr\":" + json_string(address) + ",\"TLSConfig\":{\"CertFile\":" + json_string(certs.client_cert) +
               ",\"KeyFile\":" + json_string(certs.client_key) + ",\"InsecureSkipVerify\":true}}";
    }
    SECTION("InsecureSkipVerify true with an unrelated CA")
    {
        spec = "{\"Addr\":" + json_string(address) + ",\"TLSConfig\":{\"CAFile\":" + json_string(certs.other_ca_cert) +
               ",\"CertFile\":" + json_string(certs.client_cert) + ",\"KeyFile\":" + json_string(certs.client_key) +
               ",\"InsecureSkipVerify\":true}}";
    }
    harness.dir().write_file("spec1/fake.json", spec);
    INFO("spec " << spec);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/tmp/fake-plugin/v1\n");
    REQUIRE(plugin.calls() ==
            Calls{"Plugin.Activate", "VolumeDriver.Get", "VolumeDriver.Create", "VolumeDriver.Mount"});
    for (const auto& request : plugin.requests()) {
        check_docker_request(request, "127.0.0.1:" + std::to_string(port));
    }
}

TEST_CASE("dvdcli fails with exit 3 when TLS verification or the client certificate fails", "[e2e][discovery][tls]")
{
    Harness harness;
    const TestCertificates certs = volumecli::test::generate_test_certificates(harness.dir().make_dir("certs"));
    FakePlugin plugin;
    const int port = plugin.start_https(certs.server_cert, certs.server_key, certs.ca_cert);
    const std::string address = json_string("https://127.0.0.1:" + std::to_string(port));
    const std::string client =
        ",\"CertFile\":" + json_string(certs.client_cert) + ",\"KeyFile\":" + json_string(certs.client_key);
    std::string spec;

    SECTION("server certificate from an unrelated CA")
    {
        spec =
            "{\"Addr\":" + address + ",\"TLSConfig\":{\"CAFile\":" + json_string(certs.other_ca_cert) + client + "}}";
    }
    SECTION("no TLSConfig: verified against the system roots")
    {
        spec = "{\"Addr\":" + address + "}";
    }
    SECTION("InsecureSkipVerify false with an unrelated CA")
    {
        spec = "{\"Addr\":" + address + ",\"TLSConfig\":{\"CAFile\":" + json_string(certs.other_ca_cert) + client +
               ",\"InsecureSkipVerify\":false}}";
    }
    SECTION("no client certificate for a server that requires one")
    {
        spec = "{\"Addr\":" + address + ",\"TLSConfig\":{\"CAFile\":" + json_string(certs.ca_cert) + "}}";
    }
    SECTION("client certificate from a CA the server does not trust")
    {
        spec = "{\"Addr\":" + address + ",\"TLSConfig\":{\"CAFile\":" + json_string(certs.ca_cert) +
               ",\"CertFile\":" + json_string(certs.other_client_cert) +
               ",\"KeyFile\":" + json_string(certs.other_client_key) + "}}";
    }
    harness.dir().write_file("spec1/fake.json", spec);
    INFO("spec " << spec);

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--retry-timeout=0"});

    REQUIRE_FAILURE(result, 3);
    CHECK(plugin.requests().empty());
}

TEST_CASE("dvdcli verifies an https .spec plugin against the system roots", "[e2e][discovery][tls]")
{
    Harness harness;
    const TestCertificates certs = volumecli::test::generate_test_certificates(harness.dir().make_dir("certs"));
    FakePlugin plugin;
    const int port = plugin.start_https(certs.server_cert, certs.server_key);
    harness.dir().write_file("spec1/fake.spec", "https://127.0.0.1:" + std::to_string(port));

    const auto result = harness.run({"list", "--volumedriver=fake", "--retry-timeout=0"});

    // Docker skips verification for .spec plugins; the spec documents the difference.
    REQUIRE_FAILURE(result, 3);
    CHECK(plugin.requests().empty());
}

TEST_CASE("dvdcli talks to an https plugin without client certificates", "[e2e][discovery][tls]")
{
    Harness harness;
    const TestCertificates certs = volumecli::test::generate_test_certificates(harness.dir().make_dir("certs"));
    FakePlugin plugin;
    const int port = plugin.start_https(certs.server_cert, certs.server_key);
    harness.dir().write_file("spec1/fake.json", "{\"Addr\":\"https://localhost:" + std::to_string(port) +
                                                    "\",\"TLSConfig\":{\"CAFile\":" + json_string(certs.ca_cert) +
                                                    "}}");
    INFO("the server listens on 127.0.0.1 only; localhost must reach it over IPv4");

    const auto result = harness.run({"list", "--volumedriver=fake"});

    REQUIRE_EXIT(result, 0);
    REQUIRE(plugin.calls() == k_list_calls);
    check_docker_request(plugin.requests()[1], "localhost:" + std::to_string(port));
}

TEST_CASE("dvdcli fails at once with exit 3 when a certificate file is missing", "[e2e][discovery][tls]")
{
    Harness harness;
    const TestCertificates certs = volumecli::test::generate_test_certificates(harness.dir().make_dir("certs"));
    FakePlugin plugin;
    const int port = plugin.start_https(certs.server_cert, certs.server_key, certs.ca_cert);
    const std::string address = json_string("https://127.0.0.1:" + std::to_string(port));
    const std::string missing = json_string(harness.dir().file("certs/missing.pem"));
    std::string spec;

    SECTION("CAFile")
    {
        spec = "{\"Addr\":" + address + ",\"TLSConfig\":{\"CAFile\":" + missing +
               ",\"CertFile\":" + json_string(certs.client_cert) + ",\"KeyFile\":" + json_string(certs.client_key) +
               "}}";
    }
    SECTION("CertFile")
    {
        spec = "{\"Addr\":" + address + ",\"TLSConfig\":{\"CAFile\":" + json_string(certs.ca_cert) +
               ",\"CertFile\":" + missing + ",\"KeyFile\":" + json_string(certs.client_key) + "}}";
    }
    SECTION("KeyFile")
    {
        spec = "{\"Addr\":" + address + ",\"TLSConfig\":{\"CAFile\":" + json_string(certs.ca_cert) +
               ",\"CertFile\":" + json_string(certs.client_cert) + ",\"KeyFile\":" + missing + "}}";
    }
    harness.dir().write_file("spec1/fake.json", spec);
    INFO("spec " << spec);

    // Default retry window (15 s): "at once" means no retrying.
    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_FAILURE(result, 3);
    CHECK(result.wall_time < std::chrono::milliseconds(2000));
    CHECK(plugin.requests().empty());
}

TEST_CASE("dvdcli fails at once with exit 3 on an invalid spec file and names it", "[e2e][discovery]")
{
    Harness harness;
    std::string file;
    SECTION(".spec without a scheme")
    {
        file = harness.dir().write_file("spec1/fake.spec", "/run/fake.sock\n");
    }
    SECTION(".spec with host:port only")
    {
        file = harness.dir().write_file("spec1/fake.spec", "127.0.0.1:1234\n");
    }
    SECTION("empty .spec")
    {
        file = harness.dir().write_file("spec1/fake.spec", "\n");
    }
    SECTION(".spec with an unknown scheme")
    {
        file = harness.dir().write_file("spec1/fake.spec", "ftp://127.0.0.1:21\n");
    }
    SECTION(".json that is not JSON")
    {
        file = harness.dir().write_file("spec1/fake.json", "{\"Addr\": ");
    }
    SECTION(".json without a usable Addr")
    {
        file = harness.dir().write_file("spec1/fake.json", "{\"Addr\":\"nonsense\"}");
    }

    // Default retry window (15 s): invalid specs are not retried.
    const auto result = harness.run({"list", "--volumedriver=fake"});

    REQUIRE_FAILURE(result, 3);
    CHECK(result.err.find(file) != std::string::npos);
    CHECK(result.wall_time < std::chrono::milliseconds(2000));
}

TEST_CASE("dvdcli fails with exit 3 on an unreadable spec file", "[e2e][discovery]")
{
    if (::geteuid() == 0) {
        skip_test("running as root: file permissions do not stop root from reading the spec");
        return;
    }
    Harness harness;
    const std::string file = harness.dir().write_file("spec1/fake.spec", "unix:///x.sock\n");
    REQUIRE(::chmod(file.c_str(), 0) == 0);

    const auto result = harness.run({"list", "--volumedriver=fake"});

    REQUIRE_FAILURE(result, 3);
    CHECK(result.err.find(file) != std::string::npos);
    CHECK(result.wall_time < std::chrono::milliseconds(2000));
}

TEST_CASE("dvdcli reports a missing plugin with exit 3", "[e2e][discovery]")
{
    Harness harness;

    SECTION("--retry-timeout=0 fails fast")
    {
        const auto result = harness.run({"mount", "--volumedriver=absent", "--volumename=v1", "--retry-timeout=0"});
        REQUIRE_FAILURE(result, 3);
        CHECK(result.err.rfind("dvdcli: error: driver \"absent\": plugin not found", 0) == 0);
        CHECK(result.wall_time < std::chrono::milliseconds(1000));
    }
    SECTION("--retry-timeout=2 retries for about a second first")
    {
        const auto result = harness.run({"mount", "--volumedriver=absent", "--volumename=v1", "--retry-timeout=2"});
        REQUIRE_FAILURE(result, 3);
        CHECK(result.err.find("plugin not found") != std::string::npos);
        CHECK(result.wall_time >= std::chrono::milliseconds(900));
        CHECK(result.wall_time < within(std::chrono::milliseconds(2000)));
    }
}

TEST_CASE("dvdcli finds a plugin that appears while it retries", "[e2e][discovery]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    std::thread late_start([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        harness.start(plugin);
    });

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--retry-timeout=4"});
    late_start.join();

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/tmp/fake-plugin/v1\n");
    CHECK(plugin.calls() == Calls{"Plugin.Activate", "VolumeDriver.Get", "VolumeDriver.Mount"});
}

TEST_CASE("dvdcli rejects bad plugin names with exit 2", "[e2e][discovery][usage]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);
    // A plugin reachable through the bad name would be found if the name were used.
    FakePlugin escaped;
    escaped.start_unix(harness.dir().file("x.sock"));
    const auto name = GENERATE(as<std::string>{}, "../x", "/abs", "a/../../x", "..", "");
    INFO("name \"" << name << "\"");

    const auto result = harness.run({"list", "--retry-timeout=0", "--volumedriver=" + name});

    REQUIRE_FAILURE(result, 2);
    CHECK(plugin.requests().empty());
    CHECK(escaped.requests().empty());
}

TEST_CASE("dvdcli takes --volumedriver= as an empty name and not the next argument", "[e2e][discovery][usage]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin, "--retry-timeout=0");
    volumecli::test::ProcessOptions options;
    options.hard_limit = std::chrono::seconds(5);

    const auto result = harness.run({"list", "--volumedriver=", "--retry-timeout=0"}, options);

    REQUIRE_FAILURE(result, 2);
    CHECK(plugin.requests().empty());
}

TEST_CASE("dvdcli --plugin-addr bypasses discovery", "[e2e][discovery]")
{
    Harness harness;
    FakePlugin decoy;
    harness.start(decoy);
    FakePlugin plugin;
    plugin.add_volume("v1");
    std::vector<std::string> args{"mount", "--volumedriver=fake", "--volumename=v1"};
    std::string expected_host = "plugin.moby.localhost";

    SECTION("unix://")
    {
        plugin.start_unix(harness.dir().file("direct.sock"));
        args.push_back("--plugin-addr=unix://" + harness.dir().file("direct.sock"));
    }
    SECTION("tcp://")
    {
        const int port = plugin.start_tcp();
        args.push_back("--plugin-addr=tcp://127.0.0.1:" + std::to_string(port));
        expected_host = "127.0.0.1:" + std::to_string(port);
    }
    SECTION("http://")
    {
        const int port = plugin.start_tcp();
        args.emplace_back("--plugin-addr");
        args.push_back("http://127.0.0.1:" + std::to_string(port));
        expected_host = "127.0.0.1:" + std::to_string(port);
    }
    SECTION("https:// with --cacert, --cert and --key")
    {
        const TestCertificates certs = volumecli::test::generate_test_certificates(harness.dir().make_dir("certs"));
        const int port = plugin.start_https(certs.server_cert, certs.server_key, certs.ca_cert);
        args.push_back("--plugin-addr=https://127.0.0.1:" + std::to_string(port));
        args.push_back("--cacert=" + certs.ca_cert);
        args.push_back("--cert=" + certs.client_cert);
        args.push_back("--key=" + certs.client_key);
        expected_host = "127.0.0.1:" + std::to_string(port);
    }

    const auto result = harness.run(args);

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/tmp/fake-plugin/v1\n");
    CHECK(decoy.requests().empty());
    REQUIRE(plugin.calls() == Calls{"Plugin.Activate", "VolumeDriver.Get", "VolumeDriver.Mount"});
    for (const auto& request : plugin.requests()) {
        check_docker_request(request, expected_host);
    }
    CHECK(plugin.requests()[2].body == "{\"Name\":\"v1\",\"ID\":\"" + expected_mount_id("fake", "v1") + "\"}\n");
}

TEST_CASE("dvdcli --plugin-addr https fails with exit 3 against an unrelated CA", "[e2e][discovery][tls]")
{
    Harness harness;
    const TestCertificates certs = volumecli::test::generate_test_certificates(harness.dir().make_dir("certs"));
    FakePlugin plugin;
    const int port = plugin.start_https(certs.server_cert, certs.server_key, certs.ca_cert);

    const auto result = harness.run({"list", "--plugin-addr=https://127.0.0.1:" + std::to_string(port),
                                     "--cacert=" + certs.other_ca_cert, "--cert=" + certs.client_cert,
                                     "--key=" + certs.client_key, "--retry-timeout=0"});

    REQUIRE_FAILURE(result, 3);
    CHECK(plugin.requests().empty());
}

TEST_CASE("dvdcli --plugin-addr without --volumedriver works", "[e2e][discovery]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    plugin.start_unix(harness.dir().file("direct.sock"));

    const auto result = harness.run({"list", "--plugin-addr=unix://" + harness.dir().file("direct.sock")});

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "v1\n");
    CHECK(plugin.calls() == k_list_calls);
}

TEST_CASE("dvdcli rejects a malformed --plugin-addr with exit 2", "[e2e][discovery][usage]")
{
    Harness harness;
    const auto address = GENERATE(as<std::string>{}, "ftp://127.0.0.1:21", "/abs/path.sock", "127.0.0.1:1234");
    INFO("address \"" << address << "\"");

    const auto result = harness.run({"list", "--volumedriver=fake", "--plugin-addr=" + address});

    REQUIRE_FAILURE(result, 2);
}
