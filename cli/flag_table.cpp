#include "flag_table.hpp"

#include <algorithm>

namespace volumecli::cli {

namespace {

constexpr CommandSet k_driver_commands = set_of(Command::mount, Command::unmount, Command::path, Command::create,
                                                Command::remove, Command::get, Command::list, Command::capabilities);
constexpr CommandSet k_volume_commands =
    set_of(Command::mount, Command::unmount, Command::path, Command::create, Command::remove, Command::get);
constexpr CommandSet k_plugin_commands = k_driver_commands | set_of(Command::check);
constexpr CommandSet k_calling_commands = k_plugin_commands | set_of(Command::exec);
constexpr CommandSet k_locking_commands =
    set_of(Command::mount, Command::unmount, Command::create, Command::remove, Command::exec);
constexpr CommandSet k_all_commands = k_calling_commands | set_of(Command::version);

}  // namespace

const std::array<CommandSpec, 11> k_command_table = {{
    {Command::mount, "mount", "Mount a volume and print its path",
     "Mount a volume (creating it unless --explicitcreate) and print its path.",
     "dvdcli mount --volumedriver=rexray --volumename=vol1 --volumeopts=size=5",
     "flockercli mount --volumename=vol1 --volumeopts=size=10G"},
    {Command::unmount, "unmount", "Unmount a volume", "Unmount a volume.",
     "dvdcli unmount --volumedriver=rexray --volumename=vol1", "flockercli unmount --volumename=vol1"},
    {Command::path, "path", "Print where a volume is mounted",
     "Print the path where a volume is mounted; nothing (exit 0) when it is not.",
     "dvdcli path --volumedriver=rexray --volumename=vol1", "flockercli path --volumename=vol1"},
    {Command::create, "create", "Create a volume", "Create a volume.",
     "dvdcli create --volumedriver=rexray --volumename=vol1 --volumeopts=size=5",
     "flockercli create --volumename=vol1 --volumeopts=size=10G"},
    {Command::remove, "remove", "Remove a volume", "Remove a volume.",
     "dvdcli remove --volumedriver=rexray --volumename=vol1", "flockercli remove --volumename=vol1"},
    {Command::get, "get", "Print a volume as the driver reports it",
     "Print a volume's name as the driver knows it (--format=json: all it reports).",
     "dvdcli get --volumedriver=rexray --volumename=vol1 --format=json",
     "flockercli get --volumename=vol1 --format=json"},
    {Command::list, "list", "List the driver's volumes", "List the driver's volumes, one name per line.",
     "dvdcli list --volumedriver=rexray", "flockercli list --control-host=flocker.example.com"},
    {Command::capabilities, "capabilities", "Print the driver's scope", "Print the driver's scope (local or global).",
     "dvdcli capabilities --volumedriver=rexray", "flockercli capabilities"},
    {Command::version, "version", "Print version information", "Print version information.", "dvdcli version",
     "flockercli version"},
    {Command::exec, "exec", "Run a command with its volumes mounted",
     "Run COMMAND with its volumes: mount each (DVDI_VOLUME_* and FLOCKER_ID variables, --volume flags), run "
     "COMMAND [ARGS...] after '--', then unmount them.",
     "DVDI_VOLUME_NAME=data DVDI_VOLUME_DRIVER=local \\\n"
     "    DVDI_VOLUME_CONTAINERPATH=/tmp/data dvdcli exec -- touch /tmp/data/f",
     "FLOCKER_ID=data FLOCKER_CONTAINER_VOLUME_PATH=/tmp/data \\\n    flockercli exec -- ls /tmp/data"},
    {Command::check, "check", "Check a volume plugin against the protocol",
     "Run the conformance suite against a volume plugin with scratch volumes (create, get, list, mount by many "
     "holders, unmount, remove, error replies, timing) and print a report; exit 0 when every mandatory check "
     "passes, 1 when one fails, 3 when the plugin cannot be found (dvdcli check --list names the checks).",
     "dvdcli check --volumedriver=rexray --volumeopts=size=1 --junit=report.xml", ""},
}};

const std::array<FlagSpec, 30> k_flag_table = {{
    {"volumedriver", "", ValueKind::text, "NAME", FlagGroup::command, k_plugin_commands, k_plugin_commands, k_dvdcli,
     Completion::drivers, "Volume driver (plugin) name; or give --plugin-addr", &GivenFlags::driver},
    {"volumename", "", ValueKind::text, "NAME", FlagGroup::command, k_volume_commands | set_of(Command::check),
     k_volume_commands, k_both_tools, Completion::volumes, "Volume name", &GivenFlags::volume},
    {"volumeopts", "", ValueKind::split_options, "K=V[,K=V]", FlagGroup::command,
     set_of(Command::mount, Command::create, Command::check), 0, k_both_tools, Completion::none,
     "Driver options, split on commas (a piece without '=' continues the previous value); repeatable"},
    {"volumeopt", "", ValueKind::single_options, "K=V", FlagGroup::command,
     set_of(Command::mount, Command::create, Command::check), 0, k_both_tools, Completion::none,
     "One driver option, never split on commas; repeatable"},
    {"explicitcreate", "explicitCreate", ValueKind::toggle, "", FlagGroup::command, set_of(Command::mount), 0,
     k_both_tools, Completion::booleans, "Never create a missing volume (--explicitcreate=false to allow)", nullptr,
     &GivenFlags::explicit_create},
    {"mountid", "", ValueKind::text, "ID", FlagGroup::command, set_of(Command::mount, Command::unmount), 0,
     k_both_tools, Completion::none, "Mount ID sent with Mount and Unmount (default: from driver and volume name)",
     &GivenFlags::mount_id},
    {"volume", "", ValueKind::list, "DRIVER:NAME[:PATH]", FlagGroup::command, set_of(Command::exec), 0, k_both_tools,
     Completion::none, "A volume for COMMAND, mounted at PATH if given; repeatable", nullptr, nullptr,
     &GivenFlags::volume_flags},
    {"list", "", ValueKind::toggle, "", FlagGroup::command, set_of(Command::check), 0, k_dvdcli, Completion::none,
     "List the checks (ID and title), run nothing", nullptr, &GivenFlags::check_list},
    {"run", "", ValueKind::text, "REGEX", FlagGroup::command, set_of(Command::check), 0, k_dvdcli, Completion::none,
     "Run only the checks whose ID matches REGEX (and those they depend on)", &GivenFlags::check_run},
    {"skip", "", ValueKind::text, "REGEX", FlagGroup::command, set_of(Command::check), 0, k_dvdcli, Completion::none,
     "Leave out the checks whose ID matches REGEX", &GivenFlags::check_skip},
    {"junit", "", ValueKind::text, "FILE", FlagGroup::command, set_of(Command::check), 0, k_dvdcli, Completion::files,
     "Also write the report as JUnit XML to FILE (replaced atomically)", &GivenFlags::junit_file},
    {"slow", "", ValueKind::text, "MS", FlagGroup::command, set_of(Command::check), 0, k_dvdcli, Completion::none,
     "Warn about calls slower than MS milliseconds (default 1000)", &GivenFlags::slow},
    {"keep", "", ValueKind::toggle, "", FlagGroup::command, set_of(Command::check), 0, k_dvdcli, Completion::booleans,
     "Leave the scratch volumes behind, for debugging", nullptr, &GivenFlags::keep},
    {"plugin-addr", "", ValueKind::text, "URL", FlagGroup::plugin, k_plugin_commands, 0, k_dvdcli, Completion::none,
     "Plugin address, bypassing discovery: unix:///path.sock, tcp://host:port or https://host:port",
     &GivenFlags::plugin_address},
    {"managed-plugins", "", ValueKind::toggle, "", FlagGroup::plugin, k_calling_commands, 0, k_dvdcli,
     Completion::booleans,
     "Also find Docker managed (v2) plugins, e.g. rexray/ebs:latest (env DVDCLI_MANAGED_PLUGINS=1); reads "
     "dockerd's state, so usually needs root",
     nullptr, &GivenFlags::managed_plugins},
    {"docker-root", "", ValueKind::text, "DIR", FlagGroup::plugin, k_calling_commands, 0, k_dvdcli,
     Completion::directories, "dockerd's --data-root, for --managed-plugins (default /var/lib/docker)",
     &GivenFlags::docker_root},
    {"cacert", "", ValueKind::text, "FILE", FlagGroup::tls, k_calling_commands, 0, k_both_tools, Completion::files,
     "CA certificate of an https plugin (default: the system's) or of the Flocker cluster", &GivenFlags::ca_file},
    {"cert", "", ValueKind::text, "FILE", FlagGroup::tls, k_calling_commands, 0, k_both_tools, Completion::files,
     "Client certificate, for an https plugin or Flocker", &GivenFlags::cert_file},
    {"key", "", ValueKind::text, "FILE", FlagGroup::tls, k_calling_commands, 0, k_both_tools, Completion::files,
     "Client private key, for an https plugin or Flocker", &GivenFlags::key_file},
    {"control-host", "", ValueKind::text, "HOST", FlagGroup::flocker, k_driver_commands | set_of(Command::exec), 0,
     k_both_tools, Completion::hosts, "Flocker control service host (default: from agent.yml)",
     &GivenFlags::control_host},
    {"control-port", "", ValueKind::text, "PORT", FlagGroup::flocker, k_driver_commands | set_of(Command::exec), 0,
     k_both_tools, Completion::none, "Flocker control service REST port (default 4523)", &GivenFlags::control_port},
    {"node-uuid", "", ValueKind::text, "UUID", FlagGroup::flocker, k_driver_commands | set_of(Command::exec), 0,
     k_both_tools, Completion::none, "This node's Flocker UUID (default: looked up)", &GivenFlags::node_uuid},
    {"name-key", "", ValueKind::text, "KEY", FlagGroup::flocker, k_driver_commands | set_of(Command::exec), 0,
     k_both_tools, Completion::none, "Flocker dataset metadata key holding the volume name (default: name)",
     &GivenFlags::name_key},
    {"wait-timeout", "", ValueKind::seconds, "SECONDS", FlagGroup::flocker, set_of(Command::mount, Command::exec), 0,
     k_both_tools, Completion::none,
     "Seconds a Flocker mount may wait for the dataset to arrive (default 120; 0.001 to 86400)",
     &GivenFlags::wait_timeout},
    {"timeout", "", ValueKind::seconds, "SECONDS", FlagGroup::global, k_calling_commands, 0, k_both_tools,
     Completion::none,
     "Seconds allowed for each call, connect included (default 120 for Create and Mount, 60 for the others; "
     "0.001 to 86400)",
     &GivenFlags::timeout},
    {"retry-timeout", "", ValueKind::seconds, "SECONDS", FlagGroup::global, k_calling_commands, 0, k_both_tools,
     Completion::none, "Seconds to keep retrying a missing or unreachable plugin (default 15; 0: no retry)",
     &GivenFlags::retry_timeout},
    {"run-dir", "", ValueKind::text, "DIR", FlagGroup::global, k_locking_commands, 0, k_both_tools,
     Completion::directories,
     "Directory for the per-volume lock files (env DVDCLI_RUN_DIR; default /run/dvdcli for root, else "
     "$XDG_RUNTIME_DIR/dvdcli or /tmp/dvdcli-UID)",
     &GivenFlags::run_dir},
    {"log-level", "", ValueKind::text, "LEVEL", FlagGroup::global, k_all_commands, 0, k_both_tools,
     Completion::log_levels, "trace, debug, info, warn (default), error, critical or off (env DVDCLI_LOG_LEVEL)",
     &GivenFlags::log_level},
    {"log-timestamps", "", ValueKind::toggle, "", FlagGroup::global, k_all_commands, 0, k_both_tools,
     Completion::booleans,
     "Start each log line with the UTC time, to match a plugin's log (env DVDCLI_LOG_TIMESTAMPS=1)", nullptr,
     &GivenFlags::log_timestamps},
    {"format", "", ValueKind::text, "FORMAT", FlagGroup::global, k_plugin_commands, 0, k_both_tools,
     Completion::formats, "Output: text (default) or json", &GivenFlags::format},
}};

const CommandSpec* find_command(std::string_view name)
{
    const auto* found = std::find_if(k_command_table.begin(), k_command_table.end(),
                                     [name](const CommandSpec& command) { return command.name == name; });
    return found == k_command_table.end() ? nullptr : found;
}

const FlagSpec* find_flag(std::string_view name)
{
    const auto* found = std::find_if(k_flag_table.begin(), k_flag_table.end(), [name](const FlagSpec& flag) {
        return flag.name == name || (!flag.alias.empty() && flag.alias == name);
    });
    return found == k_flag_table.end() ? nullptr : found;
}

std::string flag_text(std::optional<std::string> GivenFlags::*field)
{
    for (const auto& flag : k_flag_table) {
        if (flag.text == field) {
            return "--" + std::string(flag.name);
        }
    }
    return "a flag";
}

bool shown_in(const CommandSpec& command, const std::string& program)
{
    return program != "flockercli" || !command.flocker_example.empty();
}

bool shown_in(const FlagSpec& flag, const std::string& program)
{
    return (flag.tools & (program == "flockercli" ? k_flockercli : k_dvdcli)) != 0;
}

bool applies_to(const FlagSpec& flag, Command command)
{
    return (flag.commands & set_of(command)) != 0;
}

}  // namespace volumecli::cli
