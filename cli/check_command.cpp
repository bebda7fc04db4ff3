#include "check_command.hpp"

#include <volumecli/json_output.hpp>

#include <ctime>
#include <regex>

namespace volumecli::cli {

std::function<bool(const std::string& id)> check_selection(const CheckFlags& flags)
{
    if (!flags.run && !flags.skip) {
        return {};
    }
    std::optional<std::regex> run;
    std::optional<std::regex> skip;
    if (flags.run) {
        run.emplace(*flags.run, std::regex::ECMAScript);
    }
    if (flags.skip) {
        skip.emplace(*flags.skip, std::regex::ECMAScript);
    }
    return [run, skip](const std::string& id) {
        return (!run || std::regex_search(id, *run)) && (!skip || !std::regex_search(id, *skip));
    };
}

std::string render_check_list(const CheckFlags& flags, OutputFormat format)
{
    const auto selected = check_selection(flags);
    std::vector<CheckInfo> checks;
    for (const auto& check : conformance_checks()) {
        if (!selected || selected(check.id)) {
            checks.push_back(check);
        }
    }
    if (format == OutputFormat::json) {
        return to_json(checks) + "\n";
    }
    std::string out;
    for (const auto& check : checks) {
        out += check.id + "\t" + check.title + (check.mandatory ? "" : " (advisory)") + "\n";
    }
    return out;
}

StopSignals::StopSignals()
{
    sigemptyset(&m_signals);
    for (const int signal : {SIGINT, SIGTERM, SIGHUP}) {
        sigaddset(&m_signals, signal);
    }
    pthread_sigmask(SIG_BLOCK, &m_signals, &m_saved);
}

StopSignals::~StopSignals()
{
    pthread_sigmask(SIG_SETMASK, &m_saved, nullptr);
}

bool StopSignals::stop_requested()
{
    if (m_signal == 0) {
        const timespec no_wait{0, 0};
        siginfo_t info{};
        const int taken = sigtimedwait(&m_signals, &info, &no_wait);
        if (taken > 0) {
            m_signal = taken;
        }
    }
    return m_signal != 0;
}

}  // namespace volumecli::cli
