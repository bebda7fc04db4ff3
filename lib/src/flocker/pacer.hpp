#pragma once

// How often the Flocker driver polls the control service while it waits for the cluster: quick
// at first so a fast convergence is seen at once, then capped to spare the service.

#include "core/clock.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace volumecli::flocker {

// The first pauses are short so a quick convergence is seen at once; the cap keeps the delay
// between the state changing and the mount returning well under 250 ms, at fewer than 7 requests
// per second.
inline constexpr std::chrono::milliseconds k_first_pause{50};
inline constexpr std::chrono::milliseconds k_longest_pause{150};

// Spaces repeated requests: starts at least k_first_pause apart, growing by half to k_longest_pause.
class Pacer {
public:
    void started() { m_last_start = Clock::now(); }

    // Sleeps until the next request may start, but not past `limit`.
    void pause(Clock::time_point limit)
    {
        const auto next = std::min(m_last_start + m_pause, limit);
        m_pause = std::min(m_pause * 3 / 2, k_longest_pause);
        std::this_thread::sleep_until(next);
    }

private:
    Clock::time_point m_last_start = Clock::now();
    std::chrono::milliseconds m_pause = k_first_pause;
};

}  // namespace volumecli::flocker
