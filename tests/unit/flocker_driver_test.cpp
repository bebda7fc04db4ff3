// The Flocker driver's request sequences, behind a fake HttpClient that records what was sent and
// replays canned replies.

#include <volumecli/error.hpp>
#include <volumecli/flocker_driver.hpp>
#include <volumecli/operations.hpp>

#include "certs.hpp"
#include "core/clock.hpp"
#include "flocker/host_probes.hpp"
#include "temp_dir.hpp"
#include "timing.hpp"
#include "transport/http_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using volumecli::Clock;
using volumecli::Driver;
using volumecli::ExitCode;
using volumecli::FlockerSettings;
using volumecli::HttpClient;
using volumecli::HttpRequest;
using volumecli::HttpResponse;
using volumecli::LookupResult;
using volumecli::MountRequest;
using volumecli::flocker::HostProbes;
using volumecli::test::TempDir;
using volumecli::test::within;

namespace {

constexpr const char* k_here = "cf0f0346-17b2-4812-beca-1434997d6c3f";
constexpr const char* k_there = "7ec3c4eb-6b1c-43da-8015-a163f7d15244";
constexpr const char* k_id = "b1c3e3a4-0000-4000-8000-000000000001";
constexpr const char* k_other_id = "b1c3e3a4-0000-4000-8000-000000000002";
constexpr const char* k_boot_id = "0b9a1b4e-8d5c-4c3e-9f6f-2a1d3c4b5e6f";
constexpr const char* k_datasets = "/v1/configuration/datasets";
constexpr const char* k_state = "/v1/state/datasets";
constexpr const char* k_leases = "/v1/configuration/leases";

HttpResponse json_reply(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {})
{
    return HttpResponse{status, std::move(body), std::move(headers)};
}

std::string dataset(const std::string& id, const std::string& primary, const std::string& name, bool deleted = false)
{
    return R"({"dataset_id":")" + id + R"(","primary":")" + primary + R"(","deleted":)" + (deleted ? "true" : "false") +
           R"(,"metadata":{"name":")" + name + R"("}})";
}

std::string mounted(const std::string& id, const std::string& node)
{
    return R"({"dataset_id":")" + id + R"(","primary":")" + node + R"(","path":"/flocker/)" + id + R"("})";
}

// Replies per "METHOD path": each queued reply is used once, except the last, which repeats.
class FakeHttpClient final : public HttpClient {
public:
    HttpResponse request(const HttpRequest& request, Clock::time_point deadline) override
    {
        m_requests.push_back(request);
        m_deadlines.push_back(deadline);
        const auto found = m_replies.find(request.method + " " + request.path);
        if (found == m_replies.end() || found->second.empty()) {
            throw std::logic_error("FakeHttpClient: unexpected " + request.method + " " + request.path);
        }
        auto& queue = found->second;
        auto reply = queue.front();
        if (queue.size() > 1) {
            queue.pop_front();
        }
        return reply();
    }

    void on(const std::string& method, const std::string& path, HttpResponse response)
    {
        m_replies[method + " " + path].emplace_back([response] { return response; });
    }

    template <typename E>
    void fail(const std::string& method, const std::string& path, const std::string& message)
    {
        m_replies[method + " " + path].emplace_back([message]() -> HttpResponse { throw E(message); });
    }

    [[nodiscard]] std::vector<std::string> calls() const
    {
        std::vector<std::string> calls;
        for (const auto& request : m_requests) {
            calls.push_back(request.method + " " + request.path);
        }
        return calls;
    }

    [[nodiscard]] std::vector<HttpRequest> sent(const std::string& method, const std::string& path) const
    {
        std::vector<HttpRequest> matching;
        for (const auto& request : m_requests) {
            if (request.method == method && request.path == path) {
                matching.push_back(request);
            }
        }
        return matching;
    }

    [[nodiscard]] const std::vector<Clock::time_point>& deadlines() const { return m_deadlines; }

private:
    std::map<std::string, std::deque<std::function<HttpResponse()>>> m_replies;
    std::vector<HttpRequest> m_requests;
    std::vector<Clock::time_point> m_deadlines;
};

std::optional<std::string> header(const HttpRequest& request, const std::string& name)
{
    for (const auto& [key, value] : request.headers) {
        if (key == name) {
            return value;
        }
    }
    return std::nullopt;
}

struct Fixture {
    TempDir dir;
    FakeHttpClient* http = nullptr;
    FlockerSettings settings;
    HostProbes probes;

