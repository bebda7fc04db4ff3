#pragma once

// What `dvdcli check` adds to the command line: which checks --run and --skip select, the
// catalogue for --list, and SIGINT/SIGTERM/SIGHUP turned into a request to stop and clean up.

#include "options.hpp"

#include <volumecli/conformance.hpp>

#include <signal.h>

#include <functional>
#include <string>

namespace volumecli::cli {

// The checks --run and --skip select (every one when neither is given); the patterns are
// searched for in each ID (std::regex_search, ECMAScript). The patterns were checked already.
std::function<bool(const std::string& id)> check_selection(const CheckFlags& flags);

// --list: "ID<TAB>title" per selected check (" (advisory)" after an advisory one's title); with
// --format=json the catalogue entries (to_json(std::vector<CheckInfo>)).
std::string render_check_list(const CheckFlags& flags, OutputFormat format);

// While it lives, SIGINT, SIGTERM and SIGHUP are blocked (in this thread and the threads started
// after it) and taken off the queue by stop_requested(), so the check can release its scratch
// volumes before exiting. The mask is restored afterwards; a signal taken is not re-raised.
class StopSignals {
public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    // True once a stop signal has arrived (checked without waiting).
    bool stop_requested();
    // The signal taken, or 0.
    [[nodiscard]] int signal() const { return m_signal; }

private:
    sigset_t m_signals{};
    sigset_t m_saved{};
    int m_signal = 0;
};

}  // namespace volumecli::cli
