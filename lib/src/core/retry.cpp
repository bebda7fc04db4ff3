#include <volumecli/retry.hpp>

#include <volumecli/error.hpp>

#include <thread>

namespace volumecli {

void with_retries(const RetryPolicy& policy, const std::function<void()>& attempt,
                  const std::function<void(const TransportError&, std::chrono::milliseconds)>& on_retry)
{
    using std::chrono::milliseconds;
    milliseconds pause{1000};
    // Only the pauses count against the window: failed attempts are quick (refused, reset), so
    // the schedule stays the same on a loaded machine.
    milliseconds spent{0};
    for (;;) {
        try {
            attempt();
            return;
        } catch (const TransportError& error) {
            if (spent + pause > policy.window) {
                throw;
            }
            if (on_retry) {
                on_retry(error, pause);
            }
        }
        if (policy.sleep) {
            policy.sleep(pause);
        } else {
            std::this_thread::sleep_for(pause);
        }
        spent += pause;
        pause = std::min(pause * 2, milliseconds{8000});
    }
}

}  // namespace volumecli
