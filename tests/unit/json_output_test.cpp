#include <volumecli/json_output.hpp>
#include <volumecli/operations.hpp>
#include <volumecli/volume.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using volumecli::Capabilities;
using volumecli::MountResult;
using volumecli::name_to_json;
using volumecli::to_json;
using volumecli::Volume;

TEST_CASE("to_json(Volume) writes Name and Mountpoint, then CreatedAt and Status when given", "[json]")
{
    SECTION("name and mountpoint")
    {
        CHECK(to_json(Volume{"v", "/m", {}, {}}) == R"({"Name":"v","Mountpoint":"/m"})");
    }
    SECTION("no mountpoint")
    {
        CHECK(to_json(Volume{"v", "", {}, {}}) == R"({"Name":"v","Mountpoint":""})");
    }
    SECTION("CreatedAt")
    {
        CHECK(to_json(Volume{"v", "/m", "2024-01-02T03:04:05Z", {}}) ==
              R"({"Name":"v","Mountpoint":"/m","CreatedAt":"2024-01-02T03:04:05Z"})");
    }
    SECTION("Status is an object, not a string")
    {
        CHECK(to_json(Volume{"v", "/m", {}, R"({"size":5,"tags":["a"]})"}) ==
              R"({"Name":"v","Mountpoint":"/m","Status":{"size":5,"tags":["a"]}})");
    }
    SECTION("everything")
    {
        CHECK(to_json(Volume{"v", "/m", "2024-01-02T03:04:05Z", R"({})"}) ==
              R"({"Name":"v","Mountpoint":"/m","CreatedAt":"2024-01-02T03:04:05Z","Status":{}})");
    }
    SECTION("strings are escaped")
    {
        CHECK(to_json(Volume{"a\"b\\c", "/m\t", {}, {}}) == R"({"Name":"a\"b\\c","Mountpoint":"/m\t"})");
    }
}

TEST_CASE("JSON output escapes control characters, keeps UTF-8 and never throws on other bytes", "[json]")
{
    // C0 controls escaped (so one result is one line), UTF-8 and <, >, & as they are (Go's
    // encoder would write \u003c, \u2028: the same JSON), a byte that is not UTF-8 as U+FFFD.
    CHECK(name_to_json(std::string("a\nb\x1b[2J\0c", 9)) == R"({"Name":"a\nb\u001b[2J\u0000c"})");
    CHECK(name_to_json("caf\xc3\xa9 <&> \xe2\x80\xa8") == "{\"Name\":\"caf\xc3\xa9 <&> \xe2\x80\xa8\"}");
    CHECK(name_to_json("bad\xff") == "{\"Name\":\"bad\xef\xbf\xbd\"}");
    CHECK(to_json(Volume{"v\xc3", "/m/\xff", {}, R"({"k":"\u0001"})"}) ==
          "{\"Name\":\"v\xef\xbf\xbd\",\"Mountpoint\":\"/m/\xef\xbf\xbd\",\"Status\":{\"k\":\"\\u0001\"}}");
}

TEST_CASE("to_json(list) writes an array of volumes", "[json]")
{
    SECTION("empty")
    {
        CHECK(to_json(std::vector<Volume>{}) == "[]");
    }
    SECTION("two")
    {
        CHECK(to_json(std::vector<Volume>{Volume{"a", "", {}, {}}, Volume{"b", "/b", {}, R"({"x":1})"}}) ==
              R"([{"Name":"a","Mountpoint":""},{"Name":"b","Mountpoint":"/b","Status":{"x":1}}])");
    }
}

TEST_CASE("to_json(MountResult) writes Name and Mountpoint", "[json]")
{
    CHECK(to_json(MountResult{"v1", "/mnt/v1", false}) == R"({"Name":"v1","Mountpoint":"/mnt/v1"})");
}

TEST_CASE("to_json(Capabilities) writes Scope", "[json]")
{
    CHECK(to_json(Capabilities{}) == R"({"Scope":"local"})");
    CHECK(to_json(Capabilities{"global"}) == R"({"Scope":"global"})");
}

TEST_CASE("name_to_json writes Name", "[json]")
{
    CHECK(name_to_json("v1") == R"({"Name":"v1"})");
    CHECK(name_to_json("a\"b") == R"({"Name":"a\"b"})");
}
