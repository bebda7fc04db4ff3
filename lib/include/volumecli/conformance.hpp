#pragma once

#include <volumecli/endpoint.hpp>
#include <volumecli/scoped_driver.hpp>
#include <volumecli/volume.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace volumecli {

// dvdcli check: the conformance suite for Docker volume plugins. The plugin is driven call by
// call over its HTTP transport so that every raw reply can be checked against the protocol, not
// just decoded. Each check has a stable ID ("mount.second-holder-same-path") that scripts, CI
// reports and --run/--skip patterns name.

enum class CheckStatus { pass, warn, fail, skipped };

// One check of the catalogue.
struct CheckInfo {
    std::string id;                       // "<group>.<rule>", stable across releases
    std::string title;                    // one line
    std::string rule;                     // what the plugin must do
    std::string relied_on_by;             // who breaks when it does not (Docker, Podman, dvdcli/Mesos)
    bool mandatory = true;                // false: advisory, a failure is reported as a warning
    std::vector<std::string> depends_on;  // checks that must pass first, else this one is skipped
};

// Every check, in the order they run.
const std::vector<CheckInfo>& conformance_checks();

struct CheckResult {
    std::string id;
    std::string title;
    bool mandatory = true;
    CheckStatus status = CheckStatus::skipped;
    std::chrono::microseconds duration{0};
    std::vector<std::string> notes;  // why it failed, warned or was skipped
};

// One call the checks made, and how long its reply took.
struct CallLatency {
    std::string call;  // "VolumeDriver.Mount"
    std::chrono::microseconds duration{0};
};

struct CheckReport {
    std::string driver;
    std::vector<std::string> volumes;  // the scratch volumes' names
    std::vector<CheckResult> checks;   // the selected checks, in catalogue order
    std::vector<CallLatency> calls;    // every call the checks made, in order (not the cleanup's)
    std::vector<std::string> cleanup;  // what was released afterwards ("removed v (failed: ...)")
    bool interrupted = false;          // a stop was requested (SIGINT): later checks were skipped

    // True when no mandatory check failed and the run was not interrupted (skipped checks and
    // warnings pass).
    [[nodiscard]] bool passed() const;
    // How many checks have `status`.
    [[nodiscard]] std::size_t count(CheckStatus status) const;
};

struct CheckSettings {
    std::string volume;     // the scratch volumes' prefix (see scratch_volume_name)
    VolumeOptions options;  // sent with every Create
    // Managed (v2) plugins are not activated; the activate check is then skipped, not failed.
    bool activate = true;
    // Managed plugins: mountpoints are mapped to host paths before checking they exist.
    std::optional<PluginFilesystem> filesystem;
    // One timeout for every call; otherwise Docker's (Create and Mount 120 s, others 60 s).
    std::optional<std::chrono::milliseconds> timeout;
    // A call slower than this makes timing.slow-calls warn.
    std::chrono::milliseconds slow{1000};
    // Which checks to report (the checks they depend on run too); empty: every check.
    std::function<bool(const std::string& id)> selected;
    // Polled between checks: true stops the run (later checks skipped), then cleans up.
    std::function<bool()> stop_requested;
    // Leave the scratch volumes (and their mounts) behind for debugging.
    bool keep = false;
};

// A name no other volume has: "dvdcli-check-<pid>-<8 random hex digits>".
std::string scratch_volume_name();

// Runs the selected checks (conformance_checks) against the plugin at `endpoint` with scratch
// volumes named after settings.volume, then releases whatever they left (mounts, volumes) even
// after a failure or a stop, unless settings.keep. Throws UnreachableError when the plugin cannot
// be reached at all (its first call fails to connect); every other problem is a check's failure.
CheckReport run_conformance_check(const std::string& driver, const Endpoint& endpoint, const CheckSettings& settings);

// "pass", "warn", "fail" or "skipped".
const char* status_name(CheckStatus status);

// The report as JUnit XML (one testsuite, one testcase per check, failure/skipped elements with
// their notes), as GitLab, Jenkins and GitHub read it. Every text is escaped; characters XML 1.0
// cannot carry (control characters from the plugin) are written as \xNN.
std::string junit_report(const CheckReport& report);

// Writes `text` to `path` atomically: a new file beside it, flushed, then renamed over it. A
// symlink at `path` is replaced, never written through. Throws OutputError.
void write_report_file(const std::string& path, const std::string& text);

}  // namespace volumecli
