#pragma once
// How far past its own limit a bounded operation may run in a test. The tests check that every
// timeout bounds the wait (a hang fails them); they do not measure speed, which is bench/'s job.
// The slack covers starting a process on a loaded machine, and is wider under the sanitizers,
// which slow every step several times.

#include <chrono>

namespace volumecli::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr std::chrono::milliseconds k_timing_slack{5000};
#else
inline constexpr std::chrono::milliseconds k_timing_slack{2000};
#endif

// `limit` (a timeout, a retry window or a wait bound) plus 10% plus the slack.
inline std::chrono::milliseconds within(std::chrono::milliseconds limit)
{
    return limit + limit / 10 + k_timing_slack;
}

}  // namespace volumecli::test
