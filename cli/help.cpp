#include "help.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <utility>

namespace volumecli::cli {

namespace {

constexpr std::size_t k_default_width = 80;
constexpr std::size_t k_narrowest = 40;
// The flag column: wider labels get their text on the next line.
constexpr std::size_t k_label_column = 28;
// The command column of the program's help.
constexpr std::size_t k_command_column = 16;

// `text` wrapped to `width` columns, each line after the first indented by `indent` spaces (the
// first continues wherever the caller is). Words longer than a line stay whole.
std::string wrap(std::string_view text, std::size_t indent, std::size_t first_column, std::size_t width)
{
    std::string out;
    std::size_t column = first_column;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find(' ', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        const auto word = text.substr(start, end - start);
        start = end + 1;
        if (word.empty()) {
            continue;
        }
        if (column > indent && column + 1 + word.size() > width) {
            out += "\n" + std::string(indent, ' ');
            column = indent;
        } else if (column > indent) {
            out += ' ';
            ++column;
        }
        out += word;
        column += word.size();
    }
    return out;
}

std::string label_of(const FlagSpec& flag)
{
    std::string label = "--" + std::string(flag.name);
    if (!flag.value_name.empty()) {
        label += "=" + std::string(flag.value_name);
    }
    return label;
}

// "  --flag=VALUE   Help text wrapped ..." for one flag.
std::string flag_line(const std::string& label, std::string_view text, std::size_t width)
{
    std::string line = "  " + label;
    if (line.size() + 2 > k_label_column) {
        line += "\n" + std::string(k_label_column, ' ');
    } else {
        line += std::string(k_label_column - line.size(), ' ');
    }
    return line + wrap(text, k_label_column, k_label_column, width) + "\n";
}

constexpr std::array<std::pair<FlagGroup, std::string_view>, 5> k_group_titles = {{
    {FlagGroup::command, "Flags"},
    {FlagGroup::plugin, "Plugin flags"},
    {FlagGroup::tls, "TLS flags"},
    {FlagGroup::flocker, "Flocker control service flags"},
    {FlagGroup::global, "Global flags"},
}};

std::string footer(const std::string& program, std::size_t width)
{
    return wrap(
               "Flags may come before or after the command. Exit status: 0 success, 1 driver error, 2 usage "
               "error, 3 driver not found or unreachable, 4 timed out, 5 protocol violation. See " +
                   program + "(1).",
               0, 0, width) +
           "\n";
}

std::string usage_line(const std::string& program, const CommandSpec& command)
{
    std::string line = "Usage: " + program + " " + std::string(command.name);
    for (const auto& flag : k_flag_table) {
        if (shown_in(flag, program) && (flag.required & set_of(command.command)) != 0) {
            line += " " + label_of(flag);
        }
    }
    if (command.command == Command::exec) {
        return line + " [--volume=DRIVER:NAME[:PATH]]... [flags] -- COMMAND [ARGS...]";
    }
    return line + (command.command == Command::version ? "" : " [flags]");
}

std::string command_help(const std::string& program, const CommandSpec& command, std::size_t width)
{
    std::string out =
        wrap(usage_line(program, command), 4, 0, width) + "\n\n" + wrap(command.description, 0, 0, width) + "\n";
    for (const auto& [group, title] : k_group_titles) {
        std::string lines;
        for (const auto& flag : k_flag_table) {
            if (flag.group != group || !shown_in(flag, program) || !applies_to(flag, command.command)) {
                continue;
            }
            std::string text(flag.help);
            if ((flag.required & set_of(command.command)) != 0) {
                text += " (required)";
            }
            lines += flag_line(label_of(flag), text, width);
        }
        if (group == FlagGroup::global) {
            lines += flag_line("-h, --help", "Print this help", width);
        }
        if (!lines.empty()) {
            out += "\n" + std::string(title) + ":\n" + lines;
        }
    }
    const auto example = program == "flockercli" ? command.flocker_example : command.example;
    return out + "\nExample:\n  " + std::string(example) + "\n\n" + footer(program, width);
}

std::string program_help(const std::string& program, std::size_t width)
{
    const bool flocker_tool = program == "flockercli";
    std::string out = "Usage: " + program + " COMMAND " + (flocker_tool ? "" : "--volumedriver=NAME ") +
                      "[--volumename=NAME] [flags]\n       " + program + " help [COMMAND]\n\n";
    out += wrap(flocker_tool ? "flockercli: volumes on the Flocker control service, for Mesos isolators, scripts "
                               "and people (volumecli)."
                             : "dvdcli: Docker volume plugins without a Docker daemon, for Mesos isolators, scripts "
                               "and people (volumecli).",
                0, 0, width) +
           "\n\nCommands:\n";
    for (const auto& command : k_command_table) {
        if (shown_in(command, program)) {
            out += "  " + std::string(command.name) + std::string(k_command_column - 2 - command.name.size(), ' ') +
                   wrap(command.summary, k_command_column, k_command_column, width) + "\n";
        }
    }
    // flockercli's own flags are those of the control service: shown here too.
    for (const auto& [group, title] : k_group_titles) {
        if (group != FlagGroup::global && !(flocker_tool && (group == FlagGroup::flocker || group == FlagGroup::tls))) {
            continue;
        }
        out += "\n" + std::string(title) + ":\n";
        for (const auto& flag : k_flag_table) {
            if (flag.group == group && shown_in(flag, program)) {
                out += flag_line(label_of(flag), flag.help, width);
            }
        }
    }
    out += flag_line("-h, --help", "Print help; '" + program + " COMMAND --help' lists the command's flags", width);
    out += flag_line("--version", "Print the version", width);
    return out + "\n" + footer(program, width);
}

// Levenshtein distance, with a swap of two neighbours counting as one edit.
std::size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) {
        d[i][0] = i;
    }
    for (std::size_t j = 0; j <= b.size(); ++j) {
        d[0][j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t substitution = d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, substitution});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.size()][b.size()];
}

}  // namespace

std::string render_help(const std::string& program, const CommandSpec* command, std::size_t width)
{
    width = std::max(width, k_narrowest);
    return command != nullptr ? command_help(program, *command, width) : program_help(program, width);
}

std::size_t help_width()
{
    winsize size{};
    if (::isatty(STDOUT_FILENO) == 1 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
        return std::max<std::size_t>(size.ws_col, k_narrowest);
    }
    return k_default_width;
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates)
{
    // Words this short are too easily near anything.
    if (word.size() < 3 || word.size() > 64) {
        return {};
    }
    const std::size_t allowed = word.size() < 6 ? 1 : 2;
    std::string best;
    std::size_t best_distance = allowed + 1;
    for (const auto& candidate : candidates) {
        const std::size_t distance = edit_distance(word, candidate);
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}

std::string help_hint(const std::string& program, const CommandSpec* command)
{
    return "(see '" + program + (command != nullptr ? " " + std::string(command->name) : std::string()) + " --help')";
}

}  // namespace volumecli::cli
