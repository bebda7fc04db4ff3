#pragma once

// Reading one HTTP/1.1 reply off a stream, written by hand for the reasons in docs/design.md:
// every read under the call's deadline, and a cap on the body before it is buffered.

#include "core/clock.hpp"
#include "transport/http_response.hpp"

#include <cstddef>

namespace volumecli::detail {

class Stream;

struct ReadReply {
    HttpResponse response;
    bool keep_alive = true;  // false: the connection must not carry another request
};

// Reads the reply to the request just written on `stream`. Interim (1xx) replies are skipped, at
// most 5; 101, 204 and 304 have an empty body whatever their headers say; lines may end in a bare
// LF. The body may hold at most `max_body_bytes` (itself capped at k_max_reply_bytes). Throws
// TransportError when the stream fails or ends before the first byte (safe to resend),
// ProtocolError for a malformed, truncated or oversized reply, TimeoutError at `deadline`.
ReadReply read_reply(Stream& stream, Clock::time_point deadline, std::size_t max_body_bytes);

}  // namespace volumecli::detail
