// flockercli's certificate and key files (--cacert/--cert/--key and their FLOCKER_* variables)
// that are a FIFO, a directory or a device, or too large: exit 3 at once with one stderr line that
// names the file (the key's path excepted), nothing on stdout, no request to the control service.

#include "certs.hpp"
#include "fake_flocker.hpp"
#include "harness.hpp"
#include "process.hpp"
#include "temp_dir.hpp"
#include "timing.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using volumecli::e2e::is_one_line;
using volumecli::test::within;

namespace {

const std::string k_flockercli = VOLUMECLI_FLOCKERCLI_PATH;

enum class Hostile { fifo, directory, device, oversized };

// Puts `kind` at `path`; the reason the stderr line must give.
std::string make_hostile(Hostile kind, const std::string& path)
{
    switch (kind) {
        case Hostile::fifo: REQUIRE(::mkfifo(path.c_str(), 0600) == 0); return "not a regular file (a FIFO)";
        case Hostile::directory: std::filesystem::create_directory(path); return "not a regular file (a directory)";
        case Hostile::device:
            std::filesystem::create_symlink("/dev/zero", path);
            return "not a regular file (a character device)";
        case Hostile::oversized: {
            std::ofstream out(path, std::ios::binary);
            out << std::string(1024U * 1024U + 1, '\n');
            REQUIRE(out.good());
            return "larger than 1048576 bytes";
        }
    }
    return "?";
}

}  // namespace

TEST_CASE("flockercli refuses a CA, certificate or key file that is not a regular file, at once with exit 3",
          "[flockercli][files]")
{
    const Hostile kind = GENERATE(Hostile::fifo, Hostile::directory, Hostile::device, Hostile::oversized);
    const std::string flag = GENERATE(as<std::string>{}, "--cacert", "--cert", "--key");
    const bool by_variable = GENERATE(false, true);
    volumecli::test::TempDir dir;
    const auto certs = volumecli::test::generate_test_certificates(dir.path());
    const auto user = volumecli::test::issue_certificate(certs, dir.path(), "plugin", "user-plugin");
    volumecli::test::FakeFlocker service;
    const int port = service.start(certs.server_cert, certs.server_key, certs.ca_cert);
    const std::string hostile = dir.make_dir("secret") + "/k3y-never-logged.pem";
    const std::string reason = make_hostile(kind, hostile);
    INFO(flag << (by_variable ? " (by its variable)" : "") << " is " << reason);

    volumecli::test::ProcessOptions options;
    options.hard_limit = 10s;
    options.env["DVDCLI_SOCKET_DIR"] = dir.make_dir("sockets");
    options.env["DVDCLI_SPEC_DIRS"] = dir.make_dir("specs");
    options.env["DVDCLI_RUN_DIR"] = dir.file("run");
    const std::vector<std::pair<std::string, std::string>> files = {
        {"--cacert", certs.ca_cert}, {"--cert", user.cert}, {"--key", user.key}};
    const std::vector<std::string> variables = {"FLOCKER_CONTROL_SERVICE_CA_FILE",
                                                "FLOCKER_CONTROL_SERVICE_CLIENT_CERT_FILE",
                                                "FLOCKER_CONTROL_SERVICE_CLIENT_KEY_FILE"};
    std::vector<std::string> argv{k_flockercli,
                                  "list",
                                  "--control-host=127.0.0.1",
                                  "--control-port=" + std::to_string(port),
                                  "--node-uuid=" + volumecli::test::random_uuid(),
                                  "--timeout=5"};
    for (std::size_t i = 0; i < files.size(); ++i) {
        const std::string& value = files[i].first == flag ? hostile : files[i].second;
        if (by_variable) {
            options.env[variables[i]] = value;
        } else {
            options.env[variables[i]] = std::nullopt;
            argv.push_back(files[i].first + "=" + value);
        }
    }

    const auto result = volumecli::test::run_process(argv, options);

    INFO("run: " << result.describe());
    REQUIRE(result.exit_code == 3);
    CHECK_FALSE(result.killed);
    CHECK(result.wall_time < within(0ms));  // refused at once, never waiting on a FIFO
    CHECK(result.out.empty());
    CHECK(is_one_line(result.err));
    CHECK_THAT(result.err, StartsWith("flockercli: error: "));
    CHECK_THAT(result.err, Contains(reason));
    if (flag == "--key") {
        CHECK_THAT(result.err, Contains("private key"));
        CHECK_THAT(result.err, !Contains("k3y-never-logged"));
    } else {
        CHECK_THAT(result.err, Contains(hostile));
    }
    CHECK(service.requests().empty());
}
