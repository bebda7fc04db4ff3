// Inputs the fuzz targets (fuzz/) found crashing or breaking an invariant, as the behaviour the
// user sees now. The raw inputs are replayed too, from fuzz/regressions/<target>/.

#include "options.hpp"

#include <volumecli/error.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace {

volumecli::cli::ParseResult parse(const std::vector<std::string>& arguments)
{
    std::vector<const char*> argv{"dvdcli"};
    for (const auto& argument : arguments) {
        argv.push_back(argument.c_str());
    }
    argv.push_back(nullptr);
    return volumecli::cli::parse_command_line(static_cast<int>(argv.size() - 1), argv.data(),
                                              [](const char*) { return std::optional<std::string>(); });
}

}  // namespace

// fuzz/regressions/cli_options/timeout-nan: CLI::Range lets NaN through (no comparison with it is
// true), and the NaN became a deadline of -9223372036854775 s: exit 4 "timed out" at once.
TEST_CASE("parse_command_line rejects a duration that is not a number", "[options][fuzz]")
{
    const std::string flag = GENERATE("--timeout", "--retry-timeout", "--wait-timeout");
    const std::string value = GENERATE("nan", "NaN", "-nan", "nan(0x1)");
    CAPTURE(flag, value);

    try {
        parse({"path", "--volumedriver=rexray", "--volumename=vol1", flag + "=" + value});
        FAIL("accepted " << flag << "=" << value);
    } catch (const volumecli::UsageError& error) {
        CHECK_THAT(error.what(), Catch::Matchers::StartsWith(flag + ": \"" + value + "\" is not a number of seconds"));
    }
}

TEST_CASE("parse_command_line still takes fractional durations", "[options][fuzz]")
{
    const auto result = parse({"path", "--volumedriver=rexray", "--volumename=vol1", "--timeout=0.5",
                               "--retry-timeout=0", "--wait-timeout=86400"});

    REQUIRE(result.options);
    CHECK(result.options->timeout == std::chrono::milliseconds(500));
    CHECK(result.options->retry_window == std::chrono::milliseconds(0));
    CHECK(result.options->flocker.wait_timeout == std::chrono::milliseconds(86400000));
}
