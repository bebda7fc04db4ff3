#include <volumecli/flocker_driver.hpp>

#include <volumecli/error.hpp>
#include <volumecli/version.hpp>

#include "flocker/dataset_spec.hpp"
#include "flocker/flocker_client.hpp"
#include "flocker/flocker_codec.hpp"
#include "flocker/flocker_settings.hpp"
#include "flocker/host_probes.hpp"
#include "flocker/node_identity.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <random>
#include <thread>
#include <utility>

namespace volumecli {

namespace {

using flocker::ControlService;
using flocker::DatasetConfig;
using flocker::DatasetState;
using flocker::k_no_limit;
using std::chrono::milliseconds;

// Conditional creates tried before giving up (Flocker's own client makes 20).
constexpr int k_create_attempts = 20;
// State polling: the first pauses are short so a quick convergence is seen at once; the cap keeps
// the delay between the state changing and the mount returning well under 250 ms, at fewer than
// 7 requests per second.
constexpr milliseconds k_first_pause{50};
constexpr milliseconds k_longest_pause{150};

constexpr const char* k_rejection_hint =
    "the control service accepts only client certificates signed by the cluster CA with a CN starting with "
    "\"user-\", such as plugin.crt";

// Spaces repeated requests: starts at least k_first_pause apart, growing by half to k_longest_pause.
class Pacer {
public:
    void started() { m_last_start = Clock::now(); }

    // Sleeps until the next request may start, but not past `limit`.
    void pause(Clock::time_point limit)
    {
        const auto next = std::min(m_last_start + m_pause, limit);
        m_pause = std::min(m_pause * 3 / 2, k_longest_pause);
        std::this_thread::sleep_until(next);
    }

private:
    Clock::time_point m_last_start = Clock::now();
    milliseconds m_pause = k_first_pause;
};

// This node's UUID could not be found by any means (exit code: timeout, as the issue prescribes).
class UnknownNode : public TimeoutError {
public:
    using TimeoutError::TimeoutError;
};

// How long the node lookup may keep asking by_era while it answers "not reported yet".
enum class Patience {
    once,            // ask once, then the fallbacks
    fallback_first,  // ask once, then the fallbacks, then keep asking until the deadline
    until_deadline,  // keep asking until the deadline, then the fallbacks
};

std::string join(const std::vector<std::string>& items, const char* separator)
{
    std::string text;
    for (const auto& item : items) {
        text += (text.empty() ? "" : separator) + item;
    }
    return text;
}

class FlockerDriver final : public Driver {
public:
    FlockerDriver(std::string name, flocker::ResolvedSettings settings, std::unique_ptr<HttpClient> client)
        : m_name(std::move(name)),
          m_settings(std::move(settings)),
          m_service(std::move(client), m_settings.call_timeout, m_settings.retry),
          m_deadline(m_settings.started + m_settings.wait_timeout)
    {
        if (m_settings.node_uuid) {
            m_node = m_settings.node_uuid;
            m_node_settled = true;
        }
    }

    [[nodiscard]] const std::string& name() const override { return m_name; }

    void create(const std::string& volume, const VolumeOptions& options) override;
    void remove(const std::string& volume) override;
    std::string mount(const std::string& volume, const std::string& mount_id) override;
    void unmount(const std::string& volume, const std::string& mount_id) override;
    std::string path(const std::string& volume) override;
    LookupResult get(const std::string& volume) override;
    std::vector<Volume> list() override;
    Capabilities capabilities() override { return Capabilities{"global"}; }
    // unmount must reach this node's leases on deleted datasets too, which get does not show.
    [[nodiscard]] bool looks_up_before_release() const override { return false; }

private:
    // --- datasets by name ---
    [[nodiscard]] std::string describe_name(const std::string& volume) const
    {
        return "metadata " + m_settings.name_key + "=\"" + volume + "\"";
    }
    [[nodiscard]] std::string not_found_message(const std::string& volume) const
    {
        return "no Flocker dataset with " + describe_name(volume);
    }
    // Datasets whose name key holds `volume` (deleted ones only when asked).
    [[nodiscard]] std::vector<const DatasetConfig*> named(const ControlService::Listing& listing,
                                                          const std::string& volume, bool include_deleted) const;
    // The one live dataset called `volume`; nullptr when there is none. Throws DriverError when the
    // name is ambiguous.
    [[nodiscard]] const DatasetConfig* unique_live(const ControlService::Listing& listing,
                                                   const std::string& volume) const;
    const DatasetConfig& require_live(const ControlService::Listing& listing, const std::string& volume) const;

