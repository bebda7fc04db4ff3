// --volumeopts and --volumeopt values through VolumeOptionsBuilder. Each input line is one flag
// value: a line starting with '1' is a --volumeopt (never split), any other a --volumeopts with its
// first byte dropped. Malformed options must be a UsageError (exit 2).

#include "fuzz_input.hpp"

#include <volumecli/error.hpp>
#include <volumecli/options.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace volumecli;
    fuzz::quiet_logs();
    VolumeOptionsBuilder builder;
    for (const auto& line : fuzz::split(fuzz::to_string(data, size), '\n')) {
        if (line.empty()) {
            continue;
        }
        const std::string value = line.substr(1);
        try {
            if (line.front() == '1') {
                builder.add_single(value);
                // Never split: the whole value after the first '=' is the option's.
                const auto equals = value.find('=');
                fuzz::require(builder.options().at(value.substr(0, equals)) == value.substr(equals + 1));
            } else {
                builder.add_split(value);
            }
        } catch (const UsageError&) {
            // the expected rejection of a malformed option; the builder stays usable
        }
    }
    for (const auto& [key, value] : builder.options()) {
        fuzz::require(!key.empty() && key.find('=') == std::string::npos);
    }
    return 0;
}
