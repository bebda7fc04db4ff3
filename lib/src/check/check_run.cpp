#include "check/check_run.hpp"

#include "core/clock.hpp"
#include "plugin/plugin_codec.hpp"

#include <volumecli/error.hpp>

#include <unistd.h>

#include <algorithm>
#include <random>

namespace volumecli {

namespace check {

namespace {

const CheckInfo& info_of(const std::string& id)
{
    const auto& checks = conformance_checks();
    const auto found =
        std::find_if(checks.begin(), checks.end(), [&id](const CheckInfo& info) { return info.id == id; });
    if (found == checks.end()) {
        throw std::logic_error("no check " + id);
    }
    return *found;
}

// The selected checks and, transitively, every check they depend on.
std::set<std::string> needed_checks(const CheckSettings& settings)
{
    std::set<std::string> needed;
    std::vector<std::string> pending;
    for (const auto& info : conformance_checks()) {
        if (!settings.selected || settings.selected(info.id)) {
            pending.push_back(info.id);
        }
    }
    while (!pending.empty()) {
        const std::string id = pending.back();
        pending.pop_back();
        if (needed.insert(id).second) {
            for (const auto& dependency : info_of(id).depends_on) {
                pending.push_back(dependency);
            }
        }
    }
    return needed;
}

}  // namespace

CheckRun::CheckRun(const std::string& driver, const Endpoint& endpoint, const CheckSettings& settings)
    : m_settings(settings), m_calls(endpoint, settings.timeout), m_needed(needed_checks(settings))
{
    m_report.driver = driver;
    m_scratch.volume = settings.volume;
    m_scratch.with_options = settings.volume + "-opts";
    m_scratch.missing = settings.volume + "-missing";
    for (const auto& info : conformance_checks()) {
        if (!settings.selected || settings.selected(info.id)) {
            m_reported.insert(info.id);
        }
    }
}

bool CheckRun::needed(const std::string& id) const
{
    return m_needed.count(id) != 0;
}

bool CheckRun::passed(const std::string& id) const
{
    const auto found = m_status.find(id);
    return found != m_status.end() && (found->second == CheckStatus::pass || found->second == CheckStatus::warn);
}

void CheckRun::record(const CheckInfo& info, CheckStatus status, std::chrono::microseconds duration,
                      std::vector<std::string> notes)
{
    m_status[info.id] = status;
    if (m_reported.count(info.id) == 0) {
        return;  // run only because a selected check depends on it
    }
    CheckResult result;
    result.id = info.id;
    result.title = info.title;
    result.mandatory = info.mandatory;
    result.status = status;
    result.duration = duration;
    result.notes = std::move(notes);
    m_report.checks.push_back(std::move(result));
}

void CheckRun::skip(const std::string& id, const std::string& reason)
{
    if (needed(id)) {
        record(info_of(id), CheckStatus::skipped, std::chrono::microseconds(0), {reason});
    }
}

void CheckRun::run(const std::string& id, const std::function<void(Verdict&)>& body)
{
    if (!needed(id)) {
        return;
    }
    const CheckInfo& info = info_of(id);
    if (!m_stopped && m_settings.stop_requested && m_settings.stop_requested()) {
        m_stopped = true;
        m_report.interrupted = true;
    }
    if (m_stopped) {
        skip(id, "not run: interrupted");
        return;
    }
    for (const auto& dependency : info.depends_on) {
        if (!passed(dependency)) {
            const auto found = m_status.find(dependency);
            const bool skipped = found == m_status.end() || found->second == CheckStatus::skipped;
            skip(id, "not run: it depends on " + dependency + (skipped ? ", which was skipped" : ", which failed"));
            return;
        }
    }
    Verdict verdict;
    const auto started = Clock::now();
    try {
        body(verdict);
    } catch (const UnreachableError&) {
        throw;  // the plugin was never reached: nothing to clean up, exit 3
    } catch (const std::exception& error) {
        // A reply this code did not foresee must not skip the cleanup of the checks after it.
        verdict.fail(std::string("internal error: ") + error.what());
    }
    const auto duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    CheckStatus status = CheckStatus::pass;
    if (verdict.failed()) {
        status = info.mandatory ? CheckStatus::fail : CheckStatus::warn;
    } else if (verdict.warned()) {
        status = CheckStatus::warn;
    }
    record(info, status, duration, verdict.notes());
}

void CheckRun::clean_up()
{
    const auto held = m_scratch.held;
    const auto created = m_scratch.created;
    if (m_settings.keep) {
        for (const auto& [volume, id] : held) {
            m_report.cleanup.push_back("kept " + volume + " mounted by " + id + " (--keep)");
        }
        for (const auto& volume : created) {
            m_report.cleanup.push_back("kept " + volume + " (--keep)");
        }
        return;
    }
    // Mounts first, so that Remove can work.
    for (const auto& [volume, id] : held) {
        Verdict verdict;
        success_reply(verdict, m_calls.post("VolumeDriver.Unmount", codec::mount_request(volume, id)),
                      "VolumeDriver.Unmount");
        m_report.cleanup.push_back("unmounted " + volume + " for " + id +
                                   (verdict.failed() ? " (failed: " + verdict.notes().front() + ")" : ""));
    }
    for (const auto& volume : created) {
        Verdict verdict;
        success_reply(verdict, m_calls.post("VolumeDriver.Remove", codec::name_request(volume)), "VolumeDriver.Remove");
        m_report.cleanup.push_back(
            "removed " + volume +
            (verdict.failed() ? " (failed: " + verdict.notes().front() + "; remove it by hand)" : ""));
    }
}

CheckReport CheckRun::finish()
{
    for (auto& timing : m_calls.timings()) {
        m_report.calls.push_back(CallLatency{std::move(timing.call), timing.duration});
    }
    clean_up();
    return std::move(m_report);
}

}  // namespace check

bool CheckReport::passed() const
{
    return !interrupted && std::none_of(checks.begin(), checks.end(), [](const CheckResult& check) {
        return check.mandatory && check.status == CheckStatus::fail;
    });
}

std::size_t CheckReport::count(CheckStatus status) const
{
    return static_cast<std::size_t>(std::count_if(
        checks.begin(), checks.end(), [status](const CheckResult& check) { return check.status == status; }));
}

const char* status_name(CheckStatus status)
{
    switch (status) {
        case CheckStatus::pass: return "pass";
        case CheckStatus::warn: return "warn";
        case CheckStatus::fail: return "fail";
        case CheckStatus::skipped: return "skipped";
    }
    return "?";
}

std::string scratch_volume_name()
{
    std::random_device device;
    std::uniform_int_distribution<unsigned> digit(0, 15);
    std::string suffix;
    for (int i = 0; i < 8; ++i) {
        suffix.push_back("0123456789abcdef"[digit(device)]);
    }
    return "dvdcli-check-" + std::to_string(::getpid()) + "-" + suffix;
}

CheckReport run_conformance_check(const std::string& driver, const Endpoint& endpoint, const CheckSettings& settings)
{
    check::CheckRun run(driver, endpoint, settings);
    check::run_lifecycle_checks(run);
    check::run_fault_checks(run);
    check::run_timing_checks(run);
    CheckReport report = run.finish();
    for (const auto& volume : {settings.volume, settings.volume + "-opts"}) {
        report.volumes.push_back(volume);
    }
    return report;
}

}  // namespace volumecli
