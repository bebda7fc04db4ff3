#include "completion.hpp"

#include "flag_table.hpp"

#include <algorithm>
#include <string_view>

namespace volumecli::cli {

namespace {

struct Reply {
    std::string how = "words";
    std::string prefix;
    std::vector<std::string> candidates;

    [[nodiscard]] std::string text() const
    {
        std::string out = how + "\n" + prefix + "\n";
        for (const auto& candidate : candidates) {
            out += candidate + "\n";
        }
        return out;
    }
};

bool starts_with(std::string_view text, std::string_view prefix)
{
    return text.substr(0, prefix.size()) == prefix;
}

// The words before the one being completed, read as the parser reads them: the command, whether
// exec's COMMAND has begun, and which flag a separate value word would belong to.
struct Position {
    const CommandSpec* command = nullptr;
    bool in_exec_command = false;
    bool exec_command_started = false;
    const FlagSpec* value_of = nullptr;  // the previous word is this flag, waiting for its value
};

Position position_of(const std::vector<std::string>& words)
{
    Position position;
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
        const std::string& word = words[i];
        if (position.in_exec_command) {
            position.exec_command_started = true;
            continue;
        }
        const bool exec = position.command != nullptr && position.command->command == Command::exec;
        if (exec && (word == "--" || (!word.empty() && word.front() != '-'))) {
            position.in_exec_command = true;
            position.exec_command_started = word != "--";
            continue;
        }
        if (starts_with(word, "--") && word.find('=') == std::string::npos) {
            const FlagSpec* flag = find_flag(std::string_view(word).substr(2));
            if (flag != nullptr && flag->kind != ValueKind::toggle) {
                if (i + 2 == words.size()) {
                    position.value_of = flag;
                }
                ++i;  // its value
            }
            continue;
        }
        if (position.command == nullptr && !word.empty() && word.front() != '-') {
            position.command = find_command(word);
        }
    }
    return position;
}

std::vector<std::string> values_of(const FlagSpec& flag, const std::vector<std::string>& words,
                                   const CompletionSources& sources)
{
    switch (flag.completion) {
        case Completion::log_levels: return {"trace", "debug", "info", "warn", "error", "critical", "off"};
        case Completion::formats: return {"text", "json"};
        case Completion::booleans: return {"true", "false"};
        case Completion::drivers: return sources.drivers ? sources.drivers() : std::vector<std::string>{};
        case Completion::volumes: return sources.volumes ? sources.volumes(words) : std::vector<std::string>{};
        default: return {};
    }
}

// The value of `flag`, written after `prefix` ("--flag=" or nothing for a separate word).
Reply value_reply(const FlagSpec& flag, const std::string& prefix, const std::vector<std::string>& words,
                  const CompletionSources& sources)
{
    Reply reply;
    reply.prefix = prefix;
    if (flag.completion == Completion::files) {
        reply.how = "files";
    } else if (flag.completion == Completion::directories) {
        reply.how = "directories";
    } else if (flag.completion == Completion::hosts) {
        reply.how = "hosts";
    }
    for (const auto& value : values_of(flag, words, sources)) {
        reply.candidates.push_back(prefix + value);
    }
    return reply;
}

Reply flag_reply(const std::string& program, const CommandSpec* command)
{
    Reply reply;
    for (const auto& flag : k_flag_table) {
        if (shown_in(flag, program) && (command == nullptr || applies_to(flag, command->command))) {
            reply.candidates.push_back("--" + std::string(flag.name) + (flag.kind == ValueKind::toggle ? "" : "="));
        }
    }
    reply.candidates.emplace_back("--help");
    if (command == nullptr) {
        reply.candidates.emplace_back("--version");
    }
    return reply;
}

}  // namespace

std::string complete(const std::string& program, const std::vector<std::string>& words,
                     const CompletionSources& sources)
{
    const std::string current = words.empty() ? std::string() : words.back();
    const Position position = position_of(words);
    if (position.in_exec_command) {
        Reply reply;
        reply.how = position.exec_command_started ? "files" : "commands";
        return reply.text();
    }
    if (position.value_of != nullptr) {
        return value_reply(*position.value_of, "", words, sources).text();
    }
    if (starts_with(current, "--") && current.find('=') != std::string::npos) {
        const auto equals = current.find('=');
        const FlagSpec* flag = find_flag(std::string_view(current).substr(2, equals - 2));
        return flag != nullptr ? value_reply(*flag, current.substr(0, equals + 1), words, sources).text()
                               : Reply{}.text();
    }
    if (starts_with(current, "-")) {
        return flag_reply(program, position.command).text();
    }
    Reply reply;
    if (position.command == nullptr) {
        for (const auto& command : k_command_table) {
            if (shown_in(command, program)) {
                reply.candidates.emplace_back(command.name);
            }
        }
        reply.candidates.emplace_back("help");
    }
    return reply.text();
}

}  // namespace volumecli::cli
