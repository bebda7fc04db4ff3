#include <volumecli/error.hpp>
#include <volumecli/options.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using volumecli::UsageError;
using volumecli::VolumeOptions;
using volumecli::VolumeOptionsBuilder;

namespace {

VolumeOptions split_all(const std::vector<std::string>& arguments)
{
    VolumeOptionsBuilder builder;
    for (const auto& argument : arguments) {
        builder.add_split(argument);
    }
    return builder.options();
}

}  // namespace

TEST_CASE("VolumeOptionsBuilder::add_split parses one --volumeopts value", "[options]")
{
    auto [argument, expected] = GENERATE(table<std::string, VolumeOptions>({
        {"a=b", {{"a", "b"}}},
        {"size=5,iops=150", {{"size", "5"}, {"iops", "150"}}},
        {"a=b,,c=d", {{"a", "b"}, {"c", "d"}}},
        {",a=b,", {{"a", "b"}}},
        {",,a=b,,,", {{"a", "b"}}},
        {"a=b=c", {{"a", "b=c"}}},
        {"a==b", {{"a", "=b"}}},
        {"a=", {{"a", ""}}},
        {"a=,b=2", {{"a", ""}, {"b", "2"}}},
        {"o=addr=10.0.0.1,rw", {{"o", "addr=10.0.0.1,rw"}}},
        {"a=x,y,z", {{"a", "x,y,z"}}},
        {"a=x,,y", {{"a", "x,y"}}},
        {"a=1,b=2,a=3", {{"a", "3"}, {"b", "2"}}},
        {"volumeType=io1,IOPS=150", {{"volumeType", "io1"}, {"IOPS", "150"}}},
    }));
    CAPTURE(argument);

    VolumeOptionsBuilder builder;
    builder.add_split(argument);

    CHECK(builder.options() == expected);
}

TEST_CASE("VolumeOptionsBuilder::add_split accumulates repeated --volumeopts", "[options]")
{
    auto [arguments, expected] = GENERATE(table<std::vector<std::string>, VolumeOptions>({
        {{}, {}},
        {{"size=5", "iops=150,type=io1"}, {{"size", "5"}, {"iops", "150"}, {"type", "io1"}}},
        {{"o=addr=10.0.0.1", "rw"}, {{"o", "addr=10.0.0.1,rw"}}},
        {{"a=1", "b=2", "x,y"}, {{"a", "1"}, {"b", "2,x,y"}}},
        {{"a=1", "a=2"}, {{"a", "2"}}},
        {{"a=1,b=2", "a=3"}, {{"a", "3"}, {"b", "2"}}},
    }));
    CAPTURE(arguments);

    CHECK(split_all(arguments) == expected);
}

TEST_CASE("VolumeOptionsBuilder::add_split rejects malformed --volumeopts", "[options]")
{
    auto argument = GENERATE(as<std::string>{}, "foo", "foo,a=b", "=v", "=", "a=b,=c", "a=1,=", ",=x");
    CAPTURE(argument);

    VolumeOptionsBuilder builder;

    CHECK_THROWS_AS(builder.add_split(argument), UsageError);
}

TEST_CASE("VolumeOptionsBuilder::add_split drops a value made only of empty pieces", "[options]")
{
    auto argument = GENERATE(as<std::string>{}, "", ",", ",,");
    CAPTURE(argument);

    VolumeOptionsBuilder builder;
    builder.add_split("a=1");
    builder.add_split(argument);
    builder.add_split("rw");

    // Nothing was added, so "rw" still continues a=1.
    CHECK(builder.options() == VolumeOptions{{"a", "1,rw"}});
}

TEST_CASE("VolumeOptionsBuilder::add_split rejects a continuation before any option", "[options]")
{
    VolumeOptionsBuilder builder;

    SECTION("on the first flag")
    {
        CHECK_THROWS_AS(builder.add_split("rw"), UsageError);
    }
    SECTION("after an empty flag")
    {
        CHECK_THROWS_AS(builder.add_split(",rw"), UsageError);
    }
    CHECK(builder.options().empty());
}

TEST_CASE("VolumeOptionsBuilder::add_single never splits on commas", "[options]")
{
    auto [arguments, expected] = GENERATE(table<std::vector<std::string>, VolumeOptions>({
        {{"a=b"}, {{"a", "b"}}},
        {{"a=b,c=d"}, {{"a", "b,c=d"}}},
        {{"x=1,y"}, {{"x", "1,y"}}},
        {{"o=addr=10.0.0.1,rw"}, {{"o", "addr=10.0.0.1,rw"}}},
        {{"a=,"}, {{"a", ","}}},
        {{"a=1", "a=2"}, {{"a", "2"}}},
    }));
    CAPTURE(arguments);

    VolumeOptionsBuilder builder;
    for (const auto& argument : arguments) {
        builder.add_single(argument);
    }

    CHECK(builder.options() == expected);
}

TEST_CASE("VolumeOptionsBuilder::add_single rejects a value without '='", "[options]")
{
    auto argument = GENERATE(as<std::string>{}, "", "foo", "a,b");
    CAPTURE(argument);

    VolumeOptionsBuilder builder;

    CHECK_THROWS_AS(builder.add_single(argument), UsageError);
}

TEST_CASE("VolumeOptionsBuilder mixes --volumeopts and --volumeopt, last key wins", "[options]")
{
    VolumeOptionsBuilder builder;
    builder.add_split("a=1,b=2");
    builder.add_single("b=x,y");
    builder.add_split("c=3");

    CHECK(builder.options() == VolumeOptions{{"a", "1"}, {"b", "x,y"}, {"c", "3"}});
}
