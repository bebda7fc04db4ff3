// The convergence wait of a Flocker mount, and what to say when the state never shows the dataset
// here: the last thing seen is the best hint at what is stuck.
#include "flocker/mount_wait.hpp"

#include <volumecli/error.hpp>

#include "core/durations.hpp"
#include "flocker/pacer.hpp"

#include <vector>

namespace volumecli::flocker {

namespace {

// Why the entries for one dataset do not show it mounted on `node` yet.
std::string not_yet_mounted(const std::vector<const DatasetState*>& entries, const std::string& node)
{
    if (entries.size() > 1) {
        return "it is listed on " + std::to_string(entries.size()) + " nodes (moving)";
    }
    if (entries.size() == 1 && entries.front()->primary.empty()) {
        return "it is attached to no node yet";
    }
    if (entries.size() == 1 && entries.front()->primary != node) {
        return "it is still on node " + entries.front()->primary;
    }
    if (entries.size() == 1) {
        return "it is on this node but has no mount path yet";
    }
    return {};
}

}  // namespace

std::string wait_until_mounted(ControlService& service, const std::string& dataset_id, const std::string& node,
                               Clock::time_point deadline, std::chrono::milliseconds wait_timeout)
{
    std::string last = "the control service does not report it yet";
    const auto timed_out = [&] {
        return TimeoutError("dataset " + dataset_id + " was not mounted on this node (" + node + ") within " +
                            seconds_text(wait_timeout) + ": " + last);
    };
    Pacer pacer;
    for (;;) {
        pacer.started();
        std::vector<DatasetState> states;
        try {
            states = service.dataset_states(deadline);
        } catch (const TimeoutError&) {
            if (Clock::now() >= deadline) {
                throw timed_out();
            }
            throw;
        }
        std::vector<const DatasetState*> entries;
        for (const auto& state : states) {
            if (state.dataset_id == dataset_id) {
                entries.push_back(&state);
            }
        }
        // During a move the old node may still list it: only one entry, here, counts.
        if (entries.size() == 1 && entries.front()->primary == node && !entries.front()->path.empty()) {
            return entries.front()->path;
        }
        if (std::string why = not_yet_mounted(entries, node); !why.empty()) {
            last = std::move(why);
        }
        if (Clock::now() >= deadline) {
            throw timed_out();
        }
        pacer.pause(deadline);
    }
}

}  // namespace volumecli::flocker