    Fixture()
    {
        settings.node_uuid = k_here;
        settings.etc_dir = dir.make_dir("etc");
        probes.boot_id_file = dir.file("boot_id");
        probes.environment = [](const char*) -> std::optional<std::string> { return std::nullopt; };
        probes.local_addresses = [] { return std::vector<std::string>{"192.0.2.7"}; };
        settings.wait_timeout = 2s;
        settings.retry.window = 0ms;
    }

    std::unique_ptr<Driver> driver()
    {
        auto client = std::make_unique<FakeHttpClient>();
        http = client.get();
        return volumecli::flocker::make_flocker_driver("flocker", settings, probes, std::move(client));
    }
};

struct Failure {
    ExitCode code = ExitCode::success;
    std::string message;
};

template <typename Function>
Failure failure_of(Function&& function)
{
    try {
        function();
    } catch (const volumecli::Error& error) {
        return {error.exit_code(), error.what()};
    }
    FAIL("expected a volumecli::Error");
    return {};
}

}  // namespace

TEST_CASE("flocker driver: get finds the live dataset by name and shows its path only when mounted here",
          "[flocker][driver]")
{
    Fixture fixture;
    auto driver = fixture.driver();
    fixture.http->on("GET", k_datasets,
                     json_reply(200, "[" + dataset(k_other_id, k_here, "vol", true) + "," +
                                         dataset(k_id, k_there, "vol") + "," + dataset("x", k_here, "other") + "]"));

    SECTION("mounted elsewhere: found, empty Mountpoint")
    {
        fixture.http->on("GET", k_state, json_reply(200, "[" + mounted(k_id, k_there) + "]"));
        const auto result = driver->get("vol");
        REQUIRE(result.kind == LookupResult::Kind::found);
        CHECK(result.volume.name == "vol");
        CHECK(result.volume.mountpoint.empty());
        CHECK_THAT(result.volume.status_json.value_or(""), Contains(k_id) && Contains(k_there));
    }
    SECTION("mounted here: the path the state reports")
    {
        fixture.http->on("GET", k_state, json_reply(200, "[" + mounted(k_id, k_here) + "]"));
        CHECK(driver->get("vol").volume.mountpoint == std::string("/flocker/") + k_id);
    }
    SECTION("an unknown name, or one whose dataset is deleted, is not found")
    {
        const auto result = driver->get("nothing");
        CHECK(result.kind == LookupResult::Kind::not_found);
        CHECK(result.message == "no Flocker dataset with metadata name=\"nothing\"");
    }
}

TEST_CASE("flocker driver: two live datasets with one name are an error listing both ids", "[flocker][driver]")
{
    Fixture fixture;
    auto driver = fixture.driver();
    fixture.http->on(
        "GET", k_datasets,
        json_reply(200, "[" + dataset(k_other_id, k_here, "vol") + "," + dataset(k_id, k_there, "vol") + "]"));
    const auto failure = failure_of([&] { driver->get("vol"); });
    CHECK(failure.code == ExitCode::driver_error);
    CHECK_THAT(failure.message, Contains(k_id) && Contains(k_other_id));
}

TEST_CASE("flocker driver: create sends a conditional create with this node, the size and the metadata",
          "[flocker][driver]")
{
    Fixture fixture;
    auto driver = fixture.driver();
    fixture.http->on("GET", k_datasets, json_reply(200, "[]", {{"X-Configuration-Tag", "tag-1"}}));
    fixture.http->on("POST", k_datasets, json_reply(201, dataset(k_id, k_here, "vol")));
    driver->create("vol", {{"size", "1"}, {"profile", "gold"}});

    const auto creates = fixture.http->sent("POST", k_datasets);
    REQUIRE(creates.size() == 1);
    CHECK(creates[0].body == R"({"maximum_size":1073741824,"metadata":{"name":"vol","profile":"gold"},"primary":")" +
                                 std::string(k_here) + R"("})");
    CHECK(header(creates[0], "X-If-Configuration-Matches") == std::optional<std::string>("tag-1"));
    CHECK(header(creates[0], "Content-Type") == std::optional<std::string>("application/json"));
}

