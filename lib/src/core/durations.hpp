#pragma once

// How durations read in messages. Internal to libvolumecli.

#include <chrono>
#include <string>

namespace volumecli {

// "60s", "0.5s", "1.25s": seconds with only the decimals that matter.
std::string seconds_text(std::chrono::milliseconds duration);

}  // namespace volumecli
