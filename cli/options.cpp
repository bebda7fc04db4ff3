#include "options.hpp"

#include "printer.hpp"

#include <volumecli/error.hpp>
#include <volumecli/options.hpp>
#include <volumecli/version.hpp>

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace volumecli::cli {

namespace {

using std::chrono::milliseconds;

struct CommandInfo {
    Command command;
    const char* name;
    const char* description;
    const char* example;
    const char* flocker_example;
};

constexpr std::array<CommandInfo, 11> k_commands = {{
    {Command::mount, "mount", "Mount a volume (creating it unless --explicitcreate) and print its path",
     "dvdcli mount --volumedriver=rexray --volumename=vol1 --volumeopts=size=5",
     "flockercli mount --volumename=vol1 --volumeopts=size=10G"},
    {Command::unmount, "unmount", "Unmount a volume", "dvdcli unmount --volumedriver=rexray --volumename=vol1",
     "flockercli unmount --volumename=vol1"},
    {Command::path, "path", "Print the path where a volume is mounted",
     "dvdcli path --volumedriver=rexray --volumename=vol1", "flockercli path --volumename=vol1"},
    {Command::create, "create", "Create a volume",
     "dvdcli create --volumedriver=rexray --volumename=vol1 --volumeopts=size=5,iops=150",
     "flockercli create --volumename=vol1 --volumeopts=size=10G"},
    {Command::remove, "remove", "Remove a volume", "dvdcli remove --volumedriver=rexray --volumename=vol1",
     "flockercli remove --volumename=vol1"},
    {Command::get, "get", "Print a volume's name as the driver knows it (--format=json: all it reports)",
     "dvdcli get --volumedriver=rexray --volumename=vol1 --format=json",
     "flockercli get --volumename=vol1 --format=json"},
    {Command::list, "list", "List the driver's volumes, one name per line", "dvdcli list --volumedriver=rexray",
     "flockercli list --control-host=flocker.example.com"},
    {Command::capabilities, "capabilities", "Print the driver's scope (local or global)",
     "dvdcli capabilities --volumedriver=rexray", "flockercli capabilities"},
    {Command::version, "version", "Print version information", "dvdcli version", "flockercli version"},
    {Command::exec, "exec",
     "Run a task with its volumes: exec [--volume=DRIVER:NAME[:PATH]]... [--] COMMAND [ARGS...] mounts them "
     "(DVDI_VOLUME_*, FLOCKER_ID, --volume), runs COMMAND, then unmounts",
     "DVDI_VOLUME_NAME=data DVDI_VOLUME_DRIVER=local DVDI_VOLUME_CONTAINERPATH=/tmp/data \\\n"
     "    dvdcli exec -- sh -c 'echo hi > /tmp/data/f'",
     "FLOCKER_ID=data FLOCKER_CONTAINER_VOLUME_PATH=/tmp/data flockercli exec -- ls /tmp/data"},
    {Command::check, "check",
     "Check a volume plugin against the protocol with a scratch volume (create, mount twice, ... remove) and "
     "print a report; exit 0 when every mandatory step passes, 1 when one fails",
     "dvdcli check --volumedriver=rexray --volumeopts=size=1 --format=json",
     "dvdcli check --volumedriver=rexray (flockercli has no check)"},
}};

bool needs_volume(Command command)
{
    return command != Command::list && command != Command::capabilities && command != Command::version &&
           command != Command::exec && command != Command::check;
}

// The bounds of --timeout and --wait-timeout (--retry-timeout may be 0), in seconds.
constexpr double k_min_timeout = 0.001;
constexpr double k_max_seconds = 86400.0;

milliseconds to_milliseconds(double seconds)
{
    return milliseconds(static_cast<long long>(std::llround(seconds * 1000.0)));
}

// A duration flag's value: decimal seconds only, digits with at most one dot ("3", "0.5", ".5",
// "86400.000"), within [min, max]. No unit ("3s"), sign, hex ("0x10"), exponent ("1e3"), "inf"
// or "nan": what strtod would also take is refused, so every reader agrees with this one.
double read_seconds(const std::string& text, const char* flag, double min, double max)
{
    bool dot = false;
    bool digit = false;
    for (const char c : text) {
        if (c == '.' && !dot) {
            dot = true;
        } else if (c >= '0' && c <= '9') {
            digit = true;
        } else {
            digit = false;
            break;
        }
    }
    const auto range = [&] {
        const auto number = [](double value) {
            std::string out = std::to_string(value);
            out.erase(out.find_last_not_of('0') + 1);
            if (out.back() == '.') {
                out.pop_back();
            }
            return out;
        };
        return "from " + number(min) + " to " + number(max) + " seconds";
    };
    if (!digit) {
        throw UsageError(std::string(flag) + ": \"" + text + "\" is not a number of seconds (decimal, e.g. 3 or 0.5; " +
                         range() + ")");
    }
    const double seconds = std::strtod(text.c_str(), nullptr);
    if (seconds < min || seconds > max) {
        throw UsageError(std::string(flag) + ": " + text + " seconds is out of range (" + range() + ")");
    }
    return seconds;
}

std::string absolute_dir(const std::string& dir, const char* variable)
{
    if (dir.empty() || dir.front() != '/') {
        throw UsageError(std::string(variable) + ": \"" + dir + "\" is not an absolute path");
    }
    return dir;
}

discovery::SearchPaths search_paths_from(const Environment& environment)
{
    discovery::SearchPaths paths;
    if (const auto socket_dir = environment("DVDCLI_SOCKET_DIR")) {
        paths.socket_dir = absolute_dir(*socket_dir, "DVDCLI_SOCKET_DIR");
    }
    if (const auto spec_dirs = environment("DVDCLI_SPEC_DIRS")) {
        paths.spec_dirs.clear();
        std::size_t start = 0;
        while (start <= spec_dirs->size()) {
            const auto colon = spec_dirs->find(':', start);
            const auto dir = spec_dirs->substr(start, colon == std::string::npos ? std::string::npos : colon - start);
            if (!dir.empty()) {
                paths.spec_dirs.push_back(absolute_dir(dir, "DVDCLI_SPEC_DIRS"));
            }
            if (colon == std::string::npos) {
                break;
            }
            start = colon + 1;
        }
    }
    return paths;
}

// Values that travel in a JSON body must be UTF-8: Docker's Go encoder would replace a bad byte
// with U+FFFD and send a name other than the one given, so they are refused instead.
void check_utf8(const std::string& value, const char* flag)
{
    if (!is_utf8(value)) {
        throw UsageError(std::string(flag) + " is not valid UTF-8: \"" + value + "\"");
    }
}

void check_text(const std::string& value, const char* flag)
{
    for (const char c : value) {
        if (c == '\0' || c == '\n' || c == '\r') {
            throw UsageError(std::string(flag) + " must not contain newlines or NUL");
        }
    }
    check_utf8(value, flag);
}

// Flags that take a value, so that a separate value word is never mistaken for a command.
constexpr std::array<std::string_view, 21> k_value_flags = {
    "volumedriver", "volumename",   "volumeopts", "volumeopt",     "mountid",      "plugin-addr", "cacert",
    "cert",         "key",          "timeout",    "retry-timeout", "log-level",    "format",      "volume",
    "control-host", "control-port", "node-uuid",  "name-key",      "wait-timeout", "docker-root", "run-dir",
};

bool takes_value(std::string_view name)
{
    return std::find(k_value_flags.begin(), k_value_flags.end(), name) != k_value_flags.end();
}

struct SplitArguments {
    std::vector<std::string> for_parser;  // in CLI11's order: last word first
    std::vector<std::string> command;     // exec's COMMAND [ARGS...], untouched
    std::string first_word;               // the first word that is neither a flag nor a flag's value
    bool asks_for_help = false;           // -h, --help, --help-all or --version is there
};

// Two things CLI11 cannot do for us. exec's command and its arguments must reach it untouched,
// even when they look like our flags, so they are cut off here: the command starts after "--" or
// at the first word after "exec" that is neither a flag nor a flag's value. And CLI11 reads
// "--flag=" (empty value) as "--flag" followed by the next word as its value, so
// "--volumedriver= --retry-timeout=0" would name a driver "--retry-timeout=0": an empty
// --volumeopts adds no option, and any other empty value is an error.
SplitArguments split_arguments(int argc, const char* const* argv)
{
    SplitArguments split;
    bool in_exec = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (in_exec && (arg == "--" || (!arg.empty() && arg.front() != '-'))) {
            split.command.assign(argv + i + (arg == "--" ? 1 : 0), argv + argc);
            break;
        }
        if (arg == "exec") {
            in_exec = true;
        } else if (arg.compare(0, 2, "--") == 0 && arg.find('=') == arg.size() - 1 &&
                   takes_value(std::string_view(arg).substr(2, arg.size() - 3))) {
            if (arg == "--volumeopts=") {
                continue;
            }
            throw UsageError(arg.substr(0, arg.size() - 1) + " needs a value (see --help)");
        } else if (arg.size() > 2 && arg.compare(0, 2, "--") == 0 && takes_value(std::string_view(arg).substr(2)) &&
                   i + 1 < argc) {
            split.for_parser.push_back(arg);
            split.for_parser.emplace_back(argv[++i]);
            continue;
        }
        if (arg == "-h" || arg.compare(0, 6, "--help") == 0 || arg == "--version") {
            split.asks_for_help = true;
        } else if (split.first_word.empty() && !arg.empty() && arg.front() != '-') {
            split.first_word = arg;
        }
        split.for_parser.push_back(arg);
    }
    std::reverse(split.for_parser.begin(), split.for_parser.end());
    return split;
}

}  // namespace

