// The security promises, as a user can check them: text from the command line reaches plugins and
// commands verbatim and is never run by a shell; a private key's location and contents never show
// on stderr, whatever the log level; TLS verification is off only when a .json spec says so, and
// then a warning says it.

#include "certs.hpp"
#include "harness.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

using namespace volumecli::e2e;
using Catch::Matchers::Contains;
using volumecli::test::TestCertificates;
using Calls = std::vector<std::string>;

// A failed run at trace level: the exit code, nothing on stdout, the error as the last stderr line.
#define REQUIRE_TRACED_FAILURE(result, code)                             \
    do {                                                                 \
        INFO("dvdcli: " << (result).describe());                         \
        REQUIRE((result).exit_code == (code));                           \
        CHECK((result).out.empty());                                     \
        CHECK(last_line((result).err).rfind("dvdcli: error: ", 0) == 0); \
    } while (false)

namespace {

std::string last_line(const std::string& text)
{
    const std::string trimmed = text.substr(0, text.find_last_not_of('\n') + 1);
    return trimmed.substr(trimmed.rfind('\n') == std::string::npos ? 0 : trimmed.rfind('\n') + 1);
}

std::string json_string(const std::string& text)
{
    return nlohmann::json(text).dump();
}

// The client key under a name that would be easy to spot in a log, plus its contents.
struct MarkedKey {
    std::string path;
    std::string contents;
};

MarkedKey marked_copy_of_key(const Harness& harness, const std::string& key_file)
{
    const std::string dir = harness.dir().make_dir("secret-material");
    MarkedKey key{dir + "/k3y-never-logged.pem", ""};
    std::filesystem::copy_file(key_file, key.path);
    key.contents = volumecli::test::read_file(key.path);
    return key;
}

// Neither the key's path, nor its file name, nor a line of its PEM body is on stderr.
void check_key_not_shown(const ProcessResult& result, const MarkedKey& key)
{
    INFO("dvdcli: " << result.describe());
    CHECK_THAT(result.err, !Contains("k3y-never-logged"));
    CHECK_THAT(result.err, !Contains("PRIVATE KEY"));
    const std::string body_line = key.contents.substr(key.contents.find('\n') + 1, 40);
    REQUIRE(body_line.size() == 40);
    CHECK_THAT(result.err, !Contains(body_line));
}

}  // namespace

TEST_CASE("dvdcli passes names and options with shell syntax to the plugin verbatim and runs no shell",
          "[e2e][security]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);
    const std::string name = "v$(touch pwned);touch pwned|`touch pwned`&&touch pwned";
    const std::string option = "size=$(touch pwned) 'x' \"y\"";
    auto options = harness.options();
    options.cwd = harness.dir().path();

    const auto result =
        harness.run({"mount", "--volumedriver=fake", "--volumename=" + name, "--volumeopts=" + option}, options);

    REQUIRE_EXIT(result, 0);
    const auto creates = plugin.requests_for("VolumeDriver.Create");
    REQUIRE(creates.size() == 1);
    const auto body = nlohmann::json::parse(creates.front().body);
    CHECK(body["Name"] == name);
    CHECK(body["Opts"] == nlohmann::json{{"size", "$(touch pwned) 'x' \"y\""}});
    CHECK(plugin.has_volume(name));
    CHECK_FALSE(std::filesystem::exists(harness.dir().path() + "/pwned"));
}

TEST_CASE("dvdcli exec hands shell syntax to the command as plain words", "[e2e][security][exec]")
{
    Harness harness;
    auto options = harness.options();
    options.cwd = harness.dir().path();

    const auto result =
        harness.run({"exec", "--", "printf", "%s|", "$(touch pwned)", "`touch pwned`", ";touch pwned"}, options);

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "$(touch pwned)|`touch pwned`|;touch pwned|");
    CHECK_FALSE(std::filesystem::exists(harness.dir().path() + "/pwned"));
}

