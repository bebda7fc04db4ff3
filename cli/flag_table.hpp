#pragma once

// The one table of dvdcli's and flockercli's commands and flags: the parser (options.cpp), the
// help (help.cpp) and the shell completion (completion.cpp) all read it, so a flag is named once.

#include "given_flags.hpp"
#include "options.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace volumecli::cli {

// Which program a row belongs to (argv[0]: dvdcli or flockercli).
using Tools = unsigned;
inline constexpr Tools k_dvdcli = 1U;
inline constexpr Tools k_flockercli = 2U;
inline constexpr Tools k_both_tools = k_dvdcli | k_flockercli;

// A set of commands, one bit per Command.
using CommandSet = unsigned;
constexpr CommandSet set_of(Command command)
{
    return 1U << static_cast<unsigned>(command);
}
template <typename... More>
constexpr CommandSet set_of(Command first, More... more)
{
    return set_of(first) | set_of(more...);
}

// Where a flag is listed in help.
enum class FlagGroup { command, plugin, tls, flocker, global };

enum class ValueKind {
    text,            // --flag=VALUE, at most once
    seconds,         // the same, read as decimal seconds
    toggle,          // --flag, or --flag=true / --flag=false
    split_options,   // --volumeopts: repeatable, split on commas
    single_options,  // --volumeopt: repeatable, never split
    list,            // repeatable, each value kept
};

// What the shell completes after the flag.
enum class Completion { none, files, directories, log_levels, formats, booleans, drivers, volumes, hosts };

struct FlagSpec {
    std::string_view name;   // without the leading dashes
    std::string_view alias;  // a second spelling, or empty
    ValueKind kind;
    std::string_view value_name;  // help's value hint ("SECONDS"); empty for a toggle
    FlagGroup group;
    CommandSet commands;  // the commands it applies to, for help and completion (any command accepts it)
    CommandSet required;  // the commands that need it (help marks it)
    Tools tools;          // the programs whose help and completion show it
    Completion completion;
    std::string_view help;
    std::optional<std::string> GivenFlags::*text = nullptr;  // text, seconds
    bool GivenFlags::*toggle = nullptr;                      // toggle
    std::vector<std::string> GivenFlags::*list = nullptr;    // list
};

struct CommandSpec {
    Command command;
    std::string_view name;
    std::string_view summary;      // one line, for the list of commands
    std::string_view description;  // the command's help
    std::string_view example;
    std::string_view flocker_example;  // empty: not a flockercli command
};

extern const std::array<CommandSpec, 11> k_command_table;
extern const std::array<FlagSpec, 30> k_flag_table;

// The command called `name`, or nullptr.
const CommandSpec* find_command(std::string_view name);
// The flag called `name` (either spelling, without dashes), or nullptr.
const FlagSpec* find_flag(std::string_view name);
// "--name" of the flag stored in `field`: for messages.
std::string flag_text(std::optional<std::string> GivenFlags::*field);

bool shown_in(const CommandSpec& command, const std::string& program);
bool shown_in(const FlagSpec& flag, const std::string& program);
bool applies_to(const FlagSpec& flag, Command command);

}  // namespace volumecli::cli