    // --- this node ---
    std::string this_node(Patience patience);
    std::optional<std::string> this_node_if_known();
    std::optional<std::string> node_from_hosts(Clock::time_point limit, std::vector<std::string>& tried);

    // --- mount helpers ---
    std::string wait_until_mounted(const std::string& dataset_id, const std::string& node);
    void release_after_failure(const std::string& dataset_id) noexcept;
    [[noreturn]] void throw_lease_held(const std::string& dataset_id, const std::string& holder,
                                       const char* refusing) const;
    // The path of `dataset_id` when the state shows it mounted on `node`, else empty.
    static std::string local_path(const std::vector<DatasetState>& states, const std::string& dataset_id,
                                  const std::string& node);

    std::string m_name;
    flocker::ResolvedSettings m_settings;
    ControlService m_service;
    Clock::time_point m_deadline;
    std::optional<std::string> m_node;
    bool m_node_settled = false;  // no more patient lookup could give another answer
    std::string m_era_note;       // why by_era gave no answer, when it did not
};

std::vector<const DatasetConfig*> FlockerDriver::named(const ControlService::Listing& listing,
                                                       const std::string& volume, bool include_deleted) const
{
    std::vector<const DatasetConfig*> found;
    for (const auto& dataset : listing.datasets) {
        if (dataset.deleted && !include_deleted) {
            continue;
        }
        const auto value = dataset.metadata.find(m_settings.name_key);
        if (value != dataset.metadata.end() && value->second == volume) {
            found.push_back(&dataset);
        }
    }
    return found;
}

const DatasetConfig* FlockerDriver::unique_live(const ControlService::Listing& listing, const std::string& volume) const
{
    const auto found = named(listing, volume, false);
    if (found.size() > 1) {
        std::vector<std::string> ids;
        for (const auto* dataset : found) {
            ids.push_back(dataset->dataset_id);
        }
        std::sort(ids.begin(), ids.end());
        throw DriverError(std::to_string(found.size()) + " Flocker datasets have " + describe_name(volume) + " (" +
                          join(ids, ", ") + "); delete all but one");
    }
    return found.empty() ? nullptr : found.front();
}

const DatasetConfig& FlockerDriver::require_live(const ControlService::Listing& listing,
                                                 const std::string& volume) const
{
    const DatasetConfig* dataset = unique_live(listing, volume);
    if (dataset == nullptr) {
        throw DriverError(not_found_message(volume));
    }
    return *dataset;
}

std::optional<std::string> FlockerDriver::node_from_hosts(Clock::time_point limit, std::vector<std::string>& tried)
{
    std::vector<std::string> mine;
    for (const auto& address : m_settings.local_addresses()) {
        mine.push_back(flocker::canonical_address(address));
    }
    std::vector<const flocker::Node*> matches;
    const auto nodes = m_service.nodes(limit);
    for (const auto& node : nodes) {
        if (std::find(mine.begin(), mine.end(), flocker::canonical_address(node.host)) != mine.end()) {
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
    tried.push_back("no node in /v1/state/nodes has one of this host's addresses (" + join(mine, ", ") + ")");
    return std::nullopt;
}

std::string FlockerDriver::this_node(Patience patience)
{
    if (m_node && (m_node_settled || patience == Patience::once)) {
        return *m_node;
    }
    std::vector<std::string> tried;
    const auto era = flocker::read_boot_id(m_settings.boot_id_file);
    bool era_usable = era && flocker::is_uuid(*era);
    bool era_pending = false;
    if (!era) {
        tried.push_back("no boot id in " + m_settings.boot_id_file);
    } else if (!era_usable) {
        tried.push_back("the boot id in " + m_settings.boot_id_file + " is not a UUID");
    }
    const auto limit = patience == Patience::once ? k_no_limit : m_deadline;

    // GET /v1/state/nodes/by_era/<boot id>, repeated while it says "not reported yet" when asked to.
    const auto ask_era = [&](bool keep_asking) -> std::optional<std::string> {
        Pacer pacer;
        const auto expired = [&] {
            m_era_note = "the control service reported no node with this boot id (" + *era + ") within " +
                         seconds_text(m_settings.wait_timeout) + ": is the Flocker agent on this host running?";
            tried.push_back(m_era_note);
        };
        for (;;) {
            pacer.started();
            ControlService::EraAnswer answer;
            try {
                answer = m_service.node_by_era(*era, limit);
            } catch (const TimeoutError&) {
                if (!keep_asking || Clock::now() < m_deadline) {
                    throw;
                }
                expired();
                return std::nullopt;
            }
            if (answer.kind == ControlService::EraAnswer::Kind::found) {
                spdlog::debug("this host is Flocker node {} (by boot id {})", answer.node_uuid, *era);
                return answer.node_uuid;
            }
            if (answer.kind == ControlService::EraAnswer::Kind::unsupported) {
                era_usable = false;
                tried.push_back("GET /v1/state/nodes/by_era is not usable here (" + answer.detail + ")");
                return std::nullopt;
            }
            era_pending = true;
            if (!keep_asking || Clock::now() >= m_deadline) {
                tried.push_back("the control service knows no node with this boot id (" + *era +
                                ") yet: is the Flocker agent on this host running?");
                return std::nullopt;
            }
            pacer.pause(m_deadline);
            if (Clock::now() >= m_deadline) {
                expired();
                return std::nullopt;
            }
        }
    };
    const auto remember = [&](std::string uuid, bool from_era) {
        m_node = std::move(uuid);
        m_node_settled = from_era || !era_pending || patience == Patience::until_deadline;
        return *m_node;
    };

    if (era_usable) {
        if (auto uuid = ask_era(patience == Patience::until_deadline)) {
            return remember(*uuid, true);
        }
    }
    const std::string certificate = m_settings.etc_dir + "/node.crt";
    if (auto uuid = flocker::node_uuid_from_certificate(certificate)) {
        spdlog::info("this host is Flocker node {} (from {})", *uuid, certificate);
        return remember(*uuid, false);
    }
    tried.push_back("no node UUID in " + certificate);
    // Asked even when by_era used up the wait: the caller decides what a late answer is worth.
    if (auto uuid = node_from_hosts(k_no_limit, tried)) {
        return remember(*uuid, false);
    }
    if (patience == Patience::fallback_first && era_usable && era_pending) {
        if (auto uuid = ask_era(true)) {
            return remember(*uuid, true);
        }
    }
    throw UnknownNode("cannot tell which Flocker node this host is: " + join(tried, "; ") + "; pass --node-uuid");
}

std::optional<std::string> FlockerDriver::this_node_if_known()
{
    try {
        return this_node(Patience::once);
    } catch (const UnknownNode& error) {
        // Not an error for get and list (no Mountpoint then); a failing command reports it itself.
        spdlog::info("{}", error.what());
        return std::nullopt;
    }
}

std::string FlockerDriver::local_path(const std::vector<DatasetState>& states, const std::string& dataset_id,
                                      const std::string& node)
{
    for (const auto& state : states) {
        if (state.dataset_id == dataset_id && state.primary == node && !state.path.empty()) {
            return state.path;
        }
    }
    return {};
}

LookupResult FlockerDriver::get(const std::string& volume)
{
    const auto listing = m_service.list_datasets(k_no_limit);
    LookupResult result;
    const DatasetConfig* dataset = unique_live(listing, volume);
    if (dataset == nullptr) {
        result.kind = LookupResult::Kind::not_found;
        result.message = not_found_message(volume);
        return result;
    }
    result.kind = LookupResult::Kind::found;
    result.volume.name = volume;
    result.volume.status_json = flocker::status_json(*dataset);
    if (const auto node = this_node_if_known()) {
        result.volume.mountpoint = local_path(m_service.dataset_states(k_no_limit), dataset->dataset_id, *node);
    }
    return result;
}

std::vector<Volume> FlockerDriver::list()
{
    const auto listing = m_service.list_datasets(k_no_limit);
    std::map<std::string, const DatasetConfig*> by_name;
    for (const auto& dataset : listing.datasets) {
        const auto value = dataset.metadata.find(m_settings.name_key);
        if (dataset.deleted || value == dataset.metadata.end()) {
            continue;
        }
        if (!by_name.emplace(value->second, &dataset).second) {
            spdlog::warn("several Flocker datasets have {}", describe_name(value->second));
        }
    }
    std::vector<Volume> volumes;
    if (by_name.empty()) {
        return volumes;
    }
    std::vector<DatasetState> states;
    const auto node = this_node_if_known();
    if (node) {
        states = m_service.dataset_states(k_no_limit);
    }
    for (const auto& [name, dataset] : by_name) {
        Volume volume;
        volume.name = name;
        volume.status_json = flocker::status_json(*dataset);
        if (node) {
            volume.mountpoint = local_path(states, dataset->dataset_id, *node);
        }
        volumes.push_back(std::move(volume));
    }
    return volumes;
}

std::string FlockerDriver::path(const std::string& volume)
{
    const auto listing = m_service.list_datasets(k_no_limit);
    const DatasetConfig& dataset = require_live(listing, volume);
    const std::string node = this_node(Patience::once);
    const auto states = m_service.dataset_states(k_no_limit);
    std::string found = local_path(states, dataset.dataset_id, node);
    if (found.empty()) {
        throw DriverError("dataset " + dataset.dataset_id + " is not mounted on this node (" + node + ")");
    }
    return found;
}

void FlockerDriver::create(const std::string& volume, const VolumeOptions& options)
{
    // Every check on the user's input comes before the first request.
    const auto spec = flocker::create_spec(m_settings.name_key, volume, options);
    const std::string node = this_node(Patience::fallback_first);
    const std::string body = flocker::encode_create(node, spec.maximum_size, spec.metadata);
    std::minstd_rand jitter(std::random_device{}());
    for (int attempt = 1; attempt <= k_create_attempts; ++attempt) {
        const auto listing = m_service.list_datasets(m_deadline);
        if (const DatasetConfig* existing = unique_live(listing, volume)) {
            // Someone else created it in the meantime (or it already existed): use theirs.
            if (spec.size_given) {
                spdlog::warn("dataset {} already exists with {}: the size option is ignored", existing->dataset_id,
                             describe_name(volume));
            }
            spdlog::info("dataset {} already has {}", existing->dataset_id, describe_name(volume));
            return;
        }
        if (!listing.tag) {
            spdlog::debug("no X-Configuration-Tag (Flocker before 1.9): creating without a condition");
        }
        if (const auto created = m_service.create_dataset(body, listing.tag, m_deadline)) {
            spdlog::info("created dataset {} with {} ({} bytes) on node {}", created->dataset_id, describe_name(volume),
                         spec.maximum_size, node);
            return;
        }
        spdlog::debug("the configuration changed while creating \"{}\" (HTTP 412); attempt {} of {}", volume, attempt,
                      k_create_attempts);
        std::this_thread::sleep_for(milliseconds(1 + static_cast<long>(jitter() % 20)));
    }
    throw DriverError("POST /v1/configuration/datasets: the configuration kept changing (HTTP 412 " +
                      std::to_string(k_create_attempts) + " times); try again");
}

void FlockerDriver::throw_lease_held(const std::string& dataset_id, const std::string& holder,
                                     const char* refusing) const
{
    throw DriverError(std::string(refusing) + ": dataset " + dataset_id + " is leased by node " + holder +
                      " (in use there); unmount it on that node first");
}

void FlockerDriver::release_after_failure(const std::string& dataset_id) noexcept
{
    try {
        m_service.release_lease(dataset_id, k_no_limit);
        spdlog::info("released the lease on dataset {} taken by this mount", dataset_id);
    } catch (const std::exception& error) {
        // Info, not warn: the mount's own error stays the only line a failure prints by default.
        spdlog::info("could not release the lease on dataset {}: {}", dataset_id, error.what());
    }
}

std::string FlockerDriver::mount(const std::string& volume, const std::string& /*mount_id*/)
{
    const std::string node = this_node(Patience::until_deadline);
    if (Clock::now() >= m_deadline) {
        // by_era kept saying "not reported yet" until the end: this host's agent is not connected.
        throw TimeoutError("no time left to mount within " + seconds_text(m_settings.wait_timeout) +
                           (m_era_note.empty() ? std::string() : ": " + m_era_note));
    }
    const auto listing = m_service.list_datasets(m_deadline);
    const DatasetConfig& dataset = require_live(listing, volume);
    const std::string& id = dataset.dataset_id;

    // Fail fast when another node uses it: a move would be accepted but never happen.
    bool took_lease = false;
    const auto leases = m_service.leases(m_deadline);
    const auto lease =
        std::find_if(leases.begin(), leases.end(), [&](const flocker::Lease& entry) { return entry.dataset_id == id; });
    if (lease != leases.end() && lease->node_uuid != node) {
        throw_lease_held(id, lease->node_uuid, "cannot mount here");
    }
    if (lease == leases.end()) {
        const auto outcome = m_service.acquire_lease(id, node, m_deadline);
        if (outcome == ControlService::LeaseOutcome::held_elsewhere) {
            // Another node took it since we looked.
            for (const auto& entry : m_service.leases(m_deadline)) {
                if (entry.dataset_id == id) {
                    throw_lease_held(id, entry.node_uuid, "cannot mount here");
                }
            }
            throw DriverError("cannot mount here: dataset " + id + " is leased by another node");
        }
        // A renewal means this node held it already (another mount here): not ours to release.
        took_lease = outcome == ControlService::LeaseOutcome::acquired;
        spdlog::debug("leased dataset {} to this node ({})", id, node);
    }
    try {
        if (dataset.primary != node) {
            spdlog::info("moving dataset {} from node {} to this node ({})", id,
                         dataset.primary.empty() ? std::string("(none)") : dataset.primary, node);
            m_service.move_dataset(id, node, m_deadline);
        }
        return wait_until_mounted(id, node);
    } catch (...) {
        if (took_lease) {
            release_after_failure(id);
        }
        throw;
    }
}

std::string FlockerDriver::wait_until_mounted(const std::string& dataset_id, const std::string& node)
{
    std::string last = "the control service does not report it yet";
    const auto timed_out = [&] {
        return TimeoutError("dataset " + dataset_id + " was not mounted on this node (" + node + ") within " +
                            seconds_text(m_settings.wait_timeout) + ": " + last);
    };
    Pacer pacer;
    for (;;) {
        pacer.started();
        std::vector<DatasetState> states;
        try {
            states = m_service.dataset_states(m_deadline);
        } catch (const TimeoutError&) {
            if (Clock::now() >= m_deadline) {
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
        if (entries.size() > 1) {
            last = "it is listed on " + std::to_string(entries.size()) + " nodes (moving)";
        } else if (entries.size() == 1 && entries.front()->primary.empty()) {
            last = "it is attached to no node yet";
        } else if (entries.size() == 1 && entries.front()->primary != node) {
            last = "it is still on node " + entries.front()->primary;
        } else if (entries.size() == 1) {
            last = "it is on this node but has no mount path yet";
        }
        if (Clock::now() >= m_deadline) {
            throw timed_out();
        }
        pacer.pause(m_deadline);
    }
}

void FlockerDriver::unmount(const std::string& volume, const std::string& /*mount_id*/)
{
    const auto listing = m_service.list_datasets(k_no_limit);
    const auto datasets = named(listing, volume, true);
    const DatasetConfig* live = unique_live(listing, volume);
    if (live == nullptr && datasets.empty()) {
        throw DriverError(not_found_message(volume));
    }
    std::vector<flocker::Lease> relevant;
    for (const auto& lease : m_service.leases(k_no_limit)) {
        for (const auto* dataset : datasets) {
            if (lease.dataset_id == dataset->dataset_id) {
                relevant.push_back(lease);
            }
        }
    }
    if (relevant.empty()) {
        if (live == nullptr) {
            throw DriverError(not_found_message(volume));  // only deleted datasets, nothing held
        }
        spdlog::info("no lease on the datasets with {}: nothing to release", describe_name(volume));
        return;
    }
    const std::string node = this_node(Patience::once);
    for (const auto& lease : relevant) {
        if (lease.node_uuid != node) {
            spdlog::info("dataset {} is leased by node {}, not this one: left alone", lease.dataset_id,
                         lease.node_uuid);
            continue;
        }
        if (m_service.release_lease(lease.dataset_id, k_no_limit)) {
            spdlog::info("released this node's lease on dataset {}", lease.dataset_id);
        }
    }
}

void FlockerDriver::remove(const std::string& volume)
{
    const auto listing = m_service.list_datasets(k_no_limit);
    const DatasetConfig& dataset = require_live(listing, volume);
    for (const auto& lease : m_service.leases(k_no_limit)) {
        if (lease.dataset_id != dataset.dataset_id) {
            continue;
        }
        if (lease.node_uuid != this_node(Patience::once)) {
            throw_lease_held(dataset.dataset_id, lease.node_uuid, "refusing to remove");
        }
        m_service.release_lease(dataset.dataset_id, k_no_limit);
        spdlog::info("released this node's lease on dataset {}", dataset.dataset_id);
    }
    m_service.delete_dataset(dataset.dataset_id, k_no_limit);
    spdlog::info("deleted dataset {} ({})", dataset.dataset_id, describe_name(volume));
}

}  // namespace

namespace flocker {

std::unique_ptr<Driver> make_flocker_driver(const std::string& name, FlockerSettings settings, HostProbes probes)
{
    auto resolved = flocker::resolve_settings(settings, probes, true);
    HttpClientOptions options;
    options.user_agent = std::string("flockercli/") + version();
    options.alternative_server_name = "control-service";
    options.tls_failures_are_final = true;
    options.tls_rejection_hint = k_rejection_hint;
    auto client = make_http_client(resolved.endpoint, std::move(options));
    return std::make_unique<FlockerDriver>(name, std::move(resolved), std::move(client));
}

std::unique_ptr<Driver> make_flocker_driver(const std::string& name, FlockerSettings settings, HostProbes probes,
                                            std::unique_ptr<HttpClient> client)
{
    return std::make_unique<FlockerDriver>(name, flocker::resolve_settings(settings, probes, false), std::move(client));
}

}  // namespace flocker

std::unique_ptr<Driver> make_flocker_driver(const std::string& name, FlockerSettings settings)
{
    return flocker::make_flocker_driver(name, std::move(settings), flocker::HostProbes{});
}

}  // namespace volumecli