TEST_CASE("dvdcli never shows a private key's path or contents, even at trace level", "[e2e][security][tls]")
{
    Harness harness;
    const TestCertificates certs = volumecli::test::generate_test_certificates(harness.dir().make_dir("certs"));
    const MarkedKey key = marked_copy_of_key(harness, certs.client_key);
    FakePlugin plugin;
    const int port = plugin.start_https(certs.server_cert, certs.server_key, certs.ca_cert);
    const std::string address = "https://127.0.0.1:" + std::to_string(port);
    const auto spec_with_key = [&](const std::string& key_file) {
        return "{\"Addr\":" + json_string(address) + ",\"TLSConfig\":{\"CAFile\":" + json_string(certs.ca_cert) +
               ",\"CertFile\":" + json_string(certs.client_cert) + ",\"KeyFile\":" + json_string(key_file) + "}}";
    };
    const std::vector<std::string> mount{"mount", "--volumedriver=fake", "--volumename=v1", "--log-level=trace",
                                         "--retry-timeout=0"};

    SECTION("a .json spec's KeyFile, on success")
    {
        harness.dir().write_file("spec1/fake.json", spec_with_key(key.path));
        const auto result = harness.run(mount);
        REQUIRE_EXIT(result, 0);
        CHECK(result.out == "/tmp/fake-plugin/v1\n");
        CHECK_FALSE(result.err.empty());  // trace logging did say things
        check_key_not_shown(result, key);
    }
    SECTION("a .json spec's KeyFile that does not exist")
    {
        harness.dir().write_file("spec1/fake.json", spec_with_key(key.path + ".missing"));
        const auto result = harness.run(mount);
        REQUIRE_TRACED_FAILURE(result, 3);
        CHECK_THAT(result.err, Contains("KeyFile"));
        check_key_not_shown(result, key);
    }
    SECTION("a .json spec's KeyFile that holds no usable key")
    {
        const std::string broken = harness.dir().path() + "/secret-material/k3y-never-logged-broken.pem";
        std::filesystem::copy_file(key.path, broken);
        {
            // The PEM armour stays, the body is cut: the key is unreadable but still "secret".
            std::string text = key.contents;
            text.erase(text.find('\n') + 1 + 40, 20);
            harness.dir().write_file("secret-material/k3y-never-logged-broken.pem", text);
        }
        harness.dir().write_file("spec1/fake.json", spec_with_key(broken));
        const auto result = harness.run(mount);
        REQUIRE_TRACED_FAILURE(result, 3);
        CHECK_THAT(result.err, Contains("private key"));
        check_key_not_shown(result, key);
    }
    SECTION("--plugin-addr with --key, on success")
    {
        const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--log-level=trace",
                                         "--retry-timeout=0", "--plugin-addr=" + address, "--cacert=" + certs.ca_cert,
                                         "--cert=" + certs.client_cert, "--key=" + key.path});
        REQUIRE_EXIT(result, 0);
        check_key_not_shown(result, key);
    }
    SECTION("--plugin-addr with a --key that does not exist")
    {
        const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--log-level=trace",
                                         "--retry-timeout=0", "--plugin-addr=" + address, "--cacert=" + certs.ca_cert,
                                         "--cert=" + certs.client_cert, "--key=" + key.path + ".missing"});
        REQUIRE_TRACED_FAILURE(result, 3);
        check_key_not_shown(result, key);
    }
}

TEST_CASE("dvdcli warns when a .json spec turns TLS verification off, and only then skips it", "[e2e][security][tls]")
{
    Harness harness;
    const TestCertificates certs = volumecli::test::generate_test_certificates(harness.dir().make_dir("certs"));
    FakePlugin plugin;
    const int port = plugin.start_https(certs.server_cert, certs.server_key);
    const std::string address = "https://127.0.0.1:" + std::to_string(port);
    const std::vector<std::string> mount{"mount", "--volumedriver=fake", "--volumename=v1", "--retry-timeout=0"};

    SECTION("InsecureSkipVerify true: the call goes through with one warning line")
    {
        harness.dir().write_file("spec1/fake.json",
                                 "{\"Addr\":" + json_string(address) + ",\"TLSConfig\":{\"CAFile\":" +
                                     json_string(certs.other_ca_cert) + ",\"InsecureSkipVerify\":true}}");
        const auto result = harness.run(mount);
        REQUIRE_EXIT(result, 0);
        CHECK(result.out == "/tmp/fake-plugin/v1\n");
        CHECK(is_one_line(result.err));
        CHECK_THAT(result.err, Contains("dvdcli: warning: ") && Contains("not verified (InsecureSkipVerify)"));
    }
    SECTION("the same certificate without InsecureSkipVerify is refused, with or without log settings")
    {
        harness.dir().write_file("spec1/fake.json",
                                 "{\"Addr\":" + json_string(address) +
                                     ",\"TLSConfig\":{\"CAFile\":" + json_string(certs.other_ca_cert) + "}}");
        for (const auto& level : {"--log-level=off", "--log-level=trace"}) {
            auto args = mount;
            args.emplace_back(level);
            const auto result = harness.run(args);
            INFO(level);
            REQUIRE(result.exit_code == 3);
            CHECK(result.out.empty());
            CHECK(plugin.requests().empty());
        }
    }
    SECTION("--plugin-addr has no way to skip verification")
    {
        const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--retry-timeout=0",
                                         "--plugin-addr=" + address, "--cacert=" + certs.other_ca_cert});
        REQUIRE_FAILURE(result, 3);
        CHECK(plugin.requests().empty());
    }
}
