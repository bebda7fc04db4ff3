// Command-line handling seen from outside: option splitting as the plugin receives it, usage
// errors (exit 2, nothing on stdout, nothing sent to the plugin), help and flag placement.

#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace volumecli::e2e;
using Calls = std::vector<std::string>;
using Args = std::vector<std::string>;

TEST_CASE("dvdcli create splits --volumeopts as the spec says", "[e2e][options]")
{
    // Arguments after "create --volumedriver=fake --volumename=v1", and the Create body.
    using Row = std::tuple<Args, std::string>;
    const auto row = GENERATE(table<Args, std::string>({
        Row{{"--volumeopts=a=1,b=2"}, R"({"a":"1","b":"2"})"},
        Row{{"--volumeopts=z=1", "--volumeopts=a=2"}, R"({"a":"2","z":"1"})"},
        Row{{"--volumeopts=a=1,,b=2,"}, R"({"a":"1","b":"2"})"},
        Row{{"--volumeopts=,a=1"}, R"({"a":"1"})"},
        Row{{"--volumeopts=k=x=y"}, R"({"k":"x=y"})"},
        Row{{"--volumeopts=k=a,b"}, R"({"k":"a,b"})"},
        Row{{"--volumeopts=o=addr=10.0.0.1", "--volumeopts=rw"}, R"({"o":"addr=10.0.0.1,rw"})"},
        Row{{"--volumeopts=a=1", "--volumeopts=a=2"}, R"({"a":"2"})"},
        Row{{"--volumeopts=a="}, R"({"a":""})"},
        Row{{"--volumeopts", "a=1"}, R"({"a":"1"})"},
        Row{{"--volumeopt=k=a,b=c"}, R"({"k":"a,b=c"})"},
        Row{{"--volumeopt=k=1", "--volumeopts=j=2,3"}, R"({"j":"2,3","k":"1"})"},
        Row{{"--volumeopts=size=5", "--volumeopts=iops=150", "--volumeopts=volumetype=io1",
             "--volumeopts=newfstype=xfs", "--volumeopts=overwritefs=true"},
            R"({"iops":"150","newfstype":"xfs","overwritefs":"true","size":"5","volumetype":"io1"})"},
        Row{{"--volumeopts=path=/a b/c"}, R"({"path":"/a b/c"})"},
        Row{Args{}, "{}"},
    }));
    const auto& [options, opts_json] = row;
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);
    Args args{"create", "--volumedriver=fake", "--volumename=v1"};
    args.insert(args.end(), options.begin(), options.end());
    INFO("args " << describe_calls(args));

    const auto result = harness.run(args);

    REQUIRE_EXIT(result, 0);
    const auto creates = plugin.requests_for("VolumeDriver.Create");
    REQUIRE(creates.size() == 1);
    CHECK(creates[0].body == "{\"Name\":\"v1\",\"Opts\":" + opts_json + "}\n");
}

TEST_CASE("dvdcli --volumeopts with only empty pieces adds no option", "[e2e][options]")
{
    // "each value split on ','; empty pieces dropped": nothing is left, and nothing is wrong.
    const auto option = GENERATE(as<std::string>{}, "--volumeopts=", "--volumeopts=,", "--volumeopts=,,");
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);
    INFO("option " << option);

    const auto result = harness.run({"create", "--volumedriver=fake", "--volumename=v1", "--volumeopts=a=1", option});

    REQUIRE_EXIT(result, 0);
    const auto creates = plugin.requests_for("VolumeDriver.Create");
    REQUIRE(creates.size() == 1);
    CHECK(creates[0].body == "{\"Name\":\"v1\",\"Opts\":{\"a\":\"1\"}}\n");
}

TEST_CASE("dvdcli rejects malformed volume options before contacting the plugin", "[e2e][options][usage]")
{
    const auto options =
        GENERATE(as<Args>{}, Args{"--volumeopts=foo"}, Args{"--volumeopts=foo,a=1"}, Args{"--volumeopts==v"},
                 Args{"--volumeopts=a=1,=2"}, Args{"--volumeopt=novalue"}, Args{"--volumeopt==v"});
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);
    SECTION("create")
    {
        Args args{"create", "--volumedriver=fake", "--volumename=v1"};
        args.insert(args.end(), options.begin(), options.end());
        INFO("args " << describe_calls(args));
        const auto result = harness.run(args);
        REQUIRE_FAILURE(result, 2);
    }
    SECTION("mount")
    {
        Args args{"mount", "--volumedriver=fake", "--volumename=v1"};
        args.insert(args.end(), options.begin(), options.end());
        INFO("args " << describe_calls(args));
        const auto result = harness.run(args);
        REQUIRE_FAILURE(result, 2);
    }
    CHECK(plugin.requests().empty());
}

