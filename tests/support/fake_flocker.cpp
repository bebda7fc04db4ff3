#include "fake_flocker.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <regex>
#include <stdexcept>
#include <thread>
#include <tuple>

namespace volumecli::test {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* k_datasets = "/v1/configuration/datasets";
constexpr const char* k_leases = "/v1/configuration/leases";
constexpr const char* k_by_era = "/v1/state/nodes/by_era/";
constexpr std::uint64_t k_minimum_size = 67108864;
// Fault::huge_body*: 100 MB, streamed in 64 KiB pieces.
constexpr std::size_t k_huge = std::size_t{100} * 1024 * 1024;
constexpr std::size_t k_piece = 64 * 1024;

bool iequals(const std::string& a, const std::string& b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string lower(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// Flocker's types.yml: only version-4 UUIDs are accepted.
bool is_uuid4(const std::string& text)
{
    static const std::regex k_pattern(
        "^[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-4[A-Fa-f0-9]{3}-[89abAB][A-Fa-f0-9]{3}-[A-Fa-f0-9]{12}$");
    return std::regex_match(text, k_pattern);
}

struct Answer {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers{};
};

Answer json_answer(int status, const json& body)
{
    return {status, body.dump(), "application/json"};
}

Answer description(int status, const std::string& text)
{
    return json_answer(status, json{{"description", text}});
}

Answer schema_error(const std::vector<std::string>& errors)
{
    return json_answer(
        400, json{{"description", "The provided JSON doesn't match the required schema."}, {"errors", errors}});
}

// Twisted's pages for routing errors are HTML, not JSON.
Answer html(int status, const std::string& title)
{
    return {status,
            "<html>\n  <head><title>" + title + "</title></head>\n  <body>\n    <h1>" + title +
                "</h1>\n    The requested resource was not found.\n  </body>\n</html>\n",
            "text/html"};
}

Answer internal_error()
{
    return json_answer(500, json(random_uuid() + "@/1"));
}

// The Python 2 repr jsonschema puts in its messages: u'text'.
std::string py_repr(const json& value)
{
    if (value.is_string()) {
        return "u'" + value.get<std::string>() + "'";
    }
    return value.dump();
}

}  // namespace

std::optional<std::string> FlockerRequest::header(const std::string& name) const
{
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

std::string random_uuid()
{
    static std::mutex mutex;
    static std::mt19937_64 generator{std::random_device{}()};
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    {
        const std::lock_guard<std::mutex> lock(mutex);
        high = generator();
        low = generator();
    }
    high = (high & ~0xF000ULL) | 0x4000ULL;                  // version 4
    low = (low & ~(0xC000ULL << 48U)) | (0x8000ULL << 48U);  // RFC 4122 variant
    char text[37];
    std::snprintf(
        text, sizeof text, "%08llx-%04llx-%04llx-%04llx-%012llx", static_cast<unsigned long long>(high >> 32U),
        static_cast<unsigned long long>((high >> 16U) & 0xFFFFU), static_cast<unsigned long long>(high & 0xFFFFU),
        static_cast<unsigned long long>(low >> 48U), static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFULL));
    return text;
}

struct FakeFlocker::Impl {
    struct Dataset {
        FakeDataset config;
        Clock::time_point changed;  // last change the agents have to follow
        std::string state_node;     // where the state shows it mounted ("": nowhere)
        bool reported = false;      // listed in the state at all
        std::optional<Clock::time_point> mounted_since;
    };
    struct Canned {
        int status;
        std::string body;
        std::string content_type;
    };
    struct Delay {
        std::string method;
        std::string prefix;
        std::chrono::milliseconds duration;
    };

    mutable std::mutex mutex;
    std::condition_variable signal;
    bool stopping = false;

    std::vector<Dataset> datasets;
    std::map<std::string, std::string> leases;               // dataset id -> node
    std::vector<std::pair<std::string, std::string>> nodes;  // uuid, host
    std::map<std::string, std::string> eras;                 // era -> uuid
    EraSupport era_support = EraSupport::supported;
    std::uint64_t generation = 1;
    std::chrono::milliseconds convergence_delay{0};

    std::map<std::pair<std::string, std::string>, Canned> canned;
    std::vector<Delay> delays;
    std::vector<std::tuple<std::string, std::string, Fault>> faults;  // method, path prefix, fault
    int hold_creates = 0;
    int waiting_creates = 0;
    bool creates_released = false;
    int disturb = 0;

    std::vector<FlockerRequest> requests;
    std::atomic<std::size_t> rejected{0};

    std::unique_ptr<httplib::SSLServer> server;
    std::thread thread;
    int port = 0;

    // Flocker's verify callback: the chain must verify and the client's CN must start with "user-".
    static int verify_client(int preverify_ok, X509_STORE_CTX* store)
    {
        auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
        auto* self = ssl != nullptr ? static_cast<Impl*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl))) : nullptr;
        if (preverify_ok == 1 && X509_STORE_CTX_get_error_depth(store) == 0) {
            X509* leaf = X509_STORE_CTX_get_current_cert(store);
            char common_name[256] = {};
            X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, common_name, sizeof common_name);
            if (std::string(common_name).rfind("user-", 0) != 0) {
                X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
                preverify_ok = 0;
            }
        }
        if (preverify_ok == 0 && self != nullptr) {
            ++self->rejected;
        }
        return preverify_ok;
    }

    [[nodiscard]] std::string tag() const
    {
        char text[33];
        std::snprintf(text, sizeof text, "%016llx%016llx",
                      static_cast<unsigned long long>(generation * 0x9E3779B97F4A7C15ULL),
                      static_cast<unsigned long long>(generation ^ 0x5bd1e9955bd1e995ULL));
        return text;
    }

    void changed() { ++generation; }

    [[nodiscard]] bool known_node(const std::string& uuid) const
    {
        return std::any_of(nodes.begin(), nodes.end(), [&](const auto& node) { return node.first == uuid; });
    }

    Dataset* find(const std::string& id)
    {
        for (auto& dataset : datasets) {
            if (dataset.config.dataset_id == id) {
                return &dataset;
            }
        }
        return nullptr;
    }

    // Where the agents are asked to put the dataset ("" for nowhere).
    [[nodiscard]] std::string target(const Dataset& dataset) const
    {
        if (dataset.config.deleted || !known_node(dataset.config.primary)) {
            return {};
        }
        return dataset.config.primary;
    }

    // A lease keeps the dataset on the leasing node: no move off it, no destruction there.
    [[nodiscard]] bool pinned(const Dataset& dataset) const
    {
        const auto lease = leases.find(dataset.config.dataset_id);
        return !dataset.state_node.empty() && lease != leases.end() && lease->second == dataset.state_node &&
               target(dataset) != dataset.state_node;
    }

    // The agents catch up with every change older than the convergence delay.
    void converge(Clock::time_point now)
    {
        for (auto& dataset : datasets) {
            const std::string wanted = target(dataset);
            const bool settled = dataset.state_node == wanted && (dataset.reported || dataset.config.deleted);
            if (settled || pinned(dataset) || now < dataset.changed + convergence_delay) {
                continue;
            }
            if (!wanted.empty() && dataset.state_node != wanted) {
                dataset.mounted_since = dataset.changed + convergence_delay;
            } else if (wanted.empty()) {
                dataset.mounted_since.reset();
            }
            dataset.state_node = wanted;
            dataset.reported = !dataset.config.deleted;
        }
    }

    [[nodiscard]] json state_json() const
    {
        json entries = json::array();
        for (const auto& dataset : datasets) {
            if (dataset.state_node.empty() && !dataset.reported) {
                continue;
            }
            json entry{{"dataset_id", dataset.config.dataset_id}};
            if (dataset.config.maximum_size) {
                entry["maximum_size"] = *dataset.config.maximum_size;
            }
            const bool leaving = dataset.state_node != target(dataset) && !pinned(dataset);
            if (!dataset.state_node.empty() && !leaving) {
                entry["primary"] = dataset.state_node;
                entry["path"] = mount_path(dataset.state_node, dataset.config.dataset_id);
            }
            entries.push_back(entry);
        }
        return entries;
    }

    static json config_json(const FakeDataset& config)
    {
        json entry{{"dataset_id", config.dataset_id},
                   {"primary", config.primary},
                   {"deleted", config.deleted},
                   {"metadata", config.metadata}};
        if (config.maximum_size) {
            entry["maximum_size"] = *config.maximum_size;
        }
        return entry;
    }

    // Sleeps for the scripted delay of this request, if any (cut short by stop()).
    void apply_delay(const std::string& method, const std::string& path)
    {
        std::unique_lock<std::mutex> lock(mutex);
        for (const auto& entry : delays) {
            if (entry.method == method && path.rfind(entry.prefix, 0) == 0) {
                signal.wait_for(lock, entry.duration, [this] { return stopping; });
                return;
            }
        }
    }

    std::optional<Fault> fault_for(const std::string& method, const std::string& path) const
    {
        const std::lock_guard<std::mutex> lock(mutex);
        for (const auto& [fault_method, prefix, fault] : faults) {
            if (fault_method == method && path.rfind(prefix, 0) == 0) {
                return fault;
            }
        }
        return std::nullopt;
    }

    // True once stop() begins; waits at most `wait` for it.
    bool wait_for_stop(std::chrono::milliseconds wait)
    {
        std::unique_lock<std::mutex> lock(mutex);
        return signal.wait_for(lock, wait, [this] { return stopping; });
    }

    // httplib writes the status line and headers before it asks a content provider for the body,
    // so a provider that stalls or gives up misbehaves after the headers.
    void inflict(Fault fault, httplib::Response& res)
    {
        res.status = 200;
        switch (fault) {
            case Fault::stall_after_headers:
                res.set_content_provider(
                    64, "application/json",
                    [this](std::size_t /*offset*/, std::size_t /*length*/, httplib::DataSink& sink) {
                        while (sink.is_writable() && !wait_for_stop(std::chrono::milliseconds(50))) {
                        }
                        return false;
                    });
                return;
            case Fault::close_mid_body:
                res.set_content_provider(64, "application/json",
                                         [](std::size_t /*offset*/, std::size_t /*length*/, httplib::DataSink& sink) {
                                             sink.write("[{\"dataset_id\"", 15);
                                             return false;
                                         });
                return;
            case Fault::huge_body:
                res.set_content_provider(k_huge, "application/json",
                                         [this](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                                             std::string piece(std::min(length, k_piece), 'x');
                                             if (offset == 0) {
                                                 piece[0] = '[';
                                                 piece[1] = '"';
                                             }
                                             return !stopping_now() && sink.write(piece.data(), piece.size());
                                         });
                return;
            case Fault::huge_body_chunked:
                res.set_chunked_content_provider("application/json",
                                                 [this](std::size_t offset, httplib::DataSink& sink) {
                                                     std::string piece(k_piece, 'x');
                                                     if (offset == 0) {
                                                         piece[0] = '[';
                                                         piece[1] = '"';
                                                     }
                                                     if (offset >= k_huge || stopping_now()) {
                                                         sink.done();
                                                         return true;
                                                     }
                                                     return sink.write(piece.data(), piece.size());
                                                 });
                return;
        }
    }

    bool stopping_now() const
    {
        const std::lock_guard<std::mutex> lock(mutex);
        return stopping;
    }

    void hold_create()
    {
        std::unique_lock<std::mutex> lock(mutex);
        if (hold_creates <= 0 || creates_released) {
            return;
        }
        if (++waiting_creates >= hold_creates) {
            creates_released = true;
            signal.notify_all();
            return;
        }
        signal.wait_for(lock, std::chrono::seconds(5), [this] { return creates_released || stopping; });
    }

    // X-If-Configuration-Matches, checked before anything else as Flocker does. Caller holds the lock.
    std::optional<Answer> check_tag(const FlockerRequest& request)
    {
        const auto sent = request.header("X-If-Configuration-Matches");
        if (!sent) {
            return std::nullopt;
        }
        const std::string current = tag();
        if (*sent != current) {
            return description(412, "Tag doesn't match. Required: " + *sent + ", current: " + current);
        }
        return std::nullopt;
    }

    static std::optional<json> parse_body(const std::string& body)
    {
        json value = json::parse(body, nullptr, false);
        if (value.is_discarded()) {
            return std::nullopt;
        }
        return value;
    }

    static Answer undecodable()
    {
        return description(400,
                           "The request body could not be decoded according to the value of the\nContent-Type header.");
    }

    Answer create_dataset(const FlockerRequest& request)
    {
        hold_create();
        const std::lock_guard<std::mutex> lock(mutex);
        if (request.header("X-If-Configuration-Matches") && disturb != 0) {
            if (disturb > 0) {
                --disturb;
            }
            changed();  // another client changed something just before us
        }
        if (auto refused = check_tag(request)) {
            return *refused;
        }
        const auto body = parse_body(request.body);
        if (!body) {
            return undecodable();
        }
        if (!body->is_object()) {
            return schema_error({py_repr(*body) + " is not of type 'object'"});
        }
        std::vector<std::string> errors;
        static const std::vector<std::string> k_allowed{"primary", "dataset_id", "maximum_size", "metadata", "deleted"};
        for (const auto& [key, value] : body->items()) {
            if (std::find(k_allowed.begin(), k_allowed.end(), key) == k_allowed.end()) {
                errors.push_back("Additional properties are not allowed (u'" + key + "' was unexpected)");
            }
        }
        const auto primary = body->find("primary");
        if (primary == body->end()) {
            errors.emplace_back("'primary' is a required property");
        } else if (!primary->is_string() || !is_uuid4(primary->get<std::string>())) {
            errors.push_back(py_repr(*primary) + " is not a valid UUID4");
        }
        std::optional<std::uint64_t> size;
        if (const auto value = body->find("maximum_size"); value != body->end() && !value->is_null()) {
            if (!value->is_number_integer()) {
                errors.push_back(py_repr(*value) + " is not of type 'integer', 'null'");
            } else if (value->get<long long>() < static_cast<long long>(k_minimum_size)) {
                errors.push_back(value->dump() + " is less than the minimum of 67108864");
            } else if (value->get<long long>() % 1024 != 0) {
                errors.push_back(value->dump() + " is not a multiple of 1024");
            } else {
                size = value->get<std::uint64_t>();
            }
        }
        std::map<std::string, std::string> metadata;
        if (const auto value = body->find("metadata"); value != body->end()) {
            if (!value->is_object()) {
                errors.push_back(py_repr(*value) + " is not of type 'object'");
            } else {
                if (value->size() > 16) {
                    errors.push_back(value->dump() + " has too many properties");
                }
                for (const auto& [key, item] : value->items()) {
                    if (key.empty() || key.size() > 256) {
                        errors.push_back("u'" + key + "' does not match any of the regexes: '^.{1,256}$'");
                    } else if (!item.is_string()) {
                        errors.push_back(py_repr(item) + " is not of type 'string'");
                    } else if (item.get<std::string>().size() > 256) {
                        errors.push_back(py_repr(item) + " is too long");
                    } else {
                        metadata[key] = item.get<std::string>();
                    }
                }
            }
        }
        std::string id = random_uuid();
        if (const auto value = body->find("dataset_id"); value != body->end()) {
            if (!value->is_string() || !is_uuid4(value->get<std::string>())) {
                errors.push_back(py_repr(*value) + " is not a valid UUID4");
            } else {
                id = lower(value->get<std::string>());
            }
        }
        if (!errors.empty()) {
            return schema_error(errors);
        }
        if (body->contains("deleted")) {
            return internal_error();  // create_dataset_configuration() has no "deleted" argument
        }
        if (find(id) != nullptr) {
            return description(409, "The provided dataset_id is already in use.");
        }
        Dataset dataset;
        dataset.config = {id, lower(primary->get<std::string>()), metadata, size, false};
        dataset.changed = Clock::now();
        datasets.push_back(dataset);
        changed();
        return json_answer(201, config_json(dataset.config));
    }

    Answer update_dataset(const FlockerRequest& request, const std::string& id)
    {
        const std::lock_guard<std::mutex> lock(mutex);
        if (auto refused = check_tag(request)) {
            return *refused;
        }
        const auto body = parse_body(request.body);
        if (!body) {
            return undecodable();
        }
        if (!body->is_object()) {
            return schema_error({py_repr(*body) + " is not of type 'object'"});
        }
        for (const auto& [key, value] : body->items()) {
            if (key != "primary") {
                return schema_error({"Additional properties are not allowed (u'" + key + "' was unexpected)"});
            }
            if (!value.is_string() || !is_uuid4(value.get<std::string>())) {
                return schema_error({py_repr(value) + " is not a valid UUID4"});
            }
        }
        Dataset* dataset = find(id);
        if (dataset == nullptr) {
            return description(404, "Dataset not found.");
        }
        if (dataset->config.deleted) {
            return description(405, "The dataset has been deleted.");
        }
        if (const auto primary = body->find("primary"); primary != body->end()) {
            const std::string wanted = lower(primary->get<std::string>());
            if (wanted != dataset->config.primary) {
                dataset->config.primary = wanted;
                dataset->changed = Clock::now();
                changed();
            }
        }
        return json_answer(200, config_json(dataset->config));
    }

    Answer delete_dataset_request(const FlockerRequest& request, const std::string& id)
    {
        const std::lock_guard<std::mutex> lock(mutex);
        if (auto refused = check_tag(request)) {
            return *refused;
        }
        Dataset* dataset = find(id);
        if (dataset == nullptr) {
            return description(404, "Dataset not found.");
        }
        if (!dataset->config.deleted) {
            dataset->config.deleted = true;
            dataset->changed = Clock::now();
            changed();
        }
        return json_answer(200, config_json(dataset->config));
    }

    Answer acquire_lease(const FlockerRequest& request)
    {
        const std::lock_guard<std::mutex> lock(mutex);
        const auto body = parse_body(request.body);
        if (!body) {
            return undecodable();
        }
        std::vector<std::string> errors;
        for (const char* key : {"dataset_id", "node_uuid", "expires"}) {
            if (!body->is_object() || !body->contains(key)) {
                errors.push_back(std::string("'") + key + "' is a required property");
            }
        }
        if (!errors.empty()) {
            return schema_error(errors);
        }
        const auto& dataset_id = (*body)["dataset_id"];
        const auto& node = (*body)["node_uuid"];
        if (!dataset_id.is_string() || !is_uuid4(dataset_id.get<std::string>()) || !node.is_string() ||
            !is_uuid4(node.get<std::string>())) {
            return schema_error({"dataset_id and node_uuid must be UUID4s"});
        }
        const std::string id = lower(dataset_id.get<std::string>());
        const std::string holder = lower(node.get<std::string>());
        json answer{{"dataset_id", id}, {"node_uuid", holder}, {"expires", (*body)["expires"]}};
        const auto existing = leases.find(id);
        if (existing != leases.end()) {
            if (existing->second != holder) {
                return description(409, "Lease already held.");
            }
            return json_answer(200, answer);
        }
        leases[id] = holder;
        changed();
        return json_answer(201, answer);
    }

    Answer release_lease(const std::string& id)
    {
        const std::lock_guard<std::mutex> lock(mutex);
        const auto existing = leases.find(id);
        if (existing == leases.end()) {
            return description(404, "Lease not found.");
        }
        json answer{{"dataset_id", id}, {"node_uuid", existing->second}, {"expires", nullptr}};
        leases.erase(existing);
        changed();
        // Whatever the lease held back can now proceed.
        if (Dataset* dataset = find(id); dataset != nullptr && dataset->state_node != target(*dataset)) {
            dataset->changed = Clock::now();
        }
        return json_answer(200, answer);
    }

    Answer route(const FlockerRequest& request)
    {
        const std::string& method = request.method;
        const std::string& path = request.path;
        {
            const std::lock_guard<std::mutex> lock(mutex);
            if (const auto found = canned.find({method, path}); found != canned.end()) {
                return {found->second.status, found->second.body, found->second.content_type};
            }
        }
        const auto method_not_allowed = [] { return html(405, "405 Method Not Allowed"); };
        if (path == "/v1/version") {
            return method == "GET" ? json_answer(200, json{{"flocker", "1.15.0"}}) : method_not_allowed();
        }
        if (path == k_datasets) {
            if (method == "GET") {
                const std::lock_guard<std::mutex> lock(mutex);
                json list = json::array();
                for (const auto& dataset : datasets) {
                    list.push_back(config_json(dataset.config));
                }
                Answer answer = json_answer(200, list);
                // The tag of exactly the configuration listed, taken under the same lock.
                answer.headers.emplace_back("X-Configuration-Tag", tag());
                return answer;
            }
            return method == "POST" ? create_dataset(request) : method_not_allowed();
        }
        if (path.rfind(std::string(k_datasets) + "/", 0) == 0) {
            const std::string id = path.substr(std::string(k_datasets).size() + 1);
            if (method == "POST") {
                return update_dataset(request, id);
            }
            return method == "DELETE" ? delete_dataset_request(request, id) : method_not_allowed();
        }
        if (path == "/v1/state/datasets") {
            if (method != "GET") {
                return method_not_allowed();
            }
            const std::lock_guard<std::mutex> lock(mutex);
            converge(Clock::now());
            return json_answer(200, state_json());
        }
        if (path == "/v1/state/nodes") {
            if (method != "GET") {
                return method_not_allowed();
            }
            const std::lock_guard<std::mutex> lock(mutex);
            json list = json::array();
            for (const auto& [uuid, host] : nodes) {
                list.push_back(json{{"host", host}, {"uuid", uuid}});
            }
            return json_answer(200, list);
        }
        if (path.rfind(k_by_era, 0) == 0) {
            const std::lock_guard<std::mutex> lock(mutex);
            if (era_support == EraSupport::absent) {
                return html(404, "404 Not Found");
            }
            if (method != "GET") {
                return method_not_allowed();
            }
            const std::string era = path.substr(std::string(k_by_era).size());
            if (era_support == EraSupport::broken || !is_uuid4(era)) {
                return internal_error();
            }
            const auto found = eras.find(lower(era));
            if (found == eras.end()) {
                return description(404, "No node found with given era.");
            }
            return json_answer(200, json{{"uuid", found->second}});
        }
        if (path == k_leases) {
            if (method == "GET") {
                const std::lock_guard<std::mutex> lock(mutex);
                json list = json::array();
                for (const auto& [id, node] : leases) {
                    list.push_back(json{{"dataset_id", id}, {"node_uuid", node}, {"expires", nullptr}});
                }
                return json_answer(200, list);
            }
            return method == "POST" ? acquire_lease(request) : method_not_allowed();
        }
        if (path.rfind(std::string(k_leases) + "/", 0) == 0) {
            return method == "DELETE" ? release_lease(path.substr(std::string(k_leases).size() + 1))
                                      : method_not_allowed();
        }
        return html(404, "404 Not Found");
    }

    void handle(const httplib::Request& req, httplib::Response& res)
    {
        FlockerRequest request;
        request.received = Clock::now();
        request.method = req.method;
        request.path = req.path;
        for (const auto& [name, value] : req.headers) {
            if (name != "REMOTE_ADDR" && name != "REMOTE_PORT" && name != "LOCAL_ADDR" && name != "LOCAL_PORT") {
                request.headers.emplace_back(name, value);
            }
        }
        request.body = req.body;
        request.remote_port = req.remote_port;
        apply_delay(request.method, request.path);
        if (const auto fault = fault_for(request.method, request.path)) {
            {
                const std::lock_guard<std::mutex> lock(mutex);
                requests.push_back(request);
            }
            inflict(*fault, res);
            return;
        }
        Answer answer = route(request);
        {
            const std::lock_guard<std::mutex> lock(mutex);
            request.status = answer.status;
            requests.push_back(request);
        }
        for (const auto& [name, value] : answer.headers) {
            res.set_header(name.c_str(), value);
        }
        res.status = answer.status;
        res.set_content(answer.body, answer.content_type.c_str());
    }
};

