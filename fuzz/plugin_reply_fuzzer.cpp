// Docker volume-plugin reply bodies: every decoder of lib/src/plugin/plugin_codec.hpp on the same bytes.
// A malformed body must be a ProtocolError, never a crash or another exception; decode_list and
// its reference decoder must agree on every body.

#include "fuzz_input.hpp"
#include "plugin/plugin_codec.hpp"

#include <volumecli/error.hpp>
#include <volumecli/operations.hpp>

#include <algorithm>
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

// What a List decoder makes of a body: the reply, or the message of its ProtocolError.
struct ListOutcome {
    codec::ListReply reply;
    std::string error;
};

template <typename Decode>
ListOutcome list_outcome(const Decode& decode, const std::string& body)
{
    ListOutcome outcome;
    try {
        outcome.reply = decode(body);
    } catch (const ProtocolError& error) {
        outcome.error = error.what();
    }
    return outcome;
}

bool same_volume(const Volume& a, const Volume& b)
{
    return a.name == b.name && a.mountpoint == b.mountpoint && a.created_at == b.created_at &&
           a.status_json == b.status_json;
}

// decode_list reads plain replies without a DOM: it must give what the reference decoder gives.
void check_list_as_reference(const std::string& body)
{
    const ListOutcome fast = list_outcome(codec::decode_list, body);
    const ListOutcome reference = list_outcome(codec::decode_list_checked, body);
    if (fast.error != reference.error || fast.reply.err != reference.reply.err ||
        !std::equal(fast.reply.volumes.begin(), fast.reply.volumes.end(), reference.reply.volumes.begin(),
                    reference.reply.volumes.end(), same_volume)) {
        __builtin_trap();
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
    check_list_as_reference(body);
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
