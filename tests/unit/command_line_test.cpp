// parse_command_line reads the plain form (a simple command, --name=value flags) itself and
// everything else with CLI11. Whatever the plain reader takes, CLI11 must read the same way: same
// options, or the same usage error. What it declines, CLI11 alone decides.

#include "options.hpp"

#include <volumecli/error.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

using volumecli::UsageError;
using volumecli::cli::CliOptions;
using volumecli::cli::Environment;
using volumecli::cli::ParseResult;

namespace {

std::vector<const char*> argv_of(const std::vector<std::string>& words)
{
    std::vector<const char*> argv;
    for (const auto& word : words) {
        argv.push_back(word.c_str());
    }
    argv.push_back(nullptr);
    return argv;
}

Environment environment_of(std::map<std::string, std::string> variables)
{
    return [variables = std::move(variables)](const char* name) -> std::optional<std::string> {
        const auto found = variables.find(name);
        return found == variables.end() ? std::nullopt : std::optional<std::string>(found->second);
    };
}

// What a reader made of argv: the options described, or "usage error: <message>".
template <typename Read>
std::string outcome(Read&& read)
{
    try {
        const ParseResult result = read();
        return result.options ? volumecli::cli::describe(*result.options) : "output: " + result.output;
    } catch (const UsageError& error) {
        return std::string("usage error: ") + error.what();
    }
}

struct Readings {
    bool plain_took_it = false;
    std::string plain;
    std::string cli11;
};

Readings read_both(const std::vector<std::string>& words, const std::map<std::string, std::string>& variables = {})
{
    const auto argv = argv_of(words);
    const int argc = static_cast<int>(words.size());
    const auto environment = environment_of(variables);
    Readings readings;
    readings.plain = outcome([&] {
        readings.plain_took_it = true;  // a usage error is the plain reader's answer too
        auto result = volumecli::cli::parse_plain_command_line(argc, argv.data(), environment);
        readings.plain_took_it = result.has_value();
        return result ? std::move(*result) : ParseResult{};
    });
    readings.cli11 =
        outcome([&] { return volumecli::cli::parse_command_line_with_cli11(argc, argv.data(), environment); });
    return readings;
}

}  // namespace

TEST_CASE("the plain reader reads what isolators, scripts and health checks send as CLI11 does", "[cli][options]")
{
    const std::vector<std::string> words = GENERATE(
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=rexray", "--volumename=vol1"},
        std::vector<std::string>{"dvdcli", "--volumedriver=rexray", "--volumename=vol1", "path"},
        std::vector<std::string>{"dvdcli", "unmount", "--volumedriver=rexray", "--volumename=vol1", "--mountid=task-7"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=rexray", "--volumename=vol1",
                                 "--volumeopts=size=5,iops=150", "--volumeopt=tags=a,b", "--volumeopts=size=6",
                                 "--volumeopts=c"},
        std::vector<std::string>{"/usr/bin/dvdcli", "create", "--volumedriver=rexray", "--volumename=v",
                                 "--explicitcreate", "--timeout=2.5", "--retry-timeout=0", "--log-level=debug",
                                 "--format=json"},
        std::vector<std::string>{"dvdcli", "list", "--volumedriver=rexray", "--explicitCreate", "--managed-plugins",
                                 "--docker-root=/srv/docker", "--run-dir=/srv/run"},
        std::vector<std::string>{"dvdcli", "get", "--plugin-addr=https://10.0.0.1:8443", "--cacert=/etc/ca.pem",
                                 "--cert=/etc/c.pem", "--key=/etc/k.pem", "--volumename=\"quoted\""},
        std::vector<std::string>{"flockercli", "mount", "--volumename=data", "--control-host=flocker.example",
                                 "--control-port=4523", "--node-uuid=8e0a", "--name-key=name", "--wait-timeout=86400"},
        std::vector<std::string>{"dvdcli", "capabilities", "--volumedriver=-starts-with-dash"},
        std::vector<std::string>{"dvdcli", "remove", "--volumedriver=a=b", "--volumename=x y", "--timeout=0.001"},
        std::vector<std::string>{"dvdcli", "path", "--volumedriver=rexray", "--volumename=vol1",
                                 "--retry-timeout=86400", "--timeout=86400.000"},
        // Taken by the plain reader, refused after reading, in the same words.
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=rexray"},
        std::vector<std::string>{"dvdcli", "path", "--volumename=vol1"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=rexray", "--volumename=a\nb"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--log-level=loud"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--run-dir=relative"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--cert=/c.pem",
                                 "--plugin-addr=https://h:1"},
        std::vector<std::string>{"flockercli", "mount", "--volumedriver=rexray", "--volumename=v"},
        std::vector<std::string>{"flockercli", "mount", "--volumename=v", "--plugin-addr=unix:///x.sock"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--volumeopts=novalue"},
        // Durations and formats: read once, after both readers, in the same words.
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--timeout=0"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--timeout=1e3"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--timeout=nan"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--timeout=inf"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--timeout=3s"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--timeout=0x10"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--timeout=90000"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--timeout=.5"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--retry-timeout=-1"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--wait-timeout=1."},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--format=yaml"},
        // Text for the JSON bodies must be UTF-8.
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v\xff"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--mountid=\xc0\xaf"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v",
                                 "--volumeopts=k=\xed\xa0\x80"});
    CAPTURE(words);

    const auto readings = read_both(words);

    CHECK(readings.plain_took_it);
    CHECK(readings.plain == readings.cli11);
}