FakeFlocker::FakeFlocker() : m_impl(std::make_unique<Impl>()) {}

FakeFlocker::~FakeFlocker()
{
    stop();
}

int FakeFlocker::start(const std::string& cert_file, const std::string& key_file, const std::string& client_ca_file)
{
    if (m_impl->server) {
        throw std::logic_error("FakeFlocker: already started");
    }
    Impl* impl = m_impl.get();
    auto server = std::make_unique<httplib::SSLServer>([&](SSL_CTX& context) {
        SSL_CTX_set_app_data(&context, impl);
        if (SSL_CTX_use_certificate_chain_file(&context, cert_file.c_str()) != 1 ||
            SSL_CTX_use_PrivateKey_file(&context, key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_load_verify_locations(&context, client_ca_file.c_str(), nullptr) != 1) {
            return false;
        }
        SSL_CTX_set_client_CA_list(&context, SSL_load_client_CA_file(client_ca_file.c_str()));
        SSL_CTX_set_verify(&context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &Impl::verify_client);
        return true;
    });
    if (!server->is_valid()) {
        throw std::runtime_error("FakeFlocker: invalid TLS setup (" + cert_file + ", " + key_file + ", " +
                                 client_ca_file + ")");
    }
    server->set_keep_alive_max_count(100000);
    server->set_tcp_nodelay(true);  // no Nagle delay between the reply head and its body
    server->set_read_timeout(10);
    const auto handler = [impl](const httplib::Request& req, httplib::Response& res) { impl->handle(req, res); };
    server->Get(".*", handler);
    server->Post(".*", handler);
    server->Put(".*", handler);
    server->Delete(".*", handler);
    const int port = server->bind_to_any_port("127.0.0.1");
    if (port <= 0) {
        throw std::runtime_error("FakeFlocker: cannot listen on 127.0.0.1");
    }
    m_impl->port = port;
    m_impl->server = std::move(server);
    m_impl->thread = std::thread([impl] { impl->server->listen_after_bind(); });
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (!m_impl->server->is_running() && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return port;
}

void FakeFlocker::stop()
{
    {
        const std::lock_guard<std::mutex> lock(m_impl->mutex);
        m_impl->stopping = true;
    }
    m_impl->signal.notify_all();
    if (m_impl->server) {
        m_impl->server->stop();
        if (m_impl->thread.joinable()) {
            m_impl->thread.join();
        }
    }
}

int FakeFlocker::port() const
{
    return m_impl->port;
}

std::size_t FakeFlocker::rejected_clients() const
{
    return m_impl->rejected.load();
}

void FakeFlocker::add_node(const std::string& uuid, const std::string& host, const std::string& era)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->nodes.emplace_back(lower(uuid), host);
    if (!era.empty()) {
        m_impl->eras[lower(era)] = lower(uuid);
    }
}

void FakeFlocker::set_era_support(EraSupport support)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->era_support = support;
}

