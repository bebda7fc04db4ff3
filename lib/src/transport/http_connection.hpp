#pragma once

// One kept-alive HTTP/1.1 connection to an endpoint, opened lazily and replaced when the server
// closed it while idle: what the plugin transport and the general client both speak over.

#include "core/clock.hpp"
#include "transport/http_response.hpp"
#include "transport/stream.hpp"

#include <volumecli/endpoint.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace volumecli::detail {

// The Host header for `endpoint`: the plugin convention on unix sockets, host:port on TCP.
std::string host_header(const Endpoint& endpoint);

class HttpConnection {
public:
    HttpConnection(Endpoint endpoint, TlsOptions tls_options);

    // Sends the serialised `request` and reads the reply, whose body may hold at most
    // `max_body_bytes` (itself at most k_max_reply_bytes). A written request is never resent.
    // Throws as read_reply does; with tls_options.failures_are_final, a TransportError on a new
    // TLS connection becomes UnreachableError.
    HttpResponse send(const std::string& request, Clock::time_point deadline, std::size_t max_body_bytes);

private:
    void connect(Clock::time_point deadline);
    HttpResponse exchange(const std::string& request, Clock::time_point deadline, std::size_t max_body_bytes);
    HttpResponse write_and_read(const std::string& request, Clock::time_point deadline, std::size_t max_body_bytes);

    Endpoint m_endpoint;
    TlsOptions m_tls_options;
    std::unique_ptr<Stream> m_stream;
};

}  // namespace volumecli::detail