TEST_CASE("flocker driver: create retries on 412 and uses a dataset someone else created meanwhile",
          "[flocker][driver]")
{
    Fixture fixture;
    auto driver = fixture.driver();
    fixture.http->on("GET", k_datasets, json_reply(200, "[]", {{"X-Configuration-Tag", "tag-1"}}));
    fixture.http->on("GET", k_datasets,
                     json_reply(200, "[" + dataset(k_id, k_there, "vol") + "]", {{"X-Configuration-Tag", "tag-2"}}));
    fixture.http->on("POST", k_datasets,
                     json_reply(412, R"({"description": "Tag doesn't match. Required: tag-1, current: tag-2"})"));
    driver->create("vol", {});
    CHECK(fixture.http->calls() == std::vector<std::string>{"GET /v1/configuration/datasets",
                                                            "POST /v1/configuration/datasets",
                                                            "GET /v1/configuration/datasets"});
}

TEST_CASE("flocker driver: create gives up after 20 conflicting changes", "[flocker][driver]")
{
    Fixture fixture;
    auto driver = fixture.driver();
    fixture.http->on("GET", k_datasets, json_reply(200, "[]", {{"X-Configuration-Tag", "t"}}));
    fixture.http->on("POST", k_datasets, json_reply(412, R"({"description": "Tag doesn't match."})"));
    const auto failure = failure_of([&] { driver->create("vol", {}); });
    CHECK(failure.code == ExitCode::driver_error);
    CHECK_THAT(failure.message, Contains("412"));
    CHECK(fixture.http->sent("POST", k_datasets).size() == 20);
}

TEST_CASE("flocker driver: invalid options are refused before any request", "[flocker][driver]")
{
    Fixture fixture;
    auto driver = fixture.driver();
    const auto options = GENERATE(as<volumecli::VolumeOptions>{}, volumecli::VolumeOptions{{"size", "0"}},
                                  volumecli::VolumeOptions{{"size", "ten"}}, volumecli::VolumeOptions{{"name", "x"}});
    const auto failure = failure_of([&] { driver->create("vol", options); });
    CHECK(failure.code == ExitCode::usage);
    CHECK(fixture.http->calls().empty());
}

TEST_CASE("flocker driver: mount leases, moves the dataset here and waits for the state", "[flocker][driver]")
{
    Fixture fixture;
    auto driver = fixture.driver();
    fixture.http->on("GET", k_datasets, json_reply(200, "[" + dataset(k_id, k_there, "vol") + "]"));
    fixture.http->on("GET", k_leases, json_reply(200, "[]"));
    fixture.http->on("POST", k_leases, json_reply(201, "{}"));
    fixture.http->on("POST", std::string(k_datasets) + "/" + k_id, json_reply(200, dataset(k_id, k_here, "vol")));
    fixture.http->on("GET", k_state, json_reply(200, "[" + mounted(k_id, k_there) + "]"));
    fixture.http->on("GET", k_state, json_reply(200, R"([{"dataset_id":")" + std::string(k_id) + R"("}])"));
    fixture.http->on("GET", k_state, json_reply(200, "[" + mounted(k_id, k_here) + "]"));

    CHECK(driver->mount("vol", "ignored") == std::string("/flocker/") + k_id);
    const auto calls = fixture.http->calls();
    REQUIRE(calls.size() == 7);
    CHECK(std::vector<std::string>(calls.begin(), calls.begin() + 4) ==
          std::vector<std::string>{"GET /v1/configuration/datasets", "GET /v1/configuration/leases",
                                   "POST /v1/configuration/leases",
                                   std::string("POST /v1/configuration/datasets/") + k_id});
    CHECK(fixture.http->sent("POST", k_leases).front().body ==
          R"({"dataset_id":")" + std::string(k_id) + R"(","expires":null,"node_uuid":")" + k_here + R"("})");
    CHECK(fixture.http->sent("POST", std::string(k_datasets) + "/" + k_id).front().body ==
          R"({"primary":")" + std::string(k_here) + R"("})");
}

TEST_CASE("flocker driver: mount refuses a dataset leased by another node, naming it, without moving it",
          "[flocker][driver]")
{
    Fixture fixture;
    auto driver = fixture.driver();
    fixture.http->on("GET", k_datasets, json_reply(200, "[" + dataset(k_id, k_there, "vol") + "]"));
    fixture.http->on("GET", k_leases,
                     json_reply(200, R"([{"dataset_id":")" + std::string(k_id) + R"(","node_uuid":")" + k_there +
                                         R"(","expires":null}])"));
    const auto failure = failure_of([&] { driver->mount("vol", "id"); });
    CHECK(failure.code == ExitCode::driver_error);
    CHECK_THAT(failure.message, Contains(k_there) && Contains("leased"));
    CHECK(fixture.http->sent("POST", std::string(k_datasets) + "/" + k_id).empty());
}

TEST_CASE("flocker driver: a mount that times out releases the lease it took", "[flocker][driver]")
{
    Fixture fixture;
    fixture.settings.wait_timeout = 300ms;
    auto driver = fixture.driver();
    fixture.http->on("GET", k_datasets, json_reply(200, "[" + dataset(k_id, k_here, "vol") + "]"));
    fixture.http->on("GET", k_leases, json_reply(200, "[]"));
    fixture.http->on("POST", k_leases, json_reply(201, "{}"));
    fixture.http->on("GET", k_state, json_reply(200, "[]"));
    fixture.http->on("DELETE", std::string(k_leases) + "/" + k_id, json_reply(200, "{}"));

    const auto started = Clock::now();
    const auto failure = failure_of([&] { driver->mount("vol", "id"); });
    const auto elapsed = Clock::now() - started;
    CHECK(failure.code == ExitCode::timeout);
    CHECK_THAT(failure.message, Contains(k_id) && Contains("does not report it"));
    CHECK(elapsed >= 250ms);
    CHECK(elapsed < within(300ms));
    CHECK(fixture.http->sent("DELETE", std::string(k_leases) + "/" + k_id).size() == 1);
    // Polling is gentle: at most 20 state requests per second.
    const auto polls = fixture.http->sent("GET", k_state).size();
    CHECK(polls >= 2);
    CHECK(polls <= 7);
}

TEST_CASE("flocker driver: every request is bounded by the per-request timeout", "[flocker][driver]")
{
    Fixture fixture;
    fixture.settings.timeout = 1500ms;
    auto driver = fixture.driver();
    fixture.http->on("GET", k_datasets, json_reply(200, "[]"));
    const auto before = Clock::now();
    driver->get("vol");
    const auto left = fixture.http->deadlines().front() - before;
    CHECK(left > 1400ms);
    CHECK(left <= 1600ms);
}

TEST_CASE("flocker driver: non-2xx replies carry the request, the status and Flocker's words", "[flocker][driver]")
{
    Fixture fixture;
    auto driver = fixture.driver();
    SECTION("a JSON description")
    {
        fixture.http->on("GET", k_datasets, json_reply(200, "[" + dataset(k_id, k_here, "vol") + "]"));
        fixture.http->on("DELETE", std::string(k_datasets) + "/" + k_id,
                         json_reply(404, R"({"description": "Dataset not found."})"));
        fixture.http->on("GET", k_leases, json_reply(200, "[]"));
        const auto failure = failure_of([&] { driver->remove("vol"); });
        CHECK(failure.code == ExitCode::driver_error);
        CHECK(failure.message ==
              std::string("DELETE /v1/configuration/datasets/") + k_id + ": HTTP 404: Dataset not found.");
    }
    SECTION("an unhandled exception's JSON string")
    {
        fixture.http->on("GET", k_datasets, json_reply(500, R"("5145d34d@/1")"));
        const auto failure = failure_of([&] { driver->get("vol"); });
        CHECK(failure.code == ExitCode::driver_error);
        CHECK_THAT(failure.message, Contains("GET /v1/configuration/datasets: HTTP 500: internal error"));
    }
    SECTION("an HTML page")
    {
        fixture.http->on("GET", k_datasets, json_reply(200, "[" + dataset(k_id, k_here, "vol") + "]"));
        fixture.http->on("GET", k_leases, json_reply(404, "<html><body><h1>No Such Resource</h1></body></html>"));
        const auto failure = failure_of([&] { driver->unmount("vol", "id"); });
        CHECK(failure.message == "GET /v1/configuration/leases: HTTP 404: No Such Resource");
    }
    SECTION("a 200 that is not the expected JSON is a protocol error")
    {
        fixture.http->on("GET", k_datasets, json_reply(200, "<html>oops</html>"));
        const auto failure = failure_of([&] { driver->list(); });
        CHECK(failure.code == ExitCode::protocol);
        CHECK_THAT(failure.message, Contains("GET /v1/configuration/datasets"));
    }
}

TEST_CASE("flocker driver: without --node-uuid the node is found by boot id, node.crt, then host address",
          "[flocker][driver]")
{
    Fixture fixture;
    fixture.settings.node_uuid.reset();
    fixture.dir.write_file("boot_id", std::string(k_boot_id) + "\n");
    const std::string by_era = std::string("/v1/state/nodes/by_era/") + k_boot_id;
    const auto path_of_vol = [&](Driver& driver) {
        fixture.http->on("GET", k_datasets, json_reply(200, "[" + dataset(k_id, k_there, "vol") + "]"));
        return driver.path("vol");
    };

    SECTION("by_era answers")
    {
        auto driver = fixture.driver();
        fixture.http->on("GET", by_era, json_reply(200, R"({"uuid":")" + std::string(k_there) + R"("})"));
        fixture.http->on("GET", k_state, json_reply(200, "[" + mounted(k_id, k_there) + "]"));
        CHECK(path_of_vol(*driver) == std::string("/flocker/") + k_id);
    }
    SECTION("an HTML 404 (Flocker before 1.8) falls back at once to node.crt")
    {
        TempDir certs;
        const auto authority = volumecli::test::generate_test_certificates(certs.path());
        const auto node =
            volumecli::test::issue_certificate(authority, certs.path(), "node", std::string("node-") + k_there);
        fixture.dir.write_file("etc/node.crt", volumecli::test::read_file(node.cert));
        auto driver = fixture.driver();
        fixture.http->on("GET", by_era, json_reply(404, "<html><title>404 - No Such Resource</title></html>"));
        fixture.http->on("GET", k_state, json_reply(200, "[" + mounted(k_id, k_there) + "]"));
        CHECK(path_of_vol(*driver) == std::string("/flocker/") + k_id);
        CHECK(fixture.http->sent("GET", by_era).size() == 1);
    }
    SECTION("then the node whose host is one of this host's addresses")
    {
        fixture.probes.local_addresses = [] { return std::vector<std::string>{"127.0.0.1", "10.0.0.9"}; };
        auto driver = fixture.driver();
        fixture.http->on("GET", by_era, json_reply(500, R"("task@/1")"));
        fixture.http->on("GET", "/v1/state/nodes",
                         json_reply(200, R"([{"host":"10.0.0.8","uuid":")" + std::string(k_here) +
                                             R"("},{"host":"10.0.0.9","uuid":")" + k_there + R"("}])"));
        fixture.http->on("GET", k_state, json_reply(200, "[" + mounted(k_id, k_there) + "]"));
        CHECK(path_of_vol(*driver) == std::string("/flocker/") + k_id);
    }
    SECTION("two nodes with this host's addresses: exit 1 asking for --node-uuid")
    {
        fixture.probes.local_addresses = [] { return std::vector<std::string>{"10.0.0.8", "10.0.0.9"}; };
        auto driver = fixture.driver();
        fixture.http->on("GET", by_era, json_reply(405, "<html>Method Not Allowed</html>"));
        fixture.http->on("GET", "/v1/state/nodes",
                         json_reply(200, R"([{"host":"10.0.0.8","uuid":")" + std::string(k_here) +
                                             R"("},{"host":"10.0.0.9","uuid":")" + k_there + R"("}])"));
        const auto failure = failure_of([&] { path_of_vol(*driver); });
        CHECK(failure.code == ExitCode::driver_error);
        CHECK_THAT(failure.message, Contains("--node-uuid"));
    }
    SECTION("nothing identifies this node: exit 4")
    {
        auto driver = fixture.driver();
        fixture.http->on("GET", by_era, json_reply(404, R"({"description": "No node found with given era."})"));
        fixture.http->on("GET", "/v1/state/nodes", json_reply(200, "[]"));
        const auto failure = failure_of([&] { path_of_vol(*driver); });
        CHECK(failure.code == ExitCode::timeout);
        CHECK_THAT(failure.message, Contains("--node-uuid") && Contains(k_boot_id));
        // Commands other than mount ask by_era once.
        CHECK(fixture.http->sent("GET", by_era).size() == 1);
    }
}