TEST_CASE("the plain reader reads the DVDCLI_* environment as CLI11's path does", "[cli][options]")
{
    const std::map<std::string, std::string> variables =
        GENERATE(std::map<std::string, std::string>{{"DVDCLI_SOCKET_DIR", "/srv/plugins"},
                                                    {"DVDCLI_SPEC_DIRS", "/a::/b"},
                                                    {"DVDCLI_LOG_LEVEL", "info"},
                                                    {"DVDCLI_MANAGED_PLUGINS", "true"},
                                                    {"DVDCLI_LOCAL_ROOT", "/srv/local"},
                                                    {"DVDCLI_RUN_DIR", "/srv/run"}},
                 std::map<std::string, std::string>{{"DVDCLI_MANAGED_PLUGINS", "yes"}},
                 std::map<std::string, std::string>{{"DVDCLI_SOCKET_DIR", "relative"}},
                 std::map<std::string, std::string>{{"DVDCLI_LOG_LEVEL", "chatty"}});
    CAPTURE(variables);

    const auto readings = read_both({"dvdcli", "mount", "--volumedriver=rexray", "--volumename=vol1"}, variables);

    CHECK(readings.plain_took_it);
    CHECK(readings.plain == readings.cli11);
}

TEST_CASE("the plain reader leaves every other form to CLI11", "[cli][options]")
{
    const std::vector<std::string> words = GENERATE(
        std::vector<std::string>{"dvdcli"}, std::vector<std::string>{"dvdcli", "--help"},
        std::vector<std::string>{"dvdcli", "mount", "-h"}, std::vector<std::string>{"dvdcli", "--version"},
        std::vector<std::string>{"dvdcli", "version"}, std::vector<std::string>{"dvdcli", "check", "--volumedriver=r"},
        std::vector<std::string>{"dvdcli", "exec", "--", "true"},
        std::vector<std::string>{"dvdcli", "mount", "path", "--volumedriver=r", "--volumename=v"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver", "r", "--volumename=v"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=", "--volumename=v"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumedriver=s", "--volumename=v"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--explicitcreate",
                                 "--explicitCreate"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--explicitcreate=false"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--volume=r:v"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--unknown=1"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "-v"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "extra"},
        std::vector<std::string>{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", ""},
        std::vector<std::string>{"dvdcli", "mounts", "--volumedriver=r", "--volumename=v"});
    CAPTURE(words);

    const auto readings = read_both(words);

    CHECK_FALSE(readings.plain_took_it);
}
