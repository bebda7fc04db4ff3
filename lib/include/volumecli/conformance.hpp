#pragma once

#include <volumecli/endpoint.hpp>
#include <volumecli/scoped_driver.hpp>
#include <volumecli/volume.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace volumecli {

// dvdcli check: a volume plugin's conformance report. The plugin is driven call by call over its
// HTTP transport so that every raw reply can be checked against the protocol, not just decoded.

enum class StepStatus { pass, warn, fail, skipped };

struct CheckStep {
    std::string name;  // "activate", "create", "mount 1", "still mounted", ...
    std::string call;  // the plugin call it made, e.g. "VolumeDriver.Mount"
    bool mandatory = true;
    StepStatus status = StepStatus::skipped;
    std::chrono::microseconds duration{0};
    std::vector<std::string> notes;  // why it failed, warned or was skipped
};

struct CheckReport {
    std::string driver;
    std::string volume;  // the scratch volume
    std::vector<CheckStep> steps;

    // True when no mandatory step failed or was skipped (warnings pass).
    [[nodiscard]] bool passed() const;
};

struct CheckSettings {
    std::string volume;     // the scratch volume's name (see scratch_volume_name)
    VolumeOptions options;  // sent with Create
    // Managed (v2) plugins are not activated; the activate step is then skipped, not failed.
    bool activate = true;
    // Managed plugins: mountpoints are mapped to host paths before checking they exist.
    std::optional<PluginFilesystem> filesystem;
    // One timeout for every call; otherwise Docker's (Create and Mount 120 s, others 60 s).
    std::optional<std::chrono::milliseconds> timeout;
};

// A name no other volume has: "dvdcli-check-<pid>-<8 random hex digits>".
std::string scratch_volume_name();

// Runs activate, capabilities, create, get, list, mount twice (two IDs), path, unmount of the
// first ID, still mounted (Path), unmount of the second, remove, gone (Get), timing each call and
// checking each reply; then releases whatever is left (mounts, the volume) even after a failure.
// Throws UnreachableError when the plugin cannot be reached at all (its first call fails to
// connect); every other problem is a step's failure in the report. The plugin is reached at
// `endpoint` over one kept-alive connection.
CheckReport run_conformance_check(const std::string& driver, const Endpoint& endpoint, const CheckSettings& settings);

// "pass", "warn", "fail" or "skipped".
const char* status_name(StepStatus status);

}  // namespace volumecli
