#pragma once

// Help text and "did you mean" suggestions, both read from the flag table (flag_table.hpp).

#include "flag_table.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace volumecli::cli {

// `program --help` (command == nullptr) or `program COMMAND --help`, wrapped to `width` columns.
std::string render_help(const std::string& program, const CommandSpec* command, std::size_t width);

// The width help is wrapped to: the terminal's when stdout is one, else 80.
std::size_t help_width();

// The candidate closest to `word` when it is a likely typo of it (an edit or two away); else empty.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

// The hint that ends a usage error: "(see 'dvdcli mount --help')", or "(see 'dvdcli --help')".
std::string help_hint(const std::string& program, const CommandSpec* command);

}  // namespace volumecli::cli
