#include "check/plugin_calls.hpp"

#include <volumecli/error.hpp>

#include <thread>
#include <utility>

namespace volumecli::check {

namespace {

using std::chrono::milliseconds;

constexpr milliseconds k_normal_timeout{60000};
constexpr milliseconds k_long_timeout{120000};
constexpr int k_parallel_attempts = 60;
constexpr milliseconds k_parallel_backoff{50};

}  // namespace

PluginCalls::PluginCalls(Endpoint endpoint, std::optional<milliseconds> timeout)
    : m_endpoint(std::move(endpoint)), m_timeout(timeout), m_transport(make_http_transport(m_endpoint))
{
}

milliseconds PluginCalls::limit_of(const std::string& call) const
{
    if (m_timeout) {
        return *m_timeout;
    }
    return call == "VolumeDriver.Create" || call == "VolumeDriver.Mount" ? k_long_timeout : k_normal_timeout;
}

CallOutcome PluginCalls::post(const std::string& call, const std::string& body)
{
    return post_on(*m_transport, call, body);
}

CallOutcome PluginCalls::post_alone(const std::string& call, const std::string& body)
{
    // Many connections at once may find the plugin's listen backlog full: Docker retries such a
    // call (callWithRetry, on any error before a reply), and so does this, for up to 3 s.
    const auto transport = make_http_transport(m_endpoint);
    for (int attempt = 1;; ++attempt) {
        CallOutcome outcome = post_on(*transport, call, body);
        if (!outcome.transient || attempt == k_parallel_attempts) {
            return outcome;
        }
        std::this_thread::sleep_for(k_parallel_backoff);
    }
}

CallOutcome PluginCalls::post_on(Transport& transport, const std::string& call, const std::string& body)
{
    CallTiming timing;
    timing.call = call;
    timing.limit = limit_of(call);
    CallOutcome outcome;
    const auto started = Clock::now();
    bool unreachable = false;
    try {
        outcome.response = transport.post("/" + call, body, started + timing.limit);
    } catch (const TimeoutError& error) {
        timing.timed_out = true;
        outcome.problem = std::string("no reply in time: ") + error.what();
    } catch (const TransportError& error) {
        unreachable = true;
        outcome.transient = true;
        outcome.problem = std::string("no reply: ") + error.what();
    } catch (const UnreachableError& error) {
        unreachable = true;
        outcome.problem = std::string("no reply: ") + error.what();
    } catch (const Error& error) {
        outcome.problem = std::string("no usable reply: ") + error.what();
    }
    timing.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    const std::lock_guard<std::mutex> lock(m_mutex);
    if (unreachable && !m_reached) {
        throw UnreachableError(call + ": " + outcome.problem);
    }
    m_reached = true;
    m_timings.push_back(std::move(timing));
    return outcome;
}

std::vector<CallTiming> PluginCalls::timings() const
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    return m_timings;
}

}  // namespace volumecli::check
