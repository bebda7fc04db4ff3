#include "flocker/flocker_codec.hpp"

#include "core/json_reply.hpp"

#include <volumecli/error.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace volumecli::flocker {

namespace {

using nlohmann::json;

constexpr std::size_t k_excerpt_length = 200;

std::string lower(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::optional<json> try_parse(const std::string& body)
{
    return json_reply::try_parse(body).value;
}

json parse(const std::string& body)
{
    if (body.empty()) {
        throw ProtocolError("empty reply body where JSON was expected");
    }
    return json_reply::parse(body);
}

const json& expect_array(const json& value, const char* what)
{
    if (!value.is_array()) {
        throw ProtocolError(std::string("expected a JSON array of ") + what + ", got a JSON " + value.type_name());
    }
    return value;
}

const json& expect_object(const json& value, const char* what)
{
    if (!value.is_object()) {
        throw ProtocolError(std::string("expected ") + what + " as a JSON object, got a JSON " + value.type_name());
    }
    return value;
}

std::string required_string(const json& object, const char* key, const char* what)
{
    const auto found = object.find(key);
    if (found == object.end() || !found->is_string()) {
        throw ProtocolError(std::string(what) + " without a string \"" + key + "\"");
    }
    return found->get<std::string>();
}

// A string field that may be absent or null; another type is a protocol violation.
std::string optional_string(const json& object, const char* key, const char* what)
{
    const auto found = object.find(key);
    if (found == object.end() || found->is_null()) {
        return {};
    }
    if (!found->is_string()) {
        throw ProtocolError(std::string(what) + " has a non-string \"" + key + "\"");
    }
    return found->get<std::string>();
}

std::optional<std::uint64_t> optional_size(const json& object, const char* what)
{
    const auto found = object.find("maximum_size");
    if (found == object.end() || found->is_null()) {
        return std::nullopt;
    }
    if (found->is_number_unsigned()) {
        return found->get<std::uint64_t>();
    }
    if (found->is_number_float()) {
        const double value = found->get<double>();
        if (value >= 0 && value < 1.8e19 && std::floor(value) == value) {
            return static_cast<std::uint64_t>(value);
        }
    }
    throw ProtocolError(std::string(what) + " has an invalid \"maximum_size\"");
}

// The item decoders: `item` is a JSON object (checked by the caller); `what` names it in errors.

// What configuration and state entries both start with: the dataset and its node (lower-cased).
template <typename Dataset>
Dataset with_dataset_and_primary(const json& item, const char* what)
{
    Dataset dataset;
    dataset.dataset_id = lower(required_string(item, "dataset_id", what));
    dataset.primary = lower(optional_string(item, "primary", what));
    return dataset;
}

DatasetConfig to_config(const json& item, const char* what)
{
    auto config = with_dataset_and_primary<DatasetConfig>(item, what);
    if (const auto deleted = item.find("deleted"); deleted != item.end() && !deleted->is_null()) {
        if (!deleted->is_boolean()) {
            throw ProtocolError(std::string(what) + " has a non-boolean \"deleted\"");
        }
        config.deleted = deleted->get<bool>();
    }
    if (const auto metadata = item.find("metadata"); metadata != item.end() && metadata->is_object()) {
        for (const auto& [key, value] : metadata->items()) {
            if (value.is_string()) {
                config.metadata.emplace(key, value.get<std::string>());
            }
        }
    }
    config.maximum_size = optional_size(item, what);
    return config;
}

DatasetState to_state(const json& item, const char* what)
{
    auto state = with_dataset_and_primary<DatasetState>(item, what);
    state.path = optional_string(item, "path", what);
    state.maximum_size = optional_size(item, what);
    return state;
}

Lease to_lease(const json& item, const char* what)
{
    Lease lease;
    lease.dataset_id = lower(required_string(item, "dataset_id", what));
    lease.node_uuid = lower(required_string(item, "node_uuid", what));
    if (const auto expires = item.find("expires"); expires != item.end() && expires->is_number()) {
        lease.expires = expires->get<double>();
    }
    return lease;
}

Node to_node(const json& item, const char* what)
{
    return {lower(required_string(item, "uuid", what)), optional_string(item, "host", what)};
}

// A body that is a JSON array of `items`: each a JSON object (`item`, in errors) decoded by
// `to_item`. The shape of every list reply.
template <typename Item>
std::vector<Item> decode_array(const std::string& body, const char* items, const char* item,
                               Item (*to_item)(const json&, const char*))
{
    const json value = parse(body);
    std::vector<Item> decoded;
    for (const auto& entry : expect_array(value, items)) {
        decoded.push_back(to_item(expect_object(entry, item), item));
    }
    return decoded;
}

// Removes tags (<...>) and collapses white space, for HTML error pages.
std::string plain_excerpt(const std::string& body)
{
    std::string text;
    bool in_tag = false;
    bool pending_space = false;
    for (const char c : body) {
        if (c == '<') {
            in_tag = true;
            pending_space = true;
            continue;
        }
        if (in_tag) {
            in_tag = c != '>';
            continue;
        }
        if (std::isspace(static_cast<unsigned char>(c)) != 0 || std::iscntrl(static_cast<unsigned char>(c)) != 0) {
            pending_space = true;
            continue;
        }
        if (pending_space && !text.empty()) {
            text.push_back(' ');
        }
        pending_space = false;
        text.push_back(c);
        if (text.size() >= k_excerpt_length) {
            text += "...";
            break;
        }
    }
    return text;
}

// Compact JSON; bytes that are not UTF-8 become U+FFFD instead of throwing.
std::string dump(const json& value)
{
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string one_line(const std::string& text)
{
    std::string out;
    for (const char c : text) {
        out.push_back((c == '\n' || c == '\r' || c == '\0') ? ' ' : c);
    }
    return out;
}

}  // namespace

std::vector<DatasetConfig> decode_dataset_configs(const std::string& body)
{
    return decode_array(body, "dataset configurations", "dataset configuration", to_config);
}

DatasetConfig decode_dataset_config(const std::string& body)
{
    static constexpr const char* k_what = "dataset configuration";
    return to_config(expect_object(parse(body), k_what), k_what);
}

std::vector<DatasetState> decode_dataset_states(const std::string& body)
{
    return decode_array(body, "dataset states", "dataset state", to_state);
}

std::vector<Lease> decode_leases(const std::string& body)
{
    return decode_array(body, "leases", "lease", to_lease);
}

std::vector<Node> decode_nodes(const std::string& body)
{
    return decode_array(body, "nodes", "node", to_node);
}

std::string decode_node_uuid(const std::string& body)
{
    const json value = parse(body);
    return lower(required_string(expect_object(value, "the node"), "uuid", "node"));
}

std::string encode_create(const std::string& primary, std::uint64_t maximum_size,
                          const std::map<std::string, std::string>& metadata)
{
    json body = json::object();
    body["primary"] = primary;
    body["maximum_size"] = maximum_size;
    body["metadata"] = json::object();
    for (const auto& [key, value] : metadata) {
        body["metadata"][key] = value;
    }
    return dump(body);
}

std::string encode_move(const std::string& primary)
{
    return dump(json{{"primary", primary}});
}

std::string encode_lease(const std::string& dataset_id, const std::string& node_uuid)
{
    return dump(json{{"dataset_id", dataset_id}, {"node_uuid", node_uuid}, {"expires", nullptr}});
}

bool is_flocker_error(const std::string& body)
{
    const auto value = try_parse(body);
    if (!value || !value->is_object()) {
        return false;
    }
    const auto description = value->find("description");
    return description != value->end() && description->is_string();
}

std::string describe_error_body(const std::string& body)
{
    const auto value = try_parse(body);
    if (value && value->is_object()) {
        const auto description = value->find("description");
        if (description != value->end() && description->is_string()) {
            std::string text = one_line(description->get<std::string>());
            if (const auto errors = value->find("errors"); errors != value->end() && errors->is_array()) {
                std::string listed;
                for (const auto& error : *errors) {
                    listed += (listed.empty() ? "" : "; ") +
                              one_line(error.is_string() ? error.get<std::string>() : dump(error));
                }
                if (!listed.empty()) {
                    text += " (" + listed + ")";
                }
            }
            return text;
        }
    }
    if (value && value->is_string()) {
        return "internal error in the control service (task " + one_line(value->get<std::string>()) + "; see its log)";
    }
    const std::string excerpt = plain_excerpt(body);
    return excerpt.empty() ? std::string("(empty body)") : excerpt;
}

std::string status_json(const DatasetConfig& dataset)
{
    json status = json::object();
    status["DatasetID"] = dataset.dataset_id;
    status["Primary"] = dataset.primary;
    if (dataset.maximum_size) {
        status["MaximumSize"] = *dataset.maximum_size;
    }
    return dump(status);
}

}  // namespace volumecli::flocker