TEST_CASE("dvdcli usage errors exit 2 with nothing on stdout and no plugin contact", "[e2e][usage]")
{
    const auto args =
        GENERATE(as<Args>{}, Args{}, Args{"bogus", "--volumedriver=fake", "--volumename=v1"},
                 Args{"mount", "--volumedriver=fake", "--volumename=v1", "--bogus"},
                 Args{"mount", "--volumedriver=fake", "--volumename=v1", "--explicitcreate", "true"},
                 Args{"mount", "--volumedriver=fake", "--volumename=v1", "extra"},
                 Args{"mount", "--volumedriver=fake", "--volumename=v1", "--explicitcreate=maybe"},
                 Args{"mount", "--volumename=v1"}, Args{"mount", "--volumedriver=fake"},
                 Args{"mount", "--volumedriver=fake", "--volumename="},
                 Args{"mount", "--volumedriver=", "--volumename=v1"}, Args{"unmount", "--volumedriver=fake"},
                 Args{"path", "--volumedriver=fake"}, Args{"create", "--volumedriver=fake"},
                 Args{"remove", "--volumedriver=fake"}, Args{"get", "--volumedriver=fake"}, Args{"list"},
                 Args{"mount", "--volumedriver=fake", "--volumename=v1", "--timeout=0"},
                 Args{"mount", "--volumedriver=fake", "--volumename=v1", "--timeout=-1"},
                 Args{"mount", "--volumedriver=fake", "--volumename=v1", "--timeout=soon"},
                 Args{"mount", "--volumedriver=fake", "--volumename=v1", "--retry-timeout=-1"},
                 Args{"mount", "--volumedriver=fake", "--volumename=v1", "--log-level=chatty"},
                 Args{"mount", "--volumedriver=fake", "--volumename=v1", "--format=yaml"},
                 Args{"mount", "mount", "--volumedriver=fake", "--volumename=v1"},
                 Args{"MOUNT", "--volumedriver=fake", "--volumename=v1"},
                 Args{"mount", "--VOLUMEDRIVER=fake", "--volumename=v1"});
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);
    INFO("args " << describe_calls(args));

    const auto result = harness.run(args);

    REQUIRE_FAILURE(result, 2);
    CHECK(plugin.requests().empty());
}

TEST_CASE("dvdcli reads durations as decimal seconds only, in its own words", "[e2e][usage]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);
    const std::string value = GENERATE(as<std::string>{}, "3s", "0x10", "1e3", "inf", "nan", "-1", "+5", " 5", "5,0");
    // The quick reader takes --timeout=V, CLI11 the separate word: both say the same.
    const bool separate = GENERATE(false, true);
    INFO("--timeout " << value << (separate ? " (separate word)" : ""));
    Args args{"mount", "--volumedriver=fake", "--volumename=v1"};
    if (separate) {
        args.insert(args.end(), {"--timeout", value});
    } else {
        args.push_back("--timeout=" + value);
    }

    const auto result = harness.run(args);

    REQUIRE_FAILURE(result, 2);
    CHECK(result.err == "dvdcli: error: --timeout: \"" + value +
                            "\" is not a number of seconds (decimal, e.g. 3 or 0.5; from 0.001 to 86400 seconds)\n");
    CHECK(plugin.requests().empty());
}

TEST_CASE("dvdcli refuses an out-of-range duration and takes decimal ones", "[e2e][usage]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    harness.start(plugin);

    const auto zero = harness.run({"path", "--volumedriver=fake", "--volumename=v1", "--timeout=0"});
    REQUIRE_FAILURE(zero, 2);
    CHECK(zero.err == "dvdcli: error: --timeout: 0 seconds is out of range (from 0.001 to 86400 seconds)\n");
    const auto day = harness.run({"path", "--volumedriver=fake", "--volumename=v1", "--retry-timeout", "86401"});
    REQUIRE_FAILURE(day, 2);
    CHECK(day.err == "dvdcli: error: --retry-timeout: 86401 seconds is out of range (from 0 to 86400 seconds)\n");
    CHECK(plugin.requests().empty());
    const auto fine =
        harness.run({"get", "--volumedriver=fake", "--volumename=v1", "--timeout=.5", "--retry-timeout=0"});
    REQUIRE_EXIT(fine, 0);
    CHECK(fine.out == "v1\n");
}

