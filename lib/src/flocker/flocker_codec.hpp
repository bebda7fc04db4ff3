#pragma once

// The JSON of the Flocker control-service REST API (v1). nlohmann/json stays behind this header.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace volumecli::flocker {

// One entry of GET /v1/configuration/datasets (what the cluster is asked to do).
// Identifiers are lower-cased on decoding, so they compare equal however the server spelt them.
struct DatasetConfig {
    std::string dataset_id;
    std::string primary;
    bool deleted = false;
    std::map<std::string, std::string> metadata;  // string values only; others are skipped
    std::optional<std::uint64_t> maximum_size;
};

// One entry of GET /v1/state/datasets (what the agents report). primary and path are empty unless
// the dataset is mounted on that node.
struct DatasetState {
    std::string dataset_id;
    std::string primary;
    std::string path;
    std::optional<std::uint64_t> maximum_size;
};

struct Lease {
    std::string dataset_id;
    std::string node_uuid;
    std::optional<double> expires;  // seconds left; nullopt: never
};

struct Node {
    std::string uuid;
    std::string host;
};

// Decoders for 2xx bodies. Unknown fields are ignored; a body that is not the expected JSON shape,
// or a required field of the wrong type, throws ProtocolError (message without context).
std::vector<DatasetConfig> decode_dataset_configs(const std::string& body);
DatasetConfig decode_dataset_config(const std::string& body);
std::vector<DatasetState> decode_dataset_states(const std::string& body);
std::vector<Lease> decode_leases(const std::string& body);
std::vector<Node> decode_nodes(const std::string& body);
// GET /v1/state/nodes/by_era/<era>: {"uuid": ...}
std::string decode_node_uuid(const std::string& body);

// Request bodies (compact JSON). The create body never carries "deleted" (Flocker answers 500)
// nor a dataset_id (the server picks a fresh uuid4, so no 409 can come back).
std::string encode_create(const std::string& primary, std::uint64_t maximum_size,
                          const std::map<std::string, std::string>& metadata);
std::string encode_move(const std::string& primary);
// A lease that never expires.
std::string encode_lease(const std::string& dataset_id, const std::string& node_uuid);

// True for Flocker's own error bodies: a JSON object with a string "description". False for the
// HTML pages of unknown routes, JSON-string 500 bodies, and anything else.
bool is_flocker_error(const std::string& body);
// One line saying what an error body says: the description (with the schema errors), an
// internal-error note for a JSON string (Flocker's 500s carry only a task id), or an excerpt of
// any other body with markup and line breaks removed.
std::string describe_error_body(const std::string& body);

// The Status object shown for a volume: {"DatasetID","Primary","MaximumSize"?} as compact JSON.
std::string status_json(const DatasetConfig& dataset);

}  // namespace volumecli::flocker
