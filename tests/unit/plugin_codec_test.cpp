// The plugin reply decoder's JSON limits: every reply is parsed by json_reply's bounded builder
// (depth and number of values checked while parsing).
// decode_list reads plain replies without a DOM and leaves the others to decode_list_checked: for
// every body it gives the same volumes, Err or error message as that reference decoder.

#include "plugin/plugin_codec.hpp"

#include <volumecli/error.hpp>

#include <catch2/catch.hpp>

#include <optional>
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

// What a List decoder makes of a body: the reply, or the message of the ProtocolError it throws.
struct ListOutcome {
    std::optional<codec::ListReply> reply;
    std::string error;
};

template <typename Decode>
ListOutcome list_outcome(const Decode& decode, const std::string& body)
{
    ListOutcome outcome;
    try {
        outcome.reply = decode(body);
    } catch (const ProtocolError& error) {
        outcome.error = error.what();
    }
    return outcome;
}

// decode_list and the reference decoder agree on `body`: volume by volume and Err, or the error.
// Returns decode_list's outcome for the test's own expectations.
ListOutcome check_list_as_reference(const std::string& body)
{
    INFO("body: " << body);
    ListOutcome fast = list_outcome(codec::decode_list, body);
    const ListOutcome reference = list_outcome(codec::decode_list_checked, body);
    CHECK(fast.error == reference.error);
    REQUIRE(fast.reply.has_value() == reference.reply.has_value());
    if (fast.reply) {
        CHECK(fast.reply->err == reference.reply->err);
        REQUIRE(fast.reply->volumes.size() == reference.reply->volumes.size());
        for (std::size_t i = 0; i < fast.reply->volumes.size(); ++i) {
            INFO("volume " << i);
            const auto& got = fast.reply->volumes[i];
            const auto& want = reference.reply->volumes[i];
            CHECK(got.name == want.name);
            CHECK(got.mountpoint == want.mountpoint);
            CHECK(got.created_at == want.created_at);
            CHECK(got.status_json == want.status_json);
        }
    }
    return fast;
}

// The single volume of a reply that must decode.
volumecli::Volume only_volume(const std::string& body)
{
    const ListOutcome outcome = check_list_as_reference(body);
    INFO("body: " << body << "\nerror: " << outcome.error);
    REQUIRE(outcome.reply.has_value());
    REQUIRE(outcome.reply->volumes.size() == 1);
    return outcome.reply->volumes[0];
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
    CHECK(protocol_error_of(R"({"Volumes":[)") ==
          "invalid JSON in reply at byte 13: syntax error while parsing value - unexpected end of input; expected "
          "'[', '{', or a literal");
    CHECK(protocol_error_of("[1]") == "reply is a JSON array, not an object");
    // Too deep and malformed further on: the depth is what the user is told, as before.
    CHECK(protocol_error_of(std::string(70, '[') + "}") == "reply nested deeper than 64 levels");
}

TEST_CASE("codec::decode_list reads plain replies as the reference decoder does", "[plugin][codec]")
{
    auto body =
        GENERATE(as<std::string>{}, "{}", "{}\n", " {\"Volumes\":[]} ", R"({"Volumes":null})", R"({"Err":""})",
                 R"({"Err":null,"Volumes":null})", R"({"Volumes":[{}]})",
                 R"({"Volumes":[{"Name":"a","Mountpoint":"/m/a"},{"Name":"b","Mountpoint":"/m/b"}],"Err":""})",
                 R"({"Volumes":[{"Name":"a","CreatedAt":"2026-11-21T16:20:36Z","Status":{"size":"1G"}}]})",
                 R"({"Volumes":[{"Name":null,"Mountpoint":null,"CreatedAt":null,"Status":null}]})",
                 R"({"Volumes":[{"Name":"a","CreatedAt":"","Status":{}}]})",
                 "{\n  \"Volumes\": [\n    {\n      \"Name\": \"a\",\n      \"Mountpoint\": \"/m/a\"\n    }\n  ]\n}\n",
                 // Other keys are ignored whatever they hold, also when they look like ours.
                 R"({"Extra":{"Volumes":5,"a":[1,{"Err":"x"}]},"Volumes":[{"Name":"a","Labels":{"Name":7},)"
                 R"("Options":[null,true,1.5,"s"],"Scope":"local"}],"Capabilities":{"Scope":"global"},"T":[[]]})");
    check_list_as_reference(body);
    // Read by the fast path itself, not handed to the reference decoder.
    CHECK(codec::decode_list_fast(body).has_value());
}

