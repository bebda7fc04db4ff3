// What a create asks Flocker for: the size option read as bytes, the other options as metadata
// within Flocker's limits, all checked before any request is sent.
#include "flocker/dataset_spec.hpp"

#include <volumecli/error.hpp>

#include "core/text.hpp"

#include <algorithm>
#include <cctype>

namespace volumecli::flocker {

namespace {

UsageError invalid_size(const std::string& text, const std::string& why)
{
    return UsageError("invalid size \"" + text + "\": " + why +
                      " (expected N[.N][k|m|g|t][i][b], e.g. 10 (GiB), 512m, 1.5GiB)");
}

// A size as written: the digits around the point, the unit letter, a trailing "b".
struct WrittenSize {
    std::string whole;
    std::string fraction;
    int power = -1;  // the unit letter's power of 1024; -1: no unit letter
    bool bytes = false;
};

// The parts of `text`; throws UsageError when it is not N[.N][k|m|g|t][i][b] (any case).
WrittenSize read_size_text(const std::string& text)
{
    const std::string value = ascii_lower(trim(text, " \t\r\n"));
    WrittenSize written;
    std::size_t pos = 0;
    while (pos < value.size() && std::isdigit(static_cast<unsigned char>(value[pos])) != 0) {
        written.whole.push_back(value[pos++]);
    }
    if (pos < value.size() && value[pos] == '.') {
        ++pos;
        while (pos < value.size() && std::isdigit(static_cast<unsigned char>(value[pos])) != 0) {
            written.fraction.push_back(value[pos++]);
        }
        if (written.fraction.empty()) {
            throw invalid_size(text, "no digits after the decimal point");
        }
    }
    if (written.whole.empty()) {
        throw invalid_size(text, value.rfind('-', 0) == 0 ? "it must be above zero" : "no number");
    }
    if (pos < value.size()) {
        static const std::string k_units = "kmgt";
        if (const auto unit = k_units.find(value[pos]); unit != std::string::npos) {
            written.power = static_cast<int>(unit) + 1;
            ++pos;
            if (pos < value.size() && value[pos] == 'i') {
                ++pos;
            }
        }
    }
    if (pos < value.size() && value[pos] == 'b') {
        written.bytes = true;
        ++pos;
    }
    if (pos != value.size()) {
        throw invalid_size(text, "unknown unit");
    }
    return written;
}

// digits / scale (a fraction below 1) times 2^bits, rounded up (also when `more` digits followed):
// long division one bit at a time, so that no product passes 64 bits (scale < 2^60).
std::uint64_t fraction_bytes(std::uint64_t digits, std::uint64_t scale, unsigned bits, bool more)
{
    std::uint64_t quotient = 0;
    std::uint64_t rest = digits;
    for (unsigned i = 0; i < bits; ++i) {
        rest *= 2;
        quotient *= 2;
        if (rest >= scale) {
            rest -= scale;
            ++quotient;
        }
    }
    return quotient + ((rest != 0 || more) ? 1 : 0);
}

}  // namespace

std::uint64_t parse_size(const std::string& text)
{
    const auto invalid = [&text](const std::string& why) { return invalid_size(text, why); };
    const WrittenSize written = read_size_text(text);
    const std::string& whole = written.whole;
    const std::string& fraction = written.fraction;
    // "b" alone means bytes; no unit at all means GiB.
    const int power = written.power >= 0 ? written.power : (written.bytes ? 0 : 3);
    const unsigned bits = 10U * static_cast<unsigned>(power);
    constexpr std::uint64_t k_limit = std::uint64_t{1} << 62U;
    // The digits' value, refused once it passes the limit (checked before it could overflow).
    const auto digits_value = [&](const std::string& digits) {
        std::uint64_t result = 0;
        for (const char c : digits) {
            const auto digit = static_cast<std::uint64_t>(c - '0');
            if (result > (k_limit - digit) / 10) {
                throw invalid("too large");
            }
            result = result * 10 + digit;
        }
        return result;
    };
    const std::uint64_t whole_value = digits_value(whole.substr(0, 30));
    if (whole.size() > 30 || whole_value > (k_limit >> bits)) {
        throw invalid("too large");
    }
    std::uint64_t total = whole_value << bits;
    // Only the first 18 decimals count; any further non-zero digit still rounds up.
    const std::string decimals = fraction.substr(0, 18);
    const bool more = fraction.size() > 18 && fraction.find_first_not_of('0', 18) != std::string::npos;
    if (!decimals.empty()) {
        std::uint64_t scale = 1;
        for (std::size_t i = 0; i < decimals.size(); ++i) {
            scale *= 10;
        }
        total += fraction_bytes(digits_value(decimals), scale, bits, more);
    } else if (more) {
        total += 1;
    }
    if (total == 0) {
        throw invalid("it must be above zero");
    }
    if (total > k_limit) {
        throw invalid("too large");
    }
    return static_cast<std::uint64_t>(total);
}

std::uint64_t round_size(std::uint64_t bytes)
{
    const std::uint64_t rounded = (bytes + 1023) / 1024 * 1024;
    return std::max(rounded, k_minimum_size);
}

CreateSpec create_spec(const std::string& name_key, const std::string& volume, const VolumeOptions& options)
{
    CreateSpec spec;
    if (volume.size() > k_max_metadata_length) {
        throw UsageError("volume name longer than " + std::to_string(k_max_metadata_length) +
                         " characters: Flocker metadata values are limited to that");
    }
    spec.metadata[name_key] = volume;
    for (const auto& [key, value] : options) {
        if (key == "size") {
            spec.maximum_size = round_size(parse_size(value));
            spec.size_given = true;
            continue;
        }
        if (key == name_key) {
            throw UsageError("option \"" + key + "\" clashes with the metadata key that holds the volume name");
        }
        if (key.empty() || key.size() > k_max_metadata_length) {
            throw UsageError("option name \"" + key.substr(0, 40) + (key.size() > 40 ? "..." : "") +
                             "\" must have 1 to " + std::to_string(k_max_metadata_length) +
                             " characters (a Flocker metadata key)");
        }
        if (value.size() > k_max_metadata_length) {
            throw UsageError("option \"" + key + "\" has a value longer than " + std::to_string(k_max_metadata_length) +
                             " characters (a Flocker metadata value)");
        }
        spec.metadata[key] = value;
    }
    if (spec.metadata.size() > k_max_metadata_keys) {
        throw UsageError("too many options: Flocker keeps at most " + std::to_string(k_max_metadata_keys) +
                         " metadata entries, the volume name included (got " + std::to_string(spec.metadata.size()) +
                         ")");
    }
    return spec;
}

}  // namespace volumecli::flocker
