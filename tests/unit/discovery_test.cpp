#include <volumecli/discovery.hpp>
#include <volumecli/endpoint.hpp>
#include <volumecli/error.hpp>

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

using Catch::Matchers::Contains;
using volumecli::Endpoint;
using volumecli::RetryPolicy;
using volumecli::UnreachableError;
using volumecli::UsageError;
using volumecli::discovery::candidate_paths;
using volumecli::discovery::find_plugin;
using volumecli::discovery::parse_json_spec;
using volumecli::discovery::parse_json_spec_file;
using volumecli::discovery::parse_spec;
using volumecli::discovery::parse_spec_file;
using volumecli::discovery::resolve_plugin;
using volumecli::discovery::SearchPaths;
using volumecli::discovery::validate_plugin_name;

namespace fs = std::filesystem;

namespace {

// A fresh directory under /tmp (short, so socket paths fit in sun_path), removed afterwards.
class TempDir {
public:
    TempDir()
    {
        std::string pattern = "/tmp/vcu-XXXXXX";
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::system_error(errno, std::generic_category(), "mkdtemp");
        }
        m_path = pattern;
    }
    ~TempDir()
    {
        std::error_code ignored;
        fs::remove_all(m_path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    TempDir(TempDir&&) = delete;
    TempDir& operator=(TempDir&&) = delete;

    [[nodiscard]] std::string path(const std::string& relative = "") const
    {
        return relative.empty() ? m_path.string() : (m_path / relative).string();
    }

private:
    fs::path m_path;
};

// Binds a real unix socket at `path` (creating parent directories) and leaves the file behind.
void make_socket(const std::string& path)
{
    fs::create_directories(fs::path(path).parent_path());
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof(address.sun_path));
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    const int bound = bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    close(fd);
    REQUIRE(bound == 0);
}

void write_file(const std::string& path, const std::string& text)
{
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream out(path, std::ios::binary);
    out << text;
    REQUIRE(out.good());
}

// socket dir <tmp>/run, spec dirs <tmp>/etc and <tmp>/usr.
SearchPaths paths_in(const TempDir& dir)
{
    SearchPaths paths;
    paths.socket_dir = dir.path("run");
    paths.spec_dirs = {dir.path("etc"), dir.path("usr")};
    return paths;
}

std::string address_of(const std::optional<Endpoint>& endpoint)
{
    if (!endpoint) {
        return "(not found)";
    }
    if (endpoint->kind == Endpoint::Kind::unix_socket) {
        return "unix:" + endpoint->socket_path;
    }
    return "tcp:" + endpoint->host + ":" + endpoint->port;
}

struct FakeSleep {
    std::vector<long long> pauses_ms;
    std::function<void(std::size_t)> on_pause;

    RetryPolicy policy(std::chrono::milliseconds window)
    {
        RetryPolicy policy;
        policy.window = window;
        policy.sleep = [this](std::chrono::milliseconds pause) {
            pauses_ms.push_back(pause.count());
            if (on_pause) {
                on_pause(pauses_ms.size());
            }
            if (pauses_ms.size() > 20) {
                throw std::logic_error("resolve_plugin kept retrying after 20 pauses");
            }
        };
        return policy;
    }
};

}  // namespace

TEST_CASE("validate_plugin_name accepts ordinary names", "[discovery]")
{
    auto name = GENERATE(as<std::string>{}, "rexray", "rexray/ebs", "my-plugin_1.0", "a.b", "x");
    CAPTURE(name);

    CHECK_NOTHROW(validate_plugin_name(name));
}

TEST_CASE("validate_plugin_name rejects names that escape the plugin directories", "[discovery]")
{
    auto name = GENERATE(as<std::string>{}, "", "..", "../x", "a/../../b", "x/..", "a..b", "/abs",
                         "/run/docker/plugins/x", std::string("a\0b", 3), std::string("\0", 1));
    CAPTURE(name);

    CHECK_THROWS_AS(validate_plugin_name(name), UsageError);
}

