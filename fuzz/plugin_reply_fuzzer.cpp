// Docker volume-plugin reply bodies: every decoder of lib/src/plugin_codec.hpp on the same bytes.
// A malformed body must be a ProtocolError, never a crash or another exception.

#include "fuzz_input.hpp"
#include "plugin_codec.hpp"

#include <volumecli/error.hpp>
#include <volumecli/operations.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using namespace volumecli;
using fuzz::require;

void check_volume(const Volume& volume)
{
    if (volume.created_at) {
        require(codec::is_rfc3339(*volume.created_at));
    }
    if (volume.status_json) {
        require(!volume.status_json->empty() && volume.status_json->front() == '{');
    }
}

template <typename Decode>
void expect_protocol_errors_only(const Decode& decode)
{
    try {
        decode();
    } catch (const ProtocolError&) {
        // the expected rejection of a malformed body
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::quiet_logs();
    const std::string body = fuzz::to_string(data, size);

    expect_protocol_errors_only([&] { codec::decode_implements(body); });
    expect_protocol_errors_only([&] { codec::decode_err(body); });
    expect_protocol_errors_only([&] {
        const auto reply = codec::decode_mountpoint(body);
        // What the operations accept and print is one absolute line.
        if (is_usable_mountpoint(reply.mountpoint)) {
            require(reply.mountpoint.front() == '/');
            require(reply.mountpoint.find_first_of(std::string("\n\r\0", 3)) == std::string::npos);
        }
    });
    expect_protocol_errors_only([&] {
        const auto reply = codec::decode_get(body);
        if (reply.volume) {
            require(reply.err.empty());
            check_volume(*reply.volume);
        }
    });
    expect_protocol_errors_only([&] {
        const auto reply = codec::decode_list(body);
        require(reply.err.empty() || reply.volumes.empty());
        for (const auto& volume : reply.volumes) {
            check_volume(volume);
        }
    });
    expect_protocol_errors_only([&] { codec::decode_capabilities(body); });

    // A non-200 reply becomes the one line of the user's error message.
    const std::string message = codec::failure_message("VolumeDriver.Mount", body);
    require(message.rfind("VolumeDriver.Mount: ", 0) == 0);
    require(message.find_first_of("\n\r") == std::string::npos);

    static_cast<void>(codec::is_rfc3339(body));

    // The request encoder and the reply decoder agree: a string written as Go writes it reads back
    // unchanged (when it is UTF-8 at all; nlohmann rejects other bytes, as a ProtocolError).
    std::string encoded = "{\"Mountpoint\":";
    codec::append_json_string(encoded, body);
    encoded += "}";
    try {
        require(codec::decode_mountpoint(encoded).mountpoint == body);
    } catch (const ProtocolError&) {
        // not UTF-8
    }
    return 0;
}
