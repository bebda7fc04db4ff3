// The plugin reply decoders' JSON limits: every reply is parsed under json_reply's limits (depth
// and number of values checked while parsing). decode_list reads the List reply from SAX events,
// without a DOM: for every body it gives the volumes, Err or error message the DOM decoders of the
// other replies would give (Go's key matching, the last value of a repeated key, errors of JSON
// before errors of type), spelled out here reply by reply.

#include "plugin/plugin_codec.hpp"

#include <volumecli/error.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <tuple>

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

// What decode_list makes of `body`, on one line: "error: <message>", "Err: <Err>", or "volumes:"
// and "[name|mountpoint|created_at|status_json]" per volume, "-" for an absent optional.
std::string outcome_of(const std::string& body)
{
    codec::ListReply reply;
    try {
        reply = codec::decode_list(body);
    } catch (const ProtocolError& error) {
        return std::string("error: ") + error.what();
    }
    if (!reply.err.empty()) {
        return "Err: " + reply.err + (reply.volumes.empty() ? "" : " and volumes");
    }
    std::string out = "volumes:";
    for (const auto& volume : reply.volumes) {
        out += " [" + volume.name + "|" + volume.mountpoint + "|" + volume.created_at.value_or("-") + "|" +
               volume.status_json.value_or("-") + "]";
    }
    return out;
}

// The single volume of a reply that must decode.
volumecli::Volume only_volume(const std::string& body)
{
    INFO("body: " << body << "\noutcome: " << outcome_of(body));
    const auto reply = codec::decode_list(body);
    REQUIRE(reply.err.empty());
    REQUIRE(reply.volumes.size() == 1);
    return reply.volumes[0];
}

using Case = std::tuple<std::string, std::string>;  // a body, its outcome_of

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

TEST_CASE("codec::decode_list reports malformed replies in one line", "[plugin][codec]")
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

TEST_CASE("codec::decode_list reads plain replies", "[plugin][codec]")
{
    const auto [body, outcome] = GENERATE(table<std::string, std::string>({
        Case{"{}", "volumes:"},
        Case{"{}\n", "volumes:"},
        Case{" {\"Volumes\":[]} ", "volumes:"},
        Case{R"({"Volumes":null})", "volumes:"},
        Case{R"({"Err":""})", "volumes:"},
        Case{R"({"Err":null,"Volumes":null})", "volumes:"},
        Case{R"({"Volumes":[{}]})", "volumes: [||-|-]"},
        Case{R"({"Volumes":[{"Name":"a","Mountpoint":"/m/a"},{"Name":"b","Mountpoint":"/m/b"}],"Err":""})",
             "volumes: [a|/m/a|-|-] [b|/m/b|-|-]"},
        Case{R"({"Volumes":[{"Name":"a","CreatedAt":"2026-11-21T16:20:36Z","Status":{"size":"1G"}}]})",
             R"(volumes: [a||2026-11-21T16:20:36Z|{"size":"1G"}])"},
        Case{R"({"Volumes":[{"Name":null,"Mountpoint":null,"CreatedAt":null,"Status":null}]})", "volumes: [||-|-]"},
        Case{R"({"Volumes":[{"Name":"a","CreatedAt":"","Status":{}}]})", "volumes: [a||-|{}]"},
        Case{"{\n  \"Volumes\": [\n    {\n      \"Name\": \"a\",\n      \"Mountpoint\": \"/m/a\"\n    }\n  ]\n}\n",
             "volumes: [a|/m/a|-|-]"},
        // Other keys are ignored whatever they hold, also when they look like ours.
        Case{R"({"Extra":{"Volumes":5,"a":[1,{"Err":"x"}]},"Volumes":[{"Name":"a","Labels":{"Name":7},)"
             R"("Options":[null,true,1.5,"s"],"Scope":"local"}],"Capabilities":{"Scope":"global"},"T":[[]]})",
             "volumes: [a||-|-]"},
        Case{R"({"Volumes":[{"Name":"a","Status":{"x":{"y":[1,{"z":null}]}},"Mountpoint":"/m"}],"Err":null})",
             R"(volumes: [a|/m|-|{"x":{"y":[1,{"z":null}]}}])"},
    }));
    INFO("body: " << body);
    CHECK(outcome_of(body) == outcome);
}

