#include "core/durations.hpp"

namespace volumecli {

std::string seconds_text(std::chrono::milliseconds duration)
{
    const auto whole = duration.count() / 1000;
    const auto fraction = duration.count() % 1000;
    std::string text = std::to_string(whole);
    if (fraction != 0) {
        std::string decimals = std::to_string(1000 + fraction).substr(1);
        while (!decimals.empty() && decimals.back() == '0') {
            decimals.pop_back();
        }
        text += "." + decimals;
    }
    return text + "s";
}

}  // namespace volumecli
