// The plugin reply decoder's JSON limits: replies are parsed by the fast plain parser when they
// cannot nest too deep, by the depth-checked one otherwise; the user sees the same either way.

#include "plugin_codec.hpp"

#include <volumecli/error.hpp>

#include <catch2/catch.hpp>

#include <string>

using Catch::Matchers::Contains;
using volumecli::ProtocolError;
namespace codec = volumecli::codec;

namespace {

// {"Volumes":[{"Name":"v","Status":{"a":{"a":...{}...}}}]} with `depth` containers open at the
// innermost point.
std::string nested_list(int depth)
{
    std::string body = R"({"Volumes":[{"Name":"v","Status":)";
    std::string tail = "}]}";
    for (int open = 5; open <= depth; ++open) {
        body += R"({"a":)";
        tail.insert(0, "}");
    }
    return body + R"({"k":1})" + tail;
}

std::string protocol_error_of(const std::string& body)
{
    try {
        codec::decode_list(body);
    } catch (const ProtocolError& error) {
        return error.what();
    }
    FAIL("expected a ProtocolError for " << body);
    return {};
}

}  // namespace

TEST_CASE("codec::decode_list accepts 64 levels of nesting and refuses 65", "[plugin][codec]")
{
    const auto reply = codec::decode_list(nested_list(64));
    REQUIRE(reply.volumes.size() == 1);
    CHECK(reply.volumes[0].name == "v");
    REQUIRE(reply.volumes[0].status_json.has_value());
    CHECK_THAT(*reply.volumes[0].status_json, Contains(R"({"k":1})"));

    CHECK(protocol_error_of(nested_list(65)) == "reply nested deeper than 64 levels");
}

TEST_CASE("codec::decode_list reports malformed replies as the checked parser does", "[plugin][codec]")
{
    // Brackets inside strings do not count as nesting.
    const std::string brackets(100, '[');
    const auto reply = codec::decode_list(R"({"Volumes":[{"Name":")" + brackets + R"(\"x"}]})");
    REQUIRE(reply.volumes.size() == 1);
    CHECK(reply.volumes[0].name == brackets + "\"x");

    CHECK(protocol_error_of("") == "invalid JSON in reply: empty body");
    CHECK_THAT(protocol_error_of(R"({"Volumes":[)"),
               Contains("invalid JSON in reply: parse error") && Contains("unexpected end of input"));
    CHECK(protocol_error_of("[1]") == "reply is a JSON array, not an object");
    // Too deep and malformed further on: the depth is what the user is told, as before.
    CHECK(protocol_error_of(std::string(70, '[') + "}") == "reply nested deeper than 64 levels");
}
