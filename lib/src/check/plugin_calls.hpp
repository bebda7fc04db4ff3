#pragma once

// The calls dvdcli check makes: each one timed against its deadline (Docker's per-call timeouts
// or --timeout) and remembered for the timing checks. Internal to the check runner.

#include "core/clock.hpp"
#include "transport/http_response.hpp"
#include "transport/plugin_transport.hpp"

#include <volumecli/endpoint.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace volumecli::check {

// One call as made: how long it took, and whether it ran out of time.
struct CallTiming {
    std::string call;  // "VolumeDriver.Mount"
    std::chrono::microseconds duration{0};
    std::chrono::milliseconds limit{0};
    bool timed_out = false;
};

// A reply, or why there was none.
struct CallOutcome {
    std::optional<HttpResponse> response;
    std::string problem;     // set when there is no response: "no reply: connection reset"
    bool transient = false;  // no reply, but nothing was received (refused, reset): safe to resend
};

class PluginCalls {
public:
    PluginCalls(Endpoint endpoint, std::optional<std::chrono::milliseconds> timeout);

    // POSTs `body` to /`call` (a protocol name such as "VolumeDriver.Mount", or any other path)
    // on the kept-alive connection. Throws UnreachableError when the very first call cannot reach
    // the plugin; every later failure is the outcome's problem.
    CallOutcome post(const std::string& call, const std::string& body);
    // The same on a connection of its own: for calls made in parallel. Thread-safe.
    CallOutcome post_alone(const std::string& call, const std::string& body);

    // Every call made so far, in order.
    [[nodiscard]] std::vector<CallTiming> timings() const;
    // What a call is allowed: --timeout, else Docker's 120 s for Create and Mount, 60 s for others.
    [[nodiscard]] std::chrono::milliseconds limit_of(const std::string& call) const;
    [[nodiscard]] bool timeout_given() const { return m_timeout.has_value(); }

private:
    CallOutcome post_on(Transport& transport, const std::string& call, const std::string& body);

    Endpoint m_endpoint;
    std::optional<std::chrono::milliseconds> m_timeout;
    std::unique_ptr<Transport> m_transport;
    mutable std::mutex m_mutex;  // guards m_timings and m_reached
    std::vector<CallTiming> m_timings;
    bool m_reached = false;
};

}  // namespace volumecli::check
