// Finding a volume's dataset by the name key, and the messages that name it, so every driver call
// refuses an ambiguous or missing name the same way.
#include "flocker/volume_names.hpp"

#include <volumecli/error.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace volumecli::flocker {

std::string VolumeNames::describe(const std::string& volume) const
{
    return "metadata " + m_name_key + "=\"" + volume + "\"";
}

std::string VolumeNames::not_found_message(const std::string& volume) const
{
    return "no Flocker dataset with " + describe(volume);
}

std::vector<const DatasetConfig*> VolumeNames::named(const std::vector<DatasetConfig>& datasets,
                                                     const std::string& volume, bool include_deleted) const
{
    std::vector<const DatasetConfig*> found;
    for (const auto& dataset : datasets) {
        if (dataset.deleted && !include_deleted) {
            continue;
        }
        const auto value = dataset.metadata.find(m_name_key);
        if (value != dataset.metadata.end() && value->second == volume) {
            found.push_back(&dataset);
        }
    }
    return found;
}

const DatasetConfig* VolumeNames::unique_live(const std::vector<DatasetConfig>& datasets,
                                              const std::string& volume) const
{
    const auto found = named(datasets, volume, false);
    if (found.size() > 1) {
        std::vector<std::string> ids;
        for (const auto* dataset : found) {
            ids.push_back(dataset->dataset_id);
        }
        std::sort(ids.begin(), ids.end());
        std::string listed;
        for (const auto& id : ids) {
            listed += (listed.empty() ? "" : ", ") + id;
        }
        throw DriverError(std::to_string(found.size()) + " Flocker datasets have " + describe(volume) + " (" + listed +
                          "); delete all but one");
    }
    return found.empty() ? nullptr : found.front();
}

const DatasetConfig& VolumeNames::require_live(const std::vector<DatasetConfig>& datasets,
                                               const std::string& volume) const
{
    const DatasetConfig* dataset = unique_live(datasets, volume);
    if (dataset == nullptr) {
        throw DriverError(not_found_message(volume));
    }
    return *dataset;
}

std::map<std::string, const DatasetConfig*> VolumeNames::live_by_name(const std::vector<DatasetConfig>& datasets) const
{
    std::map<std::string, const DatasetConfig*> by_name;
    for (const auto& dataset : datasets) {
        const auto value = dataset.metadata.find(m_name_key);
        if (dataset.deleted || value == dataset.metadata.end()) {
            continue;
        }
        if (!by_name.emplace(value->second, &dataset).second) {
            spdlog::warn("several Flocker datasets have {}", describe(value->second));
        }
    }
    return by_name;
}

}  // namespace volumecli::flocker
