// dvdcli's and flockercli's command line, read by CLI11 from the flag table (flag_table.hpp):
// the command word and help are found first, then CLI11 reads every flag, then complete_options
// adds the environment and checks the values.

#include "options.hpp"

#include "flag_table.hpp"
#include "given_flags.hpp"
#include "help.hpp"
#include "printer.hpp"

#include <volumecli/error.hpp>
#include <volumecli/version.hpp>

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

namespace volumecli::cli {

namespace {

using std::chrono::milliseconds;

bool takes_value(std::string_view name)
{
    const FlagSpec* flag = find_flag(name);
    return flag != nullptr && flag->kind != ValueKind::toggle;
}

// argv before CLI11 sees it.
struct ScannedArguments {
    std::vector<std::string> for_parser;    // every flag and flag value, in argv order
    std::vector<std::string> exec_command;  // exec's COMMAND [ARGS...], untouched
    const CommandSpec* command = nullptr;
    std::string unknown_command;  // the first word that is neither a flag, its value nor a command
    bool asks_for_help = false;   // -h, --help, or the word "help" before the command
    bool asks_for_version = false;
};

// What CLI11 cannot do for us. The command word is found here (flags may come before or after it)
// and handed to CLI11 as no word at all. exec's command and its arguments must reach it untouched,
// even when they look like our flags, so they are cut off here: the command starts after "--" or
// at the first word after "exec" that is neither a flag nor a flag's value. And CLI11 reads
// "--flag=" (empty value) as "--flag" followed by the next word as its value, so
// "--volumedriver= --retry-timeout=0" would name a driver "--retry-timeout=0": an empty
// --volumeopts adds no option, and any other empty value is an error.
ScannedArguments scan_arguments(int argc, const char* const* argv, const std::string& program)
{
    ScannedArguments scan;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool in_exec = scan.command != nullptr && scan.command->command == Command::exec;
        if (in_exec && (arg == "--" || (!arg.empty() && arg.front() != '-'))) {
            scan.exec_command.assign(argv + i + (arg == "--" ? 1 : 0), argv + argc);
            break;
        }
        const bool long_flag = arg.size() > 2 && arg.compare(0, 2, "--") == 0;
        if (long_flag && arg.find('=') == arg.size() - 1 &&
            takes_value(std::string_view(arg).substr(2, arg.size() - 3))) {
            if (find_flag(std::string_view(arg).substr(2, arg.size() - 3))->kind == ValueKind::split_options) {
                continue;
            }
            throw UsageError(arg.substr(0, arg.size() - 1) + " needs a value " + help_hint(program, scan.command));
        }
        if (long_flag && takes_value(std::string_view(arg).substr(2)) && i + 1 < argc) {
            scan.for_parser.push_back(arg);
            scan.for_parser.emplace_back(argv[++i]);
        } else if (arg == "-h" || arg == "--help" || arg == "--help-all") {
            scan.asks_for_help = true;
        } else if (arg == "--version") {
            scan.asks_for_version = true;
        } else if (arg.empty() || arg.front() == '-' || scan.command != nullptr || !scan.unknown_command.empty()) {
            scan.for_parser.push_back(arg);
        } else if (const CommandSpec* command = find_command(arg); command != nullptr) {
            scan.command = command;
        } else if (arg == "help" && !scan.asks_for_help) {
            scan.asks_for_help = true;  // dvdcli help [COMMAND], as dvdcli 0.2 took it
        } else {
            scan.unknown_command = arg;
        }
    }
    return scan;
}

std::vector<std::string> command_names(const std::string& program)
{
    std::vector<std::string> names;
    for (const auto& command : k_command_table) {
        if (shown_in(command, program)) {
            names.emplace_back(command.name);
        }
    }
    return names;
}

std::vector<std::string> flag_names(const std::string& program)
{
    std::vector<std::string> names = {"--help", "--version"};
    for (const auto& flag : k_flag_table) {
        if (shown_in(flag, program)) {
            names.push_back("--" + std::string(flag.name));
        }
    }
    return names;
}

// " (did you mean \"mount\"?)" when `word` looks like a typo of one of `candidates`.
std::string suggestion(const std::string& word, const std::vector<std::string>& candidates)
{
    const std::string near = closest(word, candidates);
    return near.empty() ? std::string() : " (did you mean \"" + near + "\"?)";
}

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
    return flag.empty() ? std::string("cannot read the command line") : "cannot read " + flag;
}

// The CLI11 options of the flag table, one per row, and where their values go.
class FlagParser {
public:
    // CLI11 is told only the flags that `words` name: setting an option up costs more than reading
    // it (each is checked against all the others), and a flag not given needs none. Any other
    // word stays unknown to CLI11 and is reported as such.
    explicit FlagParser(const std::vector<std::string>& words)
    {
        m_app.allow_extras();   // left-over words are reported in our own words
        m_app.set_help_flag();  // help is found before CLI11 (scan_arguments)
        for (std::size_t row = 0; row < k_flag_table.size(); ++row) {
            const FlagSpec& flag = k_flag_table[row];
            if (!named_in(words, flag.name) && (flag.alias.empty() || !named_in(words, flag.alias))) {
                continue;
            }
            std::string names = "--" + std::string(flag.name);
            if (!flag.alias.empty()) {
                names += ",--" + std::string(flag.alias);
            }
            switch (flag.kind) {
                case ValueKind::text:
                case ValueKind::seconds: m_options[row] = m_app.add_option(names, m_texts[row]); break;
                case ValueKind::toggle: m_options[row] = m_app.add_flag(names, m_toggles[row]); break;
                case ValueKind::split_options:
                case ValueKind::single_options:
                case ValueKind::list:
                    m_options[row] = m_app.add_option(names, m_lists[row])->allow_extra_args(false);
                    break;
            }
        }
    }

