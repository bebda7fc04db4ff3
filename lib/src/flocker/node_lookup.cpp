// The node lookup's steps, each with its own failure note, so that a host no step recognises is
// told everything that was tried; and when an answer is final, so later calls ask no more.
#include "flocker/node_lookup.hpp"

#include "core/durations.hpp"
#include "flocker/node_identity.hpp"
#include "flocker/pacer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace volumecli::flocker {

namespace {

std::string join(const std::vector<std::string>& items, const char* separator)
{
    std::string text;
    for (const auto& item : items) {
        text += (text.empty() ? "" : separator) + item;
    }
    return text;
}

// What by_era can still tell.
enum class EraState {
    unusable,      // no boot id, not a UUID, or the server has no usable by_era
    not_asked,     // a UUID, not asked yet (or no answer before a timeout)
    not_reported,  // asked: no agent of this boot has connected yet
};

}  // namespace

// One call of this_node: its bound on requests, the boot id, what by_era said, and a note for each
// step that gave no answer.
struct NodeLookup::Attempt {
    Clock::time_point limit = k_no_limit;  // on each request
    std::optional<std::string> era;
    EraState era_state = EraState::unusable;
    std::vector<std::string> tried;
};

NodeLookup::NodeLookup(ControlService& service, const ResolvedSettings& settings, Clock::time_point deadline)
    : m_service(service),
      m_boot_id_file(settings.boot_id_file),
      m_etc_dir(settings.etc_dir),
      m_local_addresses(settings.local_addresses),
      m_wait_timeout(settings.wait_timeout),
      m_deadline(deadline),
      m_node(settings.node_uuid),
      m_settled(settings.node_uuid.has_value())
{
}

std::string NodeLookup::this_node(Patience patience)
{
    if (m_node && (m_settled || patience == Patience::once)) {
        return *m_node;
    }
    Attempt attempt;
    attempt.limit = patience == Patience::once ? k_no_limit : m_deadline;
    attempt.era = read_boot_id(m_boot_id_file);
    if (!attempt.era) {
        attempt.tried.push_back("no boot id in " + m_boot_id_file);
    } else if (!is_uuid(*attempt.era)) {
        attempt.tried.push_back("the boot id in " + m_boot_id_file + " is not a UUID");
    } else {
        attempt.era_state = EraState::not_asked;
    }

    if (attempt.era_state == EraState::not_asked) {
        if (auto uuid = by_era(attempt, patience == Patience::until_deadline)) {
            return remember(std::move(*uuid), true);
        }
    }
    // A fallback's answer is final unless by_era may still give the authoritative one later.
    const auto fallback_settled = [&] {
        return attempt.era_state != EraState::not_reported || patience == Patience::until_deadline;
    };
    if (auto uuid = from_certificate(attempt)) {
        return remember(std::move(*uuid), fallback_settled());
    }
    // Asked even when by_era used up the wait: the caller decides what a late answer is worth.
    if (auto uuid = by_address(attempt)) {
        return remember(std::move(*uuid), fallback_settled());
    }
    if (patience == Patience::fallback_first && attempt.era_state == EraState::not_reported) {
        if (auto uuid = by_era(attempt, true)) {
            return remember(std::move(*uuid), true);
        }
    }
    throw UnknownNode("cannot tell which Flocker node this host is: " + join(attempt.tried, "; ") +
                      "; pass --node-uuid");
}

std::optional<std::string> NodeLookup::this_node_if_known()
{
    try {
        return this_node(Patience::once);
    } catch (const UnknownNode& error) {
        // Not an error for get and list (no Mountpoint then); a failing command reports it itself.
        spdlog::info("{}", error.what());
        return std::nullopt;
    }
}

std::string NodeLookup::remember(std::string uuid, bool settled)
{
    m_node = std::move(uuid);
    m_settled = settled;
    return *m_node;
}

// GET /v1/state/nodes/by_era/<boot id>; with `keep_asking`, again while it answers "not reported
// yet", paced, until the deadline.
std::optional<std::string> NodeLookup::by_era(Attempt& attempt, bool keep_asking)
{
    Pacer pacer;
    for (;;) {
        pacer.started();
        ControlService::EraAnswer answer;
        try {
            answer = m_service.node_by_era(*attempt.era, attempt.limit);
        } catch (const TimeoutError&) {
            if (!keep_asking || Clock::now() < m_deadline) {
                throw;
            }
            return era_expired(attempt);
        }
        if (answer.kind == ControlService::EraAnswer::Kind::found) {
            spdlog::debug("this host is Flocker node {} (by boot id {})", answer.node_uuid, *attempt.era);
            return answer.node_uuid;
        }
        if (answer.kind == ControlService::EraAnswer::Kind::unsupported) {
            attempt.era_state = EraState::unusable;
            attempt.tried.push_back("GET /v1/state/nodes/by_era is not usable here (" + answer.detail + ")");
            return std::nullopt;
        }
        attempt.era_state = EraState::not_reported;
        if (!keep_asking || Clock::now() >= m_deadline) {
            attempt.tried.push_back("the control service knows no node with this boot id (" + *attempt.era +
                                    ") yet: is the Flocker agent on this host running?");
            return std::nullopt;
        }
        pacer.pause(m_deadline);
        if (Clock::now() >= m_deadline) {
            return era_expired(attempt);
        }
    }
}

std::optional<std::string> NodeLookup::era_expired(Attempt& attempt)
{
    m_era_note = "the control service reported no node with this boot id (" + *attempt.era + ") within " +
                 seconds_text(m_wait_timeout) + ": is the Flocker agent on this host running?";
    attempt.tried.push_back(m_era_note);
    return std::nullopt;
}

// The CN of <etc_dir>/node.crt.
std::optional<std::string> NodeLookup::from_certificate(Attempt& attempt) const
{
    const std::string certificate = m_etc_dir + "/node.crt";
    if (auto uuid = node_uuid_from_certificate(certificate)) {
        spdlog::info("this host is Flocker node {} (from {})", *uuid, certificate);
        return uuid;
    }
    attempt.tried.push_back("no node UUID in " + certificate);
    return std::nullopt;
}

// The one node of GET /v1/state/nodes whose host is an address of this machine.
std::optional<std::string> NodeLookup::by_address(Attempt& attempt)
{
    std::vector<std::string> mine;
    for (const auto& address : m_local_addresses()) {
        mine.push_back(canonical_address(address));
    }
    std::vector<const Node*> matches;
    const auto nodes = m_service.nodes(k_no_limit);
    for (const auto& node : nodes) {
        if (std::find(mine.begin(), mine.end(), canonical_address(node.host)) != mine.end()) {
            matches.push_back(&node);
        }
    }
    if (matches.size() > 1) {
        std::vector<std::string> listed;
        for (const auto* node : matches) {
            listed.push_back(node->uuid + " at " + node->host);
        }
        throw DriverError("cannot tell which Flocker node this host is: several nodes have one of its addresses (" +
                          join(listed, ", ") + "); pass --node-uuid");
    }
    if (matches.size() == 1) {
        spdlog::info("this host is Flocker node {} (its address {} is in /v1/state/nodes)", matches.front()->uuid,
                     matches.front()->host);
        return matches.front()->uuid;
    }
    attempt.tried.push_back("no node in /v1/state/nodes has one of this host's addresses (" + join(mine, ", ") + ")");
    return std::nullopt;
}

}  // namespace volumecli::flocker