TEST_CASE("codec::decode_list decides unusual replies itself", "[plugin][codec]")
{
    const auto [body, outcome] = GENERATE(table<std::string, std::string>({
        Case{"", "error: invalid JSON in reply: empty body"},
        Case{"[]", "error: reply is a JSON array, not an object"},
        Case{"{",
             "error: invalid JSON in reply at byte 2: syntax error while parsing object key - unexpected end "
             "of input; expected string literal"},
        Case{R"({"Err":"boom"})", "Err: boom"},
        Case{R"({"Err":5})", "error: reply field Err is a JSON number, not a string"},
        Case{R"({"Volumes":{}})", "error: reply field Volumes is a JSON object, not an array"},
        Case{R"({"Volumes":[5]})", "error: volume in reply is a JSON number, not an object"},
        Case{R"({"Volumes":[{"Name":5}]})", "error: reply field Name is a JSON number, not a string"},
        Case{R"({"Volumes":[{"Name":"a","CreatedAt":"yesterday"}]})",
             R"(error: volume "a": CreatedAt "yesterday" is not an RFC 3339 time)"},
        Case{R"({"Volumes":[{"Name":"a","Status":"up"}]})",
             R"(error: volume "a": Status is a JSON string, not an object)"},
        Case{R"({"Volumes":[],"volumes":[]})", "volumes:"},
        Case{R"({"Volumes":[{"Name":"a","name":"b"}]})", "volumes: [a||-|-]"},
        Case{R"({"Volumes":[{"Name":"a","Name":"b"}]})", "volumes: [b||-|-]"},
        Case{R"([{"Volumes":[]}])", "error: reply is a JSON array, not an object"},
        Case{R"({"Volumes":[{"Name":{"a":[1,2,{"b":3}]}}]})", "error: reply field Name is a JSON object, not a string"},
    }));
    INFO("body: " << body);
    CHECK(outcome_of(body) == outcome);
}