TEST_CASE("dvdcli says what is wrong with the command line without CLI11's wording", "[e2e][usage]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);
    using Case = std::pair<Args, std::string>;
    const auto [args, message] = GENERATE(
        Case{{"mount", "--volumedriver=fake", "--volumedriver=other", "--volumename=v1"},
             "--volumedriver given more than once (see 'dvdcli mount --help')"},
        Case{{"mount", "--volumedriver", "fake", "--volumename=v1", "--volumename", "v2"},
             "--volumename given more than once (see 'dvdcli mount --help')"},
        Case{{"mount", "--volumedriver=fake", "--volumename=v1", "--explicitcreate=maybe"},
             "--explicitcreate: value not accepted (a switch takes no value, or =true or =false) (see 'dvdcli mount "
             "--help')"},
        Case{{"mount", "--volumedriver=fake", "--volumename=v1", "--format", "yaml"},
             "--format: expected text or json, not \"yaml\""},
        Case{{"--volumedriver=fake"},
             "no command given (one of mount, unmount, path, create, remove, get, list, capabilities, version, exec, "
             "check) (see 'dvdcli --help')"});
    INFO("args " << describe_calls(args));

    const auto result = harness.run(args);

    REQUIRE_FAILURE(result, 2);
    CHECK(result.err == "dvdcli: error: " + message + "\n");
    CHECK(plugin.requests().empty());
}

TEST_CASE("dvdcli refuses text that is not UTF-8 for the JSON bodies, before contacting the plugin", "[e2e][usage]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);
    using Case = std::pair<Args, std::string>;
    const auto [args, flag] = GENERATE(
        Case{{"mount", "--volumedriver=fake",
              "--volumename=v\xff"
              "1"},
             "--volumename"},
        Case{{"create", "--volumedriver=fake", "--volumename=v1", "--volumeopts=size=\xc0\xaf"}, "--volumeopts"},
        Case{{"create", "--volumedriver=fake", "--volumename=v1", "--volumeopt", "k\xed\xa0\x80=1"}, "--volumeopts"},
        Case{{"mount", "--volumedriver=fake", "--volumename=v1", "--mountid=id\xfe"}, "--mountid"});
    INFO("args " << describe_calls(args));

    const auto result = harness.run(args);

    REQUIRE_FAILURE(result, 2);
    CHECK_THAT(result.err, Catch::Matchers::StartsWith("dvdcli: error: " + flag + " is not valid UTF-8: \""));
    CHECK(result.err.find('\xff') == std::string::npos);
    CHECK(plugin.requests().empty());
}

TEST_CASE("dvdcli rejects an unknown DVDCLI_LOG_LEVEL and relative discovery directories", "[e2e][usage]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);
    volumecli::test::ProcessOptions options;
    SECTION("unknown log level")
    {
        options.env["DVDCLI_LOG_LEVEL"] = "chatty";
    }
    SECTION("relative socket dir")
    {
        options.env["DVDCLI_SOCKET_DIR"] = "relative/sockets";
    }
    SECTION("relative spec dir")
    {
        options.env["DVDCLI_SPEC_DIRS"] = harness.spec_dir() + ":relative/specs";
    }

    const auto result = harness.run({"list", "--volumedriver=fake"}, options);

    REQUIRE_FAILURE(result, 2);
    CHECK(plugin.requests().empty());
}

TEST_CASE("dvdcli --help prints help on stdout and exits 0", "[e2e][usage]")
{
    Harness harness;
    const auto args =
        GENERATE(as<Args>{}, Args{"--help"}, Args{"-h"}, Args{"mount", "--help"}, Args{"--help", "mount"});
    INFO("args " << describe_calls(args));

    const auto result = harness.run(args);

    REQUIRE_EXIT(result, 0);
    CHECK(result.out.find("mount") != std::string::npos);
    CHECK(result.out.find("--volumedriver") != std::string::npos);
    CHECK(result.out.find("--volumename") != std::string::npos);
}

TEST_CASE("dvdcli <command> --help ends with an example of that command", "[e2e][usage]")
{
    Harness harness;
    const std::string command = GENERATE(as<std::string>{}, "mount", "unmount", "path", "create", "remove", "get",
                                         "list", "capabilities", "version", "exec", "check");
    const auto result = harness.run({command, "--help"});
    REQUIRE_EXIT(result, 0);
    const auto example = result.out.find("Example:\n  ");
    REQUIRE(example != std::string::npos);
    CHECK(result.out.find(command, example) != std::string::npos);
}

TEST_CASE("dvdcli accepts flags before the command and values as separate words", "[e2e][usage]")
{
    const auto args = GENERATE(as<Args>{}, Args{"--volumedriver=fake", "--volumename=v1", "mount"},
                               Args{"--volumedriver", "fake", "mount", "--volumename", "v1"},
                               Args{"mount", "--volumename", "v1", "--volumedriver", "fake"},
                               Args{"--volumedriver=fake", "mount", "--volumename=v1", "--timeout", "30",
                                    "--retry-timeout", "0.5", "--log-level", "error", "--format", "text"});
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    harness.start(plugin);
    INFO("args " << describe_calls(args));

    const auto result = harness.run(args);

    REQUIRE_EXIT(result, 0);
    CHECK(result.out == "/tmp/fake-plugin/v1\n");
    CHECK(plugin.calls() == Calls{"Plugin.Activate", "VolumeDriver.Get", "VolumeDriver.Mount"});
}