TEST_CASE("codec::decode_list leaves unusual replies to the reference decoder", "[plugin][codec]")
{
    auto body = GENERATE(as<std::string>{}, "", "[]", "{", R"({"Err":"boom"})", R"({"Err":5})", R"({"Volumes":{}})",
                         R"({"Volumes":[5]})", R"({"Volumes":[{"Name":5}]})",
                         R"({"Volumes":[{"Name":"a","CreatedAt":"yesterday"}]})",
                         R"({"Volumes":[{"Name":"a","Status":"up"}]})", R"({"Volumes":[],"volumes":[]})",
                         R"({"Volumes":[{"Name":"a","name":"b"}]})", R"({"Volumes":[{"Name":"a","Name":"b"}]})");
    INFO("body: " << body);

    CHECK_FALSE(codec::decode_list_fast(body).has_value());
    check_list_as_reference(body);
}

TEST_CASE("codec::decode_list gives the volumes of a plain reply", "[plugin][codec]")
{
    const std::string body =
        R"({"Volumes":[{"Name":"a","Mountpoint":"/m/a"},{"Name":"b","Mountpoint":"/m/b",)"
        R"("CreatedAt":"2026-11-21T16:20:36Z","Status":{"z":1,"a":[true,null]},"Other":{}}],"Err":""})";
    REQUIRE(codec::decode_list_fast(body).has_value());  // the values below are the fast path's
    const auto reply = codec::decode_list(body);
    CHECK(reply.err.empty());
    REQUIRE(reply.volumes.size() == 2);
    CHECK(reply.volumes[0].name == "a");
    CHECK(reply.volumes[0].mountpoint == "/m/a");
    CHECK_FALSE(reply.volumes[0].created_at.has_value());
    CHECK_FALSE(reply.volumes[0].status_json.has_value());
    CHECK(reply.volumes[1].name == "b");
    CHECK(reply.volumes[1].mountpoint == "/m/b");
    CHECK(reply.volumes[1].created_at == "2026-11-21T16:20:36Z");
    CHECK(reply.volumes[1].status_json == R"({"a":[true,null],"z":1})");
}

TEST_CASE("codec::decode_list matches keys ignoring case as the reference decoder does", "[plugin][codec]")
{
    const auto reply = check_list_as_reference(
        R"({"ERR":"","volumes":[{"name":"a","MOUNTPOINT":"/m/a","createdAT":"2026-11-21T16:20:36.5+01:00",)"
        R"("sTaTuS":{"Name":"inner"}}]})");
    REQUIRE(reply.reply.has_value());
    REQUIRE(reply.reply->volumes.size() == 1);
    const auto& volume = reply.reply->volumes[0];
    CHECK(volume.name == "a");
    CHECK(volume.mountpoint == "/m/a");
    CHECK(volume.created_at == "2026-11-21T16:20:36.5+01:00");
    CHECK(volume.status_json == R"({"Name":"inner"})");

    // Near misses are other keys.
    check_list_as_reference(R"({"Volumes":[{"Names":"a","Nam":"b","Mount point":"/m","Status ":5}],"Errs":5})");
}