std::string program_name(const char* argv0)
{
    const std::string path = argv0 != nullptr ? argv0 : "";
    const std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    return base == "flockercli" ? base : "dvdcli";
}

const char* command_name(Command command)
{
    for (const auto& info : k_commands) {
        if (info.command == command) {
            return info.name;
        }
    }
    return "?";
}

std::string describe(const CliOptions& options)
{
    const auto text = [](const std::optional<std::string>& value) { return value ? "'" + *value + "'" : "-"; };
    const auto duration = [](const std::optional<milliseconds>& value) {
        return value ? std::to_string(value->count()) + "ms" : "-";
    };
    std::string out = "program " + options.program + "\ncommand " + command_name(options.command) + "\ndriver '" +
                      options.driver + "'\nvolume '" + options.volume + "'\nvolume options";
    for (const auto& [key, value] : options.volume_options) {
        out += " '" + key + "'='" + value + "'";
    }
    out += "\nexplicit create " + std::to_string(options.explicit_create) + "\nmount id " + text(options.mount_id) +
           "\nplugin address " + text(options.plugin_address) + "\ntls '" + options.tls_files.ca_file + "' '" +
           options.tls_files.cert_file + "' '" + options.tls_files.key_file + "' " +
           std::to_string(options.tls_files.insecure_skip_verify) + "\nflocker " + text(options.flocker.control_host) +
           " " + text(options.flocker.control_port) + " " + text(options.flocker.node_uuid) + " " +
           text(options.flocker.name_key) + " " + duration(options.flocker.wait_timeout) + "\ntimeout " +
           duration(options.timeout) + "\nretry " + std::to_string(options.retry_window.count()) + "ms\nlog level " +
           std::to_string(static_cast<int>(options.log_level)) + "\nformat " +
           std::to_string(static_cast<int>(options.format)) + "\nsocket dir " + options.search_paths.socket_dir +
           "\nspec dirs";
    for (const auto& dir : options.search_paths.spec_dirs) {
        out += " " + dir;
    }
    out += "\ndocker root " + text(options.docker_root) + "\nlocal root " + options.local_root + "\nrun dir " +
           options.run_dir + "\nvolume flags";
    for (const auto& flag : options.volume_flags) {
        out += " '" + flag + "'";
    }
    out += "\nexec command";
    for (const auto& word : options.exec_command) {
        out += " '" + word + "'";
    }
    return out + "\n";
}

