#pragma once

// Small text rules shared across libvolumecli: ASCII case folding and trimming. Internal.

#include <string>

namespace volumecli {

// `text` with ASCII letters in lower case; every other byte as it was (no locale).
std::string ascii_lower(std::string text);

// `text` without the leading and trailing characters found in `blanks`.
std::string trim(const std::string& text, const char* blanks = " \t");

}  // namespace volumecli
