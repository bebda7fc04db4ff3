#include <volumecli/options.hpp>

#include <volumecli/error.hpp>

namespace volumecli {

void VolumeOptionsBuilder::add_pair(const std::string& piece)
{
    const auto equals = piece.find('=');
    if (equals == 0) {
        throw UsageError("invalid volume option \"" + piece + "\": empty key");
    }
    m_last_key = piece.substr(0, equals);
    m_options[m_last_key] = piece.substr(equals + 1);
    m_has_last = true;
}

void VolumeOptionsBuilder::add_split(const std::string& argument)
{
    std::size_t start = 0;
    while (start <= argument.size()) {
        const auto comma = argument.find(',', start);
        const std::string piece =
            argument.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        start = comma == std::string::npos ? argument.size() + 1 : comma + 1;
        if (piece.empty()) {
            continue;
        }
        if (piece.find('=') != std::string::npos) {
            add_pair(piece);
        } else if (m_has_last) {
            // mesos-module-dvdi splits DVDI_VOLUME_OPTS on commas, so "o=addr=1,rw" arrives as two
            // flags: a piece with no '=' belongs to the option before it.
            m_options[m_last_key] += "," + piece;
        } else {
            throw UsageError("invalid volume option \"" + piece + "\": expected KEY=VALUE");
        }
    }
}

void VolumeOptionsBuilder::add_single(const std::string& argument)
{
    if (argument.find('=') == std::string::npos) {
        throw UsageError("invalid volume option \"" + argument + "\": expected KEY=VALUE");
    }
    add_pair(argument);
}

}  // namespace volumecli
