// Plugin spec files: the same bytes as a .spec file (one URL) and as a .json spec. A bad spec must
// be an UnreachableError (exit 3), never a crash.

#include "fuzz_input.hpp"

#include <volumecli/discovery.hpp>
#include <volumecli/endpoint.hpp>
#include <volumecli/error.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using namespace volumecli;
using fuzz::require;

void check_endpoint(const Endpoint& endpoint)
{
    require(!endpoint.address.empty());
    if (endpoint.kind == Endpoint::Kind::unix_socket) {
        require(!endpoint.socket_path.empty() && !endpoint.tls);
    } else {
        require(!endpoint.host.empty() && !endpoint.port.empty());
    }
    // A client certificate always comes with its key.
    require(endpoint.tls_files.cert_file.empty() == endpoint.tls_files.key_file.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::quiet_logs();
    const std::string text = fuzz::to_string(data, size);
    try {
        check_endpoint(discovery::parse_spec(text, "fuzz.spec"));
    } catch (const UnreachableError&) {
        // the expected rejection of a bad spec
    }
    try {
        check_endpoint(discovery::parse_json_spec(text, "fuzz.json"));
    } catch (const UnreachableError&) {
        // the expected rejection of a bad spec
    }
    return 0;
}
