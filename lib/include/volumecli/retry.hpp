#pragma once

#include <chrono>
#include <functional>

namespace volumecli {

class TransportError;

// How long transient failures are retried, with backoff 1, 2, 4, 8, 8... seconds: a retry is
// made only while the pauses so far plus the next one stay within `window` (15 s: attempts at
// about 0, 1, 3, 7 and 15 s, as Docker).
struct RetryPolicy {
    std::chrono::milliseconds window{15000};
    // Pauses between attempts; tests replace it to run without waiting.
    std::function<void(std::chrono::milliseconds)> sleep;
};

// Calls `attempt` until it returns without throwing TransportError or the window is spent, in
// which case the last TransportError propagates. `on_retry` hears each failure that is retried
// and the pause before the next attempt. Any other exception propagates at once.
void with_retries(const RetryPolicy& policy, const std::function<void()>& attempt,
                  const std::function<void(const TransportError&, std::chrono::milliseconds)>& on_retry);

}  // namespace volumecli