std::string FakeFlocker::add_dataset(const std::string& primary, const std::map<std::string, std::string>& metadata,
                                     std::optional<std::uint64_t> maximum_size, bool mounted)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    Impl::Dataset dataset;
    dataset.config = {random_uuid(), lower(primary), metadata, maximum_size, false};
    dataset.changed = Clock::now();
    if (mounted && m_impl->known_node(dataset.config.primary)) {
        dataset.state_node = dataset.config.primary;
        dataset.reported = true;
        dataset.mounted_since = dataset.changed;
    }
    m_impl->datasets.push_back(dataset);
    m_impl->changed();
    return dataset.config.dataset_id;
}

void FakeFlocker::delete_dataset(const std::string& dataset_id)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    if (auto* dataset = m_impl->find(dataset_id)) {
        dataset->config.deleted = true;
        dataset->changed = Clock::now();
        m_impl->changed();
    }
}

void FakeFlocker::add_lease(const std::string& dataset_id, const std::string& node_uuid)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->leases[lower(dataset_id)] = lower(node_uuid);
    m_impl->changed();
}

std::vector<FakeDataset> FakeFlocker::datasets() const
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    std::vector<FakeDataset> list;
    for (const auto& dataset : m_impl->datasets) {
        list.push_back(dataset.config);
    }
    return list;
}

