// dvdcli check's interface: the reference plugin passes every check (text, JSON, JUnit), --list,
// --run and --skip, --keep, --slow, a stop by SIGINT that still cleans up, and the exit codes.

#include "check_fixture.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace volumecli::e2e;
using Catch::Matchers::Contains;
using volumecli::test::BackgroundProcess;

namespace {

// The lines of `text`, without their '\n'.
std::vector<std::string> lines_of(const std::string& text)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

// The check IDs --list prints, in order.
std::vector<std::string> listed_ids(const Harness& harness, const std::vector<std::string>& extra = {})
{
    std::vector<std::string> args{"check", "--list"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto result = harness.run(args);
    REQUIRE(result.exit_code == 0);
    std::vector<std::string> ids;
    for (const auto& line : lines_of(result.out)) {
        ids.push_back(line.substr(0, line.find('\t')));
    }
    return ids;
}

std::vector<std::string> reported_ids(const nlohmann::json& report)
{
    std::vector<std::string> ids;
    for (const auto& entry : report["Checks"]) {
        ids.push_back(entry["ID"].get<std::string>());
    }
    return ids;
}

std::size_t occurrences(const std::string& text, const std::string& what)
{
    std::size_t count = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++count;
    }
    return count;
}

std::string read_file(const std::string& path)
{
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The reference plugin on <socket dir>/ref.sock, its volumes under <tmp>/volumes.
struct ReferenceFixture {
    ReferenceFixture()
        : root(harness.dir().make_dir("volumes")),
          plugin({k_reference_plugin, "--socket", harness.socket_path("ref"), "--root", root})
    {
        REQUIRE(volumecli::test::wait_for_unix_socket(harness.socket_path("ref"), std::chrono::seconds(5)));
    }

    Harness harness;
    std::string root;
    BackgroundProcess plugin;
};

}  // namespace

TEST_CASE("dvdcli check --list prints every check ID with its title, without a driver", "[e2e][check]")
{
    Harness harness;
    const auto result = harness.run({"check", "--list"});
    REQUIRE_EXIT(result, 0);
    const auto lines = lines_of(result.out);
    CHECK(lines.size() >= 20);
    CHECK(lines.front() == "activate.implements-volumedriver\tActivate lists VolumeDriver");
    CHECK(std::count(lines.begin(), lines.end(), "mount.second-holder-same-path\tA second holder gets the same path") ==
          1);
    CHECK(result.err.empty());
    const auto catalogue = stdout_json(harness.run({"check", "--list", "--format=json"}));
    REQUIRE(catalogue.size() == lines.size());
    CHECK(catalogue[2]["ID"] == "create.new-volume");
    CHECK(catalogue[2]["Mandatory"] == true);
    CHECK(catalogue[4]["DependsOn"] == nlohmann::json::array({"create.new-volume"}));
    CHECK_FALSE(catalogue[4]["Rule"].get<std::string>().empty());
    CHECK_FALSE(catalogue[4]["ReliedOnBy"].get<std::string>().empty());
    CHECK(listed_ids(harness, {"--run=^errors\\.", "--skip=remove"}) ==
          std::vector<std::string>{"errors.get-missing", "errors.path-missing", "errors.mount-missing",
                                   "errors.unmount-missing"});
}

TEST_CASE("dvdcli(1) and docs/plugin-conformance.md describe every check", "[e2e][check]")
{
    const std::string source = VOLUMECLI_SOURCE_DIR;
    const std::string page = read_file(source + "/man/dvdcli.1");
    // The CHECKS section: one entry per check.
    const auto checks = page.find("\n.SH CHECKS\n");
    REQUIRE(checks != std::string::npos);
    const std::string man = page.substr(checks, page.find("\n.SH ", checks + 1) - checks);
    const std::string docs = read_file(source + "/docs/plugin-conformance.md");
    const auto ids = listed_ids(Harness());
    REQUIRE(ids.size() >= 20);
    for (const auto& id : ids) {
        INFO(id);
        // roff writes each '-' as "\-".
        std::string roff;
        for (const char c : id) {
            roff += c == '-' ? std::string("\\-") : std::string(1, c);
        }
        CHECK(occurrences(man, "\n.B " + roff + "\n") + occurrences(man, "\n.B " + roff + " \\fR(advisory)") == 1);
        CHECK(occurrences(docs, "\n| `" + id + "`") == 1);
    }
}

TEST_CASE("dvdcli check passes the reference plugin on every check and leaves nothing behind", "[e2e][check]")
{
    ReferenceFixture fixture;
    SECTION("text")
    {
        const auto result = fixture.harness.run({"check", "--volumedriver=ref", "--volumeopts=size=1"});
        REQUIRE_EXIT(result, 0);
        CHECK_THAT(result.out, Contains("dvdcli check: driver \"ref\", scratch volume \"dvdcli-check-"));
        CHECK_THAT(result.out, Contains("\nmount.parallel-holders                pass      "));
        CHECK_THAT(result.out, Contains("\nPASS: 0 mandatory check(s) failed, 0 warning(s), 0 skipped, "));
        CHECK(result.err.empty());
    }
    SECTION("json and junit")
    {
        const std::string junit = fixture.harness.dir().file("report.xml");
        const auto result = fixture.harness.run({"check", "--volumedriver=ref", "--format=json", "--junit=" + junit});
        REQUIRE_EXIT(result, 0);
        const auto report = stdout_json(result);
        CHECK(report["Passed"] == true);
        CHECK(reported_ids(report) == listed_ids(fixture.harness));
        CHECK(ids_with(report, "pass") == listed_ids(fixture.harness));
        for (const auto& entry : report["Checks"]) {
            CHECK(entry["Microseconds"].is_number_unsigned());
        }
        // Every call's latency: two holders, ten parallel ones (and retries of those that found the
        // plugin's listen backlog full), one for a missing volume.
        std::size_t mounts = 0;
        for (const auto& call : report["Calls"]) {
            CHECK(call["Microseconds"].is_number_unsigned());
            mounts += call["Call"] == "VolumeDriver.Mount" ? 1 : 0;
        }
        CHECK(mounts >= 13);
        const std::string xml = read_file(junit);
        CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"dvdcli check ref\" tests=\"" +
                            std::to_string(report["Checks"].size()) + "\" failures=\"0\" errors=\"0\" skipped=\"0\"",
                        0) == 0);
        CHECK(occurrences(xml, "<testcase ") == report["Checks"].size());
        CHECK(occurrences(xml, "<failure") == 0);
    }
    CHECK(std::filesystem::is_empty(fixture.root));
}

