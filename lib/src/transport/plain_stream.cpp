// The plain-socket Stream (unix socket or TCP without TLS), and waiting on a non-blocking socket
// under a deadline, which the TLS stream and the connects share.

#include "transport/stream.hpp"

#include <volumecli/error.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <cerrno>
#include <cstring>

#include <algorithm>

namespace volumecli::detail {

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

}  // namespace volumecli::detail
