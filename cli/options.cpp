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

// CLI::Range lets "nan" through (no comparison with NaN is true); as a duration it became a
// deadline 292 years in the past. Checked on the text, before CLI11 converts it.
CLI::Validator not_a_nan()
{
    return CLI::Validator(
        [](std::string& text) {
            return std::isnan(std::strtod(text.c_str(), nullptr)) ? "Value " + text + " is not a number"
                                                                  : std::string();
        },
        "");  // no text in --help: the Range check already describes the value
}

milliseconds to_milliseconds(double seconds)
{
    return milliseconds(static_cast<long long>(std::llround(seconds * 1000.0)));
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

// --volumeopts and --volumeopt in the order they were given: later options override earlier
// ones and a comma-less piece continues the option just before it.
VolumeOptions collect_volume_options(const CLI::App& app, const CLI::Option* split, const CLI::Option* single)
{
    VolumeOptionsBuilder builder;
    std::size_t split_index = 0;
    std::size_t single_index = 0;
    for (const CLI::Option* option : app.parse_order()) {
        if (option == split) {
            builder.add_split(split->results().at(split_index++));
        } else if (option == single) {
            builder.add_single(single->results().at(single_index++));
        }
    }
    return builder.options();
}

void check_text(const std::string& value, const char* flag)
{
    for (const char c : value) {
        if (c == '\0' || c == '\n' || c == '\r') {
            throw UsageError(std::string(flag) + " must not contain newlines or NUL");
        }
    }
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

ParseResult parse_command_line(int argc, const char* const* argv, const Environment& environment)
{
    const std::string program = program_name(argc > 0 ? argv[0] : nullptr);
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

    std::string driver;
    std::string volume;
    std::vector<std::string> split_options;
    std::vector<std::string> single_options;
    bool explicit_create = false;
    std::string mount_id;
    std::string plugin_address;
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
    double timeout_seconds = 0;
    double retry_seconds = 15;
    std::string log_level;
    std::string format = "text";

    app.add_option("--volumedriver", driver, "Volume driver (plugin) name");
    app.add_option("--volumename", volume, "Volume name");
    auto* split = app.add_option("--volumeopts", split_options,
                                 "Driver option K=V; repeatable; split on commas (a piece without '=' continues "
                                 "the previous value)")
                      ->allow_extra_args(false);
    auto* single = app.add_option("--volumeopt", single_options, "Driver option K=V; repeatable; never split on commas")
                       ->allow_extra_args(false);
    app.add_flag("--explicitcreate,--explicitCreate", explicit_create,
                 "Never create a missing volume on mount (--explicitcreate=false to allow)");
    app.add_option("--mountid", mount_id,
                   "Mount ID sent with Mount and Unmount (default: derived from driver and "
                   "volume name)");
    bool managed_plugins = false;
    std::string docker_root;
    app.add_flag("--managed-plugins", managed_plugins,
                 "Also find Docker managed (v2) plugins, e.g. rexray/ebs:latest (env DVDCLI_MANAGED_PLUGINS=1); "
                 "reads dockerd's state, so usually needs root");
    auto* docker_root_option = app.add_option("--docker-root", docker_root,
                                              "dockerd's --data-root, for --managed-plugins (default /var/lib/docker)");
    app.add_option("--plugin-addr", plugin_address,
                   "Plugin address, bypassing discovery: unix:///path.sock, tcp://host:port, https://host:port");
    app.add_option("--cacert", ca_file,
                   "CA certificate: for an https --plugin-addr (default: system roots), or Flocker's cluster CA");
    app.add_option("--cert", cert_file, "Client certificate, for an https --plugin-addr or Flocker");
    app.add_option("--key", key_file, "Client private key, for an https --plugin-addr or Flocker");
    std::string control_host;
    std::string control_port;
    std::string node_uuid;
    std::string name_key;
    double wait_seconds = 0;
    auto* control_host_option =
        app.add_option("--control-host", control_host, "Flocker control service host (default: from agent.yml)");
    auto* control_port_option =
        app.add_option("--control-port", control_port, "Flocker control service REST port (default 4523)");
    auto* node_uuid_option = app.add_option("--node-uuid", node_uuid, "This node's Flocker UUID (default: looked up)");
    auto* name_key_option =
        app.add_option("--name-key", name_key, "Flocker dataset metadata key holding the volume name (default: name)");
    auto* wait_option = app.add_option("--wait-timeout", wait_seconds,
                                       "Seconds a Flocker mount may wait for the dataset to arrive (default 120)")
                            ->check(not_a_nan())
                            ->check(CLI::Range(0.001, 86400.0));
    auto* timeout = app.add_option("--timeout", timeout_seconds,
                                   "Seconds allowed for each call, connect included (default: 120 for Create "
                                   "and Mount, 60 for the others)")
                        ->check(not_a_nan())
                        ->check(CLI::Range(0.001, 86400.0));
    std::string run_dir;
    auto* run_dir_option = app.add_option(
        "--run-dir", run_dir,
        "Directory for the per-volume lock files (env DVDCLI_RUN_DIR; default /run/dvdcli for root, else "
        "$XDG_RUNTIME_DIR/dvdcli or /tmp/dvdcli-UID)");
    app.add_option("--retry-timeout", retry_seconds,
                   "Seconds to keep retrying a missing or unreachable plugin (default 15; 0: no retry)")
        ->check(not_a_nan())
        ->check(CLI::Range(0.0, 86400.0));
    auto* log_level_option =
        app.add_option("--log-level", log_level, "trace, debug, info, warn (default), error, critical or off");
    app.add_option("--format", format, "Output format: text or json")->check(CLI::IsMember({"text", "json"}));

    // Every run pays for what CLI11 is told (bench/): when argv names its command and asks for no
    // help, only that command is set up. Any other word stays unknown to CLI11, as it would be anyway.
    SplitArguments arguments = split_arguments(argc, argv);
    const bool names_a_command =
        !arguments.asks_for_help && std::any_of(k_commands.begin(), k_commands.end(), [&](const CommandInfo& info) {
            return arguments.first_word == info.name;
        });
    std::vector<std::string> volume_flags;
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
            command->add_option("--volume", volume_flags, "A volume for the command: DRIVER:NAME[:CONTAINERPATH]")
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
        throw UsageError(std::string(error.what()) + " (see " + program + " --help)");
    }

    CliOptions options;
    for (const CLI::App* given : app.get_subcommands()) {
        for (const auto& info : k_commands) {
            if (given->get_name() == info.name) {
                options.command = info.command;
            }
        }
    }
    if (options.command == Command::version) {
        return {std::nullopt, render_version()};
    }
    if (const auto extras = app.remaining(); !extras.empty()) {
        throw UsageError("unexpected argument \"" + extras.front() + "\" (see --help)");
    }
    if (options.command == Command::exec) {
        options.volume_flags = volume_flags;
        options.exec_command = arguments.command;
        if (options.exec_command.empty()) {
            throw UsageError("exec: no command given (" + program +
                             " exec [--volume=D:N[:PATH]]... -- COMMAND [ARGS...])");
        }
    }

    if (auto level = environment("DVDCLI_LOG_LEVEL"); level && !level->empty()) {
        options.log_level = parse_log_level(*level, "DVDCLI_LOG_LEVEL");
    }
    if (log_level_option->count() > 0) {
        options.log_level = parse_log_level(log_level, "--log-level");
    }
    options.search_paths = search_paths_from(environment);
    if (const auto managed = environment("DVDCLI_MANAGED_PLUGINS"); managed && !managed->empty()) {
        if (*managed != "0" && *managed != "1" && *managed != "true" && *managed != "false") {
            throw UsageError("DVDCLI_MANAGED_PLUGINS: expected 1, true, 0 or false, not \"" + *managed + "\"");
        }
        managed_plugins = managed_plugins || *managed == "1" || *managed == "true";
    }
    if (docker_root_option->count() > 0) {
        // Naming dockerd's data root asks for its managed plugins.
        options.docker_root = absolute_dir(docker_root, "--docker-root");
    } else if (managed_plugins) {
        options.docker_root = "/var/lib/docker";
    }
    if (const auto local_root = environment("DVDCLI_LOCAL_ROOT")) {
        options.local_root = absolute_dir(*local_root, "DVDCLI_LOCAL_ROOT");
    }
    if (run_dir_option->count() > 0) {
        options.run_dir = absolute_dir(run_dir, "--run-dir");
    } else if (const auto run_dir_variable = environment("DVDCLI_RUN_DIR");
               run_dir_variable && !run_dir_variable->empty()) {
        options.run_dir = absolute_dir(*run_dir_variable, "DVDCLI_RUN_DIR");
    } else {
        options.run_dir = default_run_dir(environment);
    }
    options.format = format == "json" ? OutputFormat::json : OutputFormat::text;
    options.explicit_create = explicit_create;
    options.retry_window = to_milliseconds(retry_seconds);
    if (timeout->count() > 0) {
        options.timeout = to_milliseconds(timeout_seconds);
    }
    options.volume_options = collect_volume_options(app, split, single);

    options.program = program;
    options.tls_files.ca_file = ca_file;
    options.tls_files.cert_file = cert_file;
    options.tls_files.key_file = key_file;
    if (!plugin_address.empty()) {
        if (flocker_tool) {
            throw UsageError("flockercli talks to the Flocker control service: --plugin-addr does not apply");
        }
        check_text(plugin_address, "--plugin-addr");
        options.plugin_address = plugin_address;
        if (cert_file.empty() != key_file.empty()) {
            throw UsageError("--cert and --key go together");
        }
    }
    const auto set_if_given = [](const CLI::Option* option, const std::string& value, const char* flag,
                                 std::optional<std::string>& target) {
        if (option->count() > 0) {
            check_text(value, flag);
            target = value;
        }
    };
    set_if_given(control_host_option, control_host, "--control-host", options.flocker.control_host);
    set_if_given(control_port_option, control_port, "--control-port", options.flocker.control_port);
    set_if_given(node_uuid_option, node_uuid, "--node-uuid", options.flocker.node_uuid);
    set_if_given(name_key_option, name_key, "--name-key", options.flocker.name_key);
    if (wait_option->count() > 0) {
        options.flocker.wait_timeout = to_milliseconds(wait_seconds);
    }
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
        if (volume.empty()) {
            throw UsageError(std::string("missing --volumename for ") + command_name(options.command));
        }
        check_text(volume, "--volumename");
    }
    options.volume = volume;
    if (!mount_id.empty()) {
        check_text(mount_id, "--mountid");
        options.mount_id = mount_id;
    }
    return {std::move(options), ""};
}

}  // namespace volumecli::cli
