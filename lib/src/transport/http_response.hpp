#pragma once

// One HTTP reply as the drivers see it: status, headers, body, and the deadline its decoding
// must still meet. Internal to libvolumecli.

#include "core/clock.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace volumecli {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
    int status = 0;
    std::string body;
    HttpHeaders headers{};  // in arrival order, names as sent
    // The deadline the reply was read within; decoding the body belongs to the same call and must
    // meet it too. max() when none applies.
    Clock::time_point deadline = Clock::time_point::max();

    // The value of the first header called `name` (case-insensitive); nullopt when absent.
    [[nodiscard]] std::optional<std::string> header(const std::string& name) const;
};

}  // namespace volumecli
