#include "harness.hpp"

#include <catch2/catch.hpp>
#include <openssl/sha.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace volumecli::e2e {

const char* const k_dvdcli = VOLUMECLI_DVDCLI_PATH;
const char* const k_reference_plugin = VOLUMECLI_REFERENCE_PLUGIN_PATH;

Harness::Harness()
    : m_socket_dir(m_dir.make_dir("sockets")),
      m_spec_dir(m_dir.make_dir("spec1")),
      m_second_spec_dir(m_dir.make_dir("spec2"))
{
}

std::string Harness::socket_path(const std::string& name) const
{
    return m_socket_dir + "/" + name + ".sock";
}

void Harness::start(FakePlugin& plugin, const std::string& name, FakePlugin::Engine engine) const
{
    plugin.start_unix(socket_path(name), engine);
}

test::ProcessOptions Harness::options() const
{
    test::ProcessOptions options;
    options.env["DVDCLI_SOCKET_DIR"] = m_socket_dir;
    options.env["DVDCLI_SPEC_DIRS"] = m_spec_dir + ":" + m_second_spec_dir;
    options.env["DVDCLI_RUN_DIR"] = m_dir.file("run");  // lock files: per test, never the host's
    for (const char* name : {"DVDCLI_LOG_LEVEL", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                             "all_proxy", "NO_PROXY", "no_proxy"}) {
        options.env[name] = std::nullopt;
    }
    options.hard_limit = std::chrono::seconds(40);
    return options;
}

ProcessResult Harness::run(const std::vector<std::string>& args, const test::ProcessOptions& options) const
{
    test::ProcessOptions merged = this->options();
    for (const auto& [name, value] : options.env) {
        merged.env[name] = value;
    }
    merged.cwd = options.cwd;
    if (options.hard_limit != test::ProcessOptions().hard_limit) {
        merged.hard_limit = options.hard_limit;
    }
    std::vector<std::string> argv{k_dvdcli};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_process(argv, merged);
}

std::string sha256_hex(const std::string& input)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    std::string hex;
    for (const unsigned char byte : digest) {
        char pair[3];
        std::snprintf(pair, sizeof pair, "%02x", byte);
        hex += pair;
    }
    return hex;
}

std::string expected_mount_id(const std::string& driver, const std::string& volume)
{
    return sha256_hex(std::string("dvdcli-mount-id") + '\0' + driver + '\0' + volume);
}

bool is_one_line(const std::string& text)
{
    return !text.empty() && text.back() == '\n' && text.find('\n') == text.size() - 1;
}

nlohmann::json stdout_json(const ProcessResult& result)
{
    if (!is_one_line(result.out)) {
        throw std::runtime_error("stdout is not one line: " + result.out);
    }
    return nlohmann::json::parse(result.out);
}

std::string describe_calls(const std::vector<std::string>& calls)
{
    std::string text;
    for (const auto& call : calls) {
        text += (text.empty() ? "" : ", ") + call;
    }
    return "[" + text + "]";
}

void check_docker_request(const RecordedRequest& request, const std::string& expected_host)
{
    INFO("request " << request.path << " body=" << request.body);
    CHECK(request.method == "POST");
    CHECK(request.header("Accept") == std::optional<std::string>(k_accept));
    CHECK(request.header_count("Accept") == 1);
    CHECK(request.header_count("Content-Type") == 0);
    CHECK(request.header_count("Transfer-Encoding") == 0);
    CHECK(request.header("Content-Length") == std::optional<std::string>(std::to_string(request.body.size())));
    CHECK(request.header("Host") == std::optional<std::string>(expected_host));
    const auto agent = request.header("User-Agent");
    REQUIRE(agent.has_value());
    CHECK(agent->rfind("dvdcli/", 0) == 0);
}

void skip_test(const std::string& reason)
{
    const char* code = std::getenv("VOLUMECLI_E2E_SKIP_EXIT");
    std::cout << "SKIPPED: " << reason << std::endl;
    if (code != nullptr) {
        std::exit(std::atoi(code));
    }
    WARN("skipped: " << reason);
}

}  // namespace volumecli::e2e
