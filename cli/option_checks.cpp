// From the flags as given to the options a command runs with: the DVDCLI_* environment, defaults,
// and every check of a value (durations, directories, UTF-8, which flags go together).

#include "flag_table.hpp"
#include "given_flags.hpp"

#include <volumecli/error.hpp>
#include <volumecli/options.hpp>

#include <cmath>
#include <cstdlib>
#include <regex>

namespace volumecli::cli {

namespace {

using std::chrono::milliseconds;

// The bounds of --timeout and --wait-timeout (--retry-timeout may be 0), in seconds.
constexpr double k_min_timeout = 0.001;
constexpr double k_max_seconds = 86400.0;

milliseconds to_milliseconds(double seconds)
{
    return milliseconds(static_cast<long long>(std::llround(seconds * 1000.0)));
}

std::string seconds_text(double value)
{
    std::string out = std::to_string(value);
    out.erase(out.find_last_not_of('0') + 1);
    if (out.back() == '.') {
        out.pop_back();
    }
    return out;
}

// A duration flag's value: decimal seconds only, digits with at most one dot ("3", "0.5", ".5",
// "86400.000"), within [min, max]. No unit ("3s"), sign, hex ("0x10"), exponent ("1e3"), "inf"
// or "nan", though strtod would take them.
milliseconds read_seconds(const std::string& text, std::optional<std::string> GivenFlags::*field, double min,
                          double max)
{
    bool dot = false;
    bool digit = false;
    for (const char c : text) {
        if (c == '.' && !dot) {
            dot = true;
        } else if (c >= '0' && c <= '9') {
            digit = true;
        } else {
            digit = false;
            break;
        }
    }
    const std::string flag = flag_text(field);
    const std::string range = "from " + seconds_text(min) + " to " + seconds_text(max) + " seconds";
    if (!digit) {
        throw UsageError(flag + ": \"" + text + "\" is not a number of seconds (decimal, e.g. 3 or 0.5; " + range +
                         ")");
    }
    const double seconds = std::strtod(text.c_str(), nullptr);
    if (seconds < min || seconds > max) {
        throw UsageError(flag + ": " + text + " seconds is out of range (" + range + ")");
    }
    return to_milliseconds(seconds);
}

std::string absolute_dir(const std::string& dir, const std::string& source)
{
    if (dir.empty() || dir.front() != '/') {
        throw UsageError(source + ": \"" + dir + "\" is not an absolute path");
    }
    return dir;
}

// A variable that turns a switch on: 1 or true; 0, false or empty leave it to the flag; anything
// else is a usage error.
bool switched_on(const Environment& environment, const char* name)
{
    const auto value = environment(name);
    if (!value || value->empty() || *value == "0" || *value == "false") {
        return false;
    }
    if (*value != "1" && *value != "true") {
        throw UsageError(std::string(name) + ": expected 1, true, 0 or false, not \"" + *value + "\"");
    }
    return true;
}

}  // namespace

discovery::SearchPaths search_paths_from(const Environment& environment)
{
    discovery::SearchPaths paths;
    if (const auto socket_dir = environment("DVDCLI_SOCKET_DIR")) {
        paths.socket_dir = absolute_dir(*socket_dir, "DVDCLI_SOCKET_DIR");
    }
    if (const auto spec_dirs = environment("DVDCLI_SPEC_DIRS")) {
        paths.spec_dirs.clear();
        std::size_t start = 0;
        while (start <= spec_dirs->size()) {
            const auto colon = spec_dirs->find(':', start);
            const auto dir = spec_dirs->substr(start, colon == std::string::npos ? std::string::npos : colon - start);
            if (!dir.empty()) {
                paths.spec_dirs.push_back(absolute_dir(dir, "DVDCLI_SPEC_DIRS"));
            }
            if (colon == std::string::npos) {
                break;
            }
            start = colon + 1;
        }
    }
    return paths;
}

namespace {

// Values that travel in a JSON body must be UTF-8: Docker's Go encoder would replace a bad byte
// with U+FFFD and send a name other than the one given, so they are refused instead.
void check_utf8(const std::string& value, const std::string& flag)
{
    if (!is_utf8(value)) {
        throw UsageError(flag + " is not valid UTF-8: \"" + value + "\"");
    }
}

void check_text(const std::string& value, const std::string& flag)
{
    for (const char c : value) {
        if (c == '\0' || c == '\n' || c == '\r') {
            throw UsageError(flag + " must not contain newlines or NUL");
        }
    }
    check_utf8(value, flag);
}

bool needs_volume(Command command)
{
    return command != Command::list && command != Command::capabilities && command != Command::version &&
           command != Command::exec && command != Command::check;
}

// Log level, discovery, managed plugins, local root and run directory: flags over DVDCLI_*.
void read_environment(const GivenFlags& given, const Environment& environment, CliOptions& options)
{
    if (auto level = environment("DVDCLI_LOG_LEVEL"); level && !level->empty()) {
        options.log_level = parse_log_level(*level, "DVDCLI_LOG_LEVEL");
    }
    if (given.log_level) {
        options.log_level = parse_log_level(*given.log_level, flag_text(&GivenFlags::log_level).c_str());
    }
    options.log_timestamps = given.log_timestamps || switched_on(environment, "DVDCLI_LOG_TIMESTAMPS");
    options.search_paths = search_paths_from(environment);
    const bool managed_plugins = given.managed_plugins || switched_on(environment, "DVDCLI_MANAGED_PLUGINS");
    if (given.docker_root) {
        // Naming dockerd's data root asks for its managed plugins.
        options.docker_root = absolute_dir(*given.docker_root, flag_text(&GivenFlags::docker_root));
    } else if (managed_plugins) {
        options.docker_root = "/var/lib/docker";
    }
    if (const auto local_root = environment("DVDCLI_LOCAL_ROOT")) {
        options.local_root = absolute_dir(*local_root, "DVDCLI_LOCAL_ROOT");
    }
    if (given.run_dir) {
        options.run_dir = absolute_dir(*given.run_dir, flag_text(&GivenFlags::run_dir));
    } else if (const auto run_dir_variable = environment("DVDCLI_RUN_DIR");
               run_dir_variable && !run_dir_variable->empty()) {
        options.run_dir = absolute_dir(*run_dir_variable, "DVDCLI_RUN_DIR");
    } else {
        options.run_dir = default_run_dir(environment);
    }
}

// Later options override earlier ones and a comma-less piece continues the option just before it.
VolumeOptions volume_options_of(const GivenFlags& given)
{
    VolumeOptionsBuilder builder;
    for (const auto& [split, text] : given.option_words) {
        if (split) {
            builder.add_split(text);
        } else {
            builder.add_single(text);
        }
    }
    for (const auto& [key, value] : builder.options()) {
        check_utf8(key, "--volumeopts");
        check_utf8(value, "--volumeopts");
    }
    return builder.options();
}

// --plugin-addr and its certificates, and the Flocker control-service flags.
void read_connection(const GivenFlags& given, bool flocker_tool, CliOptions& options)
{
    options.tls_files.ca_file = given.ca_file.value_or("");
    options.tls_files.cert_file = given.cert_file.value_or("");
    options.tls_files.key_file = given.key_file.value_or("");
    if (given.plugin_address && !given.plugin_address->empty()) {
        const std::string flag = flag_text(&GivenFlags::plugin_address);
        if (flocker_tool) {
            throw UsageError("flockercli talks to the Flocker control service: " + flag + " does not apply");
        }
        check_text(*given.plugin_address, flag);
        options.plugin_address = given.plugin_address;
        if (options.tls_files.cert_file.empty() != options.tls_files.key_file.empty()) {
            throw UsageError(flag_text(&GivenFlags::cert_file) + " and " + flag_text(&GivenFlags::key_file) +
                             " go together");
        }
    }
    for (const auto& [field, target] : {std::pair{&GivenFlags::control_host, &options.flocker.control_host},
                                        std::pair{&GivenFlags::control_port, &options.flocker.control_port},
                                        std::pair{&GivenFlags::node_uuid, &options.flocker.node_uuid},
                                        std::pair{&GivenFlags::name_key, &options.flocker.name_key}}) {
        if (const auto& value = given.*field) {
            check_text(*value, flag_text(field));
            *target = value;
        }
    }
    if (given.wait_timeout) {
        options.flocker.wait_timeout =
            read_seconds(*given.wait_timeout, &GivenFlags::wait_timeout, k_min_timeout, k_max_seconds);
    }
}

// The driver (flockercli's is Flocker), the volume and the mount ID.
void read_volume(const GivenFlags& given, bool flocker_tool, CliOptions& options)
{
    std::string driver = given.driver.value_or("");
    if (flocker_tool) {
        if (!driver.empty() && driver != "flocker") {
            throw UsageError("flockercli uses the Flocker driver: " + flag_text(&GivenFlags::driver) + "=" + driver +
                             " does not apply");
        }
        driver = "flocker";
    }
    options.driver = driver.empty() && options.plugin_address ? *options.plugin_address : driver;
    if (options.driver.empty() && options.command != Command::exec &&
        !(options.command == Command::check && options.check.list)) {
        throw UsageError("missing " + flag_text(&GivenFlags::driver) + " for " + command_name(options.command));
    }
    const std::string volume_flag = flag_text(&GivenFlags::volume);
    if (needs_volume(options.command) && given.volume.value_or("").empty()) {
        throw UsageError("missing " + volume_flag + " for " + command_name(options.command));
    }
    if (given.volume) {
        check_text(*given.volume, volume_flag);
        options.volume = *given.volume;
    }
    if (given.mount_id && !given.mount_id->empty()) {
        check_text(*given.mount_id, flag_text(&GivenFlags::mount_id));
        options.mount_id = given.mount_id;
    }
}

// A --run or --skip pattern: it must compile (std::regex, ECMAScript).
std::optional<std::string> read_pattern(const std::optional<std::string>& pattern,
                                        std::optional<std::string> GivenFlags::*field)
{
    if (!pattern) {
        return std::nullopt;
    }
    check_utf8(*pattern, flag_text(field));
    try {
        const std::regex compiled(*pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
        throw UsageError(flag_text(field) + ": \"" + *pattern + "\" is not a regular expression (" + error.what() +
                         ")");
    }
    return pattern;
}

// check's flags: --list, --run, --skip, --junit, --slow, --keep.
CheckFlags read_check_flags(const GivenFlags& given)
{
    CheckFlags check;
    check.list = given.check_list;
    check.keep = given.keep;
    check.run = read_pattern(given.check_run, &GivenFlags::check_run);
    check.skip = read_pattern(given.check_skip, &GivenFlags::check_skip);
    if (given.junit_file) {
        check_text(*given.junit_file, flag_text(&GivenFlags::junit_file));
        check.junit_file = given.junit_file;
    }
    if (given.slow) {
        const std::string& text = *given.slow;
        const bool digits =
            !text.empty() && text.size() <= 9 && text.find_first_not_of("0123456789") == std::string::npos;
        const long value = digits ? std::strtol(text.c_str(), nullptr, 10) : 0;
        if (value < 1 || value > 86400000) {
            throw UsageError(flag_text(&GivenFlags::slow) + ": \"" + text +
                             "\" is not a number of milliseconds from 1 to 86400000");
        }
        check.slow = std::chrono::milliseconds(value);
    }
    return check;
}

}  // namespace

CliOptions complete_options(GivenFlags given, const std::string& program, const Environment& environment)
{
    const bool flocker_tool = program == "flockercli";
    CliOptions options;
    options.program = program;
    options.command = given.command;
    options.volume_flags = std::move(given.volume_flags);
    options.exec_command = std::move(given.exec_command);
    read_environment(given, environment, options);
    const std::string format = given.format.value_or("text");
    if (format != "text" && format != "json") {
        throw UsageError(flag_text(&GivenFlags::format) + ": expected text or json, not \"" + format + "\"");
    }
    options.format = format == "json" ? OutputFormat::json : OutputFormat::text;
    options.explicit_create = given.explicit_create;
    if (given.retry_timeout) {
        options.retry_window = read_seconds(*given.retry_timeout, &GivenFlags::retry_timeout, 0.0, k_max_seconds);
    }
    if (given.timeout) {
        options.timeout = read_seconds(*given.timeout, &GivenFlags::timeout, k_min_timeout, k_max_seconds);
    }
    options.volume_options = volume_options_of(given);
    options.check = read_check_flags(given);
    read_connection(given, flocker_tool, options);
    read_volume(given, flocker_tool, options);
    return options;
}

}  // namespace volumecli::cli
