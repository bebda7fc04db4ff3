#pragma once

// Which Flocker node this host is, when --node-uuid does not say: the control service by boot id,
// node.crt, then the node at one of this host's addresses. Found once per run, then remembered.

#include <volumecli/error.hpp>

#include "core/clock.hpp"
#include "flocker/flocker_client.hpp"
#include "flocker/flocker_settings.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace volumecli::flocker {

// How long the lookup may keep asking by_era while it answers "not reported yet".
enum class Patience {
    once,            // ask once, then the fallbacks
    fallback_first,  // ask once, then the fallbacks, then keep asking until the deadline
    until_deadline,  // keep asking until the deadline, then the fallbacks
};

// This node's UUID could not be found by any means (exit code: timeout, as the issue prescribes).
class UnknownNode : public TimeoutError {
public:
    using TimeoutError::TimeoutError;
};

class NodeLookup {
public:
    // `service` must outlive the lookup; `deadline` bounds the patient asks.
    NodeLookup(ControlService& service, const ResolvedSettings& settings, Clock::time_point deadline);

    // This node's UUID: settings.node_uuid, else GET /v1/state/nodes/by_era/<boot id> (asked as
    // `patience` says), else the CN of <etc_dir>/node.crt, else the one node of GET /v1/state/nodes
    // at an address of this host. Throws UnknownNode naming every step that gave no answer;
    // DriverError when several nodes have this host's addresses; the service's errors.
    std::string this_node(Patience patience);
    // this_node(Patience::once), or nullopt (said at info level) when UnknownNode.
    std::optional<std::string> this_node_if_known();
    // Why by_era gave no answer before the deadline; empty unless it kept answering "not reported".
    [[nodiscard]] const std::string& era_note() const { return m_era_note; }

private:
    struct Attempt;
    std::optional<std::string> by_era(Attempt& attempt, bool keep_asking);
    std::optional<std::string> era_expired(Attempt& attempt);
    std::optional<std::string> from_certificate(Attempt& attempt) const;
    std::optional<std::string> by_address(Attempt& attempt);
    std::string remember(std::string uuid, bool settled);

    ControlService& m_service;
    std::string m_boot_id_file;
    std::string m_etc_dir;
    std::function<std::vector<std::string>()> m_local_addresses;
    std::chrono::milliseconds m_wait_timeout;
    Clock::time_point m_deadline;
    std::optional<std::string> m_node;
    bool m_settled = false;  // no more patient lookup could give another answer
    std::string m_era_note;
};

}  // namespace volumecli::flocker
