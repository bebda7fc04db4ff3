#include <volumecli/error.hpp>
#include <volumecli/retry.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using volumecli::DriverError;
using volumecli::ProtocolError;
using volumecli::RetryPolicy;
using volumecli::TimeoutError;
using volumecli::TransportError;
using volumecli::UnreachableError;
using volumecli::with_retries;

namespace {

// Records the pauses instead of sleeping. Gives up loudly if the schedule never ends, so a
// with_retries that measures only the wall clock fails instead of hanging.
struct FakeSleep {
    std::vector<long long> pauses_ms;

    RetryPolicy policy(std::chrono::milliseconds window)
    {
        RetryPolicy policy;
        policy.window = window;
        policy.sleep = [this](std::chrono::milliseconds pause) {
            pauses_ms.push_back(pause.count());
            if (pauses_ms.size() > 20) {
                throw std::logic_error("with_retries kept retrying after 20 pauses");
            }
        };
        return policy;
    }
};

void no_retry_report(const TransportError& /*error*/, std::chrono::milliseconds /*pause*/) {}

}  // namespace

TEST_CASE("with_retries pauses 1, 2, 4, 8 s while the window allows", "[retry]")
{
    auto [window_ms, expected] = GENERATE(table<long long, std::vector<long long>>({
        {15000, {1000, 2000, 4000, 8000}},
        {14999, {1000, 2000, 4000}},
        {30000, {1000, 2000, 4000, 8000, 8000}},
        {31000, {1000, 2000, 4000, 8000, 8000, 8000}},
        {3000, {1000, 2000}},
        {2999, {1000}},
        {1000, {1000}},
        {999, {}},
        {0, {}},
    }));
    CAPTURE(window_ms);
    FakeSleep sleep;
    int attempts = 0;

    CHECK_THROWS_AS(with_retries(
                        sleep.policy(std::chrono::milliseconds(window_ms)),
                        [&] {
                            ++attempts;
                            throw TransportError("refused " + std::to_string(attempts));
                        },
                        no_retry_report),
                    TransportError);

    CHECK(sleep.pauses_ms == expected);
    CHECK(attempts == static_cast<int>(expected.size()) + 1);
}

TEST_CASE("with_retries lets the last TransportError through", "[retry]")
{
    FakeSleep sleep;
    int attempts = 0;

    CHECK_THROWS_WITH(with_retries(
                          sleep.policy(15s),
                          [&] {
                              ++attempts;
                              throw TransportError("refused " + std::to_string(attempts));
                          },
                          no_retry_report),
                      "refused 5");
}

TEST_CASE("with_retries tells on_retry about each retried failure", "[retry]")
{
    FakeSleep sleep;
    int attempts = 0;
    std::vector<std::string> reported_errors;
    std::vector<long long> reported_pauses;

    CHECK_THROWS_AS(with_retries(
                        sleep.policy(3s),
                        [&] {
                            ++attempts;
                            throw TransportError("refused " + std::to_string(attempts));
                        },
                        [&](const TransportError& error, std::chrono::milliseconds pause) {
                            reported_errors.emplace_back(error.what());
                            reported_pauses.push_back(pause.count());
                        }),
                    TransportError);

    CHECK(reported_errors == std::vector<std::string>{"refused 1", "refused 2"});
    CHECK(reported_pauses == std::vector<long long>{1000, 2000});
}

TEST_CASE("with_retries returns once an attempt succeeds", "[retry]")
{
    FakeSleep sleep;
    int attempts = 0;

    with_retries(
        sleep.policy(15s),
        [&] {
            ++attempts;
            if (attempts <= 2) {
                throw TransportError("reset");
            }
        },
        no_retry_report);

    CHECK(attempts == 3);
    CHECK(sleep.pauses_ms == std::vector<long long>{1000, 2000});
}

TEST_CASE("with_retries does not retry other errors", "[retry]")
{
    FakeSleep sleep;
    int attempts = 0;
    const auto policy = sleep.policy(15s);

    SECTION("TimeoutError")
    {
        CHECK_THROWS_AS(with_retries(
                            policy,
                            [&] {
                                ++attempts;
                                throw TimeoutError("timed out");
                            },
                            no_retry_report),
                        TimeoutError);
    }
    SECTION("UnreachableError that is not a TransportError")
    {
        CHECK_THROWS_AS(with_retries(
                            policy,
                            [&] {
                                ++attempts;
                                throw UnreachableError("bad certificate");
                            },
                            no_retry_report),
                        UnreachableError);
    }
    SECTION("DriverError")
    {
        CHECK_THROWS_AS(with_retries(
                            policy,
                            [&] {
                                ++attempts;
                                throw DriverError("VolumeDriver.Mount: boom");
                            },
                            no_retry_report),
                        DriverError);
    }
    SECTION("ProtocolError")
    {
        CHECK_THROWS_AS(with_retries(
                            policy,
                            [&] {
                                ++attempts;
                                throw ProtocolError("not JSON");
                            },
                            no_retry_report),
                        ProtocolError);
    }
    SECTION("a non-volumecli exception")
    {
        CHECK_THROWS_AS(with_retries(
                            policy,
                            [&] {
                                ++attempts;
                                throw std::runtime_error("bug");
                            },
                            no_retry_report),
                        std::runtime_error);
    }

    CHECK(attempts == 1);
    CHECK(sleep.pauses_ms.empty());
}

TEST_CASE("with_retries stops at a TimeoutError after a retried TransportError", "[retry]")
{
    FakeSleep sleep;
    int attempts = 0;

    CHECK_THROWS_AS(with_retries(
                        sleep.policy(15s),
                        [&] {
                            ++attempts;
                            if (attempts == 1) {
                                throw TransportError("reset");
                            }
                            throw TimeoutError("timed out");
                        },
                        no_retry_report),
                    TimeoutError);

    CHECK(attempts == 2);
    CHECK(sleep.pauses_ms == std::vector<long long>{1000});
}
