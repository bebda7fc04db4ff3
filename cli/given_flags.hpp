#pragma once

// The flags as the command line gave them, and the step that turns them into CliOptions.

#include "options.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace volumecli::cli {

// The flags as read from argv, before the environment is consulted and before the checks that do
// not depend on how they were read (complete_options).
struct GivenFlags {
    Command command = Command::version;
    std::optional<std::string> driver;
    std::optional<std::string> volume;
    std::vector<std::pair<bool, std::string>> option_words;  // (split on commas?, text), in argv order
    bool explicit_create = false;
    std::optional<std::string> mount_id;
    std::optional<std::string> plugin_address;
    std::optional<std::string> ca_file;
    std::optional<std::string> cert_file;
    std::optional<std::string> key_file;
    std::optional<std::string> timeout;  // durations as written; read by read_seconds
    std::optional<std::string> retry_timeout;
    std::optional<std::string> log_level;
    bool log_timestamps = false;
    std::optional<std::string> format;
    bool managed_plugins = false;
    std::optional<std::string> docker_root;
    std::optional<std::string> control_host;
    std::optional<std::string> control_port;
    std::optional<std::string> node_uuid;
    std::optional<std::string> name_key;
    std::optional<std::string> wait_timeout;
    std::optional<std::string> run_dir;
    std::vector<std::string> volume_flags;  // exec --volume=DRIVER:NAME[:CONTAINERPATH]
    std::vector<std::string> exec_command;  // exec's COMMAND [ARGS...]
    bool check_list = false;                // check --list
    std::optional<std::string> check_run;   // check --run=REGEX
    std::optional<std::string> check_skip;  // check --skip=REGEX
    std::optional<std::string> junit_file;  // check --junit=FILE
    std::optional<std::string> slow;        // check --slow=MS, as written
    bool keep = false;                      // check --keep
};

// Where discovery looks: Docker's places, or DVDCLI_SOCKET_DIR and DVDCLI_SPEC_DIRS (absolute
// directories, else UsageError).
discovery::SearchPaths search_paths_from(const Environment& environment);

// The DVDCLI_* environment and every check that does not depend on how argv was read: exactly
// one of the options is refused per UsageError, in the user's terms.
CliOptions complete_options(GivenFlags given, const std::string& program, const Environment& environment);

}  // namespace volumecli::cli
