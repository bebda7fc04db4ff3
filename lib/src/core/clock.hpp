#pragma once

// The clock every deadline in libvolumecli is measured on: monotonic, so a change of the wall
// clock neither fires nor postpones a timeout. Internal; public headers name steady_clock.

#include <chrono>

namespace volumecli {

using Clock = std::chrono::steady_clock;

}  // namespace volumecli