std::vector<FakeDataset> FakeFlocker::datasets_named(const std::string& value, const std::string& key) const
{
    std::vector<FakeDataset> list;
    for (auto& dataset : datasets()) {
        const auto found = dataset.metadata.find(key);
        if (!dataset.deleted && found != dataset.metadata.end() && found->second == value) {
            list.push_back(std::move(dataset));
        }
    }
    return list;
}

std::map<std::string, std::string> FakeFlocker::leases() const
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    return m_impl->leases;
}

std::string FakeFlocker::configuration_tag() const
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    return m_impl->tag();
}

void FakeFlocker::set_convergence_delay(std::chrono::milliseconds delay)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->convergence_delay = delay;
}

std::optional<std::chrono::steady_clock::time_point> FakeFlocker::mounted_since(const std::string& dataset_id) const
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->converge(Clock::now());
    for (const auto& dataset : m_impl->datasets) {
        if (dataset.config.dataset_id == dataset_id) {
            return dataset.mounted_since;
        }
    }
    return std::nullopt;
}

std::string FakeFlocker::mount_path(const std::string& node, const std::string& dataset_id)
{
    return "/flocker/" + node + ".default." + dataset_id;
}

void FakeFlocker::reply(const std::string& method, const std::string& path, int status, const std::string& body,
                        const std::string& content_type)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->canned[{method, path}] = {status, body, content_type};
}

void FakeFlocker::hold_creates_until(int count)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->hold_creates = count;
    m_impl->waiting_creates = 0;
    m_impl->creates_released = false;
}

void FakeFlocker::disturb_creates(int times)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->disturb = times;
}

void FakeFlocker::inject(const std::string& method, const std::string& path_prefix, Fault fault)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->faults.emplace_back(method, path_prefix, fault);
}

void FakeFlocker::delay(const std::string& method, const std::string& path_prefix, std::chrono::milliseconds duration)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->delays.push_back({method, path_prefix, duration});
}

std::vector<FlockerRequest> FakeFlocker::requests() const
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    return m_impl->requests;
}

std::vector<FlockerRequest> FakeFlocker::requests_for(const std::string& method, const std::string& path_prefix) const
{
    std::vector<FlockerRequest> matching;
    for (auto& request : requests()) {
        if (request.method == method && request.path.rfind(path_prefix, 0) == 0) {
            matching.push_back(std::move(request));
        }
    }
    return matching;
}

void FakeFlocker::clear_requests()
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->requests.clear();
}

}  // namespace volumecli::test
