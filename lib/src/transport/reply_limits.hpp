#pragma once

// How large a driver's reply may be: one cap for every call, a smaller one for calls whose reply
// has no reason to be large, so a runaway plugin cannot fill memory.

#include <cstddef>

namespace volumecli {

// Largest reply body accepted from a driver.
inline constexpr std::size_t k_max_reply_bytes = std::size_t{32} * 1024 * 1024;
// Largest reply body accepted for a call whose reply has no reason to be large (all but List).
inline constexpr std::size_t k_max_small_reply_bytes = std::size_t{1} * 1024 * 1024;

}  // namespace volumecli
