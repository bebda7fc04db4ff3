#include <volumecli/endpoint.hpp>
#include <volumecli/error.hpp>
#include <volumecli/volume_lock.hpp>

#include "core/clock.hpp"
#include "transport/plugin_transport.hpp"
#include "transport/resolve.hpp"

#include <catch2/catch.hpp>

#include "socket_util.hpp"

#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <string>

using volumecli::Endpoint;
using volumecli::parse_endpoint_url;
using volumecli::UsageError;

TEST_CASE("parse_endpoint_url reads unix socket addresses", "[endpoint]")
{
    auto [url, socket_path] = GENERATE(table<std::string, std::string>({
        {"unix:///run/docker/plugins/rexray.sock", "/run/docker/plugins/rexray.sock"},
        {"unix:///abs.sock", "/abs.sock"},
        {"unix://rel.sock", "rel.sock"},
    }));
    CAPTURE(url);

    const Endpoint endpoint = parse_endpoint_url(url);

    CHECK(endpoint.kind == Endpoint::Kind::unix_socket);
    CHECK(endpoint.socket_path == socket_path);
    CHECK_FALSE(endpoint.tls);
    CHECK(endpoint.address == url);
}

TEST_CASE("parse_endpoint_url reads TCP and HTTP(S) addresses", "[endpoint]")
{
    auto [url, host, port, tls] = GENERATE(table<std::string, std::string, std::string, bool>({
        {"tcp://127.0.0.1:5000", "127.0.0.1", "5000", false},
        {"http://h:80/some/prefix", "h", "80", false},
        {"http://127.0.0.1:19555/some/prefix", "127.0.0.1", "19555", false},
        {"http://h", "h", "80", false},
        {"http://h:8080", "h", "8080", false},
        {"https://h", "h", "443", true},
        {"https://example.com:8443/docker/plugin", "example.com", "8443", true},
        {"tcp://[::1]:5", "::1", "5", false},
        {"https://[::1]", "::1", "443", true},
    }));
    CAPTURE(url);

    const Endpoint endpoint = parse_endpoint_url(url);

    CHECK(endpoint.kind == Endpoint::Kind::tcp);
    CHECK(endpoint.host == host);
    CHECK(endpoint.port == port);
    CHECK(endpoint.tls == tls);
    CHECK(endpoint.address == url);
}

TEST_CASE("parse_endpoint_url rejects addresses Docker cannot dial", "[endpoint]")
{
    auto url = GENERATE(as<std::string>{}, "", "/x.sock", "x.sock", "127.0.0.1:1234", "localhost:1234", "ftp://h:21",
                        "npipe:////./pipe/x", "tcp://h", "tcp://127.0.0.1", "tcp://", "unix://");
    CAPTURE(url);

    CHECK_THROWS_AS(parse_endpoint_url(url), UsageError);
}

TEST_CASE("A TCP endpoint's host is resolved once for its lock key and all its connections", "[endpoint][lock]")
{
    // A loopback port that refuses connections: every post fails after resolving and connecting.
    int port = 0;
    ::close(volumecli::test::detail::listen_tcp(port));
    const int held = volumecli::test::detail::hold_tcp_port(port);
    REQUIRE(held >= 0);
    const Endpoint endpoint = parse_endpoint_url("tcp://localhost:" + std::to_string(port));
    const std::size_t before = volumecli::detail::resolution_count();

    CHECK(volumecli::endpoint_lock_key(endpoint) == "tcp://loopback:" + std::to_string(port));
    const auto transport = volumecli::make_http_transport(endpoint);  // a copy, sharing the addresses
    for (int attempt = 0; attempt < 2; ++attempt) {
        CHECK_THROWS_AS(transport->post("/Plugin.Activate", "", volumecli::Clock::now() + std::chrono::seconds(10)),
                        volumecli::TransportError);
    }
    CHECK(volumecli::endpoint_lock_key(endpoint) == "tcp://loopback:" + std::to_string(port));

    CHECK(volumecli::detail::resolution_count() - before == 1);
    ::close(held);
}
