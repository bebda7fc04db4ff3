// Non-blocking connects with a deadline: a plugin that never accepts costs the call's timeout,
// not the kernel's.

#include "transport/connect.hpp"

#include <volumecli/error.hpp>

#include "transport/resolve.hpp"
#include "transport/stream.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <cerrno>
#include <cstring>

namespace volumecli::detail {

namespace {

// Finishes a non-blocking connect(2) that returned EINPROGRESS.
void finish_connect(int fd, Clock::time_point deadline, const std::string& address)
{
    wait_ready(fd, POLLOUT, deadline, ("connecting to " + address).c_str());
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
        error = errno;
    }
    if (error != 0) {
        throw TransportError("connect to " + address + ": " + std::strerror(error));
    }
}

}  // namespace

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

}  // namespace volumecli::detail
