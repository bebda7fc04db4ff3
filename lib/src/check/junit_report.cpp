// dvdcli check --junit=FILE: the report as JUnit XML, in the dialect GitLab, Jenkins and GitHub
// test reporters share (one testsuite; a testcase per check; failure and skipped elements).

#include <volumecli/conformance.hpp>
#include <volumecli/error.hpp>

#include <cstdio>

namespace volumecli {

namespace {

// Text for an attribute or an element: control characters and bytes that are not UTF-8 (which
// XML 1.0 cannot carry at all) as \xNN, then the five XML specials as entities.
std::string xml_text(const std::string& text)
{
    std::string out;
    for (const char c : printable_text(text)) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string seconds(std::chrono::microseconds duration)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.6f", static_cast<double>(duration.count()) / 1e6);
    return text;
}

std::string joined(const std::vector<std::string>& notes)
{
    std::string out;
    for (const auto& note : notes) {
        out += xml_text(note) + "\n";
    }
    return out;
}

std::string testcase(const CheckResult& check)
{
    const std::string group = check.id.substr(0, check.id.find('.'));
    std::string out = "  <testcase classname=\"dvdcli.check." + xml_text(group) + "\" name=\"" + xml_text(check.id) +
                      "\" time=\"" + seconds(check.duration) + "\">\n";
    const std::string first = check.notes.empty() ? std::string() : check.notes.front();
    if (check.status == CheckStatus::fail) {
        out += "    <failure message=\"" + xml_text(first) + "\" type=\"mandatory\">" + xml_text(check.title) + "\n" +
               joined(check.notes) + "</failure>\n";
    } else if (check.status == CheckStatus::skipped) {
        out += "    <skipped message=\"" + xml_text(first) + "\"/>\n";
    } else if (check.status == CheckStatus::warn) {
        out += "    <system-out>warning (" + std::string(check.mandatory ? "mandatory" : "advisory") +
               " check): " + joined(check.notes) + "</system-out>\n";
    }
    return out + "  </testcase>\n";
}

}  // namespace

std::string junit_report(const CheckReport& report)
{
    std::chrono::microseconds total{0};
    for (const auto& check : report.checks) {
        total += check.duration;
    }
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<testsuite name=\"dvdcli check " + xml_text(report.driver) + "\" tests=\"" +
           std::to_string(report.checks.size()) + "\" failures=\"" + std::to_string(report.count(CheckStatus::fail)) +
           "\" errors=\"0\" skipped=\"" + std::to_string(report.count(CheckStatus::skipped)) + "\" time=\"" +
           seconds(total) + "\">\n";
    for (const auto& check : report.checks) {
        out += testcase(check);
    }
    if (!report.cleanup.empty() || report.interrupted) {
        out += "  <system-out>" + std::string(report.interrupted ? "interrupted\n" : "") + joined(report.cleanup) +
               "</system-out>\n";
    }
    return out + "</testsuite>\n";
}

}  // namespace volumecli
