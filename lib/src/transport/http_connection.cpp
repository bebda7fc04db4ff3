// Keeping one connection alive across calls, as Docker's client does: reconnect only when the
// server closed it while idle, never resend a request that was written.

#include "transport/http_connection.hpp"

#include <volumecli/error.hpp>

#include "transport/connect.hpp"
#include "transport/http_reply.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace volumecli::detail {

std::string host_header(const Endpoint& endpoint)
{
    if (endpoint.kind == Endpoint::Kind::unix_socket) {
        return "plugin.moby.localhost";
    }
    return (endpoint.host.find(':') != std::string::npos ? "[" + endpoint.host + "]" : endpoint.host) + ":" +
           endpoint.port;
}

HttpConnection::HttpConnection(Endpoint endpoint, TlsOptions tls_options)
    : m_endpoint(std::move(endpoint)), m_tls_options(std::move(tls_options))
{
}

HttpResponse HttpConnection::send(const std::string& request, Clock::time_point deadline, std::size_t max_body_bytes)
{
    // A request that was written is never sent again from here: the plugin may have acted on
    // it. A kept-alive connection the server has closed meanwhile is replaced before writing
    // instead, as Go's transport does.
    if (m_stream && m_stream->closed_while_idle()) {
        spdlog::debug("kept-alive connection to {} was closed by the server; reconnecting", m_endpoint.address);
        m_stream.reset();
    }
    try {
        return exchange(request, deadline, max_body_bytes);
    } catch (...) {
        m_stream.reset();
        throw;
    }
}

void HttpConnection::connect(Clock::time_point deadline)
{
    if (m_endpoint.kind == Endpoint::Kind::unix_socket) {
        m_stream = make_plain_stream(connect_unix(m_endpoint.socket_path, deadline));
    } else if (m_endpoint.tls) {
        m_stream = make_tls_stream(connect_tcp(m_endpoint, deadline), m_endpoint, deadline, m_tls_options);
    } else {
        m_stream = make_plain_stream(connect_tcp(m_endpoint, deadline));
    }
}

HttpResponse HttpConnection::exchange(const std::string& request, Clock::time_point deadline,
                                      std::size_t max_body_bytes)
{
    const bool fresh = m_stream == nullptr;
    if (fresh) {
        connect(deadline);
    }
    if (!fresh || !m_tls_options.failures_are_final || !m_endpoint.tls) {
        return write_and_read(request, deadline, max_body_bytes);
    }
    try {
        return write_and_read(request, deadline, max_body_bytes);
    } catch (const TransportError& error) {
        // A TLS server that dislikes the client certificate may just hang up once the handshake
        // is over; on a new connection that is not worth retrying.
        throw UnreachableError(
            std::string(error.what()) + " on a new TLS connection to " + m_endpoint.address +
            (m_tls_options.rejection_hint.empty() ? std::string() : " (" + m_tls_options.rejection_hint + ")"));
    }
}

HttpResponse HttpConnection::write_and_read(const std::string& request, Clock::time_point deadline,
                                            std::size_t max_body_bytes)
{
    m_stream->write_all(request.data(), request.size(), deadline);
    ReadReply reply = read_reply(*m_stream, deadline, max_body_bytes);
    if (!reply.keep_alive) {
        m_stream.reset();
    }
    return std::move(reply.response);
}

}  // namespace volumecli::detail