TEST_CASE("dvdcli check --junit reports the failure and replaces a symlink without writing through it", "[e2e][check]")
{
    CheckFixture fixture;
    fixture.plugin.reply("VolumeDriver.Mount", 500, "{\"Err\":\"no device <sdb> \\u0001\"}");
    const std::string victim = fixture.harness.dir().file("victim");
    std::ofstream(victim) << "precious\n";
    const std::string junit = fixture.harness.dir().file("report.xml");
    std::filesystem::create_symlink(victim, junit);

    const auto result = fixture.check({"--junit=" + junit});

    REQUIRE_EXIT(result, 1);
    CHECK(read_file(victim) == "precious\n");
    CHECK_FALSE(std::filesystem::is_symlink(junit));
    const std::string xml = read_file(junit);
    CHECK(occurrences(xml, "<testcase ") == stdout_json(result)["Checks"].size());
    CHECK(occurrences(xml, "<failure ") == 1);
    CHECK_THAT(xml, Contains("<testcase classname=\"dvdcli.check.mount\" name=\"mount.absolute-path\" time=\""));
    CHECK_THAT(xml, Contains("<failure message=\"VolumeDriver.Mount: HTTP 500: VolumeDriver.Mount: no device "
                             "&lt;sdb&gt; \\x01\" type=\"mandatory\">"));
    CHECK(occurrences(xml, "<skipped message=\"not run: it depends on mount.absolute-path, which failed\"/>") == 3);
    CHECK(xml.find('\x01') == std::string::npos);
    // The mount that may have half-happened is released, the volume removed.
    CHECK_FALSE(fixture.plugin.has_volume("scratch"));
}

