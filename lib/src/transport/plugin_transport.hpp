#pragma once

// The Docker plugin protocol's requests over one kept-alive connection, behind an interface so
// the plugin driver and `dvdcli check` are tested over a fake. Internal to libvolumecli.

#include "core/clock.hpp"
#include "transport/http_response.hpp"
#include "transport/reply_limits.hpp"

#include <volumecli/endpoint.hpp>
#include <volumecli/non_copyable.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace volumecli {

// Sends plugin requests over one connection, kept alive between calls.
class Transport : private NonCopyable {
public:
    virtual ~Transport() = default;
    Transport() = default;

    // POSTs `body` to `path` and returns the reply. Throws TransportError when nothing usable was
    // received (refused, reset, closed before a reply: safe to resend), TimeoutError when
    // `deadline` passes, ProtocolError for a malformed, truncated or oversized reply (a body over
    // `max_reply_bytes`, itself capped at k_max_reply_bytes), and UnreachableError for failures
    // that retrying cannot fix (bad certificates). A 1xx interim reply is skipped; 101, 204 and
    // 304 replies have an empty body whatever their headers say.
    virtual HttpResponse post(const std::string& path, const std::string& body, Clock::time_point deadline,
                              std::size_t max_reply_bytes) = 0;
    // The same with the largest cap, k_max_reply_bytes.
    HttpResponse post(const std::string& path, const std::string& body, Clock::time_point deadline);
    // Where requests go, for logs ("unix:///run/docker/plugins/x.sock"); empty when unknown.
    [[nodiscard]] virtual std::string address() const { return {}; }
};

// A transport speaking HTTP/1.1 to `endpoint` (TLS when endpoint.tls). Connects lazily.
std::unique_ptr<Transport> make_http_transport(const Endpoint& endpoint);

}  // namespace volumecli
