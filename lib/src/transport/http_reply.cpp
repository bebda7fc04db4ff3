#include <volumecli/transport.hpp>

#include <volumecli/error.hpp>
#include <volumecli/version.hpp>

#include "core/text.hpp"
#include "transport/resolve.hpp"
#include "transport/stream.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include <algorithm>
#include <cctype>

namespace volumecli {

namespace detail {

void wait_ready(int fd, short events, Clock::time_point deadline, const char* waiting_for)
{
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            throw TimeoutError(std::string("(") + waiting_for + ")");
        }
        pollfd entry{fd, events, 0};
        const int ready = ::poll(&entry, 1, static_cast<int>(std::min<long long>(left, 1000LL * 3600)));
        if (ready > 0) {
            return;  // readable, writable, or an error the next call reports
        }
        if (ready < 0 && errno != EINTR) {
            throw TransportError(std::string("poll: ") + std::strerror(errno));
        }
    }
}

namespace {

class PlainStream final : public Stream {
public:
    explicit PlainStream(UniqueFd fd) : m_fd(std::move(fd)) {}

    void write_all(const char* data, std::size_t size, Clock::time_point deadline) override
    {
        while (size > 0) {
            const ssize_t sent = ::send(m_fd.get(), data, size, MSG_NOSIGNAL);
            if (sent >= 0) {
                data += sent;
                size -= static_cast<std::size_t>(sent);
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                wait_ready(m_fd.get(), POLLOUT, deadline, "sending the request");
            } else if (errno != EINTR) {
                throw TransportError(std::string("send: ") + std::strerror(errno));
            }
        }
    }

    std::size_t read_some(char* data, std::size_t size, Clock::time_point deadline) override
    {
        for (;;) {
            const ssize_t got = ::recv(m_fd.get(), data, size, 0);
            if (got >= 0) {
                return static_cast<std::size_t>(got);
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                wait_ready(m_fd.get(), POLLIN, deadline, "waiting for the reply");
            } else if (errno != EINTR) {
                throw TransportError(std::string("recv: ") + std::strerror(errno));
            }
        }
    }

    bool closed_while_idle() override
    {
        pollfd entry{m_fd.get(), POLLIN, 0};
        if (::poll(&entry, 1, 0) <= 0) {
            return false;
        }
        char byte = 0;
        const ssize_t got = ::recv(m_fd.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        return !(got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
    }

private:
    UniqueFd m_fd;
};

}  // namespace

std::unique_ptr<Stream> make_plain_stream(UniqueFd fd)
{
    return std::make_unique<PlainStream>(std::move(fd));
}

}  // namespace detail

namespace {

using detail::AddressList;
using detail::resolve_endpoint;
using detail::Stream;
using detail::UniqueFd;

constexpr std::size_t k_max_header_bytes = 64U * 1024U;
constexpr int k_max_interim_replies = 5;

// Finishes a non-blocking connect(2) that returned EINPROGRESS.
void finish_connect(int fd, Clock::time_point deadline, const std::string& address)
{
    detail::wait_ready(fd, POLLOUT, deadline, ("connecting to " + address).c_str());
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
        error = errno;
    }
    if (error != 0) {
        throw TransportError("connect to " + address + ": " + std::strerror(error));
    }
}

UniqueFd connect_unix(const std::string& path, Clock::time_point deadline)
{
    sockaddr_un address{};
    if (path.size() >= sizeof(address.sun_path)) {
        throw UnreachableError("unix socket path \"" + path + "\" is too long");
    }
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) {
        throw UnreachableError(std::string("socket: ") + std::strerror(errno));
    }
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
        if (errno == EINPROGRESS) {
            finish_connect(fd.get(), deadline, path);
        } else if (errno == EAGAIN) {
            throw TransportError("connect to " + path + ": the plugin is not accepting connections (backlog full)");
        } else {
            throw TransportError("connect to " + path + ": " + std::strerror(errno));
        }
    }
    return fd;
}