std::string default_run_dir(const Environment& environment)
{
    if (::geteuid() == 0) {
        return "/run/dvdcli";
    }
    // Like other per-user runtime files; a relative value is ignored, as the XDG spec says.
    if (const auto runtime = environment("XDG_RUNTIME_DIR"); runtime && !runtime->empty() && runtime->front() == '/') {
        return *runtime + "/dvdcli";
    }
    return "/tmp/dvdcli-" + std::to_string(::geteuid());
}

LogLevel parse_log_level(const std::string& name, const char* source)
{
    static const std::array<std::pair<const char*, LogLevel>, 8> k_levels = {{
        {"trace", LogLevel::trace},
        {"debug", LogLevel::debug},
        {"info", LogLevel::info},
        {"warn", LogLevel::warn},
        {"warning", LogLevel::warn},
        {"error", LogLevel::error},
        {"critical", LogLevel::critical},
        {"off", LogLevel::off},
    }};
    for (const auto& [level_name, level] : k_levels) {
        if (name == level_name) {
            return level;
        }
    }
    throw UsageError(std::string(source) + ": unknown log level \"" + name +
                     "\" (expected trace, debug, info, warn, error, critical or off)");
}

namespace {

// The flags as read from argv, before the environment is consulted and before the checks that do
// not depend on how they were read. Both readers below produce it.
struct GivenFlags {
    Command command = Command::version;
    std::string driver;
    std::string volume;
    std::vector<std::pair<bool, std::string>> option_words;  // (split on commas?, text), in argv order
    bool explicit_create = false;
    std::string mount_id;
    std::string plugin_address;
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
    std::optional<std::string> timeout;  // durations as written; finish() reads them (read_seconds)
    std::optional<std::string> retry_timeout;
    std::optional<std::string> log_level;
    std::string format = "text";
    bool managed_plugins = false;
    std::optional<std::string> docker_root;
    std::optional<std::string> control_host;
    std::optional<std::string> control_port;
    std::optional<std::string> node_uuid;
    std::optional<std::string> name_key;
    std::optional<std::string> wait_timeout;
    std::optional<std::string> run_dir;
    std::vector<std::string> volume_flags;
    std::vector<std::string> exec_command;
};

// CLI11's complaint in our words: its own wording ("At Most 1 required but received 2") never
// reaches the user. The flag is taken from its message, where CLI11 always names it.
std::string in_our_words(const CLI::ParseError& error)
{
    const std::string message = error.what();
    std::string flag;
    if (const auto dashes = message.find("--"); dashes != std::string::npos) {
        const auto end = message.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-", dashes + 2);
        flag = message.substr(dashes, end == std::string::npos ? std::string::npos : end - dashes);
    }
    const std::string subject = flag.empty() ? std::string("a flag") : flag;
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) {
        return message.find("At Most") != std::string::npos ? subject + " given more than once"
                                                            : subject + " needs a value";
    }
    if (dynamic_cast<const CLI::ConversionError*>(&error) != nullptr) {
        return subject + ": value not accepted (a switch takes no value, or =true or =false)";
    }
    if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
        std::string commands;
        for (const auto& info : k_commands) {
            commands += (commands.empty() ? "" : ", ") + std::string(info.name);
        }
        return "no command given (one of " + commands + ")";
    }
    if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
        return "unexpected arguments";
    }
    return flag.empty() ? std::string("cannot read the command line") : "cannot read " + flag;
}

