// The timing checks: every call made so far, against --slow and against Docker's per-call
// timeouts (docs: Create and Mount 2 min, the others 1 min).

#include "check/check_run.hpp"

#include "core/durations.hpp"

namespace volumecli::check {

namespace {

std::string milliseconds_of(std::chrono::microseconds duration)
{
    return std::to_string(duration.count() / 1000) + " ms";
}

}  // namespace

void run_timing_checks(CheckRun& run)
{
    run.run("timing.slow-calls", [&run](Verdict& verdict) {
        const auto slow = std::chrono::duration_cast<std::chrono::microseconds>(run.settings().slow);
        for (const auto& timing : run.calls().timings()) {
            if (timing.duration > slow) {
                verdict.fail(timing.call + " took " + milliseconds_of(timing.duration) +
                             " (--slow=" + std::to_string(run.settings().slow.count()) + ")");
            }
        }
    });
    run.run("timing.within-docker-timeouts", [&run](Verdict& verdict) {
        const std::string whose = run.calls().timeout_given() ? "--timeout" : "Docker's timeout";
        for (const auto& timing : run.calls().timings()) {
            if (timing.timed_out || timing.duration >= timing.limit) {
                verdict.fail(timing.call + " had no reply within " + std::to_string(timing.limit.count()) + " ms (" +
                             whose + ")");
            }
        }
    });
}

}  // namespace volumecli::check