TEST_CASE("flocker driver: mount keeps asking by_era while it says 'not reported yet'", "[flocker][driver]")
{
    Fixture fixture;
    fixture.settings.node_uuid.reset();
    fixture.dir.write_file("boot_id", k_boot_id);
    const std::string by_era = std::string("/v1/state/nodes/by_era/") + k_boot_id;
    auto driver = fixture.driver();
    const HttpResponse not_yet = json_reply(404, R"({"description": "No node found with given era."})");
    fixture.http->on("GET", by_era, not_yet);
    fixture.http->on("GET", by_era, not_yet);
    fixture.http->on("GET", by_era, not_yet);
    fixture.http->on("GET", by_era, json_reply(200, R"({"uuid":")" + std::string(k_here) + R"("})"));
    fixture.http->on("GET", k_datasets, json_reply(200, "[" + dataset(k_id, k_here, "vol") + "]"));
    fixture.http->on("GET", k_leases, json_reply(200, "[]"));
    fixture.http->on("POST", k_leases, json_reply(201, "{}"));
    fixture.http->on("GET", k_state, json_reply(200, "[" + mounted(k_id, k_here) + "]"));

    CHECK(driver->mount("vol", "id") == std::string("/flocker/") + k_id);
    CHECK(fixture.http->sent("GET", by_era).size() == 4);
    CHECK(fixture.http->sent("GET", "/v1/state/nodes").empty());
}