    // Reads `words` (flags and values in argv order) into `given`; throws CLI::ParseError.
    // Returns the words CLI11 did not take.
    std::vector<std::string> parse(std::vector<std::string> words, GivenFlags& given)
    {
        std::reverse(words.begin(), words.end());  // CLI11 takes the last word first
        m_app.parse(std::move(words));
        for (std::size_t row = 0; row < k_flag_table.size(); ++row) {
            const FlagSpec& flag = k_flag_table[row];
            if (m_options[row] == nullptr) {
                continue;
            }
            if (flag.text != nullptr && m_options[row]->count() > 0) {
                given.*flag.text = std::move(m_texts[row]);
            } else if (flag.toggle != nullptr) {
                given.*flag.toggle = m_toggles[row];
            } else if (flag.list != nullptr) {
                given.*flag.list = std::move(m_lists[row]);
            }
        }
        // --volumeopts and --volumeopt in the order they were given.
        std::array<std::size_t, k_flag_table.size()> taken{};
        for (const CLI::Option* option : m_app.parse_order()) {
            const auto row =
                static_cast<std::size_t>(std::find(m_options.begin(), m_options.end(), option) - m_options.begin());
            const ValueKind kind = k_flag_table.at(row).kind;
            if (kind == ValueKind::split_options || kind == ValueKind::single_options) {
                given.option_words.emplace_back(kind == ValueKind::split_options, m_lists[row].at(taken[row]++));
            }
        }
        return m_app.remaining();
    }

private:
    // Whether a word is --name or --name=VALUE.
    static bool named_in(const std::vector<std::string>& words, std::string_view name)
    {
        return std::any_of(words.begin(), words.end(), [name](const std::string& word) {
            return word.size() >= name.size() + 2 && word.compare(0, 2, "--") == 0 &&
                   word.compare(2, name.size(), name.data(), name.size()) == 0 &&
                   (word.size() == name.size() + 2 || word[name.size() + 2] == '=');
        });
    }

    CLI::App m_app;
    std::array<CLI::Option*, k_flag_table.size()> m_options{};
    std::array<std::string, k_flag_table.size()> m_texts;
    std::array<bool, k_flag_table.size()> m_toggles{};
    std::array<std::vector<std::string>, k_flag_table.size()> m_lists;
};

// The flags of argv as CLI11 reads them, for `command`.
GivenFlags read_flags(ScannedArguments scan, const std::string& program)
{
    GivenFlags given;
    given.command = scan.command->command;
    given.exec_command = std::move(scan.exec_command);
    const std::string hint = help_hint(program, scan.command);
    FlagParser parser(scan.for_parser);
    std::vector<std::string> extras;
    try {
        extras = parser.parse(std::move(scan.for_parser), given);
    } catch (const CLI::ParseError& error) {
        throw UsageError(in_our_words(error) + " " + hint);
    }
    if (!extras.empty()) {
        const std::string& extra = extras.front();
        if (extra.size() > 1 && extra.front() == '-') {
            const std::string name = extra.substr(0, extra.find('='));
            throw UsageError("unknown flag \"" + name + "\"" + suggestion(name, flag_names(program)) + " " + hint);
        }
        throw UsageError("unexpected argument \"" + extra + "\" " + hint);
    }
    if (given.command == Command::exec && given.exec_command.empty()) {
        throw UsageError("exec: no command given (" + program + " exec [--volume=D:N[:PATH]]... -- COMMAND [ARGS...])");
    }
    if (given.command == Command::check && program == "flockercli") {
        throw UsageError("check tests Docker volume plugins; flockercli talks to the Flocker control service " + hint);
    }
    return given;
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
    for (const auto& spec : k_command_table) {
        if (spec.command == command) {
            return spec.name.data();  // the table's names are literals, so NUL-terminated
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

ParseResult parse_command_line(int argc, const char* const* argv, const Environment& environment)
{
    const std::string program = program_name(argc > 0 ? argv[0] : nullptr);
    ScannedArguments scan = scan_arguments(argc, argv, program);
    if (!scan.unknown_command.empty()) {
        throw UsageError("unknown command \"" + scan.unknown_command + "\"" +
                         suggestion(scan.unknown_command, command_names(program)) + " " + help_hint(program, nullptr));
    }
    if (scan.asks_for_help) {
        return {std::nullopt, render_help(program, scan.command, help_width())};
    }
    if (scan.asks_for_version) {
        return {std::nullopt, program + " " + version() + "\n"};
    }
    if (scan.command == nullptr) {
        std::string names;
        for (const auto& name : command_names(program)) {
            names += (names.empty() ? "" : ", ") + name;
        }
        throw UsageError("no command given (one of " + names + ") " + help_hint(program, nullptr));
    }
    const GivenFlags given = read_flags(std::move(scan), program);
    if (given.command == Command::version) {
        return {std::nullopt, render_version()};
    }
    return {complete_options(given, program, environment), ""};
}

}  // namespace volumecli::cli
