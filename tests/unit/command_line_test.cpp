// parse_command_line (cli/): CLI11 fed by the one flag table. What isolators, scripts and people
// type becomes the options expected, or one usage error in our words with one hint form; help
// and suggestions come from the same table.

#include "options.hpp"

#include <volumecli/error.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using volumecli::UsageError;
using volumecli::cli::CliOptions;
using volumecli::cli::Command;
using volumecli::cli::Environment;
using volumecli::cli::ParseResult;
using Words = std::vector<std::string>;

namespace {

Environment environment_of(std::map<std::string, std::string> variables)
{
    return [variables = std::move(variables)](const char* name) -> std::optional<std::string> {
        const auto found = variables.find(name);
        return found == variables.end() ? std::nullopt : std::optional<std::string>(found->second);
    };
}

ParseResult parse(const Words& words, const std::map<std::string, std::string>& variables = {})
{
    std::vector<const char*> argv;
    for (const auto& word : words) {
        argv.push_back(word.c_str());
    }
    argv.push_back(nullptr);
    return volumecli::cli::parse_command_line(static_cast<int>(words.size()), argv.data(), environment_of(variables));
}

CliOptions options_of(const Words& words, const std::map<std::string, std::string>& variables = {})
{
    auto result = parse(words, variables);
    REQUIRE(result.options);
    return std::move(*result.options);
}

// The usage error's message, or "no error".
std::string usage_error(const Words& words)
{
    try {
        parse(words);
    } catch (const UsageError& error) {
        return error.what();
    }
    return "no error";
}

std::string help_of(const Words& words)
{
    const auto result = parse(words);
    REQUIRE_FALSE(result.options);
    return result.output;
}

std::size_t widest_line(const std::string& text)
{
    std::istringstream lines(text);
    std::size_t widest = 0;
    for (std::string line; std::getline(lines, line);) {
        widest = std::max(widest, line.size());
    }
    return widest;
}

}  // namespace

TEST_CASE("parse_command_line reads the plain form isolators and scripts send", "[cli][options]")
{
    const auto options = options_of({"/usr/bin/dvdcli", "mount", "--volumedriver=rexray", "--volumename=vol1",
                                     "--volumeopts=size=5,iops=150", "--volumeopt=tags=a,b", "--volumeopts=size=6",
                                     "--volumeopts=c", "--explicitCreate", "--mountid=task-7", "--timeout=2.5",
                                     "--retry-timeout=0", "--log-level=debug", "--format=json"});

    CHECK(options.program == "dvdcli");
    CHECK(options.command == Command::mount);
    CHECK(options.driver == "rexray");
    CHECK(options.volume == "vol1");
    CHECK(options.volume_options == volumecli::VolumeOptions{{"iops", "150"}, {"size", "6,c"}, {"tags", "a,b"}});
    CHECK(options.explicit_create);
    CHECK(options.mount_id == "task-7");
    CHECK(options.timeout == std::chrono::milliseconds(2500));
    CHECK(options.retry_window == std::chrono::milliseconds(0));
    CHECK(options.log_level == volumecli::cli::LogLevel::debug);
    CHECK(options.format == volumecli::cli::OutputFormat::json);
}

TEST_CASE("parse_command_line takes flags before or after the command, values joined or separate", "[cli][options]")
{
    const Words words =
        GENERATE(Words{"dvdcli", "path", "--volumedriver=rexray", "--volumename=vol1"},
                 Words{"dvdcli", "--volumedriver=rexray", "--volumename=vol1", "path"},
                 Words{"dvdcli", "--volumedriver", "rexray", "path", "--volumename", "vol1"},
                 Words{"dvdcli", "--volumename", "vol1", "path", "--volumedriver=rexray", "--volumeopts="});
    CAPTURE(words);

    const auto options = options_of(words);

    CHECK(options.command == Command::path);
    CHECK(options.driver == "rexray");
    CHECK(options.volume == "vol1");
    CHECK(options.volume_options.empty());
}

