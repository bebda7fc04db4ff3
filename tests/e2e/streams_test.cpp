// What reaches the caller's descriptors: stdout carries the result and nothing a script could
// misread (no raw control character in text output), a result that cannot be delivered is rolled
// back (exit 6), closed standard descriptors never swallow a file, and stderr never carries a
// plugin's control characters raw.

#include "harness.hpp"

#include <catch2/catch.hpp>

#include <dirent.h>

#include <fstream>
#include <regex>
#include <sstream>

using namespace volumecli::e2e;
using Calls = std::vector<std::string>;
using Catch::Matchers::Contains;

namespace {

// Runs dvdcli through /bin/sh so that `redirections` (">/dev/full", ">&-", "2>&-") apply to it.
ProcessResult run_redirected(const Harness& harness, const std::vector<std::string>& args,
                             const std::string& redirections)
{
    std::string command = "exec \"$0\"";
    for (std::size_t i = 0; i < args.size(); ++i) {
        command += " \"$" + std::to_string(i + 1) + "\"";
    }
    command += " " + redirections;
    std::vector<std::string> argv{"/bin/sh", "-c", command, k_dvdcli};
    argv.insert(argv.end(), args.begin(), args.end());
    return volumecli::test::run_process(argv, harness.options());
}

std::vector<std::string> files_in(const std::string& dir)
{
    std::vector<std::string> names;
    if (DIR* handle = ::opendir(dir.c_str())) {
        while (const dirent* entry = ::readdir(handle)) {
            const std::string name = entry->d_name;
            if (name != "." && name != "..") {
                names.push_back(dir + "/" + name);
            }
        }
        ::closedir(handle);
    }
    return names;
}

std::string contents(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace

TEST_CASE("dvdcli list and get refuse a plugin name that would break text output", "[e2e][streams][list]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);
    const auto name = GENERATE(as<std::string>{}, "evil\\nphantom", "evil\\rx", "evil\\u0000x", "", "esc\\u001b[2J",
                               "c1\\u009b2J", "del\\u007f");
    INFO("name in the reply (JSON): " << name);

    SECTION("list, text: exit 5, nothing on stdout")
    {
        plugin.reply(k_list, 200, "{\"Volumes\":[{\"Name\":\"good\"},{\"Name\":\"" + name + "\"}]}\n");
        const auto result = harness.run({"list", "--volumedriver=fake"});
        REQUIRE_FAILURE(result, 5);
        CHECK_THAT(result.err, Contains("List") && Contains("cannot be printed"));
    }
    SECTION("get, text: exit 5, nothing on stdout")
    {
        plugin.reply(k_get, 200, "{\"Volume\":{\"Name\":\"" + name + "\"}}\n");
        const auto result = harness.run({"get", "--volumedriver=fake", "--volumename=v1"});
        if (name.empty()) {
            // An empty name in Get's reply means "the name asked for", which prints.
            REQUIRE_EXIT(result, 0);
            CHECK(result.out == "v1\n");
        } else {
            REQUIRE_FAILURE(result, 5);
            CHECK_THAT(result.err, Contains("Get") && Contains("cannot be printed"));
        }
    }
    SECTION("list, JSON: printed, escaped, one line")
    {
        plugin.reply(k_list, 200, "{\"Volumes\":[{\"Name\":\"good\"},{\"Name\":\"" + name + "\"}]}\n");
        const auto result = harness.run({"list", "--volumedriver=fake", "--format=json"});
        REQUIRE_EXIT(result, 0);
        REQUIRE(is_one_line(result.out));
        const auto listed = stdout_json(result);
        REQUIRE(listed.size() == 2);
        CHECK(listed[1]["Name"] == nlohmann::json::parse("\"" + name + "\""));
        CHECK(result.out.find('\x1b') == std::string::npos);
    }
}

TEST_CASE("dvdcli mount whose path cannot be written rolls its own mount back and exits 6", "[e2e][streams][mount]")
{
    Harness harness;
    FakePlugin plugin;
    harness.start(plugin);
    const std::string redirection = GENERATE(as<std::string>{}, ">/dev/full", ">&-");
    INFO("stdout: " << redirection);
    const auto id = expected_mount_id("fake", "v1");

    SECTION("a volume this run created and mounted is unmounted with the same ID")
    {
        const auto result = run_redirected(harness, {"mount", "--volumedriver=fake", "--volumename=v1"}, redirection);
        REQUIRE_EXIT(result, 6);
        CHECK(is_one_line(result.err));
        CHECK_THAT(result.err, Contains("standard output") && Contains("; rolled back"));
        CHECK(plugin.calls() == Calls{k_activate, k_get, k_create, k_mount, k_unmount});
        REQUIRE(plugin.requests_for(k_unmount).size() == 1);
        CHECK(plugin.requests_for(k_unmount)[0].body == "{\"Name\":\"v1\",\"ID\":\"" + id + "\"}\n");
        CHECK(plugin.mount_ids("v1").empty());
    }
    SECTION("a volume already held before this run is left as it was")
    {
        plugin.add_volume("v1", id);
        const auto result = run_redirected(harness, {"mount", "--volumedriver=fake", "--volumename=v1"}, redirection);
        REQUIRE_EXIT(result, 6);
        CHECK(is_one_line(result.err));
        CHECK_THAT(result.err, Contains("standard output") && Contains("not rolled back"));
        CHECK(plugin.calls() == Calls{k_activate, k_get, k_mount});
        CHECK_FALSE(plugin.mount_ids("v1").empty());
    }
}

TEST_CASE("dvdcli mount into a pipe nobody reads rolls back and exits 6", "[e2e][streams][mount]")
{
    Harness harness;
    FakePlugin plugin;
    // The reader (true) is long gone when the path is written.
    plugin.delay(k_mount, std::chrono::milliseconds(300));
    harness.start(plugin);

    const auto result = volumecli::test::run_process(
        {"/bin/sh", "-c",
         "exec 3>&1; { \"$0\" mount --volumedriver=fake --volumename=v1; echo \"exit $?\" >&3; } | true", k_dvdcli},
        harness.options());

    REQUIRE_EXIT(result, 0);  // the shell
    CHECK(result.out == "exit 6\n");
    CHECK_THAT(result.err, Contains("Broken pipe") && Contains("; rolled back"));
    CHECK(plugin.calls() == Calls{k_activate, k_get, k_create, k_mount, k_unmount});
}

TEST_CASE("dvdcli get, path and create whose result cannot be written exit 6 and change nothing more", "[e2e][streams]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1", "someone");
    harness.start(plugin);

    const auto get = run_redirected(harness, {"get", "--volumedriver=fake", "--volumename=v1"}, ">/dev/full");
    REQUIRE_EXIT(get, 6);
    const auto path = run_redirected(harness, {"path", "--volumedriver=fake", "--volumename=v1"}, ">/dev/full");
    REQUIRE_EXIT(path, 6);
    const auto create =
        run_redirected(harness, {"create", "--volumedriver=fake", "--volumename=v2", "--format=json"}, ">/dev/full");
    REQUIRE_EXIT(create, 6);
    CHECK_THAT(create.err, Contains("was created"));
    CHECK(plugin.has_volume("v2"));
    CHECK(plugin.requests_for(k_unmount).empty());
    CHECK(plugin.requests_for(k_remove).empty());
    // Nothing to print, nothing to lose: unmount with a full stdout succeeds.
    plugin.add_volume("v3", expected_mount_id("fake", "v3"));
    const auto unmount = run_redirected(harness, {"unmount", "--volumedriver=fake", "--volumename=v3"}, ">/dev/full");
    REQUIRE_EXIT(unmount, 0);
}

TEST_CASE("dvdcli started with stderr closed writes no log line into its lock file", "[e2e][streams][lock]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.reply(k_mount, 500, "{\"Err\":\"LOG LINE FROM THE PLUGIN\"}\n");
    harness.start(plugin);

    const auto result = run_redirected(harness, {"mount", "--volumedriver=fake", "--volumename=v1"}, "2>&-");

    REQUIRE_EXIT(result, 1);
    const auto locks = files_in(harness.dir().file("run") + "/locks");
    REQUIRE(locks.size() == 1);
    const auto lock = contents(locks[0]);
    CHECK(std::regex_match(lock, std::regex("[0-9]+ *\n")));
    CHECK(lock.find("LOG LINE") == std::string::npos);
}

TEST_CASE("dvdcli escapes control characters of a plugin's message on its one stderr line", "[e2e][streams][errors]")
{
    Harness harness;
    FakePlugin plugin;
    plugin.add_volume("v1");
    harness.start(plugin);
    plugin.reply(k_mount, 500, "{\"Err\":\"bad\\u001b[31mred\\u0000after NUL\\u009b\\ttab\"}\n");

    const auto result = harness.run({"mount", "--volumedriver=fake", "--volumename=v1"});

    REQUIRE_FAILURE(result, 1);
    CHECK(result.err ==
          "dvdcli: error: driver \"fake\": Mount \"v1\": VolumeDriver.Mount: "
          "bad\\x1b[31mred\\x00after NUL\\xc2\\x9b\\x09tab\n");
}