TEST_CASE("dvdcli logs go to stderr and leave stdout clean", "[e2e][usage]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);

    SECTION("--log-level=debug")
    {
        const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--log-level=debug"});
        REQUIRE_EXIT(result, 0);
        CHECK(result.out == "/tmp/fake-plugin/v1\n");
        CHECK_FALSE(result.err.empty());
        CHECK(result.err.find("dvdcli: debug: ") != std::string::npos);
    }
    SECTION("DVDCLI_LOG_LEVEL=trace")
    {
        volumecli::test::ProcessOptions options;
        options.env["DVDCLI_LOG_LEVEL"] = "trace";
        const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"}, options);
        REQUIRE_EXIT(result, 0);
        CHECK(result.out == "/tmp/fake-plugin/v1\n");
        CHECK_FALSE(result.err.empty());
    }
    SECTION("--log-level=off silences a failure's stderr but keeps the exit code")
    {
        plugin.reply("VolumeDriver.Mount", 500, "{\"Err\":\"boom\"}\n");
        const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--log-level=off"});
        REQUIRE_EXIT(result, 1);
        CHECK(result.out.empty());
        CHECK(result.err.empty());
    }
}

TEST_CASE("dvdcli --log-level=debug logs one line per plugin call, trace the bodies, with optional timestamps",
          "[e2e][usage][logs]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    harness.start(plugin);
    const auto lines_with = [](const std::string& text, const std::string& part) {
        std::vector<std::string> found;
        std::size_t start = 0;
        while (start < text.size()) {
            const auto end = text.find('\n', start);
            const std::string line = text.substr(start, end - start);
            if (line.find(part) != std::string::npos) {
                found.push_back(line);
            }
            start = end == std::string::npos ? text.size() : end + 1;
        }
        return found;
    };

    SECTION("debug: call, address, status, bytes, time and attempt; no bodies")
    {
        const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--log-level=debug"});
        REQUIRE_EXIT(result, 0);
        CHECK(result.out == "/tmp/fake-plugin/v1\n");
        const auto calls = lines_with(result.err, "-> HTTP 200, ");
        REQUIRE(calls.size() == 3);  // Activate, Get, Mount
        CHECK(calls[0].find("dvdcli: debug: plugin \"fake\": Plugin.Activate unix://") == 0);
        CHECK(calls[1].find("VolumeDriver.Get unix://") != std::string::npos);
        CHECK(calls[2].find("VolumeDriver.Mount unix://") != std::string::npos);
        CHECK(calls[2].find(" bytes, ") != std::string::npos);
        CHECK(calls[2].find(" ms (attempt 1)") != std::string::npos);
        CHECK(result.err.find("request:") == std::string::npos);
    }
    SECTION("trace: also the request and reply bodies")
    {
        const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--log-level=trace"});
        REQUIRE_EXIT(result, 0);
        CHECK(lines_with(result.err, "VolumeDriver.Get request: {\"Name\":\"v1\"}").size() == 1);
        const auto replies = lines_with(result.err, "VolumeDriver.Mount reply: {");
        REQUIRE(replies.size() == 1);
        CHECK(replies[0].find("/tmp/fake-plugin/v1") != std::string::npos);
    }
    SECTION("a failed attempt says so, with its number")
    {
        const auto result =
            harness.run({"path", "--volumedriver=fake", "--volumename=v1", "--log-level=debug",
                         "--plugin-addr=unix://" + harness.socket_dir() + "/absent.sock", "--retry-timeout=0"});
        REQUIRE_EXIT(result, 3);
        CHECK(lines_with(result.err, "-> failed after ").size() == 1);
        CHECK(lines_with(result.err, "(attempt 1)").size() == 1);
    }
    SECTION("--log-timestamps and DVDCLI_LOG_TIMESTAMPS=1 start each line with the UTC time")
    {
        volumecli::test::ProcessOptions options;
        options.env["DVDCLI_LOG_TIMESTAMPS"] = "1";
        for (const auto& result :
             {harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--log-level=debug", "--log-timestamps"}),
              harness.run({"mount", "--volumedriver=fake", "--volumename=v1", "--log-level=debug"}, options)}) {
            REQUIRE_EXIT(result, 0);
            const auto calls = lines_with(result.err, "-> HTTP 200");
            REQUIRE_FALSE(calls.empty());
            for (const auto& line : calls) {
                CAPTURE(line);
                // 2026-12-05T21:04:05.123Z dvdcli: debug: ...
                REQUIRE(line.size() > 25);
                CHECK(line[4] == '-');
                CHECK(line[10] == 'T');
                CHECK(line[19] == '.');
                CHECK(line.substr(23, 9) == "Z dvdcli:");
            }
        }
    }
}