TEST_CASE("codec::decode_list gives the volumes of a plain reply", "[plugin][codec]")
{
    const std::string body =
        R"({"Volumes":[{"Name":"a","Mountpoint":"/m/a"},{"Name":"b","Mountpoint":"/m/b",)"
        R"("CreatedAt":"2026-11-21T16:20:36Z","Status":{"z":1,"a":[true,null]},"Other":{}}],"Err":""})";
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

TEST_CASE("codec::decode_list matches keys ignoring case as Go's decoder does", "[plugin][codec]")
{
    const auto volume =
        only_volume(R"({"ERR":"","volumes":[{"name":"a","MOUNTPOINT":"/m/a","createdAT":"2026-11-21T16:20:36.5+01:00",)"
                    R"("sTaTuS":{"Name":"inner"}}]})");
    CHECK(volume.name == "a");
    CHECK(volume.mountpoint == "/m/a");
    CHECK(volume.created_at == "2026-11-21T16:20:36.5+01:00");
    CHECK(volume.status_json == R"({"Name":"inner"})");

    // Near misses are other keys.
    CHECK(outcome_of(R"({"Volumes":[{"Names":"a","Nam":"b","Mount point":"/m","Status ":5}],"Errs":5})") ==
          "volumes: [||-|-]");
}

TEST_CASE("codec::decode_list takes a repeated key as Go's decoder does over a DOM", "[plugin][codec]")
{
    // The last value of a repeated key; an exact match before a key in another case; else the
    // first such key in byte order (upper case first).
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
    CHECK(only_volume(R"({"Volumes":[{"Status":{"a":1},"Status":{"b":2}}]})").status_json == R"({"b":2})");

    const auto [body, outcome] = GENERATE(table<std::string, std::string>({
        Case{R"({"Volumes":[{"Name":"a"}],"Volumes":[]})", "volumes:"},
        Case{R"({"volumes":[{"Name":"a"}],"VOLUMES":[{"Name":"b"}]})", "volumes: [b||-|-]"},
        Case{R"({"Volumes":[{"Name":"a"}],"volumes":5})", "volumes: [a||-|-]"},
        Case{R"({"Err":"","Err":"boom"})", "Err: boom"},
        Case{R"({"Err":"boom","err":"","Volumes":[{"Name":"a"}]})", "Err: boom"},
        Case{R"({"Err":"boom","Err":null})", "volumes:"},
        Case{R"({"err":5,"Err":""})", "volumes:"},
        Case{R"({"Volumes":[{"Name":5,"Name":"a"}]})", "volumes: [a||-|-]"},
        Case{R"({"Volumes":[{"Name":"a","NAME":5}]})", "volumes: [a||-|-]"},
        // What a key that does not count held is not read, be it of the wrong type or bad.
        Case{R"({"volumes":[null],"Volumes":[{"Name":"a"}]})", "volumes: [a||-|-]"},
        Case{R"({"Volumes":[null],"volumes":[{"Name":"a"}]})", "error: volume in reply is a JSON null, not an object"},
        Case{R"({"Volumes":5,"Volumes":null})", "volumes:"},
        Case{R"({"VOLUMES":5,"volumes":[]})", "error: reply field Volumes is a JSON number, not an array"},
        Case{R"({"volumes":5,"VOLUMES":[]})", "volumes:"},
        Case{R"({"Volumes":[{"Name":"a","Status":5,"status":{"k":1}}]})",
             R"(error: volume "a": Status is a JSON number, not an object)"},
        Case{R"({"Volumes":[{"Name":"a","status":5,"Status":{"k":1}}]})", R"(volumes: [a||-|{"k":1}])"},
        Case{R"({"Volumes":[{"Name":"a","CreatedAt":5,"createdat":"x"}]})",
             "error: reply field CreatedAt is a JSON number, not a string"},
    }));
    INFO("body: " << body);
    CHECK(outcome_of(body) == outcome);
}

TEST_CASE("codec::decode_list writes Status as nlohmann's DOM dumps it", "[plugin][codec]")
{
    const auto [status, written] = GENERATE(table<std::string, std::string>({
        Case{"{}", "{}"},
        Case{R"({"n":[1,-1,1.5,1e300,18446744073709551615]})", R"({"n":[1,-1,1.5,1e+300,18446744073709551615]})"},
        Case{R"({"n":[-9223372036854775808,9223372036854775807,0.1,-0,-0.0,1E-7,2.50]})",
             R"({"n":[-9223372036854775808,9223372036854775807,0.1,0,-0.0,1e-07,2.5]})"},
        Case{R"({"o":{"deep":{"list":[[],{},[{"x":null}]]}},"t":true,"f":false})",
             R"({"f":false,"o":{"deep":{"list":[[],{},[{"x":null}]]}},"t":true})"},
        Case{R"({"s":"q\"b\\c\u0001\t\/<&>","":"empty key","\u00e9":"\u2028"})",
             "{\"\":\"empty key\",\"s\":\"q\\\"b\\\\c\\u0001\\t/<&>\",\"\xc3\xa9\":\"\xe2\x80\xa8\"}"},
        Case{R"({"b":{"y":1,"x":2},"a":[{"d":1,"c":2}],"b":{"z":3}})", R"({"a":[{"c":2,"d":1}],"b":{"z":3}})"},
    }));
    const auto volume = only_volume(R"({"Volumes":[{"Name":"a","Status":)" + status + "}]}");
    CHECK(volume.status_json == written);

    CHECK(only_volume(R"({"Volumes":[{"Status":{"n":[1,-1,1.5,1e300,18446744073709551615]}}]})").status_json ==
          R"({"n":[1,-1,1.5,1e+300,18446744073709551615]})");
}