TEST_CASE("dvdcli check --run and --skip report only the checks they select", "[e2e][check]")
{
    CheckFixture fixture;
    SECTION("run")
    {
        const auto result = fixture.check({"--run=^mount\\.path"});
        REQUIRE_EXIT(result, 0);
        CHECK(reported_ids(stdout_json(result)) == std::vector<std::string>{"mount.path-matches"});
        // What it depends on ran, unreported: Create and Mount; nothing else did.
        const auto calls = fixture.plugin.calls();
        INFO(describe_calls(calls));
        CHECK(std::count(calls.begin(), calls.end(), "VolumeDriver.Create") == 1);
        CHECK(std::count(calls.begin(), calls.end(), "VolumeDriver.Mount") == 1);
        CHECK(std::count(calls.begin(), calls.end(), "VolumeDriver.List") == 0);
        CHECK_FALSE(fixture.plugin.has_volume("scratch"));
    }
    SECTION("skip")
    {
        const auto result = fixture.check({"--skip=parallel|^errors|^timing"});
        REQUIRE_EXIT(result, 0);
        const auto ids = reported_ids(stdout_json(result));
        CHECK(std::none_of(ids.begin(), ids.end(), [](const std::string& id) {
            return id == "mount.parallel-holders" || id.rfind("errors.", 0) == 0 || id.rfind("timing.", 0) == 0;
        }));
        CHECK(std::count(ids.begin(), ids.end(), "mount.path-matches") == 1);
        const auto calls = fixture.plugin.calls();
        CHECK(std::count(calls.begin(), calls.end(), "VolumeDriver.Mount") == 2);
    }
    SECTION("a bad pattern is a usage error")
    {
        const auto result = fixture.check({"--run=mount.(path"});
        REQUIRE_FAILURE(result, 2);
        CHECK_THAT(result.err, Contains("--run: \"mount.(path\" is not a regular expression"));
        CHECK(fixture.plugin.calls().empty());
    }
}

TEST_CASE("dvdcli check skips what depends on a failed check and counts it as no failure", "[e2e][check]")
{
    CheckFixture fixture;
    fixture.plugin.reply("VolumeDriver.Create", 500, R"({"Err":"quota exceeded"})");
    const auto result = fixture.harness.run({"check", "--volumedriver=fake", "--volumename=scratch"});
    REQUIRE_EXIT(result, 1);
    CHECK_THAT(result.out, Contains("\ncreate.new-volume                     fail      "));
    CHECK_THAT(result.out, Contains("    VolumeDriver.Create: HTTP 500: VolumeDriver.Create: quota exceeded\n"));
    CHECK_THAT(result.out, Contains("\nget.found                             skipped   0.00\n"
                                    "    not run: it depends on create.new-volume, which failed\n"));
    CHECK_THAT(result.out, Contains("\nFAIL: 2 mandatory check(s) failed, 0 warning(s), 16 skipped, "));
}

TEST_CASE("dvdcli check --keep leaves the scratch volumes in the plugin", "[e2e][check]")
{
    ReferenceFixture fixture;
    const auto result =
        fixture.harness.run({"check", "--volumedriver=ref", "--volumename=kept", "--keep", "--format=json"});
    REQUIRE_EXIT(result, 0);
    const auto report = stdout_json(result);
    CHECK(report["Cleanup"] == nlohmann::json::array({"kept kept-opts (--keep)"}));
    CHECK(std::filesystem::is_directory(fixture.root + "/kept-opts"));
    // The volume under test was removed by remove.unmounted-volume itself.
    CHECK_FALSE(std::filesystem::exists(fixture.root + "/kept"));
}

