#include "plugin/plugin_driver.hpp"

#include <volumecli/error.hpp>

#include "core/clock.hpp"
#include "core/durations.hpp"
#include "core/text.hpp"
#include "plugin/plugin_codec.hpp"
#include "transport/reply_limits.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <utility>

namespace volumecli {

namespace {

using std::chrono::milliseconds;

constexpr milliseconds k_normal_timeout{60000};
constexpr milliseconds k_long_timeout{120000};

// Docker's two error shapes for a finished call: non-200 is "<Method>: <Err|body>", and a 200
// carrying Err is Err verbatim.
// Docker's "<Method>: <Err|body>" for a non-200 reply; one without a body (a 204, say) gives its
// status rather than nothing after the colon.
std::string failure_text(const std::string& method, const HttpResponse& response)
{
    if (response.body.find_first_not_of(" \t\r\n") == std::string::npos) {
        return method + ": HTTP " + std::to_string(response.status) + " with no body";
    }
    return codec::failure_message(method, response.body);
}

void throw_if_failed(const std::string& method, const HttpResponse& response)
{
    if (response.status != 200) {
        throw DriverError(failure_text(method, response));
    }
}

// Decodes a 200 body within the call's deadline: a reply that takes longer to decode than was
// left is a timeout like one that takes too long to arrive.
template <typename Decode>
auto decode(const std::string& method, const HttpResponse& response, Decode&& decoder)
{
    try {
        auto reply = decoder(response.body);
        if (Clock::now() > response.deadline) {
            throw TimeoutError(method + ": timed out decoding the reply");
        }
        return reply;
    } catch (const ProtocolError& error) {
        throw ProtocolError(method + ": " + error.what());
    }
}

// At trace level a body is logged up to this many bytes.
constexpr std::size_t k_logged_body_bytes = 4096;

// `body` for a trace line: capped, with its full size when cut (the sink escapes control characters).
std::string logged_body(const std::string& body)
{
    if (body.size() <= k_logged_body_bytes) {
        return body.empty() ? std::string("(empty)") : body;
    }
    return body.substr(0, k_logged_body_bytes) + "... (" + std::to_string(body.size()) + " bytes in all)";
}

double milliseconds_since(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Only List may answer with many values; every other reply is a few fields.
std::size_t max_reply_bytes(const std::string& method)
{
    return method == "VolumeDriver.List" ? k_max_reply_bytes : k_max_small_reply_bytes;
}

}  // namespace

std::unique_ptr<Driver> make_plugin_driver(std::string name, const Endpoint& endpoint, PluginSettings settings)
{
    return std::make_unique<PluginDriver>(std::move(name), make_http_transport(endpoint), std::move(settings));
}

PluginDriver::PluginDriver(std::string name, std::unique_ptr<Transport> transport, PluginSettings settings)
    : m_name(std::move(name)), m_transport(std::move(transport)), m_settings(std::move(settings))
{
}

HttpResponse PluginDriver::call(const std::string& method, const std::string& body, CallLength length)
{
    const milliseconds timeout =
        m_settings.timeout.value_or(length == CallLength::long_running ? k_long_timeout : k_normal_timeout);
    HttpResponse response;
    int attempts = 0;
    // debug: one line per attempt (call, address, status, bytes, time, attempt); trace: the bodies.
    const auto attempt = [&] {
        ++attempts;
        const auto started = Clock::now();
        // Checked first: the arguments (a copy of the body, the address) would be built even
        // when the level drops the line.
        const bool debug = spdlog::should_log(spdlog::level::debug);
        const bool trace = spdlog::should_log(spdlog::level::trace);
        if (trace) {
            spdlog::trace("plugin \"{}\": {} request: {}", m_name, method, logged_body(body));
        }
        const auto failed = [&](const Error& error) {
            if (!debug) {
                return;
            }
            spdlog::debug("plugin \"{}\": {} {} -> failed after {:.1f} ms: {} (attempt {})", m_name, method,
                          m_transport->address(), milliseconds_since(started), error.what(), attempts);
        };
        try {
            response = m_transport->post("/" + method, body, Clock::now() + timeout, max_reply_bytes(method));
        } catch (const TimeoutError& error) {
            failed(error);
            throw TimeoutError(method + ": timed out after " + seconds_text(timeout) + " " + error.what());
        } catch (const Error& error) {
            failed(error);
            rethrow_with_context(error, method + ": ");
        }
        if (debug) {
            spdlog::debug("plugin \"{}\": {} {} -> HTTP {}, {} bytes, {:.1f} ms (attempt {})", m_name, method,
                          m_transport->address(), response.status, response.body.size(), milliseconds_since(started),
                          attempts);
        }
        if (trace) {
            spdlog::trace("plugin \"{}\": {} reply: {}", m_name, method, logged_body(response.body));
        }
    };
    const auto log_retry = [&](const TransportError& error, milliseconds pause) {
        spdlog::info("plugin \"{}\": {}; retrying in {}", m_name, error.what(), seconds_text(pause));
    };
    with_retries(m_settings.retry, attempt, log_retry);
    return response;
}

void PluginDriver::activate()
{
    static const std::string k_method = "Plugin.Activate";
    const HttpResponse response = call(k_method, std::string(), CallLength::normal);
    if (response.status != 200) {
        const bool bodyless = response.body.find_first_not_of(" \t\r\n") == std::string::npos;
        throw ProtocolError(
            bodyless ? failure_text(k_method, response)
                     : codec::failure_message(k_method + ": HTTP " + std::to_string(response.status), response.body));
    }
    const auto implements = decode(k_method, response, codec::decode_implements);
    if (std::find(implements.begin(), implements.end(), "VolumeDriver") == implements.end()) {
        std::string listed;
        for (const auto& item : implements) {
            listed += (listed.empty() ? "" : ", ") + item;
        }
        throw ProtocolError(k_method + ": plugin does not implement VolumeDriver (it implements: " +
                            (listed.empty() ? std::string("nothing") : listed) + ")");
    }
}

HttpResponse PluginDriver::call_activated(const std::string& method, const std::string& body, CallLength length)
{
    if (!m_activated && m_settings.activate) {
        activate();
    }
    m_activated = true;
    return call(method, body, length);
}

void PluginDriver::create(const std::string& volume, const VolumeOptions& options)
{
    static const std::string k_method = "VolumeDriver.Create";
    const auto response = call_activated(k_method, codec::create_request(volume, options), CallLength::long_running);
    throw_if_failed(k_method, response);
    if (auto err = decode(k_method, response, codec::decode_err); !err.empty()) {
        throw DriverError(err);
    }
}

void PluginDriver::remove(const std::string& volume)
{
    static const std::string k_method = "VolumeDriver.Remove";
    const auto response = call_activated(k_method, codec::name_request(volume), CallLength::normal);
    throw_if_failed(k_method, response);
    if (auto err = decode(k_method, response, codec::decode_err); !err.empty()) {
        throw DriverError(err);
    }
}

std::string PluginDriver::mount(const std::string& volume, const std::string& mount_id)
{
    static const std::string k_method = "VolumeDriver.Mount";
    const auto response = call_activated(k_method, codec::mount_request(volume, mount_id), CallLength::long_running);
    throw_if_failed(k_method, response);
    auto reply = decode(k_method, response, codec::decode_mountpoint);
    if (!reply.err.empty()) {
        throw DriverError(reply.err);
    }
    return reply.mountpoint;
}

void PluginDriver::unmount(const std::string& volume, const std::string& mount_id)
{
    static const std::string k_method = "VolumeDriver.Unmount";
    const auto response = call_activated(k_method, codec::mount_request(volume, mount_id), CallLength::normal);
    throw_if_failed(k_method, response);
    if (auto err = decode(k_method, response, codec::decode_err); !err.empty()) {
        throw DriverError(err);
    }
}

std::string PluginDriver::path(const std::string& volume)
{
    static const std::string k_method = "VolumeDriver.Path";
    const auto response = call_activated(k_method, codec::name_request(volume), CallLength::normal);
    throw_if_failed(k_method, response);
    auto reply = decode(k_method, response, codec::decode_mountpoint);
    if (!reply.err.empty()) {
        throw DriverError(reply.err);
    }
    return reply.mountpoint;
}

LookupResult PluginDriver::get(const std::string& volume)
{
    static const std::string k_method = "VolumeDriver.Get";
    const auto response = call_activated(k_method, codec::name_request(volume), CallLength::normal);
    LookupResult result;
    if (response.status == 404) {
        result.kind = LookupResult::Kind::unsupported;
        result.message = failure_text(k_method, response);
        return result;
    }
    if (response.status != 200) {
        result.kind = LookupResult::Kind::not_found;
        result.message = failure_text(k_method, response);
        return result;
    }
    auto reply = decode(k_method, response, codec::decode_get);
    if (!reply.err.empty()) {
        result.kind = LookupResult::Kind::not_found;
        result.message = reply.err;
    } else if (!reply.volume) {
        result.kind = LookupResult::Kind::not_found;
        result.message = "no such volume";
    } else {
        result.kind = LookupResult::Kind::found;
        result.volume = std::move(*reply.volume);
    }
    return result;
}

std::vector<Volume> PluginDriver::list()
{
    static const std::string k_method = "VolumeDriver.List";
    const auto response = call_activated(k_method, codec::empty_request(), CallLength::normal);
    throw_if_failed(k_method, response);
    auto reply = decode(k_method, response, codec::decode_list);
    if (!reply.err.empty()) {
        throw DriverError(reply.err);
    }
    return std::move(reply.volumes);
}

Capabilities PluginDriver::capabilities()
{
    static const std::string k_method = "VolumeDriver.Capabilities";
    const auto response = call_activated(k_method, codec::empty_request(), CallLength::normal);
    Capabilities capabilities;
    if (response.status == 404) {
        // Plugins older than Docker 1.12 have no Capabilities; Docker treats them as local.
        spdlog::debug("plugin \"{}\" has no VolumeDriver.Capabilities; scope is local", m_name);
        return capabilities;
    }
    throw_if_failed(k_method, response);
    auto reply = decode(k_method, response, codec::decode_capabilities);
    if (!reply.err.empty()) {
        throw DriverError(reply.err);
    }
    const std::string scope = ascii_lower(reply.scope);
    if (scope == "global") {
        capabilities.scope = "global";
    } else if (!scope.empty() && scope != "local") {
        spdlog::warn("plugin \"{}\" returned an invalid scope \"{}\"; using local", m_name, reply.scope);
    }
    return capabilities;
}

}  // namespace volumecli
