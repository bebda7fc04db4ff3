#pragma once

// The JSON of the Docker volume-plugin protocol. nlohmann/json stays behind this header.

#include <volumecli/volume.hpp>

#include <optional>
#include <string>
#include <vector>

namespace volumecli::codec {

// Request bodies as Docker sends them: its field order, compact, a trailing newline
// (plugin_requests.cpp). Strings are escaped as json_dump writes them: JSON-equivalent to Go's
// encoder, which also escapes <, >, & and U+2028/U+2029.
std::string name_request(const std::string& name);
std::string create_request(const std::string& name, const VolumeOptions& options);
std::string mount_request(const std::string& name, const std::string& id);
std::string empty_request();

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
// Read from SAX events without a DOM (list_reader.cpp: a List can hold 10,000 volumes), with the
// same results and errors as the DOM decoders give for the other replies.
ListReply decode_list(const std::string& body);

struct CapabilitiesReply {
    std::string scope;
    std::string err;
};
CapabilitiesReply decode_capabilities(const std::string& body);

// The message Docker builds for a non-200 reply: "<method>: <Err>" when the body is JSON with Err
// (or REX-Ray's Error), else "<method>: <body>" with trailing white space removed.
std::string failure_message(const std::string& method, const std::string& body);

}  // namespace volumecli::codec
