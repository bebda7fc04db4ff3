#pragma once

#include <stdexcept>
#include <string>

namespace volumecli {

// Process exit codes; each Error subclass maps to exactly one of them.
enum class ExitCode : int {
    success = 0,
    driver_error = 1,  // the driver reported an error (including "no such volume")
    usage = 2,         // bad flags, options, names or environment
    unreachable = 3,   // driver not found, not reachable, TLS failure, bad spec file
    timeout = 4,       // a call or a wait ran past its deadline
    protocol = 5,      // the driver answered something the protocol does not allow
    output = 6,        // the result could not be written to stdout (what this run mounted is rolled back)
};

// `text` made safe for one line of a terminal or log: every C0 control character (newline, tab,
// ESC and NUL included), DEL, every C1 control (U+0080 to U+009F) and every byte that is not part
// of valid UTF-8 becomes \xNN (one per byte); everything else, backslash included, is kept. So
// applying it twice changes nothing more.
std::string printable_text(const std::string& text);

// True when `text` is valid UTF-8 (no overlong form, surrogate or code point past U+10FFFF).
bool is_utf8(const std::string& text);

// True when `text` is valid UTF-8 with no C0 control, DEL or C1 control: it prints as it is.
bool is_printable_text(const std::string& text);

// Root of every error the library and the tools throw. what() is one line of context, made
// printable_text when the error is constructed, so a plugin's words (a NUL, an ESC sequence, a
// newline) can neither cut the message short nor reach a terminal raw.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(printable_text(message)) {}
    explicit Error(const char* message) : Error(std::string(message)) {}
    [[nodiscard]] virtual ExitCode exit_code() const noexcept = 0;
};

// Bad input from the user or the environment (flags, option strings, names, env vars).
class UsageError : public Error {
public:
    using Error::Error;
    [[nodiscard]] ExitCode exit_code() const noexcept override { return ExitCode::usage; }
};

// The driver understood the request and said no.
class DriverError : public Error {
public:
    using Error::Error;
    [[nodiscard]] ExitCode exit_code() const noexcept override { return ExitCode::driver_error; }
};

// The driver could not be found or reached.
class UnreachableError : public Error {
public:
    using Error::Error;
    [[nodiscard]] ExitCode exit_code() const noexcept override { return ExitCode::unreachable; }
};

// A transient transport failure (refused, reset, closed before any reply): worth retrying.
class TransportError : public UnreachableError {
public:
    using UnreachableError::UnreachableError;
};

// A deadline expired.
class TimeoutError : public Error {
public:
    using Error::Error;
    [[nodiscard]] ExitCode exit_code() const noexcept override { return ExitCode::timeout; }
};

// The driver's reply broke the protocol (not JSON, truncated, too large, bad mountpoint, ...).
class ProtocolError : public Error {
public:
    using Error::Error;
    [[nodiscard]] ExitCode exit_code() const noexcept override { return ExitCode::protocol; }
};

// The result could not be written to stdout (full, closed, a pipe nobody reads).
class OutputError : public Error {
public:
    using Error::Error;
    [[nodiscard]] ExitCode exit_code() const noexcept override { return ExitCode::output; }
};

// `driver "NAME": `, the context every error about a driver starts with. The name is escaped with the
// rest of the message (printable_text) when the error is made.
std::string driver_context(const std::string& driver);

// Rethrows `current` (which must be a volumecli::Error) with `prefix` prepended to its message,
// keeping its type. Used to add driver/volume/operation context as errors travel up.
[[noreturn]] void rethrow_with_context(const Error& current, const std::string& prefix);

}  // namespace volumecli