TEST_CASE("codec::decode_list takes a repeated key as the reference decoder does", "[plugin][codec]")
{
    // The reference decoder: the last value of a repeated key; an exact match before a key in
    // another case; else the first such key in byte order (upper case first).
    CHECK(only_volume(R"({"Volumes":[{"Name":"a","Name":"b"}]})").name == "b");
    CHECK(only_volume(R"({"Volumes":[{"name":"a","Name":"b"}]})").name == "b");
    CHECK(only_volume(R"({"Volumes":[{"Name":"b","name":"a"}]})").name == "b");
    CHECK(only_volume(R"({"Volumes":[{"nAME":"x","NaMe":"y"}]})").name == "y");
    CHECK(
        only_volume(R"({"Volumes":[{"Name":"a","Mountpoint":"/x","mountpoint":"/y","MOUNTPOINT":"/z"}]})").mountpoint ==
        "/x");
    CHECK(only_volume(R"({"Volumes":[{"Name":"a","Status":{"k":1},"status":{"k":2}}]})").status_json == R"({"k":1})");
    CHECK(only_volume(R"({"Volumes":[{"Name":"a","status":{"k":1},"Status":null}]})").status_json == std::nullopt);
    CHECK(only_volume(R"({"Volumes":[{"CreatedAt":"yesterday","CreatedAt":"2026-11-21T16:20:36Z"}]})").created_at ==
          "2026-11-21T16:20:36Z");
    // Inside Status too, the last value counts, whatever the first was.
    CHECK(only_volume(R"({"Volumes":[{"Status":{"k":1,"k":{"x":[2]},"b":0,"a":0}}]})").status_json ==
          R"({"a":0,"b":0,"k":{"x":[2]}})");

    auto body = GENERATE(as<std::string>{}, R"({"Volumes":[{"Name":"a"}],"Volumes":[]})",
                         R"({"volumes":[{"Name":"a"}],"VOLUMES":[{"Name":"b"}]})",
                         R"({"Volumes":[{"Name":"a"}],"volumes":5})", R"({"Err":"","Err":"boom"})",
                         R"({"Err":"boom","err":"","Volumes":[{"Name":"a"}]})", R"({"err":5,"Err":""})",
                         R"({"Volumes":[{"Name":5,"Name":"a"}]})", R"({"Volumes":[{"Name":"a","NAME":5}]})");
    check_list_as_reference(body);
}

TEST_CASE("codec::decode_list writes Status as the reference decoder does", "[plugin][codec]")
{
    const std::string status = GENERATE(as<std::string>{}, "{}", R"({"n":[1,-1,1.5,1e300,18446744073709551615]})",
                                        R"({"n":[-9223372036854775808,9223372036854775807,0.1,-0,-0.0,1E-7,2.50]})",
                                        R"({"o":{"deep":{"list":[[],{},[{"x":null}]]}},"t":true,"f":false})",
                                        R"({"s":"q\"b\\c\u0001\t\/<&>","":"empty key","\u00e9":"\u2028"})",
                                        R"({"b":{"y":1,"x":2},"a":[{"d":1,"c":2}],"b":{"z":3}})");
    const auto volume = only_volume(R"({"Volumes":[{"Name":"a","Status":)" + status + "}]}");
    REQUIRE(volume.status_json.has_value());
    CHECK_THAT(*volume.status_json, Contains("{"));

    CHECK(only_volume(R"({"Volumes":[{"Status":{"n":[1,-1,1.5,1e300,18446744073709551615]}}]})").status_json ==
          R"({"n":[1,-1,1.5,1e+300,18446744073709551615]})");
}

TEST_CASE("codec::decode_list decodes escapes and UTF-8 as the reference decoder does", "[plugin][codec]")
{
    const auto volume =
        only_volume(R"({"Volumes":[{"Name":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/","Mountpoint":"/m/\u2028\u0000x"}]})");
    CHECK(volume.name == "caf\u00e9 \U0001F600 \"q\" \\ /");
    CHECK(volume.mountpoint == std::string("/m/\u2028\0x", 8));
    CHECK(only_volume("{\"Volumes\":[{\"Name\":\"caf\xc3\xa9\"}]}").name == "caf\xc3\xa9");
    CHECK(only_volume(R"({"Volumes":[{"N\u0061me":"a"}]})").name == "a");

    auto body = GENERATE(as<std::string>{}, R"({"Volumes":[{"Name":"\ud800"}]})", R"({"Volumes":[{"Name":"\u00"}]})",
                         "{\"Volumes\":[{\"Name\":\"\x80\"}]}", "{\"Volumes\":[{\"Name\":\"a\x01\"}]}");
    check_list_as_reference(body);
}

