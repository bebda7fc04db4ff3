#pragma once

// SHA-256, for default mount IDs and lock file names. Written by hand (FIPS 180-4, ~100 lines,
// pinned by the standard's test vectors) rather than called from libcrypto: OpenSSL 3's digests go
// through a library context that loads its configuration on first use, about a millisecond of
// every run's start-up, while a default mount ID needs one digest of a few dozen bytes. Internal.

#include <string>

namespace volumecli {

// SHA-256 of `data` as 64 lowercase hex digits.
std::string sha256_hex(const std::string& data);

}  // namespace volumecli
