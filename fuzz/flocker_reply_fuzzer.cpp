// Flocker control-service reply bodies: every decoder of lib/src/flocker/flocker_codec.hpp, and the error
// description a user sees, on the same bytes. A malformed body must be a ProtocolError.

#include "flocker/flocker_codec.hpp"
#include "fuzz_input.hpp"

#include <volumecli/error.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using namespace volumecli;
using fuzz::require;

template <typename Decode>
void expect_protocol_errors_only(const Decode& decode)
{
    try {
        decode();
    } catch (const ProtocolError&) {
        // the expected rejection of a malformed body
    }
}

bool is_lower_case(const std::string& text)
{
    for (const char c : text) {
        if (c >= 'A' && c <= 'Z') {
            return false;
        }
    }
    return true;
}

void check_config(const flocker::DatasetConfig& config)
{
    // Identifiers compare equal however the server spelt them.
    require(is_lower_case(config.dataset_id) && is_lower_case(config.primary));
    const std::string status = flocker::status_json(config);
    require(!status.empty() && status.front() == '{');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::quiet_logs();
    const std::string body = fuzz::to_string(data, size);

    expect_protocol_errors_only([&] {
        for (const auto& config : flocker::decode_dataset_configs(body)) {
            check_config(config);
        }
    });
    expect_protocol_errors_only([&] { check_config(flocker::decode_dataset_config(body)); });
    expect_protocol_errors_only([&] { flocker::decode_dataset_states(body); });
    expect_protocol_errors_only([&] { flocker::decode_leases(body); });
    expect_protocol_errors_only([&] { flocker::decode_nodes(body); });
    expect_protocol_errors_only([&] { flocker::decode_node_uuid(body); });

    static_cast<void>(flocker::is_flocker_error(body));
    // It ends the one line of an error message.
    const std::string description = flocker::describe_error_body(body);
    require(description.find_first_of("\n\r") == std::string::npos);
    return 0;
}
