#pragma once

// Shell completion: what `dvdcli __complete WORDS...` prints for the completion scripts in
// cli/completions/, read from the flag table so that the scripts cannot drift from the parser.

#include <functional>
#include <string>
#include <vector>

namespace volumecli::cli {

// Where values that depend on the host come from; each returns nothing when it cannot tell.
struct CompletionSources {
    std::function<std::vector<std::string>()> drivers;  // plugin names found now, and the built-in ones
    // The volumes of the driver that `words` name (with a short timeout: a dead plugin must not
    // freeze the shell).
    std::function<std::vector<std::string>(const std::vector<std::string>& words)> volumes;
};

// The reply for completing the last of `words` (the words after the program name; the last may
// be empty): a first line saying how the shell completes — "words" (the lines that follow),
// "files", "directories" or "commands" — a second line with the part of the last word before the
// text to complete as a file or command ("--cacert=", or empty), then the candidate words, whole.
std::string complete(const std::string& program, const std::vector<std::string>& words,
                     const CompletionSources& sources);

}  // namespace volumecli::cli
