#pragma once

// Opening the socket a stream runs on: unix or TCP, non-blocking, within the call's deadline.
// Internal to the transport.

#include "core/clock.hpp"
#include "core/unique_fd.hpp"

#include <volumecli/endpoint.hpp>

#include <string>

namespace volumecli::detail {

// Connects to the unix socket at `path`. Throws UnreachableError when the path cannot name a
// socket, TransportError when nothing accepts (safe to retry), TimeoutError at the deadline.
UniqueFd connect_unix(const std::string& path, Clock::time_point deadline);

// Connects to `endpoint`'s host and port, trying each resolved address in turn (TCP_NODELAY on).
// Throws TransportError with the last address's failure, TimeoutError at the deadline.
UniqueFd connect_tcp(const Endpoint& endpoint, Clock::time_point deadline);

}  // namespace volumecli::detail
