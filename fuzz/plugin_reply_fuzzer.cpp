// Docker volume-plugin reply bodies: every decoder of lib/src/plugin/plugin_codec.hpp on the same bytes.
// A malformed body must be a ProtocolError, never a crash or another exception; what a decoder
// returns must hold what its callers rely on (below), and a List's volumes written as dvdcli
// prints them must read back the same.

#include "fuzz_input.hpp"
#include "plugin/plugin_codec.hpp"
#include "plugin/rfc3339.hpp"

#include <volumecli/error.hpp>
#include <volumecli/json_output.hpp>
#include <volumecli/operations.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using namespace volumecli;
using fuzz::require;

// A control character in a decoded string can only come from an escape: the lexer refuses one raw.
bool has_control(const std::string& text)
{
    return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

void check_volume(const Volume& volume, bool body_has_escapes)
{
    if (!body_has_escapes) {
        require(!has_control(volume.name) && !has_control(volume.mountpoint));
    }
    if (volume.created_at) {
        require(!volume.created_at->empty() && codec::is_rfc3339(*volume.created_at));
    }
    if (volume.status_json) {
        // A JSON object, compact as nlohmann writes it.
        const auto status = nlohmann::json::parse(*volume.status_json);
        require(status.is_object() && status.dump() == *volume.status_json);
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

bool same_volume(const Volume& a, const Volume& b)
{
    return a.name == b.name && a.mountpoint == b.mountpoint && a.created_at == b.created_at &&
           a.status_json == b.status_json;
}

// decode_list's contract: Err alone or volumes alone; each volume as check_volume says; and the
// volumes as `dvdcli list --format=json` prints them are a List reply that decodes to themselves.
void check_list(const std::string& body, bool body_has_escapes)
{
    codec::ListReply reply;
    try {
        reply = codec::decode_list(body);
    } catch (const ProtocolError& error) {
        require(std::string(error.what()).size() > 0);
        return;
    }
    require(reply.err.empty() || reply.volumes.empty());
    for (const auto& volume : reply.volumes) {
        check_volume(volume, body_has_escapes);
    }
    // Written out, every volume has a Name and a Mountpoint: a reply of 2^20 `{}` would be more
    // values than a reply may hold.
    if (reply.volumes.size() > 100000) {
        return;
    }
    const auto again = codec::decode_list("{\"Volumes\":" + to_json(reply.volumes) + "}");
    require(again.err.empty() && std::equal(reply.volumes.begin(), reply.volumes.end(), again.volumes.begin(),
                                            again.volumes.end(), same_volume));
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
    const bool escapes = body.find('\\') != std::string::npos;
    expect_protocol_errors_only([&] {
        const auto reply = codec::decode_get(body);
        if (reply.volume) {
            require(reply.err.empty());
            check_volume(*reply.volume, escapes);
        }
    });
    check_list(body, escapes);
    expect_protocol_errors_only([&] { codec::decode_capabilities(body); });

    // A non-200 reply becomes the one line of the user's error message.
    const std::string message = codec::failure_message("VolumeDriver.Mount", body);
    require(message.rfind("VolumeDriver.Mount: ", 0) == 0);
    require(message.find_first_of("\n\r") == std::string::npos);

    static_cast<void>(codec::is_rfc3339(body));

    // The request encoder and the reply decoder agree: a name written into a request reads back
    // unchanged when it is UTF-8 (the command line refuses other bytes; the encoder writes each
    // as U+FFFD rather than throw).
    const std::string request = codec::mount_request(body, "id");
    require(!request.empty() && request.back() == '\n' && request.find('\n') == request.size() - 1);
    const auto decoded = nlohmann::json::parse(request);
    require(decoded.at("ID") == "id");
    if (is_utf8(body)) {
        require(decoded.at("Name") == body);
    }
    return 0;
}
