#include <volumecli/endpoint.hpp>

#include <volumecli/error.hpp>

#include "transport/resolve.hpp"

namespace volumecli {

namespace {

[[noreturn]] void invalid(const std::string& url, const std::string& why)
{
    throw UsageError("invalid plugin address \"" + url + "\": " + why);
}

bool is_port(const std::string& text)
{
    if (text.empty() || text.size() > 5) {
        return false;
    }
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    const long value = std::stol(text);
    return value > 0 && value <= 65535;
}

// Splits "host:port", "[v6]:port", "host" into its parts; port may come back empty.
void split_host_port(const std::string& url, const std::string& authority, std::string& host, std::string& port)
{
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string::npos) {
            invalid(url, "unterminated IPv6 address");
        }
        host = authority.substr(1, close - 1);
        const std::string rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                invalid(url, "unexpected text after IPv6 address");
            }
            port = rest.substr(1);
        }
        return;
    }
    const auto colon = authority.rfind(':');
    if (colon == std::string::npos) {
        host = authority;
        return;
    }
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
        invalid(url, "IPv6 addresses must be written in brackets");
    }
}

}  // namespace

Endpoint parse_endpoint_url(const std::string& url)
{
    if (url.find('\0') != std::string::npos || url.find('\n') != std::string::npos) {
        invalid(url, "contains a control character");
    }
    const auto separator = url.find("://");
    if (separator == std::string::npos || separator == 0) {
        invalid(url, "expected unix://, tcp://, http:// or https://");
    }
    const std::string scheme = url.substr(0, separator);
    const std::string rest = url.substr(separator + 3);

    Endpoint endpoint;
    endpoint.address = url;
    if (scheme == "unix") {
        // As Go's url.Parse: unix:///abs keeps the path, unix://rel.sock puts the name in the host,
        // which Docker dials relative to the working directory.
        if (rest.empty()) {
            invalid(url, "no socket path");
        }
        endpoint.kind = Endpoint::Kind::unix_socket;
        endpoint.socket_path = rest;
        return endpoint;
    }
    if (scheme != "tcp" && scheme != "http" && scheme != "https") {
        invalid(url, "unsupported scheme \"" + scheme + "\"");
    }
    // Docker drops any path: requests always go to /<Method>.
    const std::string authority = rest.substr(0, rest.find('/'));
    if (authority.empty()) {
        invalid(url, "no host");
    }
    endpoint.kind = Endpoint::Kind::tcp;
    endpoint.tls = scheme == "https";
    endpoint.resolved = std::make_shared<detail::AddressCache>();
    split_host_port(url, authority, endpoint.host, endpoint.port);
    if (endpoint.host.empty()) {
        invalid(url, "no host");
    }
    if (endpoint.port.empty()) {
        if (scheme == "tcp") {
            invalid(url, "tcp:// needs a port");
        }
        endpoint.port = endpoint.tls ? "443" : "80";
    }
    if (!is_port(endpoint.port)) {
        invalid(url, "invalid port \"" + endpoint.port + "\"");
    }
    return endpoint;
}

}  // namespace volumecli
