// dvdcli's command line: each input line is one argv element (the first is argv[0], so
// "flockercli" selects the Flocker tool), except lines "$NAME=VALUE", which make up the only
// environment parse_command_line sees. Anything malformed must be a UsageError (exit 2), and what
// is read must hold the options' invariants.

#include "fuzz_input.hpp"
#include "options.hpp"

#include <volumecli/error.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace volumecli;
    using fuzz::require;
    fuzz::quiet_logs();
    std::vector<std::string> arguments;
    std::map<std::string, std::string> variables;
    for (const auto& line : fuzz::split(fuzz::to_string(data, size), '\n')) {
        if (!line.empty() && line.front() == '$') {
            const auto equals = line.find('=');
            variables[line.substr(1, equals == std::string::npos ? std::string::npos : equals - 1)] =
                equals == std::string::npos ? std::string() : line.substr(equals + 1);
        } else {
            arguments.push_back(line);
        }
    }
    if (arguments.empty()) {
        arguments.emplace_back("dvdcli");
    }
    std::vector<const char*> argv;
    for (const auto& argument : arguments) {
        argv.push_back(argument.c_str());
    }
    argv.push_back(nullptr);
    const cli::Environment environment = [&variables](const char* name) -> std::optional<std::string> {
        const auto found = variables.find(name);
        if (found == variables.end()) {
            return std::nullopt;
        }
        return found->second;
    };

    try {
        const auto result = cli::parse_command_line(static_cast<int>(arguments.size()), argv.data(), environment);
        require(result.options.has_value() != !result.output.empty());
        if (const auto& options = result.options) {
            // Durations become deadlines: none may be negative, and set ones are positive.
            require(options->retry_window.count() >= 0);
            require(!options->timeout || options->timeout->count() > 0);
            require(!options->flocker.wait_timeout || options->flocker.wait_timeout->count() > 0);
            require(!options->local_root.empty() && options->local_root.front() == '/');
            require(!options->docker_root || options->docker_root->front() == '/');
            // What goes into a JSON body is UTF-8 (never sent with bad bytes replaced).
            require(is_utf8(options->volume));
            require(!options->mount_id || is_utf8(*options->mount_id));
            for (const auto& [key, value] : options->volume_options) {
                require(is_utf8(key) && is_utf8(value));
            }
        }
    } catch (const UsageError&) {
        // the expected rejection of malformed flags or variables
    }
    return 0;
}