TEST_CASE("candidate_paths lists Docker's lookup order", "[discovery]")
{
    SearchPaths paths;
    paths.socket_dir = "/s";
    paths.spec_dirs = {"/e", "/u"};

    CHECK(candidate_paths("rexray", paths) == std::vector<std::string>{
                                                  "/s/rexray.sock",
                                                  "/s/rexray/rexray.sock",
                                                  "/e/rexray.spec",
                                                  "/e/rexray/rexray.spec",
                                                  "/e/rexray.json",
                                                  "/e/rexray/rexray.json",
                                                  "/u/rexray.spec",
                                                  "/u/rexray/rexray.spec",
                                                  "/u/rexray.json",
                                                  "/u/rexray/rexray.json",
                                              });
}

TEST_CASE("candidate_paths uses Docker's directories by default", "[discovery]")
{
    const std::vector<std::string> candidates = candidate_paths("p", SearchPaths{});

    REQUIRE(candidates.size() == 10);
    CHECK(candidates.front() == "/run/docker/plugins/p.sock");
    CHECK(candidates[2] == "/etc/docker/plugins/p.spec");
    CHECK(candidates.back() == "/usr/lib/docker/plugins/p/p.json");
}

TEST_CASE("find_plugin returns nothing when no candidate exists", "[discovery]")
{
    TempDir dir;

    SECTION("directories missing")
    {
        CHECK_FALSE(find_plugin("rexray", paths_in(dir)).has_value());
    }
    SECTION("directories empty")
    {
        fs::create_directories(dir.path("run"));
        fs::create_directories(dir.path("etc"));
        fs::create_directories(dir.path("usr"));
        CHECK_FALSE(find_plugin("rexray", paths_in(dir)).has_value());
    }
    SECTION("another plugin's socket")
    {
        make_socket(dir.path("run/other.sock"));
        CHECK_FALSE(find_plugin("rexray", paths_in(dir)).has_value());
    }
    SECTION("a regular file named N.sock")
    {
        write_file(dir.path("run/rexray.sock"), "");
        CHECK_FALSE(find_plugin("rexray", paths_in(dir)).has_value());
    }
}

TEST_CASE("find_plugin finds a socket", "[discovery]")
{
    TempDir dir;
    const SearchPaths paths = paths_in(dir);

    SECTION("N.sock")
    {
        make_socket(dir.path("run/rexray.sock"));
        const auto endpoint = find_plugin("rexray", paths);
        REQUIRE(endpoint.has_value());
        CHECK(endpoint->kind == Endpoint::Kind::unix_socket);
        CHECK(endpoint->socket_path == dir.path("run/rexray.sock"));
        CHECK_FALSE(endpoint->tls);
    }
    SECTION("N/N.sock")
    {
        make_socket(dir.path("run/rexray/rexray.sock"));
        CHECK(address_of(find_plugin("rexray", paths)) == "unix:" + dir.path("run/rexray/rexray.sock"));
    }
    SECTION("N.sock beats N/N.sock")
    {
        make_socket(dir.path("run/rexray.sock"));
        make_socket(dir.path("run/rexray/rexray.sock"));
        CHECK(address_of(find_plugin("rexray", paths)) == "unix:" + dir.path("run/rexray.sock"));
    }
    SECTION("a regular file named N.sock is skipped")
    {
        write_file(dir.path("run/rexray.sock"), "");
        make_socket(dir.path("run/rexray/rexray.sock"));
        CHECK(address_of(find_plugin("rexray", paths)) == "unix:" + dir.path("run/rexray/rexray.sock"));
    }
    SECTION("a symlink to a socket elsewhere is followed")
    {
        make_socket(dir.path("elsewhere/real.sock"));
        fs::create_directories(dir.path("run"));
        fs::create_symlink(dir.path("elsewhere/real.sock"), dir.path("run/rexray.sock"));
        REQUIRE(find_plugin("rexray", paths).has_value());
        CHECK(find_plugin("rexray", paths)->kind == Endpoint::Kind::unix_socket);
    }
    SECTION("sockets beat spec files")
    {
        make_socket(dir.path("run/rexray/rexray.sock"));
        write_file(dir.path("etc/rexray.spec"), "tcp://127.0.0.1:1\n");
        CHECK(address_of(find_plugin("rexray", paths)) == "unix:" + dir.path("run/rexray/rexray.sock"));
    }
}

