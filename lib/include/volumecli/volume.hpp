#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace volumecli {

// Driver options sent with Create, sorted by key as Docker's encoder sends them.
using VolumeOptions = std::map<std::string, std::string>;

// A volume as a driver describes it (Docker's Get/List reply).
struct Volume {
    std::string name;
    std::string mountpoint;                  // empty when the driver gave none
    std::optional<std::string> created_at;   // RFC 3339, when the driver gave one
    std::optional<std::string> status_json;  // the driver's Status object, compact JSON
};

// What VolumeDriver.Capabilities reports; scope is normalised to "local" or "global".
struct Capabilities {
    std::string scope = "local";
};

}  // namespace volumecli
