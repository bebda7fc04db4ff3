// RFC 3339 date-times, checked by layout and by the range of each field (not against the
// calendar), which is all a CreatedAt needs to be printed and compared as text.
#include "plugin/rfc3339.hpp"

#include <cstddef>

namespace volumecli::codec {

namespace {

int digits(const std::string& text, std::size_t at, std::size_t count)
{
    if (at + count > text.size()) {
        return -1;
    }
    int value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9') {
            return -1;
        }
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

}  // namespace

bool is_rfc3339(const std::string& text)
{
    // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
    const int month = digits(text, 5, 2);
    const int day = digits(text, 8, 2);
    const int hour = digits(text, 11, 2);
    const int minute = digits(text, 14, 2);
    const int second = digits(text, 17, 2);
    if (digits(text, 0, 4) < 0 || text.size() < 20 || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':' || month < 1 || month > 12 ||
        day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
        return false;
    }
    std::size_t at = 19;
    if (text[at] == '.') {
        const std::size_t start = ++at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
            ++at;
        }
        if (at == start) {
            return false;
        }
    }
    if (at == text.size()) {
        return false;
    }
    if ((text[at] == 'Z' || text[at] == 'z') && at + 1 == text.size()) {
        return true;
    }
    if ((text[at] != '+' && text[at] != '-') || at + 6 != text.size() || text[at + 3] != ':') {
        return false;
    }
    const int offset_hour = digits(text, at + 1, 2);
    const int offset_minute = digits(text, at + 4, 2);
    return offset_hour >= 0 && offset_hour <= 23 && offset_minute >= 0 && offset_minute <= 59;
}
}  // namespace volumecli::codec
