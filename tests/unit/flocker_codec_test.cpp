// The JSON mapping of the Flocker control-service API (lib/src/flocker/flocker_codec.hpp).

#include <volumecli/error.hpp>

#include "flocker/flocker_codec.hpp"

#include <catch2/catch.hpp>

#include <string>

using Catch::Matchers::Contains;
using volumecli::ProtocolError;
namespace flocker = volumecli::flocker;

namespace {

constexpr const char* k_node0 = "cf0f0346-17b2-4812-beca-1434997d6c3f";
constexpr const char* k_node1 = "7ec3c4eb-6b1c-43da-8015-a163f7d15244";

}  // namespace

TEST_CASE("flocker_codec: dataset configurations keep deleted entries, string metadata and sizes", "[flocker][codec]")
{
    const auto datasets = flocker::decode_dataset_configs(R"([
        {"dataset_id": "B1C3E3A4-0000-4000-8000-000000000001", "primary": "CF0F0346-17B2-4812-BECA-1434997D6C3F",
         "deleted": false, "metadata": {"name": "demo", "count": 3, "extra": "x"}, "maximum_size": 1073741824},
        {"dataset_id": "b1c3e3a4-0000-4000-8000-000000000002", "primary": "7ec3c4eb-6b1c-43da-8015-a163f7d15244",
         "deleted": true, "metadata": {"name": "demo"}, "future_field": [1, 2]}
    ])");
    REQUIRE(datasets.size() == 2);
    // Ids are lower-cased so comparisons do not depend on how the server spelt them.
    CHECK(datasets[0].dataset_id == "b1c3e3a4-0000-4000-8000-000000000001");
    CHECK(datasets[0].primary == k_node0);
    CHECK_FALSE(datasets[0].deleted);
    CHECK(datasets[0].metadata == std::map<std::string, std::string>{{"extra", "x"}, {"name", "demo"}});
    CHECK(datasets[0].maximum_size == std::optional<std::uint64_t>(1073741824ULL));
    CHECK(datasets[1].deleted);
    // maximum_size is absent when the dataset has none.
    CHECK_FALSE(datasets[1].maximum_size.has_value());
}

TEST_CASE("flocker_codec: dataset state has primary and path only when mounted", "[flocker][codec]")
{
    const auto states = flocker::decode_dataset_states(R"([
        {"dataset_id": "b1c3e3a4-0000-4000-8000-000000000001", "primary": "cf0f0346-17b2-4812-beca-1434997d6c3f",
         "path": "/flocker/b1c3e3a4-0000-4000-8000-000000000001", "maximum_size": 67108864},
        {"dataset_id": "b1c3e3a4-0000-4000-8000-000000000002", "maximum_size": 67108864}
    ])");
    REQUIRE(states.size() == 2);
    CHECK(states[0].primary == k_node0);
    CHECK(states[0].path == "/flocker/b1c3e3a4-0000-4000-8000-000000000001");
    CHECK(states[1].primary.empty());
    CHECK(states[1].path.empty());
}

TEST_CASE("flocker_codec: leases, nodes and by_era replies", "[flocker][codec]")
{
    const auto leases = flocker::decode_leases(
        R"([{"dataset_id": "b1c3e3a4-0000-4000-8000-000000000001", "node_uuid": "7EC3C4EB-6B1C-43DA-8015-A163F7D15244",
             "expires": 30.0},
            {"dataset_id": "b1c3e3a4-0000-4000-8000-000000000002", "node_uuid": "cf0f0346-17b2-4812-beca-1434997d6c3f",
             "expires": null}])");
    REQUIRE(leases.size() == 2);
    CHECK(leases[0].node_uuid == k_node1);
    CHECK(leases[0].expires == std::optional<double>(30.0));
    CHECK_FALSE(leases[1].expires.has_value());

    const auto nodes =
        flocker::decode_nodes(R"([{"host": "10.0.0.3", "uuid": "cf0f0346-17b2-4812-beca-1434997d6c3f"}])");
    REQUIRE(nodes.size() == 1);
    CHECK(nodes[0].host == "10.0.0.3");
    CHECK(nodes[0].uuid == k_node0);

    CHECK(flocker::decode_node_uuid(R"({"uuid": "CF0F0346-17B2-4812-BECA-1434997D6C3F"})") == k_node0);
}

TEST_CASE("flocker_codec: replies of the wrong shape are protocol errors", "[flocker][codec]")
{
    const std::string body =
        GENERATE(as<std::string>{}, "", "not json", "{}", R"({"dataset_id": "x"})", R"([{"primary": "x"}])",
                 R"([{"dataset_id": 7}])", R"([{"dataset_id": "x", "deleted": "no"}])",
                 R"([{"dataset_id": "x", "maximum_size": "10G"}])", "[1]");
    CAPTURE(body);
    CHECK_THROWS_AS(flocker::decode_dataset_configs(body), ProtocolError);
}

