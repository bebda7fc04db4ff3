#pragma once

// A connected byte stream with deadlines: plain socket or TLS. Internal to the transport.

#include "core/clock.hpp"
#include "core/unique_fd.hpp"

#include <volumecli/endpoint.hpp>
#include <volumecli/non_copyable.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace volumecli::detail {

class Stream : private NonCopyable {
public:
    virtual ~Stream() = default;
    Stream() = default;

    // Writes all of `data`. Throws TransportError (peer gone) or TimeoutError.
    virtual void write_all(const char* data, std::size_t size, Clock::time_point deadline) = 0;
    // Reads up to `size` bytes; returns 0 at end of stream. Throws TransportError (reset),
    // TimeoutError, or UnreachableError (TLS alert from the peer).
    virtual std::size_t read_some(char* data, std::size_t size, Clock::time_point deadline) = 0;
    // True when the peer has closed or reset the connection, or sent something unasked, while
    // it sat idle between requests: it must not be reused. Never blocks.
    [[nodiscard]] virtual bool closed_while_idle() = 0;
};

// Waits until `fd` is ready for `events` (POLLIN/POLLOUT); throws TimeoutError at the deadline.
void wait_ready(int fd, short events, Clock::time_point deadline, const char* waiting_for);

std::unique_ptr<Stream> make_plain_stream(UniqueFd fd);

// Adjustments for clients other than the Docker plugin transport (Flocker's).
struct TlsOptions {
    // Also accept a server certificate for this name instead of the dialled host (empty: none).
    std::string alternative_server_name;
    // A new connection failing after the TCP connect (the peer dropping it during the handshake,
    // or before the first reply) throws UnreachableError, not TransportError (which callers
    // retry): a server refusing the client certificate may just hang up.
    bool failures_are_final = false;
    // Appended to messages about the peer refusing the connection (alerts, early end of stream).
    std::string rejection_hint;
};

// Runs the TLS handshake on the connected `fd` for `endpoint` (certificates verified unless
// tls_files.insecure_skip_verify). Throws UnreachableError for certificate problems,
// TransportError when the peer drops the connection, TimeoutError at the deadline.
std::unique_ptr<Stream> make_tls_stream(UniqueFd fd, const Endpoint& endpoint, Clock::time_point deadline,
                                        const TlsOptions& options = {});

}  // namespace volumecli::detail
