#pragma once

// What this host can tell about its own Flocker node without asking the control service: the
// node certificate's CN, the boot id (Flocker's era), its addresses.

#include <optional>
#include <string>
#include <vector>

namespace volumecli::flocker {

// True for a UUID in 8-4-4-4-12 hexadecimal form (any case, any version).
bool is_uuid(const std::string& text);

// The node UUID in the CN ("node-<uuid>") of the PEM certificate at `path`; nullopt when the file
// is absent or not readable, or its CN is not of that form. Throws UnreachableError when something
// else is there: not a regular file (a FIFO is never waited on) or larger than 1 MiB.
std::optional<std::string> node_uuid_from_certificate(const std::string& path);

// The trimmed first line of `path` (the boot id); nullopt when unreadable, empty, not a regular
// file or larger than 4 KiB.
std::optional<std::string> read_boot_id(const std::string& path);

// Every address of every interface of this host (IPv4 and IPv6, loopback included).
std::vector<std::string> host_addresses();

// The canonical text of an address ("::ffff:10.0.0.1" stays as is; "0:0::1" becomes "::1"), or
// the input unchanged when it is not an IP address.
std::string canonical_address(const std::string& address);

}  // namespace volumecli::flocker