// What CLI11 made of argv: the flags, or text to print (help, version).
struct Cli11Reading {
    std::optional<GivenFlags> flags;
    std::string output;
};

Cli11Reading read_with_cli11(int argc, const char* const* argv, const std::string& program)
{
    const bool flocker_tool = program == "flockercli";
    CLI::App app(flocker_tool ? "flockercli: volumes on the Flocker control service (volumecli)"
                              : "dvdcli: a Docker volume driver CLI (volumecli)",
                 program);
    app.fallthrough();
    app.require_subcommand(1);
    // Left-over words are reported below in our own words.
    app.allow_extras();
    app.set_version_flag("--version", program + " " + version());
    app.footer(
        "Flags may come before or after the command. Exit status: 0 success, 1 driver error, 2 usage "
        "error, 3 driver not found or unreachable, 4 timed out, 5 protocol violation. See " +
        program + "(1).");

    GivenFlags given;
    std::vector<std::string> split_options;
    std::vector<std::string> single_options;
    std::string timeout_text;
    std::string retry_text;
    std::string log_level;
    std::string docker_root;
    std::string control_host;
    std::string control_port;
    std::string node_uuid;
    std::string name_key;
    std::string wait_text;
    std::string format;
    std::string run_dir;

    app.add_option("--volumedriver", given.driver, "Volume driver (plugin) name");
    app.add_option("--volumename", given.volume, "Volume name");
    auto* split = app.add_option("--volumeopts", split_options,
                                 "Driver option K=V; repeatable; split on commas (a piece without '=' continues "
                                 "the previous value)")
                      ->allow_extra_args(false);
    auto* single = app.add_option("--volumeopt", single_options, "Driver option K=V; repeatable; never split on commas")
                       ->allow_extra_args(false);
    app.add_flag("--explicitcreate,--explicitCreate", given.explicit_create,
                 "Never create a missing volume on mount (--explicitcreate=false to allow)");
    app.add_option("--mountid", given.mount_id,
                   "Mount ID sent with Mount and Unmount (default: derived from driver and "
                   "volume name)");
    app.add_flag("--managed-plugins", given.managed_plugins,
                 "Also find Docker managed (v2) plugins, e.g. rexray/ebs:latest (env DVDCLI_MANAGED_PLUGINS=1); "
                 "reads dockerd's state, so usually needs root");
    auto* docker_root_option = app.add_option("--docker-root", docker_root,
                                              "dockerd's --data-root, for --managed-plugins (default /var/lib/docker)");
    app.add_option("--plugin-addr", given.plugin_address,
                   "Plugin address, bypassing discovery: unix:///path.sock, tcp://host:port, https://host:port");
    app.add_option("--cacert", given.ca_file,
                   "CA certificate: for an https --plugin-addr (default: system roots), or Flocker's cluster CA");
    app.add_option("--cert", given.cert_file, "Client certificate, for an https --plugin-addr or Flocker");
    app.add_option("--key", given.key_file, "Client private key, for an https --plugin-addr or Flocker");
    auto* control_host_option =
        app.add_option("--control-host", control_host, "Flocker control service host (default: from agent.yml)");
    auto* control_port_option =
        app.add_option("--control-port", control_port, "Flocker control service REST port (default 4523)");
    auto* node_uuid_option = app.add_option("--node-uuid", node_uuid, "This node's Flocker UUID (default: looked up)");
    auto* name_key_option =
        app.add_option("--name-key", name_key, "Flocker dataset metadata key holding the volume name (default: name)");
    auto* wait_option = app.add_option("--wait-timeout", wait_text,
                                       "Seconds a Flocker mount may wait for the dataset to arrive (default 120; "
                                       "0.001 to 86400)");
    auto* timeout = app.add_option("--timeout", timeout_text,
                                   "Seconds allowed for each call, connect included (default: 120 for Create "
                                   "and Mount, 60 for the others; 0.001 to 86400, decimal: 3, 0.5)");
    auto* run_dir_option = app.add_option(
        "--run-dir", run_dir,
        "Directory for the per-volume lock files (env DVDCLI_RUN_DIR; default /run/dvdcli for root, else "
        "$XDG_RUNTIME_DIR/dvdcli or /tmp/dvdcli-UID)");
    auto* retry_option = app.add_option(
        "--retry-timeout", retry_text,
        "Seconds to keep retrying a missing or unreachable plugin (default 15; 0: no retry; up to 86400)");
    auto* log_level_option =
        app.add_option("--log-level", log_level, "trace, debug, info, warn (default), error, critical or off");
    auto* format_option = app.add_option("--format", format, "Output format: text or json");

    // Every run pays for what CLI11 is told (bench/): when argv names its command and asks for no
    // help, only that command is set up. Any other word stays unknown to CLI11, as it would be anyway.
    SplitArguments arguments = split_arguments(argc, argv);
    const bool names_a_command =
        !arguments.asks_for_help && std::any_of(k_commands.begin(), k_commands.end(), [&](const CommandInfo& info) {
            return arguments.first_word == info.name;
        });
    for (const auto& info : k_commands) {
        if (names_a_command && arguments.first_word != info.name) {
            continue;
        }
        auto* command = app.add_subcommand(info.name, info.description);
        command->footer(std::string("Example:\n  ") + (flocker_tool ? info.flocker_example : info.example) +
                        "\n\nEvery flag of '" + program +
                        " --help' (--volumename, --volumeopts, --timeout, ...) may be given before or after the "
                        "command.");
        if (info.command == Command::exec) {
            command->add_option("--volume", given.volume_flags, "A volume for the command: DRIVER:NAME[:CONTAINERPATH]")
                ->allow_extra_args(false);
        }
    }

    try {
        app.parse(std::move(arguments.for_parser));
    } catch (const CLI::CallForHelp&) {
        return {std::nullopt, app.help()};
    } catch (const CLI::CallForAllHelp&) {
        return {std::nullopt, app.help("", CLI::AppFormatMode::All)};
    } catch (const CLI::CallForVersion&) {
        return {std::nullopt, app.version() + "\n"};
    } catch (const CLI::ParseError& error) {
        if (app.get_subcommands().empty() && !app.remaining().empty()) {
            throw UsageError("unknown command \"" + app.remaining().front() + "\" (see " + program + " --help)");
        }
        throw UsageError(in_our_words(error) + " (see " + program + " --help)");
    }

    for (const CLI::App* named : app.get_subcommands()) {
        for (const auto& info : k_commands) {
            if (named->get_name() == info.name) {
                given.command = info.command;
            }
        }
    }
    if (given.command == Command::version) {
        return {std::nullopt, render_version()};
    }
    if (const auto extras = app.remaining(); !extras.empty()) {
        throw UsageError("unexpected argument \"" + extras.front() + "\" (see --help)");
    }
    if (given.command == Command::exec) {
        given.exec_command = arguments.command;
        if (given.exec_command.empty()) {
            throw UsageError("exec: no command given (" + program +
                             " exec [--volume=D:N[:PATH]]... -- COMMAND [ARGS...])");
        }
    }

    // --volumeopts and --volumeopt in the order they were given.
    std::size_t split_index = 0;
    std::size_t single_index = 0;
    for (const CLI::Option* option : app.parse_order()) {
        if (option == split) {
            given.option_words.emplace_back(true, split_options.at(split_index++));
        } else if (option == single) {
            given.option_words.emplace_back(false, single_options.at(single_index++));
        }
    }
    const auto if_given = [](const CLI::Option* option, std::string& value) {
        return option->count() > 0 ? std::optional<std::string>(std::move(value)) : std::nullopt;
    };
    given.log_level = if_given(log_level_option, log_level);
    given.docker_root = if_given(docker_root_option, docker_root);
    given.run_dir = if_given(run_dir_option, run_dir);
    given.control_host = if_given(control_host_option, control_host);
    given.control_port = if_given(control_port_option, control_port);
    given.node_uuid = if_given(node_uuid_option, node_uuid);
    given.name_key = if_given(name_key_option, name_key);
    given.timeout = if_given(timeout, timeout_text);
    given.wait_timeout = if_given(wait_option, wait_text);
    given.retry_timeout = if_given(retry_option, retry_text);
    if (format_option->count() > 0) {
        given.format = format;
    }
    return {std::move(given), ""};
}

