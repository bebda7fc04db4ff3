#pragma once

#include <volumecli/discovery.hpp>
#include <volumecli/endpoint.hpp>
#include <volumecli/volume.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace volumecli::cli {

enum class Command { mount, unmount, path, create, remove, get, list, capabilities, version };
enum class OutputFormat { text, json };
enum class LogLevel { trace, debug, info, warn, error, critical, off };

// Everything one invocation needs, from argv and the environment.
struct CliOptions {
    Command command = Command::version;
    std::string driver;
    std::string volume;
    VolumeOptions volume_options;
    bool explicit_create = false;
    std::optional<std::string> mount_id;
    std::optional<std::string> plugin_address;
    TlsFiles tls_files;  // for --plugin-addr=https://...
    std::optional<std::chrono::milliseconds> timeout;
    std::chrono::milliseconds retry_window{15000};
    LogLevel log_level = LogLevel::warn;
    OutputFormat format = OutputFormat::text;
    discovery::SearchPaths search_paths;
};

// What parsing produced: options to run, or text (help, version) to print before exiting 0.
struct ParseResult {
    std::optional<CliOptions> options;
    std::string output;
};

using Environment = std::function<std::optional<std::string>(const char* name)>;

// Parses argv (flags before or after the command) and the DVDCLI_* environment.
// Throws UsageError for anything malformed.
ParseResult parse_command_line(int argc, const char* const* argv, const Environment& environment);

// Parses a --log-level / DVDCLI_LOG_LEVEL value; throws UsageError for an unknown name.
LogLevel parse_log_level(const std::string& name, const char* source);

const char* command_name(Command command);

}  // namespace volumecli::cli