UniqueFd connect_tcp(const Endpoint& endpoint, Clock::time_point deadline)
{
    const std::string shown = endpoint.host + ":" + endpoint.port;
    const AddressList addresses = resolve_endpoint(endpoint);
    std::string last_error = "no address";
    for (const addrinfo* candidate = addresses.get(); candidate != nullptr; candidate = candidate->ai_next) {
        UniqueFd fd(::socket(candidate->ai_family, candidate->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                             candidate->ai_protocol));
        if (fd.get() < 0) {
            last_error = std::strerror(errno);
            continue;
        }
        const int on = 1;
        ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        try {
            if (::connect(fd.get(), candidate->ai_addr, candidate->ai_addrlen) != 0) {
                if (errno != EINPROGRESS) {
                    throw TransportError("connect to " + shown + ": " + std::strerror(errno));
                }
                finish_connect(fd.get(), deadline, shown);
            }
            return fd;
        } catch (const TransportError& error) {
            last_error = error.what();
        }
    }
    throw TransportError(last_error);
}

struct ParsedHead {
    int status = 0;
    bool keep_alive = true;
    bool chunked = false;
    bool has_length = false;
    std::size_t content_length = 0;
    HttpHeaders headers;
};

// The end of the line that starts at `from` (before its CR LF, or its bare LF as Go's textproto
// also accepts) and, in `next`, where the following line starts; npos when no LF has arrived yet.
std::size_t line_end(const std::string& text, std::size_t from, std::size_t& next)
{
    const std::size_t lf = text.find('\n', from);
    if (lf == std::string::npos) {
        return std::string::npos;
    }
    next = lf + 1;
    return lf > from && text[lf - 1] == '\r' ? lf - 1 : lf;
}

// Where the body starts: just after the empty line that ends the head; npos until it has arrived.
std::size_t body_start(const std::string& text)
{
    std::size_t from = 0;
    std::size_t next = 0;
    for (std::size_t end = 0; (end = line_end(text, from, next)) != std::string::npos; from = next) {
        if (end == from && from > 0) {
            return next;
        }
    }
    return std::string::npos;
}

// True for a final status that carries no body whatever its headers say (RFC 9112 6.3):
// 101 Switching Protocols, 204 No Content, 304 Not Modified.
bool has_no_body(int status)
{
    return status == 101 || status == 204 || status == 304;
}

ParsedHead parse_head(const std::string& head)
{
    ParsedHead parsed;
    std::size_t start = 0;
    const std::string status_line = head.substr(0, line_end(head, 0, start));
    // "HTTP/1.1 200 OK"
    if (status_line.size() < 12 || status_line.compare(0, 7, "HTTP/1.") != 0 || status_line[8] != ' ' ||
        std::isdigit(static_cast<unsigned char>(status_line[9])) == 0 ||
        std::isdigit(static_cast<unsigned char>(status_line[10])) == 0 ||
        std::isdigit(static_cast<unsigned char>(status_line[11])) == 0) {
        throw ProtocolError("malformed HTTP status line \"" + status_line.substr(0, 64) + "\"");
    }
    parsed.status = std::stoi(status_line.substr(9, 3));
    parsed.keep_alive = status_line[7] == '1';
    std::size_t next = 0;
    for (std::size_t end = 0; (end = line_end(head, start, next)) != std::string::npos; start = next) {
        const std::string line = head.substr(start, end - start);
        const auto colon = line.find(':');
        if (colon == std::string::npos) {
            continue;
        }
        const std::string name = ascii_lower(trim(line.substr(0, colon)));
        const std::string value = trim(line.substr(colon + 1));
        parsed.headers.emplace_back(trim(line.substr(0, colon)), value);
        if (name == "content-length") {
            if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string::npos) {
                throw ProtocolError("invalid Content-Length \"" + value.substr(0, 32) + "\"");
            }
            const std::size_t length = std::stoull(value);
            // Two lengths that differ leave the body's end to a guess: refused, as Go does.
            if (parsed.has_length && length != parsed.content_length) {
                throw ProtocolError("reply has two different Content-Length headers");
            }
            parsed.has_length = true;
            parsed.content_length = length;
        } else if (name == "transfer-encoding") {
            parsed.chunked = ascii_lower(value).find("chunked") != std::string::npos;
        } else if (name == "connection") {
            const std::string tokens = ascii_lower(value);
            if (tokens.find("close") != std::string::npos) {
                parsed.keep_alive = false;
            } else if (tokens.find("keep-alive") != std::string::npos) {
                parsed.keep_alive = true;
            }
        }
    }
    if (has_no_body(parsed.status)) {
        parsed.chunked = false;
        parsed.has_length = true;
        parsed.content_length = 0;
        if (parsed.status == 101) {
            parsed.keep_alive = false;  // the connection no longer speaks HTTP
        }
    } else if (!parsed.chunked && !parsed.has_length) {
        parsed.keep_alive = false;  // the body ends when the connection does
    }
    return parsed;
}

