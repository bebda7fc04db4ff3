#pragma once

// Typed calls to the Flocker control service (REST API v1) over one HttpClient.

#include <volumecli/retry.hpp>

#include "core/clock.hpp"
#include "core/durations.hpp"
#include "flocker/flocker_codec.hpp"
#include "transport/http_client.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace volumecli::flocker {

// No bound besides the per-request timeout.
inline constexpr Clock::time_point k_no_limit = Clock::time_point::max();

// Every call is bounded by the per-request timeout and by `limit`, whichever comes first, and is
// retried within the retry window when the connection cannot be made. Errors carry the request
// ("GET /v1/state/datasets: ..."): a non-2xx reply the call does not expect is a DriverError with
// the status and Flocker's description; an undecodable 2xx reply is a ProtocolError; transport
// failures keep their type (UnreachableError, TimeoutError).
class ControlService {
public:
    ControlService(std::unique_ptr<HttpClient> client, std::chrono::milliseconds call_timeout, RetryPolicy retry);

    struct Listing {
        std::vector<DatasetConfig> datasets;  // deleted ones included
        std::optional<std::string> tag;       // X-Configuration-Tag (Flocker 1.9+)
    };
    Listing list_datasets(Clock::time_point limit);
    // POST /v1/configuration/datasets with X-If-Configuration-Matches when `tag` is set. nullopt
    // when the server answers 412 (the configuration changed since `tag`).
    std::optional<DatasetConfig> create_dataset(const std::string& body, const std::optional<std::string>& tag,
                                                Clock::time_point limit);
    DatasetConfig move_dataset(const std::string& dataset_id, const std::string& primary, Clock::time_point limit);
    void delete_dataset(const std::string& dataset_id, Clock::time_point limit);
    std::vector<DatasetState> dataset_states(Clock::time_point limit);

    std::vector<Lease> leases(Clock::time_point limit);
    enum class LeaseOutcome { acquired, renewed, held_elsewhere };
    LeaseOutcome acquire_lease(const std::string& dataset_id, const std::string& node_uuid, Clock::time_point limit);
    // False when there was no lease (404).
    bool release_lease(const std::string& dataset_id, Clock::time_point limit);

    std::vector<Node> nodes(Clock::time_point limit);
    struct EraAnswer {
        enum class Kind {
            found,         // node_uuid is set
            not_reported,  // a JSON 404: no agent of this boot has connected yet
            unsupported,   // an HTML 404, a 405, a 5xx: no usable by_era here
        };
        Kind kind = Kind::unsupported;
        std::string node_uuid;
        std::string detail;  // what the server said, for messages
    };
    EraAnswer node_by_era(const std::string& era, Clock::time_point limit);

    [[nodiscard]] std::chrono::milliseconds call_timeout() const { return m_call_timeout; }

private:
    HttpResponse call(const std::string& method, const std::string& path, const std::string& body,
                      const std::optional<std::string>& tag, Clock::time_point limit);

    std::unique_ptr<HttpClient> m_client;
    std::chrono::milliseconds m_call_timeout;
    RetryPolicy m_retry;
};

}  // namespace volumecli::flocker