TEST_CASE("codec::decode_list reports fields of the wrong type as the reference decoder does", "[plugin][codec]")
{
    CHECK(protocol_error_of(R"({"Volumes":[{"Name":5}]})") == "reply field Name is a JSON number, not a string");
    CHECK(protocol_error_of(R"({"Volumes":[{"Name":"a","CreatedAt":"yesterday"}]})") ==
          R"(volume "a": CreatedAt "yesterday" is not an RFC 3339 time)");

    auto body = GENERATE(
        as<std::string>{}, R"({"Volumes":[{"Name":5}]})", R"({"Volumes":[{"Name":"a","Mountpoint":true}]})",
        R"({"Volumes":[{"Name":"a","CreatedAt":{}}]})", R"({"Volumes":[{"Name":"a","CreatedAt":"2026-11-21"}]})",
        R"({"Volumes":[{"Name":"a","Status":"up"}]})", R"({"Volumes":[{"Name":"a","Status":[]}]})",
        R"({"Volumes":[{"Name":"a","Status":5}]})", R"({"Volumes":[{"Name":["a"]}]})", R"({"Volumes":{}})",
        R"({"Volumes":"a"})", R"({"Volumes":5})", R"({"Volumes":false})", R"({"Err":5})", R"({"Err":{}})",
        R"({"Err":[]})", R"({"Volumes":[null]})", R"({"Volumes":["a"]})", R"({"Volumes":[[]]})", R"({"Volumes":[1]})",
        // The first bad volume after good ones; the first bad field of a volume is reported.
        R"({"Volumes":[{"Name":"a"},{"Name":"b","Mountpoint":5}]})",
        R"({"Volumes":[{"Status":5,"CreatedAt":"x","Mountpoint":5,"Name":"a"}]})");
    check_list_as_reference(body);
}

TEST_CASE("codec::decode_list returns Err whatever else the reply holds, as the reference decoder does",
          "[plugin][codec]")
{
    const auto reply = check_list_as_reference(R"({"Err":"boom","Volumes":5})");
    REQUIRE(reply.reply.has_value());
    CHECK(reply.reply->err == "boom");
    CHECK(reply.reply->volumes.empty());

    auto body = GENERATE(as<std::string>{}, R"({"Volumes":[{"Name":5}],"Err":"boom"})",
                         R"({"Volumes":[{"Name":"a"}],"Err":"boom"})", R"({"Err":"boom","Volumes":[null]})",
                         R"({"err":"boom","Volumes":[{"Name":"a","CreatedAt":"x"}]})");
    check_list_as_reference(body);
}

TEST_CASE("codec::decode_list limits nesting as the reference decoder does", "[plugin][codec]")
{
    check_list_as_reference(nested_list(64));
    check_list_as_reference(nested_list(65));
    // In a key that is not read, and too deep only in a string or after the reply.
    const auto ignored = [](int depth) {
        return R"({"X":)" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + R"(,"Volumes":[]})";
    };
    check_list_as_reference(ignored(64));
    check_list_as_reference(ignored(65));
    check_list_as_reference(R"({"Volumes":[{"Name":")" + std::string(100, '{') + R"("}]})");
    check_list_as_reference(R"({"Volumes":[]})" + std::string(70, '['));
}

