// dvdcli exec's inputs: the DVDI_VOLUME_* / FLOCKER_* environment mesos-module-dvdi sets, and
// --volume values. Each input line is NAME=VALUE; a line starting with "--volume=" is a flag
// value instead. Bad variables and flags must be a UsageError (exit 2).

#include "fuzz_input.hpp"

#include <volumecli/error.hpp>
#include <volumecli/task.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using namespace volumecli;
using fuzz::require;

void check_volume(const TaskVolume& volume)
{
    require(!volume.driver.empty() && !volume.name.empty() && !volume.origin.empty());
    require(volume.name.find_first_of(std::string("\n\0", 2)) == std::string::npos);
    require(volume.container_path.empty() || volume.container_path.front() == '/');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::quiet_logs();
    static const std::string k_flag = "--volume=";
    EnvironmentList environment;
    for (const auto& line : fuzz::split(fuzz::to_string(data, size), '\n')) {
        if (line.compare(0, k_flag.size(), k_flag) == 0) {
            try {
                check_volume(parse_volume_flag(line.substr(k_flag.size())));
            } catch (const UsageError&) {
                // the expected rejection of a malformed flag
            }
            continue;
        }
        const auto equals = line.find('=');
        environment.emplace_back(line.substr(0, equals),
                                 equals == std::string::npos ? std::string() : line.substr(equals + 1));
    }
    try {
        const auto volumes = task_volumes_from_environment(environment);
        for (const auto& volume : volumes) {
            check_volume(volume);
            require(!volume.mountpoint_variable.empty());
        }
    } catch (const UsageError&) {
        // the expected rejection of a malformed variable
    }
    return 0;
}
