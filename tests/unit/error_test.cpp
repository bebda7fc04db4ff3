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
