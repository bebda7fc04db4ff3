#include "flocker/flocker_client.hpp"

#include <volumecli/error.hpp>

#include <spdlog/spdlog.h>

#include <utility>

namespace volumecli::flocker {

namespace {

constexpr const char* k_datasets = "/v1/configuration/datasets";
constexpr const char* k_leases = "/v1/configuration/leases";

[[noreturn]] void fail(const std::string& operation, const HttpResponse& response)
{
    throw DriverError(operation + ": HTTP " + std::to_string(response.status) + ": " +
                      describe_error_body(response.body));
}

// Decodes a 2xx body within the call's deadline (the transport's), as the reply had to arrive.
template <typename Decoder>
auto decode(const std::string& operation, const HttpResponse& response, Decoder&& decoder)
{
    try {
        auto decoded = decoder(response.body);
        if (Clock::now() > response.deadline) {
            throw TimeoutError(operation + ": timed out decoding the reply");
        }
        return decoded;
    } catch (const ProtocolError& error) {
        throw ProtocolError(operation + ": " + error.what());
    }
}

std::string operation_name(const std::string& method, const std::string& path)
{
    return method + " " + path;
}

}  // namespace

ControlService::ControlService(std::unique_ptr<HttpClient> client, std::chrono::milliseconds call_timeout,
                               RetryPolicy retry)
    : m_client(std::move(client)), m_call_timeout(call_timeout), m_retry(std::move(retry))
{
}

HttpResponse ControlService::call(const std::string& method, const std::string& path, const std::string& body,
                                  const std::optional<std::string>& tag, Clock::time_point limit)
{
    const std::string operation = operation_name(method, path);
    HttpRequest request{method, path, {{"Accept", "application/json"}}, body};
    if (!body.empty()) {
        request.headers.emplace_back("Content-Type", "application/json");
    }
    if (tag) {
        request.headers.emplace_back("X-If-Configuration-Matches", *tag);
    }
    HttpResponse response;
    const auto attempt = [&] {
        const auto by_timeout = Clock::now() + m_call_timeout;
        const bool limited = limit < by_timeout;
        try {
            response = m_client->request(request, limited ? limit : by_timeout);
        } catch (const TimeoutError& error) {
            throw TimeoutError(operation + ": " +
                               (limited ? std::string("the wait deadline passed")
                                        : "no reply within " + seconds_text(m_call_timeout)) +
                               " " + error.what());
        } catch (const Error& error) {
            rethrow_with_context(error, operation + ": ");
        }
    };
    const auto log_retry = [](const TransportError& error, std::chrono::milliseconds pause) {
        spdlog::info("{}; retrying in {}", error.what(), seconds_text(pause));
    };
    with_retries(m_retry, attempt, log_retry);
    spdlog::debug("{} -> HTTP {}", operation, response.status);
    return response;
}

ControlService::Listing ControlService::list_datasets(Clock::time_point limit)
{
    const auto response = call("GET", k_datasets, {}, std::nullopt, limit);
    const std::string operation = operation_name("GET", k_datasets);
    if (response.status != 200) {
        fail(operation, response);
    }
    Listing listing;
    listing.datasets = decode(operation, response, decode_dataset_configs);
    listing.tag = response.header("X-Configuration-Tag");
    return listing;
}

std::optional<DatasetConfig> ControlService::create_dataset(const std::string& body,
                                                            const std::optional<std::string>& tag,
                                                            Clock::time_point limit)
{
    const auto response = call("POST", k_datasets, body, tag, limit);
    const std::string operation = operation_name("POST", k_datasets);
    if (response.status == 412) {
        return std::nullopt;
    }
    if (response.status != 201 && response.status != 200) {
        fail(operation, response);
    }
    return decode(operation, response, decode_dataset_config);
}

DatasetConfig ControlService::move_dataset(const std::string& dataset_id, const std::string& primary,
                                           Clock::time_point limit)
{
    const std::string path = std::string(k_datasets) + "/" + dataset_id;
    const auto response = call("POST", path, encode_move(primary), std::nullopt, limit);
    if (response.status != 200) {
        fail(operation_name("POST", path), response);
    }
    return decode(operation_name("POST", path), response, decode_dataset_config);
}

void ControlService::delete_dataset(const std::string& dataset_id, Clock::time_point limit)
{
    const std::string path = std::string(k_datasets) + "/" + dataset_id;
    const auto response = call("DELETE", path, {}, std::nullopt, limit);
    if (response.status != 200) {
        fail(operation_name("DELETE", path), response);
    }
}

std::vector<DatasetState> ControlService::dataset_states(Clock::time_point limit)
{
    static const std::string k_path = "/v1/state/datasets";
    const auto response = call("GET", k_path, {}, std::nullopt, limit);
    if (response.status != 200) {
        fail(operation_name("GET", k_path), response);
    }
    return decode(operation_name("GET", k_path), response, decode_dataset_states);
}

std::vector<Lease> ControlService::leases(Clock::time_point limit)
{
    const auto response = call("GET", k_leases, {}, std::nullopt, limit);
    if (response.status != 200) {
        fail(operation_name("GET", k_leases), response);
    }
    return decode(operation_name("GET", k_leases), response, decode_leases);
}

ControlService::LeaseOutcome ControlService::acquire_lease(const std::string& dataset_id, const std::string& node_uuid,
                                                           Clock::time_point limit)
{
    const auto response = call("POST", k_leases, encode_lease(dataset_id, node_uuid), std::nullopt, limit);
    switch (response.status) {
        case 201: return LeaseOutcome::acquired;
        case 200: return LeaseOutcome::renewed;
        case 409:
            if (is_flocker_error(response.body)) {
                return LeaseOutcome::held_elsewhere;
            }
            break;
        default: break;
    }
    fail(operation_name("POST", k_leases), response);
}

bool ControlService::release_lease(const std::string& dataset_id, Clock::time_point limit)
{
    const std::string path = std::string(k_leases) + "/" + dataset_id;
    const auto response = call("DELETE", path, {}, std::nullopt, limit);
    if (response.status == 200) {
        return true;
    }
    if (response.status == 404 && is_flocker_error(response.body)) {
        return false;  // "Lease not found." (an HTML 404 would mean a server without leases)
    }
    fail(operation_name("DELETE", path), response);
}

std::vector<Node> ControlService::nodes(Clock::time_point limit)
{
    static const std::string k_path = "/v1/state/nodes";
    const auto response = call("GET", k_path, {}, std::nullopt, limit);
    if (response.status != 200) {
        fail(operation_name("GET", k_path), response);
    }
    return decode(operation_name("GET", k_path), response, decode_nodes);
}

ControlService::EraAnswer ControlService::node_by_era(const std::string& era, Clock::time_point limit)
{
    const std::string path = "/v1/state/nodes/by_era/" + era;
    const auto response = call("GET", path, {}, std::nullopt, limit);
    EraAnswer answer;
    if (response.status == 200) {
        answer.kind = EraAnswer::Kind::found;
        answer.node_uuid = decode(operation_name("GET", path), response, decode_node_uuid);
        return answer;
    }
    answer.detail = "HTTP " + std::to_string(response.status) + ": " + describe_error_body(response.body);
    answer.kind = response.status == 404 && is_flocker_error(response.body) ? EraAnswer::Kind::not_reported
                                                                            : EraAnswer::Kind::unsupported;
    return answer;
}

}  // namespace volumecli::flocker
