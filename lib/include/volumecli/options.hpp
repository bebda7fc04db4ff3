#pragma once

#include <volumecli/volume.hpp>

#include <string>

namespace volumecli {

// Builds driver options from dvdcli-style arguments, in the order they were given.
class VolumeOptionsBuilder {
public:
    // One --volumeopts value: split on ',' (empty pieces dropped, so "" adds nothing), each piece
    // on its first '='.
    // A piece without '=' continues the previous option's value (",piece"), even across calls.
    // Throws UsageError when there is no previous option to continue or a key is empty.
    void add_split(const std::string& argument);
    // One --volumeopt value: K=V, never split on commas. Throws UsageError without '='.
    void add_single(const std::string& argument);

    [[nodiscard]] const VolumeOptions& options() const { return m_options; }

private:
    void add_pair(const std::string& piece);

    VolumeOptions m_options;
    std::string m_last_key;
    bool m_has_last = false;
};

}  // namespace volumecli