// The quick reader: the form isolators, scripts and health checks use, one command among the
// simple ones and every flag as --name=value (or a bare --explicitcreate/--managed-plugins), each
// at most once except the volume options. Setting CLI11 up costs more than the rest of a `path`
// call (bench/); this reader gives what CLI11 would for those words, and declines (nullopt)
// anything else: help, version, exec, check, separate values, empty values, repeats, values CLI11
// would check and refuse. tests/unit/options_test.cpp holds the two readers to the same result.
std::optional<GivenFlags> read_plain(int argc, const char* const* argv)
{
    constexpr std::array<Command, 8> k_plain_commands = {Command::mount,  Command::unmount,     Command::path,
                                                         Command::create, Command::remove,      Command::get,
                                                         Command::list,   Command::capabilities};
    GivenFlags given;
    // The flags that take any non-empty text, each into its place in `given`.
    struct TextFlag {
        std::string_view name;
        std::string* text;
        std::optional<std::string>* optional_text;
        bool seen;
    };
    std::array<TextFlag, 14> text_flags = {{
        {"volumedriver", &given.driver, nullptr, false},
        {"volumename", &given.volume, nullptr, false},
        {"mountid", &given.mount_id, nullptr, false},
        {"plugin-addr", &given.plugin_address, nullptr, false},
        {"cacert", &given.ca_file, nullptr, false},
        {"cert", &given.cert_file, nullptr, false},
        {"key", &given.key_file, nullptr, false},
        {"log-level", nullptr, &given.log_level, false},
        {"docker-root", nullptr, &given.docker_root, false},
        {"control-host", nullptr, &given.control_host, false},
        {"control-port", nullptr, &given.control_port, false},
        {"node-uuid", nullptr, &given.node_uuid, false},
        {"name-key", nullptr, &given.name_key, false},
        {"run-dir", nullptr, &given.run_dir, false},
    }};
    bool has_command = false;
    bool has_format = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view word = argv[i];
        if (word.size() < 2 || word.compare(0, 2, "--") != 0) {
            const auto* known = std::find_if(k_plain_commands.begin(), k_plain_commands.end(),
                                             [&word](Command command) { return word == command_name(command); });
            if (has_command || known == k_plain_commands.end()) {
                return std::nullopt;
            }
            given.command = *known;
            has_command = true;
            continue;
        }
        const auto equals = word.find('=');
        if (equals == std::string_view::npos) {
            const std::string_view name = word.substr(2);
            if ((name == "explicitcreate" || name == "explicitCreate") && !given.explicit_create) {
                given.explicit_create = true;
            } else if (name == "managed-plugins" && !given.managed_plugins) {
                given.managed_plugins = true;
            } else {
                return std::nullopt;
            }
            continue;
        }
        const std::string_view name = word.substr(2, equals - 2);
        const std::string_view value = word.substr(equals + 1);
        if (value.empty()) {
            return std::nullopt;
        }
        auto* text_flag = std::find_if(text_flags.begin(), text_flags.end(),
                                       [&name](const TextFlag& flag) { return flag.name == name; });
        if (text_flag != text_flags.end()) {
            if (text_flag->seen) {
                return std::nullopt;
            }
            text_flag->seen = true;
            if (text_flag->text != nullptr) {
                text_flag->text->assign(value);
            } else {
                text_flag->optional_text->emplace(value);
            }
        } else if (name == "volumeopts" || name == "volumeopt") {
            given.option_words.emplace_back(name == "volumeopts", std::string(value));
        } else if (name == "format" && !has_format) {
            given.format = value;
            has_format = true;
        } else if (name == "timeout" && !given.timeout) {
            given.timeout.emplace(value);
        } else if (name == "wait-timeout" && !given.wait_timeout) {
            given.wait_timeout.emplace(value);
        } else if (name == "retry-timeout" && !given.retry_timeout) {
            given.retry_timeout.emplace(value);
        } else {
            return std::nullopt;
        }
    }
    if (!has_command) {
        return std::nullopt;
    }
    return given;
}