TEST_CASE("codec::decode_list reports invalid JSON as the reference decoder does", "[plugin][codec]")
{
    auto body = GENERATE(as<std::string>{}, "", " ", "{", "nul", "null", "5", R"("a")", "[]", "[1]", R"({"Volumes":[})",
                         R"({"Volumes":[]} x)", R"({"Volumes":[]}{})", R"({"Volumes":[{"Name":"a"},]})",
                         R"({"Volumes":[{"Name":"a"}])", R"({"Volumes" [] })", R"({"X":1e400,"Volumes":[]})",
                         R"({"Volumes":[{"Status":{"n":-1e400}}]})", R"(/* c */ {"Volumes":[]})", R"({'Volumes':[]})",
                         R"({"Volumes":[],})");
    CHECK_FALSE(check_list_as_reference(body).error.empty());
}

TEST_CASE("codec::decode_list stops at a NUL byte as the reference decoder does", "[plugin][codec]")
{
    // nlohmann's lexer reads a NUL as the end of the input, whatever follows it.
    const auto reply = check_list_as_reference(std::string("{\"Volumes\":[{\"Name\":\"a\"}]}\0{", 28));
    REQUIRE(reply.reply.has_value());
    CHECK(reply.reply->volumes.size() == 1);
    // Brackets after it are not read, though they send the reference decoder to its checked parser.
    check_list_as_reference(std::string("{\"Volumes\":[{\"Name\":\"a\"}]}\0", 27) + std::string(70, '['));
}

namespace {

// `count` empty objects as the Status of one listed volume (or of Get's volume).
std::string empty_objects_in_status(const char* prefix, std::size_t count, const char* suffix)
{
    std::string body = prefix;
    for (std::size_t i = 0; i < count; ++i) {
        body += i == 0 ? "{}" : ",{}";
    }
    return body + suffix;
}

}  // namespace

TEST_CASE("codec decoders refuse a reply of more than 2^20 JSON values", "[plugin][codec]")
{
    const std::size_t limit = std::size_t{1} << 20U;
    const std::string too_many = empty_objects_in_status(R"({"Volumes":[{"Name":"v","Status":{"a":[)", limit, "]}}]}");
    // That the refusal costs time linear in the reply is measured by bench/worst_case.cpp.
    CHECK(protocol_error_of(too_many) == "reply holds more than 1048576 JSON values");
    check_list_as_reference(too_many);

    // 2^20 values in all (the object, Volumes, the volume, Name, Status, "a" and the rest) is fine.
    const std::string at_limit =
        empty_objects_in_status(R"({"Volumes":[{"Name":"v","Status":{"a":[)", limit - 6, "]}}]}");
    const auto volume = only_volume(at_limit);
    CHECK(volume.name == "v");

    CHECK_THROWS_WITH(
        codec::decode_get(empty_objects_in_status(R"({"Volume":{"Name":"v","Status":{"a":[)", limit, "]}}}")),
        "reply holds more than 1048576 JSON values");
}

TEST_CASE("codec decoders give one clean line for invalid JSON, without nlohmann's tags", "[plugin][codec]")
{
    const auto message = [](const std::string& body) {
        try {
            codec::decode_mountpoint(body);
        } catch (const ProtocolError& error) {
            return std::string(error.what());
        }
        return std::string("no error");
    };
    CHECK(message("{\"Mountpoint\":\"/a\",}") ==
          "invalid JSON in reply at byte 20: syntax error while parsing object key - unexpected '}'; expected string "
          "literal");
    CHECK(message("{\"Mountpoint\":1e999}") == "invalid JSON in reply at byte 19: number overflow parsing '1e999'");
    CHECK(message("{\"Mountpoint\":\"\xff\"}") ==
          "invalid JSON in reply at byte 16: syntax error while parsing value - invalid string: ill-formed UTF-8 byte; "
          "last read: '\"\\xff'");  // the message shows the bad byte as \xff, never raw
    CHECK(message("") == "invalid JSON in reply: empty body");
    CHECK(message(std::string(65, '[')) == "reply nested deeper than 64 levels");
    // A non-200 body is read under the same limits; anything it cannot read is shown as text.
    CHECK(codec::failure_message("VolumeDriver.Mount", std::string(1000, '[')).size() < 600);
}
