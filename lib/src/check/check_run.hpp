#pragma once

// One run of dvdcli check: which checks run (the selected ones and what they depend on), their
// results, the scratch volumes they share, and the cleanup at the end. The checks themselves
// live in lifecycle_checks.cpp, fault_checks.cpp and timing_checks.cpp. Internal.

#include "check/plugin_calls.hpp"
#include "check/reply_checks.hpp"
#include "check/verdict.hpp"

#include <volumecli/conformance.hpp>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace volumecli::check {

// What the checks share: the scratch volumes, who may hold them, what one check found for the next.
struct Scratch {
    std::string volume;                                  // made by create.new-volume
    std::string with_options;                            // made by create.with-options
    std::string missing;                                 // never created (the errors.* checks)
    std::string mountpoint;                              // what mount.absolute-path answered, as a host path
    std::optional<Json> got;                             // get.found's Volume
    std::optional<Json> listed;                          // list.found's Volumes
    std::set<std::string> created;                       // volumes that may exist now
    std::set<std::pair<std::string, std::string>> held;  // (volume, mount ID) that may hold a mount
};

class CheckRun {
public:
    CheckRun(const std::string& driver, const Endpoint& endpoint, const CheckSettings& settings);

    // Runs `body` as the check `id` when it is needed, no stop was requested and every check it
    // depends on passed; otherwise records why it was skipped. The check's time is its body's.
    void run(const std::string& id, const std::function<void(Verdict&)>& body);
    // Records `id` as skipped for `reason` (when it is needed at all).
    void skip(const std::string& id, const std::string& reason);
    // True when `id` ran and passed (a warning passes).
    [[nodiscard]] bool passed(const std::string& id) const;
    // True when `id` will run: selected, or a selected check depends on it.
    [[nodiscard]] bool needed(const std::string& id) const;

    PluginCalls& calls() { return m_calls; }
    [[nodiscard]] const CheckSettings& settings() const { return m_settings; }
    Scratch& scratch() { return m_scratch; }

    // Releases what the checks left (unless --keep) and returns the report.
    CheckReport finish();

private:
    void record(const CheckInfo& info, CheckStatus status, std::chrono::microseconds duration,
                std::vector<std::string> notes);
    void clean_up();

    const CheckSettings& m_settings;
    PluginCalls m_calls;
    Scratch m_scratch;
    CheckReport m_report;
    std::set<std::string> m_needed;
    std::set<std::string> m_reported;
    std::map<std::string, CheckStatus> m_status;
    bool m_stopped = false;
};

// The groups of checks, run in this order.
void run_lifecycle_checks(CheckRun& run);
void run_fault_checks(CheckRun& run);
void run_timing_checks(CheckRun& run);

}  // namespace volumecli::check