// The environment and the checks every reading goes through.
CliOptions finish(GivenFlags given, const std::string& program, const Environment& environment)
{
    const bool flocker_tool = program == "flockercli";
    CliOptions options;
    options.command = given.command;
    options.volume_flags = std::move(given.volume_flags);
    options.exec_command = std::move(given.exec_command);

    if (auto level = environment("DVDCLI_LOG_LEVEL"); level && !level->empty()) {
        options.log_level = parse_log_level(*level, "DVDCLI_LOG_LEVEL");
    }
    if (given.log_level) {
        options.log_level = parse_log_level(*given.log_level, "--log-level");
    }
    options.search_paths = search_paths_from(environment);
    bool managed_plugins = given.managed_plugins;
    if (const auto managed = environment("DVDCLI_MANAGED_PLUGINS"); managed && !managed->empty()) {
        if (*managed != "0" && *managed != "1" && *managed != "true" && *managed != "false") {
            throw UsageError("DVDCLI_MANAGED_PLUGINS: expected 1, true, 0 or false, not \"" + *managed + "\"");
        }
        managed_plugins = managed_plugins || *managed == "1" || *managed == "true";
    }
    if (given.docker_root) {
        // Naming dockerd's data root asks for its managed plugins.
        options.docker_root = absolute_dir(*given.docker_root, "--docker-root");
    } else if (managed_plugins) {
        options.docker_root = "/var/lib/docker";
    }
    if (const auto local_root = environment("DVDCLI_LOCAL_ROOT")) {
        options.local_root = absolute_dir(*local_root, "DVDCLI_LOCAL_ROOT");
    }
    if (given.run_dir) {
        options.run_dir = absolute_dir(*given.run_dir, "--run-dir");
    } else if (const auto run_dir_variable = environment("DVDCLI_RUN_DIR");
               run_dir_variable && !run_dir_variable->empty()) {
        options.run_dir = absolute_dir(*run_dir_variable, "DVDCLI_RUN_DIR");
    } else {
        options.run_dir = default_run_dir(environment);
    }
    if (given.format != "text" && given.format != "json") {
        throw UsageError("--format: expected text or json, not \"" + given.format + "\"");
    }
    options.format = given.format == "json" ? OutputFormat::json : OutputFormat::text;
    options.explicit_create = given.explicit_create;
    if (given.retry_timeout) {
        options.retry_window =
            to_milliseconds(read_seconds(*given.retry_timeout, "--retry-timeout", 0.0, k_max_seconds));
    }
    if (given.timeout) {
        options.timeout = to_milliseconds(read_seconds(*given.timeout, "--timeout", k_min_timeout, k_max_seconds));
    }
    // Later options override earlier ones and a comma-less piece continues the option just before it.
    VolumeOptionsBuilder builder;
    for (const auto& [split, text] : given.option_words) {
        if (split) {
            builder.add_split(text);
        } else {
            builder.add_single(text);
        }
    }
    options.volume_options = builder.options();
    for (const auto& [key, value] : options.volume_options) {
        check_utf8(key, "--volumeopts");
        check_utf8(value, "--volumeopts");
    }

    options.program = program;
    options.tls_files.ca_file = given.ca_file;
    options.tls_files.cert_file = given.cert_file;
    options.tls_files.key_file = given.key_file;
    if (!given.plugin_address.empty()) {
        if (flocker_tool) {
            throw UsageError("flockercli talks to the Flocker control service: --plugin-addr does not apply");
        }
        check_text(given.plugin_address, "--plugin-addr");
        options.plugin_address = given.plugin_address;
        if (given.cert_file.empty() != given.key_file.empty()) {
            throw UsageError("--cert and --key go together");
        }
    }
    const auto set_if_given = [](const std::optional<std::string>& value, const char* flag,
                                 std::optional<std::string>& target) {
        if (value) {
            check_text(*value, flag);
            target = value;
        }
    };
    set_if_given(given.control_host, "--control-host", options.flocker.control_host);
    set_if_given(given.control_port, "--control-port", options.flocker.control_port);
    set_if_given(given.node_uuid, "--node-uuid", options.flocker.node_uuid);
    set_if_given(given.name_key, "--name-key", options.flocker.name_key);
    if (given.wait_timeout) {
        options.flocker.wait_timeout =
            to_milliseconds(read_seconds(*given.wait_timeout, "--wait-timeout", k_min_timeout, k_max_seconds));
    }
    std::string driver = given.driver;
    if (flocker_tool) {
        if (!driver.empty() && driver != "flocker") {
            throw UsageError("flockercli uses the Flocker driver: --volumedriver=" + driver + " does not apply");
        }
        driver = "flocker";
    }
    options.driver = driver.empty() && options.plugin_address ? *options.plugin_address : driver;
    if (options.driver.empty() && options.command != Command::exec) {
        throw UsageError(std::string("missing --volumedriver for ") + command_name(options.command));
    }
    if (needs_volume(options.command)) {
        if (given.volume.empty()) {
            throw UsageError(std::string("missing --volumename for ") + command_name(options.command));
        }
    }
    if (!given.volume.empty()) {
        check_text(given.volume, "--volumename");
    }
    options.volume = given.volume;
    if (!given.mount_id.empty()) {
        check_text(given.mount_id, "--mountid");
        options.mount_id = given.mount_id;
    }
    return options;
}

}  // namespace

std::optional<ParseResult> parse_plain_command_line(int argc, const char* const* argv, const Environment& environment)
{
    auto given = read_plain(argc, argv);
    if (!given) {
        return std::nullopt;
    }
    return ParseResult{finish(std::move(*given), program_name(argc > 0 ? argv[0] : nullptr), environment), ""};
}

ParseResult parse_command_line_with_cli11(int argc, const char* const* argv, const Environment& environment)
{
    const std::string program = program_name(argc > 0 ? argv[0] : nullptr);
    auto reading = read_with_cli11(argc, argv, program);
    if (!reading.flags) {
        return {std::nullopt, std::move(reading.output)};
    }
    return {finish(std::move(*reading.flags), program, environment), ""};
}

ParseResult parse_command_line(int argc, const char* const* argv, const Environment& environment)
{
    if (auto plain = parse_plain_command_line(argc, argv, environment)) {
        return std::move(*plain);
    }
    return parse_command_line_with_cli11(argc, argv, environment);
}

}  // namespace volumecli::cli
