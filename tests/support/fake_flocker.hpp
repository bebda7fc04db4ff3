#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace volumecli::test {

// One request as the fake control service received it, with what it answered.
struct FlockerRequest {
    std::string method;  // "GET", "POST", "DELETE"
    std::string path;    // "/v1/configuration/datasets"
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    int status = 0;        // the status the fake answered
    int remote_port = -1;  // the client's TCP port: one value per connection
    std::chrono::steady_clock::time_point received;

    // Value of the first header called `name` (case-insensitive), std::nullopt when absent.
    [[nodiscard]] std::optional<std::string> header(const std::string& name) const;
};

// A dataset's configuration as the fake keeps it.
struct FakeDataset {
    std::string dataset_id;
    std::string primary;
    std::map<std::string, std::string> metadata;
    std::optional<std::uint64_t> maximum_size;
    bool deleted = false;
};

// A Flocker control service (REST API v1, as Flocker 1.15 behaves) on a real HTTPS server with
// mutual TLS: clients must present a certificate signed by the given CA whose CN starts with
// "user-", else the handshake fails. It keeps datasets, leases and nodes, answers errors with
// Flocker's bodies ({"description": ...}, HTML for unknown routes, a JSON string for 500s), checks
// X-If-Configuration-Matches (412) and the create schema, and plays the agents: the state
// (/v1/state/datasets) follows the configuration after a scriptable delay, a move passes through a
// "attached nowhere" phase, a dataset whose primary is not a known node never mounts, and a lease
// keeps a dataset on the leasing node. Every scripting and inspection call is thread-safe.
class FakeFlocker {
public:
    enum class EraSupport {
        supported,  // Flocker 1.8+: 200 {"uuid"} or a JSON 404 "No node found with given era."
        absent,     // before 1.8: the route does not exist (HTML 404)
        broken,     // 500 with a JSON string body, as for an unhandled exception
    };

    FakeFlocker();
    ~FakeFlocker();
    FakeFlocker(const FakeFlocker&) = delete;
    FakeFlocker& operator=(const FakeFlocker&) = delete;

    // Listens on 127.0.0.1 (ephemeral port, returned) with this server certificate; clients must
    // present a certificate signed by `client_ca_file` with a CN starting with "user-".
    int start(const std::string& cert_file, const std::string& key_file, const std::string& client_ca_file);
    // Stops the server; pending delays are cut short. Idempotent; the destructor calls it.
    void stop();
    [[nodiscard]] int port() const;
    // TLS clients refused so far (untrusted certificate, or a CN without "user-").
    [[nodiscard]] std::size_t rejected_clients() const;

    // --- the cluster ---
    // A node with an agent connected; `era` (its boot id) makes by_era find it.
    void add_node(const std::string& uuid, const std::string& host, const std::string& era = "");
    void set_era_support(EraSupport support);
    // Adds a dataset and returns its id. With `mounted` the state shows it mounted on its primary
    // at once (when that is a known node); otherwise it converges like a created one.
    std::string add_dataset(const std::string& primary, const std::map<std::string, std::string>& metadata,
                            std::optional<std::uint64_t> maximum_size = std::nullopt, bool mounted = true);
    // As DELETE /v1/configuration/datasets/<id>: the record stays, with deleted: true.
    void delete_dataset(const std::string& dataset_id);
    void add_lease(const std::string& dataset_id, const std::string& node_uuid);
    // The configuration, deleted datasets included, in creation order.
    [[nodiscard]] std::vector<FakeDataset> datasets() const;
    // Live (not deleted) datasets whose metadata `key` is `value`.
    [[nodiscard]] std::vector<FakeDataset> datasets_named(const std::string& value,
                                                          const std::string& key = "name") const;
    // dataset id -> node UUID
    [[nodiscard]] std::map<std::string, std::string> leases() const;
    [[nodiscard]] std::string configuration_tag() const;

    // --- the agents ---
    // How long after a configuration change the state follows it (default 0).
    void set_convergence_delay(std::chrono::milliseconds delay);
    // When the state began to show `dataset_id` mounted where it is now; nullopt if not mounted.
    [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> mounted_since(
        const std::string& dataset_id) const;
    // The path the state reports for a dataset mounted on `node`. ZFS style
    // (/flocker/<node>.default.<id>), deliberately not the /flocker/<id> a client might guess.
    static std::string mount_path(const std::string& node, const std::string& dataset_id);

    // --- scripting ---
    // From now on answer `method` `path` (exact) with this reply, with no side effects.
    void reply(const std::string& method, const std::string& path, int status, const std::string& body,
               const std::string& content_type = "application/json");
    // Hold POST /v1/configuration/datasets (create) requests until `count` of them wait, then let
    // them all go at once (5 s at most): concurrent creators then race with the same tag.
    void hold_creates_until(int count);
    // Before each of the next `times` conditional creates (-1: all), change the configuration as
    // another client would, so the create gets 412.
    void disturb_creates(int times);
    // Wait this long before answering requests whose method is `method` and whose path starts with
    // `path_prefix` (interrupted by stop()).
    void delay(const std::string& method, const std::string& path_prefix, std::chrono::milliseconds duration);

    // What the service can do to a request instead of answering it properly.
    enum class Fault {
        stall_after_headers,  // status 200 and headers, then silence until the client leaves
        close_mid_body,       // Content-Length promises more than is sent, then the connection closes
        huge_body,            // 200 with a 100 MB body and its Content-Length, streamed
        huge_body_chunked,    // the same body, chunked
    };
    // From now on inflict `fault` on requests with this method whose path starts with
    // `path_prefix` (recorded with status 0).
    void inject(const std::string& method, const std::string& path_prefix, Fault fault);

    // --- what was received ---
    [[nodiscard]] std::vector<FlockerRequest> requests() const;
    // Requests with this method whose path starts with `path_prefix`, in arrival order.
    [[nodiscard]] std::vector<FlockerRequest> requests_for(const std::string& method,
                                                           const std::string& path_prefix) const;
    void clear_requests();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// A random version-4 UUID in lower case.
std::string random_uuid();

}  // namespace volumecli::test
