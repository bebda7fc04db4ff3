#include <volumecli/endpoint.hpp>
#include <volumecli/error.hpp>

#include <catch2/catch.hpp>

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
