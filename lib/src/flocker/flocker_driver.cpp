// The Flocker driver: what each Driver call asks of the control service, in order (leases before
// moves, conditional creates); names, the node lookup and the mount wait are its helpers.
#include <volumecli/flocker_driver.hpp>

#include <volumecli/error.hpp>
#include <volumecli/version.hpp>

#include "core/durations.hpp"
#include "flocker/dataset_spec.hpp"
#include "flocker/flocker_client.hpp"
#include "flocker/flocker_codec.hpp"
#include "flocker/flocker_settings.hpp"
#include "flocker/host_probes.hpp"
#include "flocker/mount_wait.hpp"
#include "flocker/node_lookup.hpp"
#include "flocker/volume_names.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <thread>
#include <utility>

namespace volumecli {

namespace {

using flocker::ControlService;
using flocker::DatasetConfig;
using flocker::DatasetState;
using flocker::k_no_limit;
using flocker::Patience;
using std::chrono::milliseconds;

// Conditional creates tried before giving up (Flocker's own client makes 20).
constexpr int k_create_attempts = 20;

constexpr const char* k_rejection_hint =
    "the control service accepts only client certificates signed by the cluster CA with a CN starting with "
    "\"user-\", such as plugin.crt";

class FlockerDriver final : public Driver {
public:
    FlockerDriver(std::string name, flocker::ResolvedSettings settings, std::unique_ptr<HttpClient> client)
        : m_name(std::move(name)),
          m_settings(std::move(settings)),
          m_service(std::move(client), m_settings.call_timeout, m_settings.retry),
          m_deadline(m_settings.started + m_settings.wait_timeout),
          m_names(m_settings.name_key),
          m_nodes(m_service, m_settings, m_deadline)
    {
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
    // --- mount helpers ---
    // Leases `dataset_id` to `node` unless it holds it already; true when this call took the lease.
    // Throws DriverError when another node holds it.
    bool lease_here(const std::string& dataset_id, const std::string& node);
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
    flocker::VolumeNames m_names;
    flocker::NodeLookup m_nodes;
};

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
    const DatasetConfig* dataset = m_names.unique_live(listing.datasets, volume);
    if (dataset == nullptr) {
        result.kind = LookupResult::Kind::not_found;
        result.message = m_names.not_found_message(volume);
        return result;
    }
    result.kind = LookupResult::Kind::found;
    result.volume.name = volume;
    result.volume.status_json = flocker::status_json(*dataset);
    if (const auto node = m_nodes.this_node_if_known()) {
        result.volume.mountpoint = local_path(m_service.dataset_states(k_no_limit), dataset->dataset_id, *node);
    }
    return result;
}

std::vector<Volume> FlockerDriver::list()
{
    const auto listing = m_service.list_datasets(k_no_limit);
    const auto by_name = m_names.live_by_name(listing.datasets);
    std::vector<Volume> volumes;
    if (by_name.empty()) {
        return volumes;
    }
    std::vector<DatasetState> states;
    const auto node = m_nodes.this_node_if_known();
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
    const DatasetConfig& dataset = m_names.require_live(listing.datasets, volume);
    const std::string node = m_nodes.this_node(Patience::once);
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
    const std::string node = m_nodes.this_node(Patience::fallback_first);
    const std::string body = flocker::encode_create(node, spec.maximum_size, spec.metadata);
    std::minstd_rand jitter(std::random_device{}());
    for (int attempt = 1; attempt <= k_create_attempts; ++attempt) {
        const auto listing = m_service.list_datasets(m_deadline);
        if (const DatasetConfig* existing = m_names.unique_live(listing.datasets, volume)) {
            // Someone else created it in the meantime (or it already existed): use theirs.
            if (spec.size_given) {
                spdlog::warn("dataset {} already exists with {}: the size option is ignored", existing->dataset_id,
                             m_names.describe(volume));
            }
            spdlog::info("dataset {} already has {}", existing->dataset_id, m_names.describe(volume));
            return;
        }
        if (!listing.tag) {
            spdlog::debug("no X-Configuration-Tag (Flocker before 1.9): creating without a condition");
        }
        if (const auto created = m_service.create_dataset(body, listing.tag, m_deadline)) {
            spdlog::info("created dataset {} with {} ({} bytes) on node {}", created->dataset_id,
                         m_names.describe(volume), spec.maximum_size, node);
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

bool FlockerDriver::lease_here(const std::string& id, const std::string& node)
{
    // Fail fast when another node uses it: a move would be accepted but never happen.
    const auto leases = m_service.leases(m_deadline);
    const auto lease =
        std::find_if(leases.begin(), leases.end(), [&](const flocker::Lease& entry) { return entry.dataset_id == id; });
    if (lease != leases.end() && lease->node_uuid != node) {
        throw_lease_held(id, lease->node_uuid, "cannot mount here");
    }
    if (lease != leases.end()) {
        return false;
    }
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
    spdlog::debug("leased dataset {} to this node ({})", id, node);
    // A renewal means this node held it already (another mount here): not ours to release.
    return outcome == ControlService::LeaseOutcome::acquired;
}

std::string FlockerDriver::mount(const std::string& volume, const std::string& /*mount_id*/)
{
    const std::string node = m_nodes.this_node(Patience::until_deadline);
    if (Clock::now() >= m_deadline) {
        // by_era kept saying "not reported yet" until the end: this host's agent is not connected.
        const std::string& note = m_nodes.era_note();
        throw TimeoutError("no time left to mount within " + seconds_text(m_settings.wait_timeout) +
                           (note.empty() ? std::string() : ": " + note));
    }
    const auto listing = m_service.list_datasets(m_deadline);
    const DatasetConfig& dataset = m_names.require_live(listing.datasets, volume);
    const std::string& id = dataset.dataset_id;
    const bool took_lease = lease_here(id, node);
    try {
        if (dataset.primary != node) {
            spdlog::info("moving dataset {} from node {} to this node ({})", id,
                         dataset.primary.empty() ? std::string("(none)") : dataset.primary, node);
            m_service.move_dataset(id, node, m_deadline);
        }
        return flocker::wait_until_mounted(m_service, id, node, m_deadline, m_settings.wait_timeout);
    } catch (...) {
        if (took_lease) {
            release_after_failure(id);
        }
        throw;
    }
}

void FlockerDriver::unmount(const std::string& volume, const std::string& /*mount_id*/)
{
    const auto listing = m_service.list_datasets(k_no_limit);
    const auto datasets = m_names.named(listing.datasets, volume, true);
    const DatasetConfig* live = m_names.unique_live(listing.datasets, volume);
    if (live == nullptr && datasets.empty()) {
        throw DriverError(m_names.not_found_message(volume));
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
            throw DriverError(m_names.not_found_message(volume));  // only deleted datasets, nothing held
        }
        spdlog::info("no lease on the datasets with {}: nothing to release", m_names.describe(volume));
        return;
    }
    const std::string node = m_nodes.this_node(Patience::once);
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
    const DatasetConfig& dataset = m_names.require_live(listing.datasets, volume);
    for (const auto& lease : m_service.leases(k_no_limit)) {
        if (lease.dataset_id != dataset.dataset_id) {
            continue;
        }
        if (lease.node_uuid != m_nodes.this_node(Patience::once)) {
            throw_lease_held(dataset.dataset_id, lease.node_uuid, "refusing to remove");
        }
        m_service.release_lease(dataset.dataset_id, k_no_limit);
        spdlog::info("released this node's lease on dataset {}", dataset.dataset_id);
    }
    m_service.delete_dataset(dataset.dataset_id, k_no_limit);
    spdlog::info("deleted dataset {} ({})", dataset.dataset_id, m_names.describe(volume));
}

}  // namespace

namespace flocker {

std::unique_ptr<Driver> make_flocker_driver(const std::string& name, const FlockerSettings& settings,
                                            const HostProbes& probes)
{
    auto resolved = flocker::resolve_settings(settings, probes, true);
    detail::TlsOptions tls;
    tls.alternative_server_name = "control-service";
    tls.failures_are_final = true;
    tls.rejection_hint = k_rejection_hint;
    auto client = make_http_client(resolved.endpoint, std::string("flockercli/") + version(), std::move(tls));
    return std::make_unique<FlockerDriver>(name, std::move(resolved), std::move(client));
}

std::unique_ptr<Driver> make_flocker_driver(const std::string& name, const FlockerSettings& settings,
                                            const HostProbes& probes, std::unique_ptr<HttpClient> client)
{
    return std::make_unique<FlockerDriver>(name, flocker::resolve_settings(settings, probes, false), std::move(client));
}

}  // namespace flocker

std::unique_ptr<Driver> make_flocker_driver(const std::string& name, FlockerSettings settings)
{
    return flocker::make_flocker_driver(name, settings, flocker::HostProbes{});
}

}  // namespace volumecli
