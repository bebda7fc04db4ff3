#pragma once

// How Flocker datasets carry volume names: a volume is the live dataset whose metadata name key
// holds its name. Every call of the driver finds its dataset through this one rule.

#include "flocker/flocker_codec.hpp"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace volumecli::flocker {

class VolumeNames {
public:
    explicit VolumeNames(std::string name_key) : m_name_key(std::move(name_key)) {}

    // `metadata KEY="volume"`, for messages.
    [[nodiscard]] std::string describe(const std::string& volume) const;
    // "no Flocker dataset with metadata KEY="volume"".
    [[nodiscard]] std::string not_found_message(const std::string& volume) const;

    // Datasets whose name key holds `volume` (deleted ones only when asked).
    [[nodiscard]] std::vector<const DatasetConfig*> named(const std::vector<DatasetConfig>& datasets,
                                                          const std::string& volume, bool include_deleted) const;
    // The one live dataset called `volume`; nullptr when there is none. Throws DriverError when the
    // name is ambiguous.
    [[nodiscard]] const DatasetConfig* unique_live(const std::vector<DatasetConfig>& datasets,
                                                   const std::string& volume) const;
    // As unique_live, but throws DriverError (not_found_message) when there is none.
    [[nodiscard]] const DatasetConfig& require_live(const std::vector<DatasetConfig>& datasets,
                                                    const std::string& volume) const;
    // Every live dataset with the name key, by name; of several with one name the first is kept
    // (with a warning).
    [[nodiscard]] std::map<std::string, const DatasetConfig*> live_by_name(
        const std::vector<DatasetConfig>& datasets) const;

private:
    std::string m_name_key;
};

}  // namespace volumecli::flocker