TEST_CASE("flocker driver: unmount releases only this node's leases and succeeds when there are none",
          "[flocker][driver]")
{
    Fixture fixture;
    auto driver = fixture.driver();
    // A live dataset leased by another node, and a deleted one of the same name leased here.
    fixture.http->on(
        "GET", k_datasets,
        json_reply(200, "[" + dataset(k_id, k_there, "vol") + "," + dataset(k_other_id, k_here, "vol", true) + "]"));
    SECTION("with leases")
    {
        fixture.http->on("GET", k_leases,
                         json_reply(200, R"([{"dataset_id":")" + std::string(k_id) + R"(","node_uuid":")" + k_there +
                                             R"(","expires":null},{"dataset_id":")" + k_other_id +
                                             R"(","node_uuid":")" + k_here + R"(","expires":null}])"));
        fixture.http->on("DELETE", std::string(k_leases) + "/" + k_other_id, json_reply(200, "{}"));
        driver->unmount("vol", "id");
        CHECK(fixture.http->sent("DELETE", std::string(k_leases) + "/" + k_other_id).size() == 1);
        CHECK(fixture.http->sent("DELETE", std::string(k_leases) + "/" + k_id).empty());
    }
    SECTION("without")
    {
        fixture.http->on("GET", k_leases, json_reply(200, "[]"));
        CHECK_NOTHROW(driver->unmount("vol", "id"));
    }
}

