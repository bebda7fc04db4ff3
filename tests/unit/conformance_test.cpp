#include <volumecli/conformance.hpp>
#include <volumecli/error.hpp>
#include <volumecli/json_output.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

using volumecli::CheckReport;
using volumecli::CheckResult;
using volumecli::CheckStatus;

namespace {

CheckResult make_check(const std::string& id, bool mandatory, CheckStatus status)
{
    CheckResult check;
    check.id = id;
    check.title = "title of " + id;
    check.mandatory = mandatory;
    check.status = status;
    return check;
}

std::string read_file(const std::string& path)
{
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("CheckReport::passed fails on a failed mandatory check or an interruption only", "[conformance]")
{
    CheckReport report;
    report.checks = {make_check("get.found", true, CheckStatus::pass),
                     make_check("activate.capabilities-scope", false, CheckStatus::warn),
                     make_check("list.found", true, CheckStatus::warn),
                     make_check("list.fields", true, CheckStatus::skipped)};
    CHECK(report.passed());
    CHECK(report.count(CheckStatus::warn) == 2);
    SECTION("failed")
    {
        report.checks.push_back(make_check("remove.gone-from-get", true, CheckStatus::fail));
        CHECK_FALSE(report.passed());
    }
    SECTION("interrupted")
    {
        report.interrupted = true;
        CHECK_FALSE(report.passed());
    }
}

TEST_CASE("conformance_checks has at least 20 checks with unique IDs whose dependencies run first", "[conformance]")
{
    const auto& checks = volumecli::conformance_checks();
    CHECK(checks.size() >= 20);
    std::set<std::string> seen;
    for (const auto& check : checks) {
        INFO(check.id);
        CHECK(check.id.find('.') != std::string::npos);
        CHECK(check.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") == std::string::npos);
        CHECK_FALSE(check.title.empty());
        CHECK_FALSE(check.rule.empty());
        CHECK_FALSE(check.relied_on_by.empty());
        for (const auto& dependency : check.depends_on) {
            CHECK(seen.count(dependency) == 1);
        }
        CHECK(seen.insert(check.id).second);
    }
}

TEST_CASE("to_json(CheckReport) renders every check on one line", "[conformance]")
{
    CheckReport report;
    report.driver = "d\"1";
    report.volumes = {"v", "v-opts"};
    CheckResult check = make_check("get.fields", true, CheckStatus::warn);
    check.duration = std::chrono::microseconds(12345);
    check.notes = {"no CreatedAt", "no Status"};
    report.checks = {check, make_check("timing.slow-calls", false, CheckStatus::pass)};
    report.calls = {{"VolumeDriver.Get", std::chrono::microseconds(250)}};
    report.cleanup = {"removed v"};
    CHECK(volumecli::to_json(report) ==
          R"({"Driver":"d\"1","Volumes":["v","v-opts"],"Passed":true,"Interrupted":false,)"
          R"("Counts":{"pass":1,"warn":1,"fail":0,"skipped":0},"Checks":[)"
          R"({"ID":"get.fields","Title":"title of get.fields","Mandatory":true,"Status":"warn","Milliseconds":12,)"
          R"("Microseconds":12345,"Notes":["no CreatedAt","no Status"]},)"
          R"({"ID":"timing.slow-calls","Title":"title of timing.slow-calls","Mandatory":false,"Status":"pass",)"
          R"("Milliseconds":0,"Microseconds":0,"Notes":[]}],"Calls":[{"Call":"VolumeDriver.Get","Microseconds":250}],)"
          R"("Cleanup":["removed v"]})");
}

TEST_CASE("junit_report writes one testcase per check and escapes the plugin's words", "[conformance]")
{
    CheckReport report;
    report.driver = "a<b>";
    CheckResult failed = make_check("mount.absolute-path", true, CheckStatus::fail);
    failed.duration = std::chrono::microseconds(1500);
    failed.notes = {std::string("Mountpoint \"/mnt/\x1b[2J&\x01\" is not an absolute path")};
    CheckResult skipped = make_check("mount.path-matches", true, CheckStatus::skipped);
    skipped.notes = {"not run: it depends on mount.absolute-path, which failed"};
    report.checks = {make_check("create.new-volume", true, CheckStatus::pass), failed, skipped};

    const std::string xml = volumecli::junit_report(report);

    CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"dvdcli check a&lt;b&gt;\" "
                    "tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"0.001500\">\n",
                    0) == 0);
    CHECK(xml.find("  <testcase classname=\"dvdcli.check.create\" name=\"create.new-volume\" time=\"0.000000\">\n"
                   "  </testcase>\n") != std::string::npos);
    CHECK(xml.find("<failure message=\"Mountpoint &quot;/mnt/\\x1b[2J&amp;\\x01&quot; is not an absolute path\" "
                   "type=\"mandatory\">") != std::string::npos);
    CHECK(xml.find("<skipped message=\"not run: it depends on mount.absolute-path, which failed\"/>") !=
          std::string::npos);
    CHECK(xml.find('\x1b') == std::string::npos);
    CHECK(xml.find('\x01') == std::string::npos);
    CHECK(xml.substr(xml.size() - 13) == "</testsuite>\n");
}

TEST_CASE("write_report_file replaces a symlink at the path instead of writing through it", "[conformance]")
{
    char pattern[] = "/tmp/volumecli-report-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    const std::string dir = pattern;
    const std::string victim = dir + "/victim";
    const std::string report = dir + "/report.xml";
    std::ofstream(victim) << "precious\n";
    std::filesystem::create_symlink(victim, report);

    volumecli::write_report_file(report, "<testsuite/>\n");

    CHECK(read_file(victim) == "precious\n");
    CHECK_FALSE(std::filesystem::is_symlink(report));
    CHECK(read_file(report) == "<testsuite/>\n");
    CHECK_THROWS_AS(volumecli::write_report_file(dir + "/missing/report.xml", "x"), volumecli::OutputError);
    std::filesystem::remove_all(dir);
}

TEST_CASE("scratch_volume_name is unique and safe as a volume name", "[conformance]")
{
    const std::string first = volumecli::scratch_volume_name();
    CHECK(first.rfind("dvdcli-check-", 0) == 0);
    CHECK(first.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos);
    CHECK(first != volumecli::scratch_volume_name());
}
