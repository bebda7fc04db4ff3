#include <volumecli/error.hpp>

#include <catch2/catch.hpp>

#include <string>

using volumecli::DriverError;
using volumecli::Error;
using volumecli::ExitCode;
using volumecli::ProtocolError;
using volumecli::rethrow_with_context;
using volumecli::TimeoutError;
using volumecli::TransportError;
using volumecli::UnreachableError;
using volumecli::UsageError;

TEST_CASE("Error subclasses map to the documented exit codes", "[error]")
{
    CHECK(static_cast<int>(UsageError("x").exit_code()) == 2);
    CHECK(static_cast<int>(DriverError("x").exit_code()) == 1);
    CHECK(static_cast<int>(UnreachableError("x").exit_code()) == 3);
    CHECK(static_cast<int>(TransportError("x").exit_code()) == 3);
    CHECK(static_cast<int>(TimeoutError("x").exit_code()) == 4);
    CHECK(static_cast<int>(ProtocolError("x").exit_code()) == 5);
}

TEST_CASE("rethrow_with_context prefixes the message and keeps the type", "[error]")
{
    const std::string prefix = "driver \"rexray\": Mount \"vol1\": ";

    SECTION("DriverError")
    {
        try {
            rethrow_with_context(DriverError("VolumeDriver.Mount: boom"), prefix);
        } catch (const DriverError& error) {
            CHECK(std::string(error.what()) == "driver \"rexray\": Mount \"vol1\": VolumeDriver.Mount: boom");
            CHECK(error.exit_code() == ExitCode::driver_error);
        }
    }
    SECTION("TransportError stays retryable")
    {
        CHECK_THROWS_AS(rethrow_with_context(TransportError("refused"), prefix), TransportError);
    }
    SECTION("other types")
    {
        CHECK_THROWS_AS(rethrow_with_context(UnreachableError("x"), prefix), UnreachableError);
        CHECK_THROWS_AS(rethrow_with_context(TimeoutError("x"), prefix), TimeoutError);
        CHECK_THROWS_AS(rethrow_with_context(ProtocolError("x"), prefix), ProtocolError);
        CHECK_THROWS_AS(rethrow_with_context(UsageError("x"), prefix), UsageError);
        CHECK_THROWS_WITH(rethrow_with_context(TimeoutError("deadline passed"), prefix),
                          "driver \"rexray\": Mount \"vol1\": deadline passed");
    }
    SECTION("a plain UnreachableError does not become retryable")
    {
        bool retryable = false;
        try {
            rethrow_with_context(UnreachableError("bad certificate"), prefix);
        } catch (const TransportError&) {
            retryable = true;
        } catch (const UnreachableError&) {
        }
        CHECK_FALSE(retryable);
    }
}

TEST_CASE("OutputError exits 6 and keeps its type through rethrow_with_context", "[error]")
{
    CHECK(static_cast<int>(volumecli::OutputError("x").exit_code()) == 6);
    try {
        rethrow_with_context(volumecli::OutputError("full"), "ctx: ");
    } catch (const volumecli::OutputError& error) {
        CHECK(std::string(error.what()) == "ctx: full");
    }
}

TEST_CASE("printable_text escapes controls and bad UTF-8 byte by byte, and is idempotent", "[error]")
{
    using Row = std::pair<std::string, std::string>;
    const auto [raw, shown] = GENERATE(table<std::string, std::string>({
        Row{"plain text, caf\xc3\xa9 \xe2\x82\xac", "plain text, caf\xc3\xa9 \xe2\x82\xac"},
        Row{"a\nb\rc\td", "a\\x0ab\\x0dc\\x09d"},
        Row{std::string("nul\0after", 9), "nul\\x00after"},
        Row{"\x1b[31mred", "\\x1b[31mred"},
        Row{"del\x7f", "del\\x7f"},
        Row{"c1 \xc2\x9b csi", "c1 \\xc2\\x9b csi"},
        Row{"bad \xff byte", "bad \\xff byte"},
        Row{"overlong \xc0\xaf", "overlong \\xc0\\xaf"},
        Row{"surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80"},
        Row{"cut \xe2\x82", "cut \\xe2\\x82"},
        Row{"back\\slash", "back\\slash"},
    }));
    CAPTURE(raw);
    CHECK(volumecli::printable_text(raw) == shown);
    CHECK(volumecli::printable_text(shown) == shown);
    CHECK(volumecli::is_printable_text(shown));
    CHECK(volumecli::is_printable_text(raw) == (raw == shown));
}

TEST_CASE("Error messages are printable: a NUL no longer cuts them short", "[error]")
{
    const DriverError error(std::string("before\0after\x1b", 13));
    CHECK(std::string(error.what()) == "before\\x00after\\x1b");
}
