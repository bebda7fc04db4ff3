#pragma once

// Where a TCP plugin address leads: one resolution per endpoint, used both to connect and to
// name the plugin's lock. Internal to libvolumecli.

#include <volumecli/endpoint.hpp>

#include <netdb.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

namespace volumecli::detail {

using AddressList = std::shared_ptr<const addrinfo>;

// What Endpoint::resolved points to: the addresses of the first resolution that succeeded, and
// the host and port they are for.
struct AddressCache {
    std::mutex mutex;
    std::string host;
    std::string port;
    AddressList addresses;
};

// The addresses of `endpoint`'s host and port (Kind::tcp), in getaddrinfo's order. "localhost"
// and names under ".localhost" are the loopback interface (RFC 6761) even where /etc/hosts does
// not say so. Throws TransportError when the name does not resolve. With endpoint.resolved, a
// success is kept there and later calls return it; a failure is not kept (the next call asks again).
AddressList resolve_endpoint(const Endpoint& endpoint);

// How many times this process has asked getaddrinfo for an endpoint's addresses. For tests.
std::size_t resolution_count();

// The numeric text of one address ("127.0.0.1", "::1"), or "loopback" for any loopback address
// (127.0.0.0/8, ::1, and IPv4-mapped 127.x): they all reach this host.
std::string address_text(const addrinfo& address);

}  // namespace volumecli::detail
