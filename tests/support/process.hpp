#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define VOLUMECLI_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VOLUMECLI_TEST_UNDER_ASAN 1
#endif
#endif

namespace volumecli::test {

struct ProcessOptions {
    // Changes to the inherited environment: a value sets the variable, std::nullopt unsets it.
    std::map<std::string, std::optional<std::string>> env;
    // Working directory of the child; empty keeps ours.
    std::string cwd;
    // After this the child's process group is killed with SIGKILL, so a hung binary fails the
    // test instead of hanging it.
    std::chrono::milliseconds hard_limit{std::chrono::seconds(30)};
};

// False in a build under AddressSanitizer (whose programs run under it too): its shadow memory and
// quarantine make a child's peak RSS say nothing about the program's own memory.
#ifdef VOLUMECLI_TEST_UNDER_ASAN
constexpr bool k_peak_rss_is_meaningful = false;
#else
constexpr bool k_peak_rss_is_meaningful = true;
#endif

struct ProcessResult {
    int exit_code = -1;   // the exit status, or -1 when the child died from a signal
    int signal = 0;       // the signal that ended the child, else 0
    bool killed = false;  // true when hard_limit expired and we killed it
    std::string out;      // everything written to stdout
    std::string err;      // everything written to stderr
    std::chrono::milliseconds wall_time{0};
    long peak_rss_kib = -1;  // run_process: the child's peak resident set (ru_maxrss), in KiB

    // One-line description for failure messages: exit code, signal, timings, both streams.
    [[nodiscard]] std::string describe() const;
};

// Runs argv[0] (an absolute path; no PATH lookup, no shell unless argv says /bin/sh -c) with
// stdin from /dev/null, stdout and stderr captured separately. Throws std::runtime_error when
// the program cannot be started at all.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// A program running in the background (e.g. a plugin server) with stdout and stderr collected
// by a thread. The destructor stops it (SIGTERM, then SIGKILL after a grace period).
class BackgroundProcess {
public:
    BackgroundProcess(const std::vector<std::string>& argv, const ProcessOptions& options = {});
    ~BackgroundProcess();
    BackgroundProcess(const BackgroundProcess&) = delete;
    BackgroundProcess& operator=(const BackgroundProcess&) = delete;

    [[nodiscard]] int pid() const;
    // True while the process has not exited.
    [[nodiscard]] bool running();
    // Sends `signal`, waits up to `grace` for the exit (then SIGKILLs) and returns the outcome.
    // Later calls return the same result.
    ProcessResult stop(int signal, std::chrono::milliseconds grace = std::chrono::seconds(5));

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace volumecli::test