// The Host header for `endpoint`: the plugin convention on unix sockets, host:port on TCP.
std::string host_header(const Endpoint& endpoint)
{
    if (endpoint.kind == Endpoint::Kind::unix_socket) {
        return "plugin.moby.localhost";
    }
    return (endpoint.host.find(':') != std::string::npos ? "[" + endpoint.host + "]" : endpoint.host) + ":" +
           endpoint.port;
}

// One kept-alive HTTP/1.1 connection: sends a serialised request and reads the reply.
class HttpConnection {
public:
    HttpConnection(Endpoint endpoint, detail::TlsOptions tls_options, bool fresh_tls_failures_final)
        : m_endpoint(std::move(endpoint)),
          m_tls_options(std::move(tls_options)),
          m_fresh_tls_failures_final(fresh_tls_failures_final)
    {
    }

    // Sends `request` and reads the reply, whose body may hold at most `max_body_bytes` (itself
    // at most k_max_reply_bytes).
    HttpResponse send(const std::string& request, Clock::time_point deadline, std::size_t max_body_bytes)
    {
        m_max_body_bytes = std::min(max_body_bytes, k_max_reply_bytes);
        // A request that was written is never sent again from here: the plugin may have acted
        // on it. A kept-alive connection the server has closed meanwhile is replaced before
        // writing instead, as Go's transport does.
        if (m_stream && m_stream->closed_while_idle()) {
            spdlog::debug("kept-alive connection to {} was closed by the server; reconnecting", m_endpoint.address);
            m_stream.reset();
        }
        try {
            return exchange(request, deadline);
        } catch (...) {
            m_stream.reset();
            throw;
        }
    }

private:
    void connect(Clock::time_point deadline)
    {
        if (m_endpoint.kind == Endpoint::Kind::unix_socket) {
            m_stream = detail::make_plain_stream(connect_unix(m_endpoint.socket_path, deadline));
        } else if (m_endpoint.tls) {
            m_stream = detail::make_tls_stream(connect_tcp(m_endpoint, deadline), m_endpoint, deadline, m_tls_options);
        } else {
            m_stream = detail::make_plain_stream(connect_tcp(m_endpoint, deadline));
        }
    }

    // Reads until m_buffer holds `wanted` bytes; false if the stream ends first.
    bool fill(std::size_t wanted, Clock::time_point deadline)
    {
        char chunk[16384];
        while (m_buffer.size() < wanted) {
            std::size_t got = 0;
            try {
                got = m_stream->read_some(chunk, sizeof(chunk), deadline);
            } catch (const TransportError& error) {
                if (m_received_any) {
                    throw ProtocolError(std::string("reply truncated: ") + error.what());
                }
                throw;
            }
            if (got == 0) {
                return false;
            }
            m_received_any = true;
            grow(m_buffer, m_buffer.size() + got);
            m_buffer.append(chunk, got);
        }
        return true;
    }

    // Reserves room for `needed` bytes. Small replies grow by doubling; past 1 MiB the buffer
    // jumps at once to the most the reply cap can require (address space, not memory, until it is
    // filled). Doubling all the way would copy 30 MiB into a new 60 MiB buffer and put an
    // oversized reply at twice the cap in memory before it is rejected.
    static void grow(std::string& text, std::size_t needed)
    {
        if (needed <= text.capacity()) {
            return;
        }
        constexpr std::size_t k_small = std::size_t{1024} * 1024;
        constexpr std::size_t k_most = k_max_reply_bytes + k_max_header_bytes + 64 * 1024;
        text.reserve(needed > k_small ? std::max(needed, k_most) : std::max(needed, 2 * text.capacity()));
    }

    [[noreturn]] static void truncated() { throw ProtocolError("reply truncated: the connection closed mid-reply"); }

    void check_size(std::size_t size) const
    {
        if (size > m_max_body_bytes) {
            const std::size_t kib = m_max_body_bytes / 1024;
            throw ProtocolError("reply body over the " +
                                (kib % 1024 == 0 ? std::to_string(kib / 1024) + " MiB" : std::to_string(kib) + " KiB") +
                                " limit");
        }
    }