TEST_CASE("parse_command_line leaves exec's command untouched", "[cli][options]")
{
    const auto options = options_of(
        {"dvdcli", "exec", "--volume=local:a:/data", "--timeout=5", "--", "sh", "-c", "echo --volumename=x", "--help"});

    CHECK(options.command == Command::exec);
    CHECK(options.volume_flags == Words{"local:a:/data"});
    CHECK(options.exec_command == Words{"sh", "-c", "echo --volumename=x", "--help"});
    CHECK(options.timeout == std::chrono::milliseconds(5000));
}

TEST_CASE("parse_command_line reads the DVDCLI_* environment under the flags", "[cli][options]")
{
    const auto options = options_of({"dvdcli", "mount", "--volumedriver=rexray", "--volumename=vol1", "--run-dir=/a"},
                                    {{"DVDCLI_SOCKET_DIR", "/srv/plugins"},
                                     {"DVDCLI_SPEC_DIRS", "/a::/b"},
                                     {"DVDCLI_LOG_LEVEL", "info"},
                                     {"DVDCLI_MANAGED_PLUGINS", "true"},
                                     {"DVDCLI_LOCAL_ROOT", "/srv/local"},
                                     {"DVDCLI_RUN_DIR", "/srv/run"}});

    CHECK(options.search_paths.socket_dir == "/srv/plugins");
    CHECK(options.search_paths.spec_dirs == Words{"/a", "/b"});
    CHECK(options.log_level == volumecli::cli::LogLevel::info);
    CHECK(options.docker_root == "/var/lib/docker");
    CHECK(options.local_root == "/srv/local");
    CHECK(options.run_dir == "/a");
}

