#pragma once

// Where a TCP plugin address leads: the one resolution used both to connect and to name the
// plugin's lock. Internal to libvolumecli.

#include <volumecli/endpoint.hpp>

#include <netdb.h>

#include <memory>
#include <string>

namespace volumecli::detail {

using AddressList = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;

// The addresses of `endpoint`'s host and port (Kind::tcp), in getaddrinfo's order. "localhost"
// and names under ".localhost" are the loopback interface (RFC 6761) even where /etc/hosts does
// not say so. Throws TransportError when the name does not resolve.
AddressList resolve_endpoint(const Endpoint& endpoint);

// The numeric text of one address ("127.0.0.1", "::1"), or "loopback" for any loopback address
// (127.0.0.0/8, ::1, and IPv4-mapped 127.x): they all reach this host.
std::string address_text(const addrinfo& address);

}  // namespace volumecli::detail