TEST_CASE("flocker_codec: a state entry with a non-string path is a protocol error", "[flocker][codec]")
{
    CHECK_THROWS_AS(flocker::decode_dataset_states(R"([{"dataset_id": "x", "path": 5}])"), ProtocolError);
    CHECK_THROWS_AS(flocker::decode_leases(R"([{"dataset_id": "x"}])"), ProtocolError);
    CHECK_THROWS_AS(flocker::decode_nodes(R"({"host": "h"})"), ProtocolError);
    CHECK_THROWS_AS(flocker::decode_node_uuid(R"({"description": "x"})"), ProtocolError);
}

TEST_CASE("flocker_codec: request bodies are what the schema accepts", "[flocker][codec]")
{
    // No "deleted" (Flocker answers 500) and no dataset_id (the server picks a fresh uuid4).
    CHECK(flocker::encode_create(k_node0, 1073741824ULL, {{"name", "demo"}, {"profile", "gold"}}) ==
          R"({"maximum_size":1073741824,"metadata":{"name":"demo","profile":"gold"},"primary":")" +
              std::string(k_node0) + R"("})");
    CHECK(flocker::encode_move(k_node1) == R"({"primary":")" + std::string(k_node1) + R"("})");
    CHECK(flocker::encode_lease("b1c3e3a4-0000-4000-8000-000000000001", k_node0) ==
          R"({"dataset_id":"b1c3e3a4-0000-4000-8000-000000000001","expires":null,"node_uuid":")" +
              std::string(k_node0) + R"("})");
}

TEST_CASE("flocker_codec: error bodies become one readable line", "[flocker][codec]")
{
    SECTION("Flocker's description")
    {
        CHECK(flocker::describe_error_body(R"({"description": "Lease already held."})") == "Lease already held.");
        CHECK(flocker::is_flocker_error(R"({"description": "No node found with given era."})"));
    }
    SECTION("schema errors are listed after the description")
    {
        const std::string text = flocker::describe_error_body(
            R"({"description": "The provided JSON doesn't match the required schema.",)"
            R"( "errors": ["1024 is less than the minimum of 67108864", "'primary' is a required property"]})");
        CHECK(text ==
              "The provided JSON doesn't match the required schema. (1024 is less than the minimum of 67108864; "
              "'primary' is a required property)");
    }
    SECTION("an embedded newline does not split the message")
    {
        const std::string text = flocker::describe_error_body(
            "{\"description\": \"The request body could not be decoded according to the value of the\\nContent-Type "
            "header.\"}");
        CHECK(text.find('\n') == std::string::npos);
        CHECK_THAT(text, Contains("Content-Type header."));
    }
    SECTION("a JSON string (an unhandled exception's task id)")
    {
        const std::string body = R"("5145d34d-61c5-4b28-a2ec-9de33bd4a7cd@/1")";
        CHECK_FALSE(flocker::is_flocker_error(body));
        CHECK_THAT(flocker::describe_error_body(body), Contains("internal error") && Contains("5145d34d"));
    }
    SECTION("an HTML page for an unknown route")
    {
        const std::string body =
            "<html>\n  <head><title>404 - No Such Resource</title></head>\n  <body>\n    <h1>No Such "
            "Resource</h1>\n    <p>No such child resource.</p>\n  </body>\n</html>\n";
        CHECK_FALSE(flocker::is_flocker_error(body));
        CHECK(flocker::describe_error_body(body) == "404 - No Such Resource No Such Resource No such child resource.");
    }
    SECTION("an empty body")
    {
        CHECK(flocker::describe_error_body("") == "(empty body)");
    }
}

TEST_CASE("flocker_codec: the Status object names the dataset", "[flocker][codec]")
{
    flocker::DatasetConfig dataset;
    dataset.dataset_id = "b1c3e3a4-0000-4000-8000-000000000001";
    dataset.primary = k_node0;
    CHECK(flocker::status_json(dataset) ==
          R"({"DatasetID":"b1c3e3a4-0000-4000-8000-000000000001","Primary":")" + std::string(k_node0) + R"("})");
    dataset.maximum_size = 67108864;
    CHECK_THAT(flocker::status_json(dataset), Contains(R"("MaximumSize":67108864)"));
}

TEST_CASE("flocker_codec: a dataset list of empty objects is refused", "[flocker][codec]")
{
    // With the parser callback, 1 MiB of [{},{},...] took 21 s and 2 MiB over a minute; the time of
    // this refusal is measured by bench/worst_case.cpp, which must stay linear in the reply.
    std::string body = "[";
    for (std::size_t i = 0; i < (std::size_t{2} << 20U) / 3; ++i) {
        body += i == 0 ? "{}" : ",{}";
    }
    body += "]";
    CHECK_THROWS_WITH(flocker::decode_dataset_configs(body), "dataset configuration without a string \"dataset_id\"");
}

TEST_CASE("flocker_codec: invalid JSON is one clean line", "[flocker][codec]")
{
    CHECK_THROWS_WITH(flocker::decode_nodes("[{\"uuid\":}"),
                      "invalid JSON in reply at byte 10: syntax error while parsing value - unexpected '}'; expected "
                      "'[', '{', or a literal");
    CHECK_THROWS_WITH(flocker::decode_nodes(std::string(65, '[')), "reply nested deeper than 64 levels");
    CHECK_THROWS_WITH(flocker::decode_nodes(""), "empty reply body where JSON was expected");
}
