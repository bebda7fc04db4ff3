#pragma once

// The JSON of the Docker volume-plugin protocol. nlohmann/json stays behind this header.

#include <volumecli/volume.hpp>

#include <optional>
#include <string>
#include <vector>

namespace volumecli::codec {

// Request bodies, byte for byte as Docker's Go encoder writes them (compact, trailing newline).
std::string name_request(const std::string& name);
std::string create_request(const std::string& name, const VolumeOptions& options);
std::string mount_request(const std::string& name, const std::string& id);
std::string empty_request();

// Appends `text` as a JSON string literal, escaped as Go's encoder does.
void append_json_string(std::string& out, const std::string& text);

// Reply decoders for HTTP 200 bodies: keys match case-insensitively, unknown keys are ignored.
// Each throws ProtocolError (message without context) for a body that is not a JSON object,
// is nested too deeply, or has a field of the wrong type.
std::vector<std::string> decode_implements(const std::string& body);
std::string decode_err(const std::string& body);

struct MountpointReply {
    std::string mountpoint;
    std::string err;
};
MountpointReply decode_mountpoint(const std::string& body);

struct GetReply {
    std::optional<Volume> volume;  // nullopt for a null or absent Volume
    std::string err;
};
GetReply decode_get(const std::string& body);

struct ListReply {
    std::vector<Volume> volumes;
    std::string err;
};
ListReply decode_list(const std::string& body);
// decode_list's fast path alone: the reply read from SAX events, without a DOM, or nullopt for
// anything unusual, which decode_list leaves to decode_list_checked. Exposed for tests.
std::optional<ListReply> decode_list_fast(const std::string& body);
// The reference decoder, kept for the unusual replies; tests compare against it. decode_list gives
// the same result or error for every body, reading the plain replies without building a DOM.
ListReply decode_list_checked(const std::string& body);

struct CapabilitiesReply {
    std::string scope;
    std::string err;
};
CapabilitiesReply decode_capabilities(const std::string& body);

// The message Docker builds for a non-200 reply: "<method>: <Err>" when the body is JSON with Err
// (or REX-Ray's Error), else "<method>: <body>" with trailing white space removed.
std::string failure_message(const std::string& method, const std::string& body);

// True for an RFC 3339 date-time such as 2026-11-21T16:20:36Z or 2026-11-21T16:20:36.5+01:00.
bool is_rfc3339(const std::string& text);

}  // namespace volumecli::codec
