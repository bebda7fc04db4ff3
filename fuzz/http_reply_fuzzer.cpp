// Raw HTTP/1.1 replies through the real transport: a unix-socket server thread answers each
// request with the fuzz input's bytes and closes, and the transport's clients (make_http_transport
// for plugin calls, make_http_client for Flocker's GETs) read them. The parser in
// lib/src/transport/http_reply.cpp is reached only through them; a malformed, truncated or
// oversized reply must be a volumecli::Error, never a crash or a hang.

#include "fuzz_input.hpp"

#include <volumecli/endpoint.hpp>
#include <volumecli/error.hpp>

#include "core/clock.hpp"
#include "transport/http_client.hpp"
#include "transport/plugin_transport.hpp"
#include "transport/reply_limits.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

namespace {

using namespace volumecli;
using fuzz::require;

// Far longer than a local exchange takes, even under sanitizers; the server always closes after
// answering, so a deadline is only reached if the client waits for bytes that never come.
constexpr std::chrono::seconds k_call_timeout{5};

// The reply the server sends next, shared with the server thread.
std::mutex g_reply_mutex;
std::string g_reply;

char g_directory[] = "/tmp/volumecli-http-fuzz-XXXXXX";
std::string g_socket_path;

void remove_socket()
{
    ::unlink(g_socket_path.c_str());
    ::rmdir(g_directory);
}

// Reads one request (head, then Content-Length bytes of body), so closing afterwards never
// resets the connection under the client's feet.
void read_request(int fd)
{
    std::string received;
    char buffer[4096];
    std::size_t head_end = std::string::npos;
    std::size_t wanted = 0;
    while (true) {
        if (head_end == std::string::npos) {
            head_end = received.find("\r\n\r\n");
            if (head_end != std::string::npos) {
                wanted = head_end + 4;
                const auto length_at = received.find("Content-Length: ");
                if (length_at != std::string::npos && length_at < head_end) {
                    wanted += std::strtoul(received.c_str() + length_at + 16, nullptr, 10);
                }
            }
        }
        if (head_end != std::string::npos && received.size() >= wanted) {
            return;
        }
        const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
        if (got <= 0) {
            return;
        }
        received.append(buffer, static_cast<std::size_t>(got));
    }
}

void serve(int listener)
{
    while (true) {
        const int fd = ::accept(listener, nullptr, nullptr);
        if (fd < 0) {
            continue;
        }
        read_request(fd);
        std::string reply;
        {
            const std::lock_guard<std::mutex> lock(g_reply_mutex);
            reply = g_reply;
        }
        std::size_t sent = 0;
        while (sent < reply.size()) {
            const ssize_t wrote = ::send(fd, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
            if (wrote <= 0) {
                break;
            }
            sent += static_cast<std::size_t>(wrote);
        }
        ::shutdown(fd, SHUT_WR);
        ::close(fd);
    }
}

// Starts the server once per process; returns the endpoint to dial.
const Endpoint& server_endpoint()
{
    static const Endpoint k_endpoint = [] {
        require(::mkdtemp(g_directory) != nullptr);
        g_socket_path = std::string(g_directory) + "/plugin.sock";
        std::atexit(remove_socket);
        const int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
        require(listener >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", g_socket_path.c_str());
        require(::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
        require(::listen(listener, 16) == 0);
        std::thread(serve, listener).detach();
        return parse_endpoint_url("unix://" + g_socket_path);
    }();
    return k_endpoint;
}

void check_response(const HttpResponse& response)
{
    // Three digits, as Go's client reads them: "020" is status 20, a failure like any non-200.
    require(response.status >= 0 && response.status <= 999);
    require(response.body.size() <= k_max_reply_bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::quiet_logs();
    const Endpoint& endpoint = server_endpoint();
    {
        const std::lock_guard<std::mutex> lock(g_reply_mutex);
        g_reply = fuzz::to_string(data, size);
    }

    // A plugin call, then a second one on the kept-alive connection: bytes left over after the
    // first reply are read as the start of the second, or the client notices the close.
    try {
        const auto transport = make_http_transport(endpoint);
        check_response(transport->post("/VolumeDriver.Get", "{\"Name\":\"vol1\"}\n", Clock::now() + k_call_timeout,
                                       k_max_small_reply_bytes));
        check_response(transport->post("/VolumeDriver.List", "{}\n", Clock::now() + k_call_timeout, k_max_reply_bytes));
    } catch (const Error&) {
        // the expected rejection of a malformed reply
    }

    // The general client, as the Flocker driver uses it.
    try {
        const auto client = make_http_client(endpoint, "flockercli/fuzz");
        check_response(
            client->request(HttpRequest{"GET", "/v1/configuration/datasets", {}, ""}, Clock::now() + k_call_timeout));
    } catch (const Error&) {
        // the expected rejection of a malformed reply
    }
    return 0;
}
