#pragma once

#include <volumecli/endpoint.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace volumecli {

using Clock = std::chrono::steady_clock;

struct HttpResponse {
    int status = 0;
    std::string body;
};

// Sends plugin requests over one connection, kept alive between calls.
class Transport {
public:
    virtual ~Transport() = default;
    Transport() = default;
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;
    Transport(Transport&&) = delete;
    Transport& operator=(Transport&&) = delete;

    // POSTs `body` to `path` and returns the reply. Throws TransportError when nothing usable was
    // received (refused, reset, closed before a reply: safe to resend), TimeoutError when
    // `deadline` passes, ProtocolError for a malformed, truncated or oversized reply, and
    // UnreachableError for failures that retrying cannot fix (bad certificates).
    virtual HttpResponse post(const std::string& path, const std::string& body, Clock::time_point deadline) = 0;
};

// Largest reply body accepted from a driver.
inline constexpr std::size_t k_max_reply_bytes = std::size_t{32} * 1024 * 1024;

// A transport speaking HTTP/1.1 to `endpoint` (TLS when endpoint.tls). Connects lazily.
std::unique_ptr<Transport> make_http_transport(const Endpoint& endpoint);

}  // namespace volumecli