TEST_CASE("codec::decode_list decodes escapes and UTF-8 as nlohmann does", "[plugin][codec]")
{
    const auto volume =
        only_volume(R"({"Volumes":[{"Name":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/","Mountpoint":"/m/\u2028\u0000x"}]})");
    CHECK(volume.name == "caf\u00e9 \U0001F600 \"q\" \\ /");
    CHECK(volume.mountpoint == std::string("/m/\u2028\0x", 8));
    CHECK(only_volume("{\"Volumes\":[{\"Name\":\"caf\xc3\xa9\"}]}").name == "caf\xc3\xa9");
    CHECK(only_volume(R"({"Volumes":[{"N\u0061me":"a"}]})").name == "a");

    const auto [body, outcome] = GENERATE(table<std::string, std::string>({
        Case{R"({"Volumes":[{"Name":"\ud800"}]})",
             R"(error: invalid JSON in reply at byte 28: syntax error while parsing value - invalid string: )"
             R"(surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF; last read: '"\ud800"')"},
        Case{R"({"Volumes":[{"Name":"\u00"}]})",
             R"(error: invalid JSON in reply at byte 26: syntax error while parsing value - invalid string: '\u' )"
             R"(must be followed by 4 hex digits; last read: '"\u00"')"},
        Case{"{\"Volumes\":[{\"Name\":\"\x80\"}]}",
             R"(error: invalid JSON in reply at byte 22: syntax error while parsing value - invalid string: )"
             R"(ill-formed UTF-8 byte; last read: '"\x80')"},
        Case{"{\"Volumes\":[{\"Name\":\"a\x01\"}]}",
             R"(error: invalid JSON in reply at byte 23: syntax error while parsing value - invalid string: )"
             R"(control character U+0001 (SOH) must be escaped to \u0001; last read: '"a<U+0001>')"},
    }));
    INFO("body: " << body);
    CHECK(outcome_of(body) == outcome);
}

TEST_CASE("codec::decode_list reports fields of the wrong type", "[plugin][codec]")
{
    CHECK(protocol_error_of(R"({"Volumes":[{"Name":5}]})") == "reply field Name is a JSON number, not a string");
    CHECK(protocol_error_of(R"({"Volumes":[{"Name":"a","CreatedAt":"yesterday"}]})") ==
          R"(volume "a": CreatedAt "yesterday" is not an RFC 3339 time)");

    const auto [body, outcome] = GENERATE(table<std::string, std::string>({
        Case{R"({"Volumes":[{"Name":5}]})", "error: reply field Name is a JSON number, not a string"},
        Case{R"({"Volumes":[{"Name":"a","Mountpoint":true}]})",
             "error: reply field Mountpoint is a JSON boolean, not a string"},
        Case{R"({"Volumes":[{"Name":"a","CreatedAt":{}}]})",
             "error: reply field CreatedAt is a JSON object, not a string"},
        Case{R"({"Volumes":[{"Name":"a","CreatedAt":"2026-11-21"}]})",
             R"(error: volume "a": CreatedAt "2026-11-21" is not an RFC 3339 time)"},
        Case{R"({"Volumes":[{"Name":"a","Status":"up"}]})",
             R"(error: volume "a": Status is a JSON string, not an object)"},
        Case{R"({"Volumes":[{"Name":"a","Status":[]}]})",
             R"(error: volume "a": Status is a JSON array, not an object)"},
        Case{R"({"Volumes":[{"Name":"a","Status":5}]})",
             R"(error: volume "a": Status is a JSON number, not an object)"},
        Case{R"({"Volumes":[{"Name":["a"]}]})", "error: reply field Name is a JSON array, not a string"},
        Case{R"({"Volumes":{}})", "error: reply field Volumes is a JSON object, not an array"},
        Case{R"({"Volumes":"a"})", "error: reply field Volumes is a JSON string, not an array"},
        Case{R"({"Volumes":5})", "error: reply field Volumes is a JSON number, not an array"},
        Case{R"({"Volumes":false})", "error: reply field Volumes is a JSON boolean, not an array"},
        Case{R"({"Err":5})", "error: reply field Err is a JSON number, not a string"},
        Case{R"({"Err":{}})", "error: reply field Err is a JSON object, not a string"},
        Case{R"({"Err":[]})", "error: reply field Err is a JSON array, not a string"},
        Case{R"({"Volumes":[null]})", "error: volume in reply is a JSON null, not an object"},
        Case{R"({"Volumes":["a"]})", "error: volume in reply is a JSON string, not an object"},
        Case{R"({"Volumes":[[]]})", "error: volume in reply is a JSON array, not an object"},
        Case{R"({"Volumes":[1]})", "error: volume in reply is a JSON number, not an object"},
        // The first bad volume after good ones; the first bad field of a volume is reported.
        Case{R"({"Volumes":[{"Name":"a"},{"Name":"b","Mountpoint":5}]})",
             "error: reply field Mountpoint is a JSON number, not a string"},
        Case{R"({"Volumes":[{"Status":5,"CreatedAt":"x","Mountpoint":5,"Name":"a"}]})",
             "error: reply field Mountpoint is a JSON number, not a string"},
        Case{R"({"Volumes":[{"Name":"a"},5,{"Name":7}]})", "error: volume in reply is a JSON number, not an object"},
        Case{R"({"Volumes":[{"Name":7},5]})", "error: reply field Name is a JSON number, not a string"},
    }));
    INFO("body: " << body);
    CHECK(outcome_of(body) == outcome);
}

TEST_CASE("codec::decode_list returns Err whatever else the reply holds", "[plugin][codec]")
{
    const auto reply = codec::decode_list(R"({"Err":"boom","Volumes":5})");
    CHECK(reply.err == "boom");
    CHECK(reply.volumes.empty());

    auto body = GENERATE(as<std::string>{}, R"({"Volumes":[{"Name":5}],"Err":"boom"})",
                         R"({"Volumes":[{"Name":"a"}],"Err":"boom"})", R"({"Err":"boom","Volumes":[null]})",
                         R"({"err":"boom","Volumes":[{"Name":"a","CreatedAt":"x"}]})");
    INFO("body: " << body);
    CHECK(outcome_of(body) == "Err: boom");
}

TEST_CASE("codec::decode_list limits nesting", "[plugin][codec]")
{
    std::string status;
    for (int open = 5; open <= 64; ++open) {
        status += R"({"a":)";
    }
    status += R"({"k":1})" + std::string(60, '}');
    CHECK(outcome_of(nested_list(64)) == "volumes: [v||-|" + status + "]");
    CHECK(outcome_of(nested_list(65)) == "error: reply nested deeper than 64 levels");
    // In a key that is not read, and too deep only in a string or after the reply.
    const auto ignored = [](int depth) {
        return R"({"X":)" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + R"(,"Volumes":[]})";
    };
    CHECK(outcome_of(ignored(64)) == "volumes:");
    CHECK(outcome_of(ignored(65)) == "error: reply nested deeper than 64 levels");
    CHECK(outcome_of(R"({"Volumes":[{"Name":")" + std::string(100, '{') + R"("}]})") ==
          "volumes: [" + std::string(100, '{') + "||-|-]");
    CHECK(outcome_of(R"({"Volumes":[]})" + std::string(70, '[')) ==
          "error: invalid JSON in reply at byte 15: syntax error while parsing value - unexpected '['; expected end of "
          "input");
}

TEST_CASE("codec::decode_list reports invalid JSON before any field of the wrong type", "[plugin][codec]")
{
    const auto [body, outcome] = GENERATE(table<std::string, std::string>({
        Case{"", "error: invalid JSON in reply: empty body"},
        Case{" ",
             "error: invalid JSON in reply at byte 2: syntax error while parsing value - unexpected end of "
             "input; expected '[', '{', or a literal"},
        Case{"{",
             "error: invalid JSON in reply at byte 2: syntax error while parsing object key - unexpected end "
             "of input; expected string literal"},
        Case{"nul",
             "error: invalid JSON in reply at byte 4: syntax error while parsing value - invalid literal; "
             "last read: 'nul'"},
        Case{"null", "error: reply is a JSON null, not an object"},
        Case{"5", "error: reply is a JSON number, not an object"},
        Case{R"("a")", "error: reply is a JSON string, not an object"},
        Case{"[]", "error: reply is a JSON array, not an object"},
        Case{"[1]", "error: reply is a JSON array, not an object"},
        Case{R"({"Volumes":[})",
             "error: invalid JSON in reply at byte 13: syntax error while parsing value - "
             "unexpected '}'; expected '[', '{', or a literal"},
        Case{R"({"Volumes":[]} x)", R"(error: invalid JSON in reply at byte 16: syntax error while parsing value - )"
                                    R"(invalid literal; last read: '"Volumes":[]} x'; expected end of input)"},
        Case{R"({"Volumes":[]}{})",
             "error: invalid JSON in reply at byte 15: syntax error while parsing value - "
             "unexpected '{'; expected end of input"},
        Case{R"({"Volumes":[{"Name":"a"},]})",
             "error: invalid JSON in reply at byte 26: syntax error while parsing "
             "value - unexpected ']'; expected '[', '{', or a literal"},
        Case{R"({"Volumes":[{"Name":"a"}])",
             "error: invalid JSON in reply at byte 26: syntax error while parsing "
             "object - unexpected end of input; expected '}'"},
        Case{R"({"Volumes" [] })",
             "error: invalid JSON in reply at byte 12: syntax error while parsing object "
             "separator - unexpected '['; expected ':'"},
        Case{R"({"X":1e400,"Volumes":[]})", "error: invalid JSON in reply at byte 10: number overflow parsing '1e400'"},
        Case{R"({"Volumes":[{"Status":{"n":-1e400}}]})",
             "error: invalid JSON in reply at byte 33: number overflow parsing '-1e400'"},
        Case{R"(/* c */ {"Volumes":[]})",
             "error: invalid JSON in reply at byte 1: syntax error while parsing value "
             "- invalid literal; last read: '/'"},
        Case{R"({'Volumes':[]})",
             "error: invalid JSON in reply at byte 2: syntax error while parsing object key - "
             "invalid literal; last read: '{''; expected string literal"},
        Case{R"({"Volumes":[],})",
             "error: invalid JSON in reply at byte 15: syntax error while parsing object key - "
             "unexpected '}'; expected string literal"},
        // A field of the wrong type before the JSON breaks: the JSON error is the one reported.
        Case{R"({"Volumes":[{"Name":5}],"X":1e400})",
             "error: invalid JSON in reply at byte 33: number overflow parsing '1e400'"},
        Case{R"({"Err":5,"Volumes":[)",
             "error: invalid JSON in reply at byte 21: syntax error while parsing value - "
             "unexpected end of input; expected '[', '{', or a literal"},
    }));
    INFO("body: " << body);
    CHECK(outcome_of(body) == outcome);
}

TEST_CASE("codec::decode_list stops at a NUL byte as nlohmann's lexer does", "[plugin][codec]")
{
    // nlohmann's lexer reads a NUL as the end of the input, whatever follows it.
    CHECK(outcome_of(std::string("{\"Volumes\":[{\"Name\":\"a\"}]}\0{", 28)) == "volumes: [a||-|-]");
    // Brackets after it are not read either.
    CHECK(outcome_of(std::string("{\"Volumes\":[{\"Name\":\"a\"}]}\0", 27) + std::string(70, '[')) ==
          "volumes: [a||-|-]");
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

TEST_CASE("codec request bodies are Docker's fields in its order, compact, one line", "[plugin][codec]")
{
    CHECK(codec::name_request("v1") == "{\"Name\":\"v1\"}\n");
    CHECK(codec::mount_request("v1", "abc") == "{\"Name\":\"v1\",\"ID\":\"abc\"}\n");
    CHECK(codec::create_request("v1", {}) == "{\"Name\":\"v1\",\"Opts\":{}}\n");
    CHECK(codec::create_request("v1", {{"size", "10"}, {"iops", "5"}}) ==
          "{\"Name\":\"v1\",\"Opts\":{\"iops\":\"5\",\"size\":\"10\"}}\n");
    CHECK(codec::empty_request() == "{}\n");
    // Escaped as all JSON dvdcli writes: control characters escaped, UTF-8 as it is, a byte that
    // is not UTF-8 (the command line refuses one) as U+FFFD, as Go's encoder sends it.
    CHECK(codec::name_request(std::string("a\"\\\n\t\x01<&>\xc3\xa9", 11)) ==
          "{\"Name\":\"a\\\"\\\\\\n\\t\\u0001<&>\xc3\xa9\"}\n");
    CHECK(codec::name_request("v\xff") == "{\"Name\":\"v\xef\xbf\xbd\"}\n");
}