TEST_CASE("parse_command_line says what is wrong in our words, with one hint form", "[cli][options][usage]")
{
    using Case = std::pair<Words, std::string>;
    const auto [words, message] = GENERATE(
        Case{{"dvdcli", "mount", "--volumedriver=r", "--volumedriver=s", "--volumename=v"},
             "--volumedriver given more than once (see 'dvdcli mount --help')"},
        Case{{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--explicitcreate=maybe"},
             "--explicitcreate: value not accepted (a switch takes no value, or =true or =false) (see 'dvdcli mount "
             "--help')"},
        Case{{"dvdcli", "mount", "--volumedriver=", "--volumename=v"},
             "--volumedriver needs a value (see 'dvdcli mount --help')"},
        Case{{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "extra"},
             "unexpected argument \"extra\" (see 'dvdcli mount --help')"},
        Case{{"dvdcli", "--volumedriver=r"},
             "no command given (one of mount, unmount, path, create, remove, get, list, capabilities, version, exec, "
             "check) (see 'dvdcli --help')"},
        Case{{"flockercli"},
             "no command given (one of mount, unmount, path, create, remove, get, list, capabilities, version, "
             "exec) (see 'flockercli --help')"},
        Case{{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--timeout=3s"},
             "--timeout: \"3s\" is not a number of seconds (decimal, e.g. 3 or 0.5; from 0.001 to 86400 seconds)"},
        Case{{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--timeout=0x10"},
             "--timeout: \"0x10\" is not a number of seconds (decimal, e.g. 3 or 0.5; from 0.001 to 86400 seconds)"},
        Case{{"dvdcli", "mount", "--volumedriver=r", "--volumename=v", "--retry-timeout=86401"},
             "--retry-timeout: 86401 seconds is out of range (from 0 to 86400 seconds)"},
        Case{{"dvdcli", "mount", "--volumedriver=r"}, "missing --volumename for mount"},
        Case{{"dvdcli", "exec"}, "exec: no command given (dvdcli exec [--volume=D:N[:PATH]]... -- COMMAND [ARGS...])"},
        Case{{"flockercli", "check"},
             "check tests Docker volume plugins; flockercli talks to the Flocker control service (see 'flockercli "
             "check --help')"});
    CAPTURE(words);

    CHECK(usage_error(words) == message);
}

TEST_CASE("parse_command_line suggests the closest command or flag for a typo", "[cli][options][usage]")
{
    CHECK(usage_error({"dvdcli", "mout", "--volumedriver=r", "--volumename=v"}) ==
          "unknown command \"mout\" (did you mean \"mount\"?) (see 'dvdcli --help')");
    CHECK(usage_error({"dvdcli", "mount", "--volumedriver=r", "--volumname=v"}) ==
          "unknown flag \"--volumname\" (did you mean \"--volumename\"?) (see 'dvdcli mount --help')");
    CHECK(usage_error({"dvdcli", "lsit", "--volumedriver=r"}) ==
          "unknown command \"lsit\" (did you mean \"list\"?) (see 'dvdcli --help')");
    CHECK(usage_error({"dvdcli", "frobnicate"}) == "unknown command \"frobnicate\" (see 'dvdcli --help')");
    // flockercli has no check, so nothing suggests it.
    CHECK(usage_error({"flockercli", "chek"}) == "unknown command \"chek\" (see 'flockercli --help')");
}

TEST_CASE("help lists a command's own flags, grouped, required ones marked, within 80 columns", "[cli][help]")
{
    const std::string mount = help_of({"dvdcli", "mount", "--help"});

    CHECK(mount.rfind("Usage: dvdcli mount --volumedriver=NAME --volumename=NAME [flags]\n", 0) == 0);
    CHECK(mount.find("--volumename=NAME") != std::string::npos);
    CHECK(mount.find("(required)") != std::string::npos);
    CHECK(mount.find("--explicitcreate") != std::string::npos);
    CHECK(mount.find("--timeout=SECONDS") != std::string::npos);
    CHECK(mount.find("\nGlobal flags:\n") != std::string::npos);
    CHECK(mount.find("\nTLS flags:\n") != std::string::npos);
    CHECK(mount.find("--volume=") == std::string::npos);  // exec's, not mount's
    CHECK(mount.find("FLOAT") == std::string::npos);
    CHECK(widest_line(mount) <= 80);
    // The same help, however asked for.
    CHECK(help_of({"dvdcli", "help", "mount"}) == mount);
    CHECK(help_of({"dvdcli", "--help", "mount"}) == mount);
    CHECK(help_of({"dvdcli", "mount", "-h", "--volumedriver=x"}) == mount);
}

TEST_CASE("help of every command and of both programs fits 80 columns", "[cli][help]")
{
    const std::string program = GENERATE(as<std::string>{}, "dvdcli", "flockercli");
    const Words words = GENERATE(Words{"--help"}, Words{"help"}, Words{"mount", "--help"}, Words{"unmount", "-h"},
                                 Words{"path", "--help"}, Words{"create", "--help"}, Words{"remove", "--help"},
                                 Words{"get", "--help"}, Words{"list", "--help"}, Words{"capabilities", "--help"},
                                 Words{"version", "--help"}, Words{"exec", "--help"});
    Words argv = {program};
    argv.insert(argv.end(), words.begin(), words.end());
    CAPTURE(argv);

    const std::string help = help_of(argv);

    CHECK(widest_line(help) <= 80);
    CHECK(help.find("See " + program + "(1).") != std::string::npos);
}

TEST_CASE("flockercli's help shows only what flockercli accepts", "[cli][help]")
{
    for (const auto& words : {Words{"flockercli", "--help"}, Words{"flockercli", "mount", "--help"}}) {
        const std::string help = help_of(words);
        CAPTURE(help);
        CHECK(help.find("check") == std::string::npos);
        CHECK(help.find("--plugin-addr") == std::string::npos);
        CHECK(help.find("--managed-plugins") == std::string::npos);
        CHECK(help.find("--volumedriver") == std::string::npos);
        CHECK(help.find("flockercli") != std::string::npos);
    }
    CHECK(help_of({"flockercli", "mount", "--help"}).find("\nFlocker control service flags:\n") != std::string::npos);
}
