#include "options.hpp"

#include "printer.hpp"

#include <volumecli/error.hpp>
#include <volumecli/options.hpp>
#include <volumecli/version.hpp>

#include <CLI/CLI.hpp>

#include <array>
#include <cmath>
#include <utility>

namespace volumecli::cli {

namespace {

using std::chrono::milliseconds;

struct CommandInfo {
    Command command;
    const char* name;
    const char* description;
    const char* example;
};

constexpr std::array<CommandInfo, 9> k_commands = {{
    {Command::mount, "mount", "Mount a volume (creating it unless --explicitcreate) and print its path",
     "dvdcli mount --volumedriver=rexray --volumename=vol1 --volumeopts=size=5"},
    {Command::unmount, "unmount", "Unmount a volume", "dvdcli unmount --volumedriver=rexray --volumename=vol1"},
    {Command::path, "path", "Print the path where a volume is mounted",
     "dvdcli path --volumedriver=rexray --volumename=vol1"},
    {Command::create, "create", "Create a volume",
     "dvdcli create --volumedriver=rexray --volumename=vol1 --volumeopts=size=5,iops=150"},
    {Command::remove, "remove", "Remove a volume", "dvdcli remove --volumedriver=rexray --volumename=vol1"},
    {Command::get, "get", "Print a volume's name as the driver knows it (--format=json: all it reports)",
     "dvdcli get --volumedriver=rexray --volumename=vol1 --format=json"},
    {Command::list, "list", "List the driver's volumes, one name per line", "dvdcli list --volumedriver=rexray"},
    {Command::capabilities, "capabilities", "Print the driver's scope (local or global)",
     "dvdcli capabilities --volumedriver=rexray"},
    {Command::version, "version", "Print version information", "dvdcli version"},
}};

bool needs_volume(Command command)
{
    return command != Command::list && command != Command::capabilities && command != Command::version;
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

}  // namespace

const char* command_name(Command command)
{
    for (const auto& info : k_commands) {
        if (info.command == command) {
            return info.name;
        }
    }
    return "?";
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
    CLI::App app("dvdcli: a Docker volume driver CLI (volumecli)", "dvdcli");
    app.fallthrough();
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("dvdcli ") + version());
    app.footer(
        "Flags may come before or after the command. Exit status: 0 success, 1 driver error, 2 usage "
        "error, 3 driver not found or unreachable, 4 timed out, 5 protocol violation. See dvdcli(1).");

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
    app.add_option("--plugin-addr", plugin_address,
                   "Plugin address, bypassing discovery: unix:///path.sock, tcp://host:port, https://host:port");
    app.add_option("--cacert", ca_file, "CA certificate for an https --plugin-addr (default: system roots)");
    app.add_option("--cert", cert_file, "Client certificate for an https --plugin-addr");
    app.add_option("--key", key_file, "Client private key for an https --plugin-addr");
    auto* timeout = app.add_option("--timeout", timeout_seconds,
                                   "Seconds allowed for each call, connect included (default: 120 for Create "
                                   "and Mount, 60 for the others)")
                        ->check(CLI::Range(0.001, 86400.0));
    app.add_option("--retry-timeout", retry_seconds,
                   "Seconds to keep retrying a missing or unreachable plugin (default 15; 0: no retry)")
        ->check(CLI::Range(0.0, 86400.0));
    auto* log_level_option =
        app.add_option("--log-level", log_level, "trace, debug, info, warn (default), error, critical or off");
    app.add_option("--format", format, "Output format: text or json")->check(CLI::IsMember({"text", "json"}));

    for (const auto& info : k_commands) {
        app.add_subcommand(info.name, info.description)->footer(std::string("Example:\n  ") + info.example);
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        return {std::nullopt, app.help()};
    } catch (const CLI::CallForAllHelp&) {
        return {std::nullopt, app.help("", CLI::AppFormatMode::All)};
    } catch (const CLI::CallForVersion&) {
        return {std::nullopt, app.version() + "\n"};
    } catch (const CLI::ParseError& error) {
        if (app.get_subcommands().empty() && !app.remaining().empty()) {
            throw UsageError("unknown command \"" + app.remaining().front() + "\" (see dvdcli --help)");
        }
        throw UsageError(std::string(error.what()) + " (see dvdcli --help)");
    }

    CliOptions options;
    for (const auto& info : k_commands) {
        if (app.got_subcommand(info.name)) {
            options.command = info.command;
        }
    }
    if (options.command == Command::version) {
        return {std::nullopt, render_version()};
    }

    if (auto level = environment("DVDCLI_LOG_LEVEL"); level && !level->empty()) {
        options.log_level = parse_log_level(*level, "DVDCLI_LOG_LEVEL");
    }
    if (log_level_option->count() > 0) {
        options.log_level = parse_log_level(log_level, "--log-level");
    }
    options.search_paths = search_paths_from(environment);
    options.format = format == "json" ? OutputFormat::json : OutputFormat::text;
    options.explicit_create = explicit_create;
    options.retry_window = to_milliseconds(retry_seconds);
    if (timeout->count() > 0) {
        options.timeout = to_milliseconds(timeout_seconds);
    }
    options.volume_options = collect_volume_options(app, split, single);

    if (!plugin_address.empty()) {
        check_text(plugin_address, "--plugin-addr");
        options.plugin_address = plugin_address;
        options.tls_files.ca_file = ca_file;
        options.tls_files.cert_file = cert_file;
        options.tls_files.key_file = key_file;
        if (cert_file.empty() != key_file.empty()) {
            throw UsageError("--cert and --key go together");
        }
    } else if (!ca_file.empty() || !cert_file.empty() || !key_file.empty()) {
        throw UsageError("--cacert, --cert and --key apply to an https --plugin-addr only");
    }
    options.driver = driver.empty() && options.plugin_address ? *options.plugin_address : driver;
    if (options.driver.empty()) {
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
