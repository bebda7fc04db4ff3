#include "printer.hpp"

#include <volumecli/error.hpp>
#include <volumecli/json_output.hpp>
#include <volumecli/version.hpp>

#include <sys/utsname.h>
#include <unistd.h>

#include <climits>
#include <chrono>

namespace volumecli::cli {

namespace {

// "0.12", "15.00": milliseconds with two decimals, so fast plugins do not all read 0.
std::string milliseconds_text(std::chrono::microseconds duration)
{
    const auto hundredths = (duration.count() + 5) / 10;
    const auto fraction = hundredths % 100;
    return std::to_string(hundredths / 100) + (fraction < 10 ? ".0" : ".") + std::to_string(fraction);
}

// A name on a line of its own must be one a script reads back as it was: not empty, valid
// UTF-8, no control character (a newline would make a phantom volume, an ESC a terminal command).
const std::string& printable_name(const std::string& name, const char* call)
{
    if (name.empty() || !is_printable_text(name)) {
        throw ProtocolError(std::string(call) + ": volume name \"" + name +
                            "\" cannot be printed as a line of text (--format=json prints it escaped)");
    }
    return name;
}

}  // namespace

std::string render_mount(const MountResult& result, OutputFormat format)
{
    if (format == OutputFormat::json) {
        return to_json(result) + "\n";
    }
    // No mountpoint (path of an unmounted volume): nothing at all, as dvdcli 0.2 printed.
    return result.mountpoint.empty() ? std::string() : result.mountpoint + "\n";
}

std::string render_volume(const Volume& volume, OutputFormat format)
{
    return (format == OutputFormat::json ? to_json(volume) : printable_name(volume.name, "Get")) + "\n";
}

std::string render_list(const std::vector<Volume>& volumes, OutputFormat format)
{
    if (format == OutputFormat::json) {
        return to_json(volumes) + "\n";
    }
    std::string out;
    for (const auto& volume : volumes) {
        out += printable_name(volume.name, "List") + "\n";
    }
    return out;
}

std::string render_capabilities(const Capabilities& capabilities, OutputFormat format)
{
    return (format == OutputFormat::json ? to_json(capabilities) : capabilities.scope) + "\n";
}

std::string render_created(const std::string& name, OutputFormat format)
{
    // dvdcli printed nothing for create; scripts asking for JSON get the name.
    return format == OutputFormat::json ? name_to_json(name) + "\n" : std::string();
}

std::string render_check(const CheckReport& report, OutputFormat format)
{
    if (format == OutputFormat::json) {
        return to_json(report) + "\n";
    }
    // The plugin's words in the notes (a mountpoint, a name) are escaped: one line each, no terminal
    // control sequences.
    std::string out = "dvdcli check: driver \"" + printable_text(report.driver) + "\", scratch volume \"" +
                      printable_text(report.volumes.empty() ? std::string() : report.volumes.front()) + "\"\n";
    const auto pad = [](std::string text, std::size_t width) {
        text.resize(std::max(width, text.size() + 1), ' ');
        return text;
    };
    out += pad("CHECK", 38) + pad("RESULT", 10) + "TIME(ms)\n";
    std::size_t failed = 0;
    for (const auto& check : report.checks) {
        std::string result = status_name(check.status);
        if (!check.mandatory && check.status != CheckStatus::pass) {
            result += "*";
        }
        failed += check.mandatory && check.status == CheckStatus::fail ? 1 : 0;
        out += pad(check.id, 38) + pad(result, 10) + milliseconds_text(check.duration) + "\n";
        for (const auto& note : check.notes) {
            out += "    " + printable_text(note) + "\n";
        }
    }
    const auto slowest =
        std::max_element(report.calls.begin(), report.calls.end(),
                         [](const CallLatency& a, const CallLatency& b) { return a.duration < b.duration; });
    if (slowest != report.calls.end()) {
        out += "calls: " + std::to_string(report.calls.size()) + ", the slowest " + slowest->call + " (" +
               milliseconds_text(slowest->duration) + " ms)\n";
    }
    for (const auto& note : report.cleanup) {
        out += "cleanup: " + printable_text(note) + "\n";
    }
    out += report.passed() ? "PASS" : "FAIL";
    out += std::string(report.interrupted ? ": interrupted;" : ":") + " " + std::to_string(failed) +
           " mandatory check(s) failed, " + std::to_string(report.count(CheckStatus::warn)) + " warning(s), " +
           std::to_string(report.count(CheckStatus::skipped)) + " skipped, " +
           std::to_string(report.count(CheckStatus::pass)) + " passed; * = advisory check\n";
    return out;
}

std::string render_version()
{
    char executable[PATH_MAX] = {};
    const ssize_t length = ::readlink("/proc/self/exe", executable, sizeof(executable) - 1);
    utsname machine{};
    ::uname(&machine);
    std::string out;
    out += "Binary: " + std::string(executable, length > 0 ? static_cast<std::size_t>(length) : 0) + "\n";
    out += std::string("SemVer: ") + version() + "\n";
    out += std::string("OsArch: ") + machine.sysname + "-" + machine.machine + "\n";
    out += std::string("Branch: ") + git_branch() + "\n";
    out += std::string("Commit: ") + git_commit() + "\n";
    out += std::string("Formed: ") + build_time() + "\n";
    return out;
}

}  // namespace volumecli::cli
