#pragma once

namespace volumecli::cli {

// Runs dvdcli with the process's arguments and environment; returns the exit code.
// The only place where errors become stderr lines and exit codes.
int run(int argc, char** argv);

}  // namespace volumecli::cli