TEST_CASE("find_plugin finds spec files in Docker's order", "[discovery]")
{
    TempDir dir;
    const SearchPaths paths = paths_in(dir);

    SECTION("N.spec")
    {
        write_file(dir.path("etc/rexray.spec"), "tcp://127.0.0.1:1\n");
        CHECK(address_of(find_plugin("rexray", paths)) == "tcp:127.0.0.1:1");
    }
    SECTION("N/N.spec")
    {
        write_file(dir.path("etc/rexray/rexray.spec"), "tcp://127.0.0.1:2");
        CHECK(address_of(find_plugin("rexray", paths)) == "tcp:127.0.0.1:2");
    }
    SECTION("N.json")
    {
        write_file(dir.path("usr/rexray.json"), R"({"Addr":"tcp://127.0.0.1:3"})");
        CHECK(address_of(find_plugin("rexray", paths)) == "tcp:127.0.0.1:3");
    }
    SECTION("N/N.json")
    {
        write_file(dir.path("usr/rexray/rexray.json"), R"({"Addr":"tcp://127.0.0.1:4"})");
        CHECK(address_of(find_plugin("rexray", paths)) == "tcp:127.0.0.1:4");
    }
    SECTION(".spec beats .json in the same directory")
    {
        write_file(dir.path("etc/rexray.json"), R"({"Addr":"tcp://127.0.0.1:2"})");
        write_file(dir.path("etc/rexray.spec"), "tcp://127.0.0.1:1");
        CHECK(address_of(find_plugin("rexray", paths)) == "tcp:127.0.0.1:1");
    }
    SECTION("N/N.spec beats N.json")
    {
        write_file(dir.path("etc/rexray.json"), R"({"Addr":"tcp://127.0.0.1:2"})");
        write_file(dir.path("etc/rexray/rexray.spec"), "tcp://127.0.0.1:1");
        CHECK(address_of(find_plugin("rexray", paths)) == "tcp:127.0.0.1:1");
    }
    SECTION("N.spec beats N/N.spec")
    {
        write_file(dir.path("etc/rexray/rexray.spec"), "tcp://127.0.0.1:2");
        write_file(dir.path("etc/rexray.spec"), "tcp://127.0.0.1:1");
        CHECK(address_of(find_plugin("rexray", paths)) == "tcp:127.0.0.1:1");
    }
    SECTION("the first spec directory beats the second")
    {
        write_file(dir.path("usr/rexray.spec"), "tcp://127.0.0.1:2");
        write_file(dir.path("etc/rexray/rexray.json"), R"({"Addr":"tcp://127.0.0.1:1"})");
        CHECK(address_of(find_plugin("rexray", paths)) == "tcp:127.0.0.1:1");
    }
    SECTION("only the plugin's own files count")
    {
        write_file(dir.path("etc/other.spec"), "tcp://127.0.0.1:2");
        write_file(dir.path("usr/rexray.spec"), "tcp://127.0.0.1:1");
        CHECK(address_of(find_plugin("rexray", paths)) == "tcp:127.0.0.1:1");
    }
}

TEST_CASE("find_plugin fails at once on a bad spec file", "[discovery]")
{
    TempDir dir;
    const SearchPaths paths = paths_in(dir);

    SECTION("invalid URL")
    {
        write_file(dir.path("etc/rexray.spec"), "/x.sock\n");
        CHECK_THROWS_AS(find_plugin("rexray", paths), UnreachableError);
        CHECK_THROWS_WITH(find_plugin("rexray", paths), Contains(dir.path("etc/rexray.spec")));
    }
    SECTION("invalid JSON")
    {
        write_file(dir.path("etc/rexray.json"), "{\"Addr\":");
        CHECK_THROWS_AS(find_plugin("rexray", paths), UnreachableError);
        CHECK_THROWS_WITH(find_plugin("rexray", paths), Contains(dir.path("etc/rexray.json")));
    }
    SECTION("even when a later directory has a good one")
    {
        write_file(dir.path("etc/rexray.spec"), "nonsense");
        write_file(dir.path("usr/rexray.spec"), "tcp://127.0.0.1:1");
        CHECK_THROWS_AS(find_plugin("rexray", paths), UnreachableError);
    }
}

TEST_CASE("parse_spec_file reads one URL, white space trimmed", "[discovery]")
{
    TempDir dir;
    const std::string file = dir.path("p.spec");

    SECTION("tcp")
    {
        write_file(file, "  tcp://127.0.0.1:5000 \n\n");
        const Endpoint endpoint = parse_spec_file(file);
        CHECK(endpoint.kind == Endpoint::Kind::tcp);
        CHECK(endpoint.host == "127.0.0.1");
        CHECK(endpoint.port == "5000");
        CHECK_FALSE(endpoint.tls);
    }
    SECTION("unix")
    {
        write_file(file, "\tunix:///run/p.sock\r\n");
        const Endpoint endpoint = parse_spec_file(file);
        CHECK(endpoint.kind == Endpoint::Kind::unix_socket);
        CHECK(endpoint.socket_path == "/run/p.sock");
    }
    SECTION("https is verified against the system roots")
    {
        write_file(file, "https://plugins.example.com/docker/plugin\n");
        const Endpoint endpoint = parse_spec_file(file);
        CHECK(endpoint.tls);
        CHECK(endpoint.host == "plugins.example.com");
        CHECK(endpoint.port == "443");
        CHECK_FALSE(endpoint.tls_files.insecure_skip_verify);
        CHECK(endpoint.tls_files.ca_file.empty());
    }
}

TEST_CASE("parse_spec_file fails with UnreachableError naming the file", "[discovery]")
{
    TempDir dir;
    const std::string file = dir.path("p.spec");

    SECTION("invalid URL")
    {
        auto text = GENERATE(as<std::string>{}, "", "\n", "/x.sock", "127.0.0.1:1234", "ftp://h:1", "tcp://h");
        CAPTURE(text);
        write_file(file, text);
        CHECK_THROWS_AS(parse_spec_file(file), UnreachableError);
        CHECK_THROWS_WITH(parse_spec_file(file), Contains(file));
    }
    SECTION("missing file")
    {
        CHECK_THROWS_AS(parse_spec_file(file), UnreachableError);
        CHECK_THROWS_WITH(parse_spec_file(file), Contains(file));
    }
    SECTION("a directory")
    {
        fs::create_directories(file);
        CHECK_THROWS_AS(parse_spec_file(file), UnreachableError);
    }
}

TEST_CASE("parse_json_spec reads Addr and TLSConfig", "[discovery]")
{
    TempDir dir;
    const std::string ca = dir.path("ca.pem");
    const std::string cert = dir.path("cert.pem");
    const std::string key = dir.path("key.pem");
    write_file(ca, "-----BEGIN CERTIFICATE-----\n");
    write_file(cert, "-----BEGIN CERTIFICATE-----\n");
    write_file(key, "-----BEGIN PRIVATE KEY-----\n");

    SECTION("every field")
    {
        const Endpoint endpoint =
            parse_json_spec(R"({"Name":"ignored","Addr":"https://127.0.0.1:8443",)"
                            R"("TLSConfig":{"CAFile":")" +
                                ca + R"(","CertFile":")" + cert + R"(","KeyFile":")" + key + R"("}})",
                            "p.json");
        CHECK(endpoint.kind == Endpoint::Kind::tcp);
        CHECK(endpoint.host == "127.0.0.1");
        CHECK(endpoint.port == "8443");
        CHECK(endpoint.tls);
        CHECK(endpoint.tls_files.ca_file == ca);
        CHECK(endpoint.tls_files.cert_file == cert);
        CHECK(endpoint.tls_files.key_file == key);
        CHECK_FALSE(endpoint.tls_files.insecure_skip_verify);
    }
    SECTION("keys in any case")
    {
        const Endpoint endpoint = parse_json_spec(
            R"({"addr":"https://h:1","tlsconfig":{"cafile":")" + ca + R"(","INSECURESKIPVERIFY":true}})", "p.json");
        CHECK(endpoint.tls);
        CHECK(endpoint.host == "h");
        CHECK(endpoint.tls_files.ca_file == ca);
        CHECK(endpoint.tls_files.insecure_skip_verify);
    }
    SECTION("InsecureSkipVerify only when explicitly true")
    {
        auto text = GENERATE(as<std::string>{}, R"({"Addr":"https://h"})", R"({"Addr":"https://h","TLSConfig":{}})",
                             R"({"Addr":"https://h","TLSConfig":{"InsecureSkipVerify":false}})");
        CAPTURE(text);
        const Endpoint endpoint = parse_json_spec(text, "p.json");
        CHECK(endpoint.tls);
        CHECK(endpoint.port == "443");
        CHECK(endpoint.tls_files.ca_file.empty());
        CHECK_FALSE(endpoint.tls_files.insecure_skip_verify);
    }
    SECTION("InsecureSkipVerify true")
    {
        const Endpoint endpoint =
            parse_json_spec(R"({"Addr":"https://h","TLSConfig":{"InsecureSkipVerify":true}})", "p.json");
        CHECK(endpoint.tls_files.insecure_skip_verify);
    }
    SECTION("a unix socket")
    {
        const Endpoint endpoint = parse_json_spec(R"({"Addr":"unix:///run/p.sock"})", "p.json");
        CHECK(endpoint.kind == Endpoint::Kind::unix_socket);
        CHECK(endpoint.socket_path == "/run/p.sock");
    }
}

TEST_CASE("parse_json_spec fails at once on missing certificate files", "[discovery]")
{
    TempDir dir;
    const std::string present = dir.path("present.pem");
    const std::string missing = dir.path("missing.pem");
    write_file(present, "-----BEGIN CERTIFICATE-----\n");
    auto field = GENERATE(as<std::string>{}, "CAFile", "CertFile", "KeyFile");
    CAPTURE(field);
    std::string tls_config;
    for (const char* name : {"CAFile", "CertFile", "KeyFile"}) {
        tls_config += std::string(tls_config.empty() ? "" : ",") + "\"" + name + "\":\"" +
                      (field == name ? missing : present) + "\"";
    }

    CHECK_THROWS_AS(parse_json_spec(R"({"Addr":"https://h:1","TLSConfig":{)" + tls_config + "}}", "p.json"),
                    UnreachableError);
}

TEST_CASE("parse_json_spec fails with UnreachableError naming its origin", "[discovery]")
{
    auto text = GENERATE(as<std::string>{}, "", "{", "not json", "[]", "{}", R"({"Addr":5})", R"({"Addr":"/x.sock"})",
                         R"({"Addr":"127.0.0.1:1234"})");
    CAPTURE(text);

    CHECK_THROWS_AS(parse_json_spec(text, "/etc/docker/plugins/p.json"), UnreachableError);
    CHECK_THROWS_WITH(parse_json_spec(text, "/etc/docker/plugins/p.json"), Contains("/etc/docker/plugins/p.json"));
}

TEST_CASE("parse_json_spec says where the JSON breaks, in its own words", "[discovery]")
{
    // The end of an 8-byte text is reported one past its last byte, as a missing 9th byte.
    CHECK_THROWS_MATCHES(parse_json_spec("{\"Addr\":", "x.json"), UnreachableError,
                         Catch::Matchers::Message("plugin spec x.json: invalid JSON at byte 9"));
    CHECK_THROWS_MATCHES(parse_json_spec(std::string("{\"Addr\"\0:1}", 11), "x.json"), UnreachableError,
                         Catch::Matchers::Message("plugin spec x.json: invalid JSON at byte 8"));
}

TEST_CASE("parse_spec and parse_json_spec show a NUL in an address or path instead of stopping at it", "[discovery]")
{
    CHECK_THROWS_MATCHES(
        parse_spec(std::string("unix:///a\0b.sock", 16), "x.spec"), UnreachableError,
        Catch::Matchers::Message(
            "plugin spec x.spec: invalid plugin address \"unix:///a\\x00b.sock\": contains a control character"));
    CHECK_THROWS_MATCHES(parse_json_spec(R"({"Addr":"https://h:1","TLSConfig":{"CAFile":"/a\u0000b"}})", "x.json"),
                         UnreachableError,
                         Catch::Matchers::Message("plugin spec x.json: CAFile /a\\x00b: the path contains a NUL byte"));
}

TEST_CASE("parse_json_spec_file reads a file and names it in errors", "[discovery]")
{
    TempDir dir;
    const std::string file = dir.path("p.json");

    SECTION("good")
    {
        write_file(file, R"({"Addr":"tcp://127.0.0.1:9"})");
        CHECK(parse_json_spec_file(file).port == "9");
    }
    SECTION("missing")
    {
        CHECK_THROWS_AS(parse_json_spec_file(file), UnreachableError);
        CHECK_THROWS_WITH(parse_json_spec_file(file), Contains(file));
    }
    SECTION("malformed")
    {
        write_file(file, "{");
        CHECK_THROWS_WITH(parse_json_spec_file(file), Contains(file));
    }
}

TEST_CASE("resolve_plugin retries while the plugin is not found", "[discovery]")
{
    TempDir dir;
    const SearchPaths paths = paths_in(dir);
    FakeSleep sleep;

    SECTION("never found")
    {
        CHECK_THROWS_AS(resolve_plugin("rexray", paths, sleep.policy(std::chrono::milliseconds(15000))),
                        UnreachableError);
        CHECK(sleep.pauses_ms == std::vector<long long>{1000, 2000, 4000, 8000});
    }
    SECTION("the message says not found and where it looked")
    {
        CHECK_THROWS_WITH(resolve_plugin("rexray", paths, sleep.policy(std::chrono::milliseconds(0))),
                          Contains("plugin not found") && Contains(dir.path("run")));
    }
    SECTION("window 0: one look, no pause")
    {
        CHECK_THROWS_AS(resolve_plugin("rexray", paths, sleep.policy(std::chrono::milliseconds(0))), UnreachableError);
        CHECK(sleep.pauses_ms.empty());
    }
    SECTION("found at once")
    {
        make_socket(dir.path("run/rexray.sock"));
        const Endpoint endpoint = resolve_plugin("rexray", paths, sleep.policy(std::chrono::milliseconds(15000)));
        CHECK(endpoint.socket_path == dir.path("run/rexray.sock"));
        CHECK(sleep.pauses_ms.empty());
    }
    SECTION("the plugin starts after us")
    {
        sleep.on_pause = [&](std::size_t pauses) {
            if (pauses == 2) {
                make_socket(dir.path("run/rexray.sock"));
            }
        };
        const Endpoint endpoint = resolve_plugin("rexray", paths, sleep.policy(std::chrono::milliseconds(15000)));
        CHECK(endpoint.socket_path == dir.path("run/rexray.sock"));
        CHECK(sleep.pauses_ms == std::vector<long long>{1000, 2000});
    }
    SECTION("a bad spec file is not retried")
    {
        write_file(dir.path("etc/rexray.spec"), "/x.sock");
        CHECK_THROWS_AS(resolve_plugin("rexray", paths, sleep.policy(std::chrono::milliseconds(15000))),
                        UnreachableError);
        CHECK(sleep.pauses_ms.empty());
    }
}