TEST_CASE("flocker driver: list names each live dataset with the name key once, sorted; scope is global",
          "[flocker][driver]")
{
    Fixture fixture;
    fixture.settings.name_key = "FLOCKER_ID";
    auto driver = fixture.driver();
    fixture.http->on(
        "GET", k_datasets,
        json_reply(200, R"([{"dataset_id":"a","primary":"p","metadata":{"FLOCKER_ID":"zeta"}},)"
                        R"({"dataset_id":"b","primary":"p","metadata":{"name":"docker-made"}},)"
                        R"({"dataset_id":"c","primary":"p","deleted":true,"metadata":{"FLOCKER_ID":"gone"}},)"
                        R"({"dataset_id":")" +
                            std::string(k_id) + R"(","primary":")" + k_here +
                            R"(","metadata":{"FLOCKER_ID":"alpha"}}])"));
    fixture.http->on("GET", k_state, json_reply(200, "[" + mounted(k_id, k_here) + "]"));
    const auto volumes = driver->list();
    REQUIRE(volumes.size() == 2);
    CHECK(volumes[0].name == "alpha");
    CHECK(volumes[0].mountpoint == std::string("/flocker/") + k_id);
    CHECK(volumes[1].name == "zeta");
    CHECK(volumes[1].mountpoint.empty());
    CHECK(driver->capabilities().scope == "global");
}

TEST_CASE("flocker driver: mount gives up with exit 4 when by_era never knows this boot", "[flocker][driver]")
{
    Fixture fixture;
    fixture.settings.node_uuid.reset();
    fixture.settings.wait_timeout = 300ms;
    fixture.dir.write_file("boot_id", k_boot_id);
    const std::string by_era = std::string("/v1/state/nodes/by_era/") + k_boot_id;
    auto driver = fixture.driver();
    fixture.http->on("GET", by_era, json_reply(404, R"({"description": "No node found with given era."})"));
    fixture.http->on("GET", "/v1/state/nodes", json_reply(200, "[]"));

    const auto started = Clock::now();
    const auto failure = failure_of([&] { driver->mount("vol", "id"); });
    CHECK(failure.code == ExitCode::timeout);
    CHECK_THAT(failure.message, Contains("agent"));
    CHECK(Clock::now() - started >= 250ms);
    CHECK(fixture.http->sent("GET", by_era).size() >= 3);
    CHECK(fixture.http->sent("GET", k_datasets).empty());
}
