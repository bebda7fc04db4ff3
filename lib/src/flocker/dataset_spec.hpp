#pragma once

// What a create sends: the dataset's size and metadata from the volume name and the driver
// options, checked against Flocker's limits before any request.

#include <volumecli/flocker_driver.hpp>
#include <volumecli/volume.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace volumecli::flocker {

// Smallest maximum_size Flocker accepts (64 MiB); sizes are also multiples of 1024.
inline constexpr std::uint64_t k_minimum_size = 67108864ULL;
// Flocker's limits on dataset metadata.
inline constexpr std::size_t k_max_metadata_keys = 16;
inline constexpr std::size_t k_max_metadata_length = 256;

// The bytes `text` asks for: N[.N][k|m|g|t][i][b], binary multiples, case-insensitive, no unit
// meaning GiB ("b" alone means bytes). Rounded up to a whole byte. Throws UsageError when
// malformed, not above zero, or too large.
std::uint64_t parse_size(const std::string& text);
// `bytes` rounded up to a multiple of 1024 and to at least k_minimum_size.
std::uint64_t round_size(std::uint64_t bytes);

// What a create sends, from the volume name and the driver options.
struct CreateSpec {
    std::uint64_t maximum_size = k_flocker_default_size;
    bool size_given = false;
    std::map<std::string, std::string> metadata;  // name_key -> volume, plus every option but "size"
};
// Throws UsageError when an option clashes with name_key or the metadata exceeds Flocker's limits
// (16 keys, keys of 1 to 256 characters, values up to 256), or the size is invalid.
CreateSpec create_spec(const std::string& name_key, const std::string& volume, const VolumeOptions& options);

}  // namespace volumecli::flocker
