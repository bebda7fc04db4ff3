#pragma once

#include <volumecli/discovery.hpp>
#include <volumecli/endpoint.hpp>
#include <volumecli/volume.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace volumecli::cli {

enum class Command { mount, unmount, path, create, remove, get, list, capabilities, version, exec, check };
enum class OutputFormat { text, json };
enum class LogLevel { trace, debug, info, warn, error, critical, off };

// The Flocker control-service flags, as given (unset: the driver looks further).
struct FlockerFlags {
    std::optional<std::string> control_host;
    std::optional<std::string> control_port;
    std::optional<std::string> node_uuid;
    std::optional<std::string> name_key;
    std::optional<std::chrono::milliseconds> wait_timeout;
};

// dvdcli check's own flags.
struct CheckFlags {
    bool list = false;                // --list: print the catalogue, run nothing
    std::optional<std::string> run;   // --run=REGEX (ECMAScript, searched in each check ID)
    std::optional<std::string> skip;  // --skip=REGEX
    std::optional<std::string> junit_file;
    std::chrono::milliseconds slow{1000};
    bool keep = false;
};

// Everything one invocation needs, from argv and the environment.
struct CliOptions {
    std::string program = "dvdcli";  // argv[0]'s name: "flockercli" selects the Flocker driver
    Command command = Command::version;
    std::string driver;
    std::string volume;
    VolumeOptions volume_options;
    bool explicit_create = false;
    std::optional<std::string> mount_id;
    std::optional<std::string> plugin_address;
    TlsFiles tls_files;  // --cacert, --cert, --key: for --plugin-addr=https://... and Flocker
    FlockerFlags flocker;
    std::optional<std::chrono::milliseconds> timeout;
    std::chrono::milliseconds retry_window{15000};
    LogLevel log_level = LogLevel::warn;
    bool log_timestamps = false;  // --log-timestamps, DVDCLI_LOG_TIMESTAMPS: each log line starts with the UTC time
    OutputFormat format = OutputFormat::text;
    discovery::SearchPaths search_paths;
    std::optional<std::string> docker_root;              // set: managed (v2) plugins are looked up there too
    std::string local_root = "/var/lib/dvdcli/volumes";  // DVDCLI_LOCAL_ROOT
    std::string run_dir;                                 // --run-dir, DVDCLI_RUN_DIR, else default_run_dir()
    std::vector<std::string> volume_flags;               // exec --volume=DRIVER:NAME[:CONTAINERPATH]
    std::vector<std::string> exec_command;               // exec's COMMAND [ARGS...]
    CheckFlags check;
    std::chrono::steady_clock::time_point started =
        std::chrono::steady_clock::now();  // process start: deadlines count from it
};

// What parsing produced: options to run, or text (help, version) to print before exiting 0.
struct ParseResult {
    std::optional<CliOptions> options;
    std::string output;
};

using Environment = std::function<std::optional<std::string>(const char* name)>;

// The program's name as invoked: "flockercli" or "dvdcli".
std::string program_name(const char* argv0);

// Parses argv (flags before or after the command; `help [COMMAND]`, --help, --version) and the
// DVDCLI_* environment. Throws UsageError for anything malformed, with a suggestion for a typo.
ParseResult parse_command_line(int argc, const char* const* argv, const Environment& environment);

// Where volume lock files live when neither --run-dir nor DVDCLI_RUN_DIR says: /run/dvdcli for
// root, else $XDG_RUNTIME_DIR/dvdcli when that is set (and absolute), else /tmp/dvdcli-<uid>.
std::string default_run_dir(const Environment& environment);

// Parses a --log-level / DVDCLI_LOG_LEVEL value; throws UsageError for an unknown name.
LogLevel parse_log_level(const std::string& name, const char* source);

const char* command_name(Command command);

// Every field of `options` that a command acts on, one per line (the start time left out): for
// tests that compare a reading with the one expected.
std::string describe(const CliOptions& options);

}  // namespace volumecli::cli