    // The next line of m_buffer from `offset` (CR LF or bare LF ended), reading more as needed;
    // `offset` moves past it.
    std::string next_line(std::size_t& offset, Clock::time_point deadline)
    {
        std::size_t next = 0;
        std::size_t end = std::string::npos;
        while ((end = line_end(m_buffer, offset, next)) == std::string::npos) {
            if (m_buffer.size() - offset > 1024) {
                throw ProtocolError("malformed chunk header");
            }
            if (!fill(m_buffer.size() + 1, deadline)) {
                truncated();
            }
        }
        std::string line = m_buffer.substr(offset, end - offset);
        offset = next;
        return line;
    }

    std::string read_chunked(std::size_t offset, Clock::time_point deadline)
    {
        std::string body;
        for (;;) {
            const std::string size_text = next_line(offset, deadline);
            std::size_t size = 0;
            std::size_t digits = 0;
            for (const char c : size_text) {
                const int value = std::isdigit(static_cast<unsigned char>(c)) != 0 ? c - '0'
                                  : (c >= 'a' && c <= 'f')                         ? c - 'a' + 10
                                  : (c >= 'A' && c <= 'F')                         ? c - 'A' + 10
                                                                                   : -1;
                if (value < 0) {
                    break;
                }
                if (++digits > 8) {
                    throw ProtocolError("chunk size too large");
                }
                size = size * 16 + static_cast<std::size_t>(value);
            }
            if (digits == 0) {
                throw ProtocolError("malformed chunk header");
            }
            if (size == 0) {
                // Skip trailers up to the final empty line.
                while (!next_line(offset, deadline).empty()) {
                }
                m_buffer.erase(0, offset);
                return body;
            }
            check_size(body.size() + size);
            if (!fill(offset + size + 1, deadline)) {
                truncated();
            }
            grow(body, body.size() + size);
            body.append(m_buffer, offset, size);
            offset += size;
            if (!next_line(offset, deadline).empty()) {
                throw ProtocolError("malformed chunk: data longer than its size");
            }
            // Drop what was consumed, so the buffer holds one chunk rather than a second copy of
            // the body (and its chunk headers).
            m_buffer.erase(0, offset);
            offset = 0;
        }
    }

    HttpResponse exchange(const std::string& request, Clock::time_point deadline)
    {
        m_received_any = false;
        const bool fresh = m_stream == nullptr;
        if (fresh) {
            connect(deadline);
        }
        if (!fresh || !m_fresh_tls_failures_final || !m_endpoint.tls) {
            return write_and_read(request, deadline);
        }
        try {
            return write_and_read(request, deadline);
        } catch (const TransportError& error) {
            // A TLS server that dislikes the client certificate may just hang up once the
            // handshake is over; on a new connection that is not worth retrying.
            throw UnreachableError(
                std::string(error.what()) + " on a new TLS connection to " + m_endpoint.address +
                (m_tls_options.rejection_hint.empty() ? std::string() : " (" + m_tls_options.rejection_hint + ")"));
        }
    }

    HttpResponse write_and_read(const std::string& request, Clock::time_point deadline)
    {
        m_stream->write_all(request.data(), request.size(), deadline);
        m_buffer.clear();
        for (int interim = 0;; ++interim) {
            std::size_t offset = std::string::npos;
            while ((offset = body_start(m_buffer)) == std::string::npos) {
                if (m_buffer.size() > k_max_header_bytes) {
                    throw ProtocolError("reply headers over 64 KiB");
                }
                if (!fill(m_buffer.size() + 1, deadline)) {
                    if (m_buffer.empty()) {
                        throw TransportError("connection closed before a reply");
                    }
                    truncated();
                }
            }
            const ParsedHead head = parse_head(m_buffer.substr(0, offset));
            if (head.status >= 100 && head.status < 200 && head.status != 101) {
                // An interim reply (100 Continue, 103 Early Hints): the real one follows. Go's
                // client gives up after 5 of them.
                if (interim == k_max_interim_replies) {
                    throw ProtocolError("more than " + std::to_string(k_max_interim_replies) +
                                        " interim (1xx) replies");
                }
                m_buffer.erase(0, offset);
                continue;
            }
            HttpResponse response;
            response.status = head.status;
            response.headers = head.headers;
            response.deadline = deadline;
            if (head.chunked) {
                response.body = read_chunked(offset, deadline);
            } else if (head.has_length) {
                check_size(head.content_length);
                grow(m_buffer, offset + head.content_length);
                if (!fill(offset + head.content_length, deadline)) {
                    truncated();
                }
                response.body = take_body(offset, head.content_length);
            } else {
                while (fill(m_buffer.size() + 1, deadline)) {
                    check_size(m_buffer.size() - offset);
                }
                response.body = take_body(offset, m_buffer.size() - offset);
            }
            if (!head.keep_alive) {
                m_stream.reset();
            }
            return response;
        }
    }

