#pragma once

#include "fake_plugin.hpp"
#include "process.hpp"
#include "temp_dir.hpp"
#include "timing.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

// Shared setup for the end-to-end tests: the real dvdcli binary, run with discovery pointed at
// a per-test temporary tree, against fake plugins on real sockets.
namespace volumecli::e2e {

using test::FakePlugin;
using test::ProcessResult;
using test::RecordedRequest;
using test::Reply;
using test::within;

// Filled in by CMake.
extern const char* const k_dvdcli;
extern const char* const k_reference_plugin;

constexpr const char* k_accept = "application/vnd.docker.plugins.v1.2+json";

// The calls of Docker's volume plugin protocol, as FakePlugin records them.
inline const std::string k_activate = "Plugin.Activate";
inline const std::string k_get = "VolumeDriver.Get";
inline const std::string k_create = "VolumeDriver.Create";
inline const std::string k_mount = "VolumeDriver.Mount";
inline const std::string k_unmount = "VolumeDriver.Unmount";
inline const std::string k_path = "VolumeDriver.Path";
inline const std::string k_remove = "VolumeDriver.Remove";
inline const std::string k_list = "VolumeDriver.List";
inline const std::string k_capabilities = "VolumeDriver.Capabilities";

class Harness {
public:
    Harness();

    // <tmp>/sockets, the DVDCLI_SOCKET_DIR of every run.
    [[nodiscard]] const std::string& socket_dir() const { return m_socket_dir; }
    // <tmp>/spec1 and <tmp>/spec2, DVDCLI_SPEC_DIRS="spec1:spec2".
    [[nodiscard]] const std::string& spec_dir() const { return m_spec_dir; }
    [[nodiscard]] const std::string& second_spec_dir() const { return m_second_spec_dir; }
    [[nodiscard]] const test::TempDir& dir() const { return m_dir; }
    // <socket dir>/<name>.sock
    [[nodiscard]] std::string socket_path(const std::string& name) const;

    // Starts `plugin` on <socket dir>/<name>.sock.
    void start(FakePlugin& plugin, const std::string& name = "fake",
               FakePlugin::Engine engine = FakePlugin::Engine::httplib) const;

    // Runs dvdcli with `args` (argv[1..]) and the harness environment plus `options.env`.
    [[nodiscard]] ProcessResult run(const std::vector<std::string>& args,
                                    const test::ProcessOptions& options = {}) const;
    // The harness environment, for callers that build their own command line.
    [[nodiscard]] test::ProcessOptions options() const;

private:
    test::TempDir m_dir;
    std::string m_socket_dir;
    std::string m_spec_dir;
    std::string m_second_spec_dir;
};

// SHA-256 of `input` in lower-case hex, computed with OpenSSL (not the library's own code).
std::string sha256_hex(const std::string& input);

// The default mount ID the spec prescribes: sha256("dvdcli-mount-id\0" + driver + "\0" + volume).
std::string expected_mount_id(const std::string& driver, const std::string& volume);

// True when `text` is exactly one line (ends with the only '\n').
bool is_one_line(const std::string& text);

// Parses stdout as one line of JSON (throws on anything else).
nlohmann::json stdout_json(const ProcessResult& result);

// The call names, joined, for failure messages: "Plugin.Activate, VolumeDriver.Get".
std::string describe_calls(const std::vector<std::string>& calls);

// Checks the headers Docker's client sends on every request (Accept, no Content-Type,
// Content-Length matching the body, User-Agent dvdcli/..., POST) and the Host header.
void check_docker_request(const RecordedRequest& request, const std::string& expected_host);

// Skips the current test with a printed reason: under CTest (VOLUMECLI_E2E_SKIP_EXIT set) the
// process exits with that code, which the test is registered to treat as "skipped"; when run
// by hand it prints a warning and the caller returns.
void skip_test(const std::string& reason);

}  // namespace volumecli::e2e

// Requires an exit code, printing the whole process outcome when it differs.
#define REQUIRE_EXIT(result, code)               \
    do {                                         \
        INFO("dvdcli: " << (result).describe()); \
        REQUIRE((result).exit_code == (code));   \
    } while (false)

// Requires a failed run's shape: the exit code, nothing on stdout, exactly one stderr line.
#define REQUIRE_FAILURE(result, code)                         \
    do {                                                      \
        INFO("dvdcli: " << (result).describe());              \
        REQUIRE((result).exit_code == (code));                \
        CHECK((result).out.empty());                          \
        CHECK(::volumecli::e2e::is_one_line((result).err));   \
        CHECK((result).err.rfind("dvdcli: error: ", 0) == 0); \
    } while (false)
