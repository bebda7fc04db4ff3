#include <volumecli/conformance.hpp>
#include <volumecli/json_output.hpp>

#include <catch2/catch.hpp>

#include <string>

using volumecli::CheckReport;
using volumecli::CheckStep;
using volumecli::StepStatus;

namespace {

CheckStep make_step(const std::string& name, bool mandatory, StepStatus status)
{
    CheckStep step;
    step.name = name;
    step.call = "VolumeDriver.Get";
    step.mandatory = mandatory;
    step.status = status;
    return step;
}

}  // namespace

TEST_CASE("CheckReport::passed fails on a failed or skipped mandatory step only", "[conformance]")
{
    CheckReport report;
    report.steps = {make_step("get", true, StepStatus::pass), make_step("caps", false, StepStatus::fail)};
    CHECK(report.passed());
    report.steps.push_back(make_step("list", true, StepStatus::warn));
    CHECK(report.passed());
    SECTION("failed")
    {
        report.steps.push_back(make_step("gone", true, StepStatus::fail));
    }
    SECTION("skipped")
    {
        report.steps.push_back(make_step("gone", true, StepStatus::skipped));
    }
    CHECK_FALSE(report.passed());
}

TEST_CASE("to_json(CheckReport) renders every step on one line", "[conformance]")
{
    CheckReport report;
    report.driver = "d\"1";
    report.volume = "v";
    CheckStep step = make_step("get", true, StepStatus::warn);
    step.duration = std::chrono::microseconds(12345);
    step.notes = {"no CreatedAt", "no Status"};
    report.steps = {step, make_step("cleanup", false, StepStatus::pass)};
    report.steps.back().call = "";
    CHECK(
        volumecli::to_json(report) ==
        R"({"Driver":"d\"1","Volume":"v","Passed":true,"Steps":[)"
        R"({"Name":"get","Call":"VolumeDriver.Get","Mandatory":true,"Status":"warn","Milliseconds":12,"Microseconds":12345,)"
        R"("Notes":["no CreatedAt","no Status"]},)"
        R"({"Name":"cleanup","Call":"","Mandatory":false,"Status":"pass","Milliseconds":0,"Microseconds":0,"Notes":[]}]})");
}

TEST_CASE("scratch_volume_name is unique and safe as a volume name", "[conformance]")
{
    const std::string first = volumecli::scratch_volume_name();
    CHECK(first.rfind("dvdcli-check-", 0) == 0);
    CHECK(first.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos);
    CHECK(first != volumecli::scratch_volume_name());
}
