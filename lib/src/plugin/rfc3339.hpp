#pragma once

// RFC 3339 date-times: what a volume's CreatedAt must be, in List and Get replies and in the
// conformance check, checked by hand because nothing else in the project reads times.

#include <string>

namespace volumecli::codec {

// True for an RFC 3339 date-time such as 2026-11-21T16:20:36Z or 2026-11-21T16:20:36.5+01:00.
bool is_rfc3339(const std::string& text);

}  // namespace volumecli::codec