    // The body at `offset` in m_buffer, moved rather than copied: a second copy of a 32 MiB reply
    // would be resident while it is decoded. Bytes after it are not a reply to anything.
    std::string take_body(std::size_t offset, std::size_t size)
    {
        m_buffer.erase(0, offset);
        m_buffer.resize(size);
        std::string body = std::move(m_buffer);
        m_buffer = std::string();
        return body;
    }

    Endpoint m_endpoint;
    detail::TlsOptions m_tls_options;
    bool m_fresh_tls_failures_final = false;
    std::unique_ptr<Stream> m_stream;
    std::string m_buffer;
    bool m_received_any = false;
    std::size_t m_max_body_bytes = k_max_reply_bytes;
};

// The Docker plugin protocol's requests: POST with exactly the headers Docker's client sends.
class HttpTransport final : public Transport {
public:
    explicit HttpTransport(Endpoint endpoint)
        : m_host_header(host_header(endpoint)), m_connection(std::move(endpoint), {}, false)
    {
    }

    HttpResponse post(const std::string& path, const std::string& body, Clock::time_point deadline,
                      std::size_t max_reply_bytes) override
    {
        std::string request =
            "POST " + path + " HTTP/1.1\r\nHost: " + m_host_header + "\r\nUser-Agent: dvdcli/" + version() +
            "\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n\r\n";
        request += body;
        return m_connection.send(request, deadline, max_reply_bytes);
    }

private:
    std::string m_host_header;
    HttpConnection m_connection;
};

class GeneralHttpClient final : public HttpClient {
public:
    GeneralHttpClient(Endpoint endpoint, HttpClientOptions options)
        : m_host_header(host_header(endpoint)),
          m_user_agent(std::move(options.user_agent)),
          m_connection(std::move(endpoint),
                       detail::TlsOptions{std::move(options.alternative_server_name), options.tls_failures_are_final,
                                          std::move(options.tls_rejection_hint)},
                       options.tls_failures_are_final)
    {
    }

    HttpResponse request(const HttpRequest& request, Clock::time_point deadline) override
    {
        for (const auto& [name, value] : request.headers) {
            if (!is_header_safe(name) || !is_header_safe(value)) {
                throw UsageError("HTTP header \"" + name + "\" contains a line break or NUL");
            }
        }
        if (!is_header_safe(request.method) || !is_header_safe(request.path) ||
            request.path.find(' ') != std::string::npos) {
            throw UsageError("invalid HTTP request line for \"" + request.path + "\"");
        }
        std::string text = request.method + " " + request.path + " HTTP/1.1\r\nHost: " + m_host_header + "\r\n";
        if (!m_user_agent.empty()) {
            text += "User-Agent: " + m_user_agent + "\r\n";
        }
        for (const auto& [name, value] : request.headers) {
            text += name + ": " + value + "\r\n";
        }
        if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
            text += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
        }
        text += "\r\n";
        text += request.body;
        return m_connection.send(text, deadline, k_max_reply_bytes);
    }

private:
    static bool is_header_safe(const std::string& text)
    {
        return text.find_first_of(std::string("\r\n\0", 3)) == std::string::npos;
    }

    std::string m_host_header;
    std::string m_user_agent;
    HttpConnection m_connection;
};

}  // namespace

HttpResponse Transport::post(const std::string& path, const std::string& body, Clock::time_point deadline)
{
    return post(path, body, deadline, k_max_reply_bytes);
}

std::optional<std::string> HttpResponse::header(const std::string& name) const
{
    const std::string wanted = ascii_lower(name);
    for (const auto& [key, value] : headers) {
        if (ascii_lower(key) == wanted) {
            return value;
        }
    }
    return std::nullopt;
}

std::unique_ptr<Transport> make_http_transport(const Endpoint& endpoint)
{
    return std::make_unique<HttpTransport>(endpoint);
}

std::unique_ptr<HttpClient> make_http_client(const Endpoint& endpoint, HttpClientOptions options)
{
    return std::make_unique<GeneralHttpClient>(endpoint, std::move(options));
}

}  // namespace volumecli