TEST_CASE("dvdcli check --slow warns of slow calls without failing", "[e2e][check]")
{
    CheckFixture fixture;
    fixture.plugin.delay("VolumeDriver.List", std::chrono::milliseconds(300));
    const auto result = fixture.check({"--slow=200", "--run=^list\\.found$|^timing"});
    REQUIRE_EXIT(result, 0);
    const auto slow = check_of(stdout_json(result), "timing.slow-calls");
    CHECK(slow["Status"] == "warn");
    // A loaded machine may make another call slow too: the List one must be among them.
    CHECK_THAT(slow["Notes"].dump(), Contains("VolumeDriver.List took "));
    CHECK_THAT(slow["Notes"].dump(), Contains(" ms (--slow=200)"));
    CHECK(check_of(stdout_json(result), "timing.within-docker-timeouts")["Status"] == "pass");
    REQUIRE_FAILURE(fixture.check({"--slow=fast"}), 2);
}

TEST_CASE("dvdcli check stopped by SIGINT still removes its scratch volumes", "[e2e][check]")
{
    CheckFixture fixture;
    fixture.plugin.delay("VolumeDriver.Mount", std::chrono::milliseconds(300));
    auto options = fixture.harness.options();
    BackgroundProcess check({k_dvdcli, "check", "--volumedriver=fake", "--volumename=scratch", "--format=json"},
                            options);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (fixture.plugin.requests_for("VolumeDriver.Mount").empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(fixture.plugin.has_volume("scratch"));

    const auto result = check.stop(SIGINT, std::chrono::seconds(10));

    REQUIRE(result.exit_code == 128 + SIGINT);
    const auto report = nlohmann::json::parse(result.out);
    CHECK(report["Interrupted"] == true);
    CHECK(report["Passed"] == false);
    CHECK(check_of(report, "remove.unmounted-volume")["Notes"][0] == "not run: interrupted");
    CHECK_FALSE(fixture.plugin.has_volume("scratch"));
    CHECK_FALSE(fixture.plugin.has_volume("scratch-opts"));
    const auto calls = fixture.plugin.calls();
    INFO(describe_calls(calls));
    CHECK(std::count(calls.begin(), calls.end(), "VolumeDriver.Unmount") >= 1);
}

// The text report quotes what the plugin said (a mountpoint, a name): escaped, so a plugin can
// neither forge report lines nor send escape sequences to the operator's terminal.
TEST_CASE("dvdcli check's text report escapes control characters from the plugin", "[e2e][check]")
{
    CheckFixture fixture;
    fixture.plugin.reply("VolumeDriver.Mount", 200, R"({"Mountpoint":"/mnt/\u001b[2J\nPASS: 0 mandatory\r"})");

    const auto result = fixture.harness.run({"check", "--volumedriver=fake", "--volumename=scratch"});

    REQUIRE_EXIT(result, 1);
    CHECK(result.out.find('\x1b') == std::string::npos);
    CHECK(result.out.find('\r') == std::string::npos);
    CHECK_THAT(result.out, Contains("/mnt/\\x1b[2J\\x0aPASS: 0 mandatory\\x0d"));
    const auto lines = lines_of(result.out);
    CHECK(std::count_if(lines.begin(), lines.end(), [](const std::string& line) {
              return line.rfind("PASS", 0) == 0 || line.rfind("FAIL", 0) == 0;
          }) == 1);
    CHECK_THAT(result.out, Contains("FAIL: "));
}

TEST_CASE("dvdcli check exits 3 when the plugin cannot be found or reached", "[e2e][check]")
{
    Harness harness;
    const auto missing = harness.run({"check", "--volumedriver=nothing", "--retry-timeout=0"});
    REQUIRE_FAILURE(missing, 3);
    CHECK_THAT(missing.err, Contains("plugin not found"));

    volumecli::test::make_stale_socket(harness.socket_path("stale"));
    const auto refused = harness.run({"check", "--volumedriver=stale", "--retry-timeout=0"});
    REQUIRE_FAILURE(refused, 3);
}
