#include "app.hpp"

#include "check_command.hpp"
#include "completion.hpp"
#include "flag_table.hpp"
#include "given_flags.hpp"
#include "options.hpp"
#include "printer.hpp"

#include <volumecli/conformance.hpp>
#include <volumecli/discovery.hpp>
#include <volumecli/error.hpp>
#include <volumecli/flocker_driver.hpp>
#include <volumecli/local_driver.hpp>
#include <volumecli/managed_plugins.hpp>
#include <volumecli/mount_id.hpp>
#include <volumecli/operations.hpp>
#include <volumecli/plugin_driver.hpp>
#include <volumecli/retry.hpp>
#include <volumecli/scoped_driver.hpp>
#include <volumecli/task.hpp>
#include <volumecli/volume_lock.hpp>

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <optional>

extern char** environ;

namespace volumecli::cli {

namespace {

// How long a process waits for another one's lock on a volume without --timeout: the longest
// default timeout of a single plugin call (Create, Mount), so a holder stuck in one call that
// ends by timing out hands over before the waiter gives up.
constexpr std::chrono::milliseconds k_default_lock_wait{120000};

void on_sigpipe(int /*signal*/) {}

// A write to a pipe nobody reads must fail with EPIPE, to be reported and rolled back, not kill
// us. A handler rather than SIG_IGN: an ignored signal stays ignored in exec's task, a handler
// does not survive execve.
void ignore_sigpipe()
{
    struct sigaction action {};
    action.sa_handler = on_sigpipe;
    ::sigemptyset(&action.sa_mask);
    ::sigaction(SIGPIPE, &action, nullptr);
}

// stderr, one line per message, "<program>: <level>: <message>", with the message made
// printable_text: log lines quote plugins' words, which must not reach a terminal raw.
class PrintableStderrSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
public:
    // Starts each line with the UTC time to the millisecond (--log-timestamps).
    void show_time(bool show) { m_show_time = show; }

protected:
    void sink_it_(const spdlog::details::log_msg& message) override
    {
        const auto level = spdlog::level::to_string_view(message.level);
        std::string line = m_show_time ? utc_time(message.time) + " " : std::string();
        line.append(message.logger_name.data(), message.logger_name.size());
        line += ": ";
        line.append(level.data(), level.size());
        line += ": ";
        line += printable_text(std::string(message.payload.data(), message.payload.size()));
        line += "\n";
        static_cast<void>(std::fwrite(line.data(), 1, line.size(), stderr));
    }
    void flush_() override { static_cast<void>(std::fflush(stderr)); }

private:
    // "2026-12-05T21:04:05.123Z"
    static std::string utc_time(spdlog::log_clock::time_point when)
    {
        const auto since_epoch = when.time_since_epoch();
        const std::time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
        const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
        std::tm parts{};
        ::gmtime_r(&seconds, &parts);
        char text[32];
        const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
        char fraction[8];
        std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(millis));
        return std::string(text, length) + fraction;
    }

    bool m_show_time = false;
};

void set_up_logging(const std::string& program)
{
    auto logger = std::make_shared<spdlog::logger>(program, std::make_shared<PrintableStderrSink>());
    logger->set_level(spdlog::level::warn);
    spdlog::set_default_logger(std::move(logger));
}

void show_log_time(bool show)
{
    for (const auto& sink : spdlog::default_logger()->sinks()) {
        if (auto* printable = dynamic_cast<PrintableStderrSink*>(sink.get())) {
            printable->show_time(show);
        }
    }
}

void apply_log_level(LogLevel level)
{
    static constexpr spdlog::level::level_enum k_levels[] = {
        spdlog::level::trace, spdlog::level::debug,    spdlog::level::info, spdlog::level::warn,
        spdlog::level::err,   spdlog::level::critical, spdlog::level::off};
    spdlog::set_level(k_levels[static_cast<int>(level)]);
}

std::optional<std::string> from_process_environment(const char* name)
{
    if (const char* value = std::getenv(name)) {
        return std::string(value);
    }
    return std::nullopt;
}

std::unique_ptr<Driver> open_flocker_driver(const CliOptions& options, const std::string& name_key)
{
    FlockerSettings settings;
    settings.control_host = options.flocker.control_host;
    settings.control_port = options.flocker.control_port;
    settings.node_uuid = options.flocker.node_uuid;
    const auto given = [](const std::string& value) {
        return value.empty() ? std::nullopt : std::optional<std::string>(value);
    };
    settings.ca_file = given(options.tls_files.ca_file);
    settings.cert_file = given(options.tls_files.cert_file);
    settings.key_file = given(options.tls_files.key_file);
    settings.name_key = !name_key.empty() ? name_key : options.flocker.name_key.value_or(settings.name_key);
    settings.wait_timeout = options.flocker.wait_timeout.value_or(settings.wait_timeout);
    settings.timeout = options.timeout;
    settings.retry.window = options.retry_window;
    settings.started = options.started;
    try {
        return make_flocker_driver(options.driver, settings);
    } catch (const Error& error) {
        rethrow_with_context(error, driver_context(options.driver));
    }
}

// "--cacert, --cert and --key", for messages.
std::string certificate_flags()
{
    return flag_text(&GivenFlags::ca_file) + ", " + flag_text(&GivenFlags::cert_file) + " and " +
           flag_text(&GivenFlags::key_file);
}

// A driver, and the key its volumes' locks are taken under: the plugin's resolved address
// (endpoint_lock_key), however it was named, or the built-in driver's own name.
struct OpenedDriver {
    std::unique_ptr<Driver> driver;
    std::string lock_key;
};

// `name_key`: the Flocker metadata key naming volumes, when the caller fixes it (FLOCKER_ID).
OpenedDriver open_driver(const CliOptions& options, const std::string& name_key = {})
{
    if (options.driver == "local" && !options.plugin_address) {
        // Built in, as in Docker: no plugin is looked for.
        LocalSettings settings;
        settings.root = options.local_root;
        settings.lock_timeout = options.timeout.value_or(settings.lock_timeout);
        return {make_local_driver(options.driver, settings), options.driver};
    }
    if (options.program == "flockercli") {
        return {open_flocker_driver(options, name_key), options.driver};
    }
    PluginSettings settings;
    settings.timeout = options.timeout;
    settings.retry.window = options.retry_window;
    Endpoint endpoint;
    std::optional<discovery::ManagedPlugin> managed;
    if (options.plugin_address) {
        endpoint = parse_endpoint_url(*options.plugin_address);
        endpoint.tls_files = options.tls_files;
    } else {
        discovery::validate_plugin_name(options.driver);
        // A Docker plugin called "flocker" wins, as in dvdcli; without one, the control service.
        bool control_service = false;
        try {
            control_service =
                options.driver == "flocker" && !discovery::find_plugin(options.driver, options.search_paths);
            if (!control_service) {
                auto location =
                    discovery::locate_plugin(options.driver, options.search_paths, options.docker_root, settings.retry);
                endpoint = std::move(location.endpoint);
                managed = std::move(location.managed);
            }
        } catch (const Error& error) {
            rethrow_with_context(error, driver_context(options.driver));
        }
        if (control_service) {
            return {open_flocker_driver(options, name_key), options.driver};  // names the driver itself
        }
    }
    if (!options.plugin_address && (!options.tls_files.ca_file.empty() || !options.tls_files.cert_file.empty() ||
                                    !options.tls_files.key_file.empty())) {
        throw UsageError(certificate_flags() + " apply to an https " + flag_text(&GivenFlags::plugin_address) +
                         " or the Flocker driver only");
    }
    std::string lock_key = endpoint_lock_key(endpoint);
    if (managed) {
        // As dockerd: a managed plugin is never activated, and its mountpoints are in its own
        // filesystem namespace.
        settings.activate = false;
        return {make_scoped_driver(make_plugin_driver(options.driver, endpoint, settings), managed->filesystem),
                std::move(lock_key)};
    }
    return {make_plugin_driver(options.driver, endpoint, settings), std::move(lock_key)};
}

// Serialises the commands that change a volume (mount, unmount, create, remove) between
// processes on this host, so that, say, 20 concurrent mounts of a new volume send one Create.
// Taken after discovery (a plugin that is still starting up is waited for without blocking
// others) and before the first call to the driver. Key: the driver's lock key (OpenedDriver) and
// the volume name as given.
VolumeLock lock_for(const CliOptions& options, const std::string& driver, const std::string& lock_key,
                    const std::string& volume)
{
    try {
        return lock_volume(options.run_dir, lock_key, volume, options.timeout.value_or(k_default_lock_wait));
    } catch (const Error& error) {
        rethrow_with_context(error, driver_context(driver));
    }
}

bool changes_volume(Command command)
{
    return command == Command::mount || command == Command::unmount || command == Command::create ||
           command == Command::remove;
}

EnvironmentList process_environment()
{
    EnvironmentList environment;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string text = *entry;
        const auto equals = text.find('=');
        if (equals != std::string::npos) {
            environment.emplace_back(text.substr(0, equals), text.substr(equals + 1));
        }
    }
    return environment;
}

// dvdcli exec: volumes from the environment first (slot order, then FLOCKER_ID), then --volume.
int execute_task(const CliOptions& options)
{
    const EnvironmentList environment = process_environment();
    // flockercli is the Flocker tool: its task volumes are Flocker datasets unless they say otherwise.
    const bool flocker_tool = options.program == "flockercli";
    std::vector<TaskVolume> volumes = task_volumes_from_environment(environment, flocker_tool ? "flocker" : "rexray");
    for (std::size_t i = 0; i < options.volume_flags.size(); ++i) {
        volumes.push_back(parse_volume_flag(options.volume_flags[i], i + 1));
    }
    for (const auto& volume : volumes) {
        if (flocker_tool && volume.driver != "flocker" && volume.driver != "local") {
            throw UsageError(volume.origin +
                             ": flockercli mounts Flocker (and local) volumes only; use dvdcli for "
                             "driver \"" +
                             volume.driver + "\"");
        }
    }
    std::map<std::string, OpenedDriver> drivers;
    const auto opened_for = [&](const TaskVolume& volume) -> OpenedDriver& {
        const std::string key = volume.driver + "\n" + volume.name_key;
        auto& opened = drivers[key];
        if (!opened.driver) {
            CliOptions driver_options = options;
            driver_options.driver = volume.driver;
            driver_options.plugin_address.reset();
            opened = open_driver(driver_options, volume.name_key);
        }
        return opened;
    };
    TaskSettings settings;
    settings.open_driver = [&](const TaskVolume& volume) -> Driver& { return *opened_for(volume).driver; };
    settings.mount_id = [](const TaskVolume& /*volume*/) { return random_mount_id(); };
    settings.lock_volume = [&](const TaskVolume& volume) {
        return lock_for(options, volume.driver, opened_for(volume).lock_key, volume.name);
    };
    return run_task(volumes, options.exec_command, environment, settings);
}

// Writes the whole result to stdout and flushes it. Throws OutputError with the reason when
// any of it cannot be written (a full device, a closed stdout, a pipe nobody reads: EPIPE, as
// SIGPIPE does not kill us).
void write_stdout(const std::string& text)
{
    if (text.empty()) {
        return;
    }
    errno = 0;
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
        const int error = errno;
        std::clearerr(stdout);
        throw OutputError(std::string("cannot write the result to standard output: ") +
                          (error != 0 ? std::strerror(error) : "write failed"));
    }
}

// The result of a mount that did not reach the caller: the caller believes it failed, so what
// this run added is taken back (Unmount with the same ID, under the same lock). A hold that
// existed before this run (perhaps this same ID's, from an earlier mount) is left alone: an
// Unmount would release someone else's mount.
[[noreturn]] void roll_back_mount(Driver& driver, const MountResult& mounted, const std::string& mount_id,
                                  const OutputError& failure)
{
    const std::string what = std::string(failure.what()) + "; ";
    if (!mounted.mounted_by_this_run) {
        throw OutputError(what + "volume \"" + mounted.name +
                          "\" was mounted before this run (or its driver cannot tell), so it is not rolled back");
    }
    try {
        driver.unmount(mounted.name, mount_id);
    } catch (const Error& error) {
        throw OutputError(what + "rollback Unmount \"" + mounted.name +
                          "\" failed, the volume stays mounted: " + error.what());
    }
    throw OutputError(what + "rolled back: volume \"" + mounted.name + "\" unmounted with the same ID");
}

// Runs one command and writes its result while the volume's lock is held, so a rollback
// happens before anyone else acts on the volume.
void execute(const CliOptions& options)
{
    const auto opened = open_driver(options);
    Driver& driver = *opened.driver;
    std::optional<VolumeLock> lock;
    if (changes_volume(options.command)) {
        lock.emplace(lock_for(options, options.driver, opened.lock_key, options.volume));
    }
    const std::string mount_id = options.mount_id.value_or(default_mount_id(options.driver, options.volume));
    const auto in_context = [&](const auto& function) {
        try {
            return function();
        } catch (const Error& error) {
            rethrow_with_context(error, driver_context(options.driver));
        }
    };
    switch (options.command) {
        case Command::mount: {
            MountRequest request{options.volume, options.volume_options, options.explicit_create, mount_id,
                                 "--volumeopts"};
            const MountResult mounted = mount_volume(driver, request);
            try {
                write_stdout(render_mount(mounted, options.format));
            } catch (const OutputError& failure) {
                roll_back_mount(driver, mounted, mount_id, failure);
            }
            return;
        }
        case Command::unmount: unmount_volume(driver, options.volume, mount_id); return;
        case Command::path: write_stdout(render_mount(volume_path(driver, options.volume), options.format)); return;
        case Command::create:
            create_volume(driver, options.volume, options.volume_options);
            try {
                write_stdout(render_created(options.volume, options.format));
            } catch (const OutputError& failure) {
                // Never removed: Create of an existing volume succeeds, and its data would go.
                throw OutputError(std::string(failure.what()) + "; volume \"" + options.volume + "\" was created");
            }
            return;
        case Command::remove: remove_volume(driver, options.volume); return;
        case Command::get: {
            const Volume volume = get_volume(driver, options.volume);
            write_stdout(in_context([&] { return render_volume(volume, options.format); }));
            return;
        }
        case Command::list: {
            const auto volumes = list_volumes(driver);
            write_stdout(in_context([&] { return render_list(volumes, options.format); }));
            return;
        }
        case Command::capabilities:
            write_stdout(render_capabilities(driver_capabilities(driver), options.format));
            return;
        case Command::version: write_stdout(render_version()); return;
        case Command::exec:   // handled by execute_task
        case Command::check:  // handled by execute_check
            break;
    }
}

// dvdcli check drives the plugin call by call over its own transport, so that every raw reply
// can be checked; it needs the plugin's address, not a Driver.
int execute_check(const CliOptions& options)
{
    if (options.check.list) {
        write_stdout(render_check_list(options.check, options.format));
        return 0;
    }
    if (options.program == "flockercli" || (options.driver == "local" && !options.plugin_address)) {
        throw UsageError("check tests Docker volume plugins; the built-in \"" + options.driver +
                         "\" driver is not one");
    }
    CheckSettings settings;
    settings.volume = options.volume.empty() ? scratch_volume_name() : options.volume;
    settings.options = options.volume_options;
    settings.timeout = options.timeout;
    settings.slow = options.check.slow;
    settings.keep = options.check.keep;
    settings.selected = check_selection(options.check);
    Endpoint endpoint;
    if (options.plugin_address) {
        endpoint = parse_endpoint_url(*options.plugin_address);
        endpoint.tls_files = options.tls_files;
    } else {
        if (!options.tls_files.ca_file.empty() || !options.tls_files.cert_file.empty() ||
            !options.tls_files.key_file.empty()) {
            throw UsageError(certificate_flags() + " apply to an https " + flag_text(&GivenFlags::plugin_address) +
                             " only");
        }
        RetryPolicy retry;
        retry.window = options.retry_window;
        try {
            auto location = discovery::locate_plugin(options.driver, options.search_paths, options.docker_root, retry);
            endpoint = std::move(location.endpoint);
            if (location.managed) {
                settings.activate = false;
                settings.filesystem = location.managed->filesystem;
            }
        } catch (const Error& error) {
            rethrow_with_context(error, driver_context(options.driver));
        }
    }
    // A stop signal ends the checks at the next one; the scratch volumes are released first.
    StopSignals signals;
    settings.stop_requested = [&signals] { return signals.stop_requested(); };
    CheckReport report;
    try {
        report = run_conformance_check(options.driver, endpoint, settings);
    } catch (const Error& error) {
        rethrow_with_context(error, driver_context(options.driver));
    }
    if (options.check.junit_file) {
        write_report_file(*options.check.junit_file, junit_report(report));
    }
    write_stdout(render_check(report, options.format));
    if (report.interrupted) {
        return 128 + signals.signal();
    }
    return report.passed() ? 0 : static_cast<int>(ExitCode::driver_error);
}

// What the completion scripts offer (completion.hpp): `dvdcli __complete WORDS...`. Values that
// depend on the host come from discovery and from the driver the words name, asked with a short
// timeout and no retry so that a dead plugin never freezes the shell; every failure offers nothing.
int complete_words(const std::string& program, const std::vector<std::string>& words)
{
    CompletionSources sources;
    sources.drivers = [&program] {
        if (program == "flockercli") {
            return std::vector<std::string>{"flocker"};
        }
        std::vector<std::string> names = {"local"};
        try {
            for (auto& name : discovery::plugin_names(search_paths_from(from_process_environment))) {
                names.push_back(std::move(name));
            }
        } catch (const Error&) {
        }
        return names;
    };
    sources.volumes = [&program](const std::vector<std::string>& given) {
        // The words that say which driver and how to reach it, then a quick `list`.
        std::vector<std::string> argv = {program, "list", flag_text(&GivenFlags::timeout) + "=2",
                                         flag_text(&GivenFlags::retry_timeout) + "=0",
                                         flag_text(&GivenFlags::log_level) + "=off"};
        for (std::size_t i = 0; i + 1 < given.size(); ++i) {
            const std::string& word = given[i];
            const auto equals = word.find('=');
            const FlagSpec* flag = word.rfind("--", 0) == 0 ? find_flag(word.substr(2, equals - 2)) : nullptr;
            if (flag == nullptr || (flag->group == FlagGroup::global ||
                                    (flag->group == FlagGroup::command && flag->text != &GivenFlags::driver))) {
                continue;
            }
            argv.push_back(word);
            if (equals == std::string::npos && flag->kind != ValueKind::toggle && i + 2 < given.size()) {
                argv.push_back(given[++i]);
            }
        }
        std::vector<const char*> pointers;
        for (const auto& word : argv) {
            pointers.push_back(word.c_str());
        }
        pointers.push_back(nullptr);
        std::vector<std::string> names;
        try {
            const auto parsed =
                parse_command_line(static_cast<int>(argv.size()), pointers.data(), from_process_environment);
            if (parsed.options) {
                const auto opened = open_driver(*parsed.options);
                for (auto& volume : list_volumes(*opened.driver)) {
                    names.push_back(std::move(volume.name));
                }
            }
        } catch (const std::exception&) {
            names.clear();
        }
        return names;
    };
    write_stdout(complete(program, words, sources));
    return 0;
}

}  // namespace

int run(int argc, char** argv)
{
    const auto started = std::chrono::steady_clock::now();
    ignore_sigpipe();
    set_up_logging(program_name(argc > 0 ? argv[0] : nullptr));
    try {
        if (argc >= 2 && std::string(argv[1]) == "__complete") {
            apply_log_level(LogLevel::off);
            return complete_words(program_name(argv[0]), std::vector<std::string>(argv + 2, argv + argc));
        }
        ParseResult parsed = parse_command_line(argc, argv, from_process_environment);
        if (!parsed.options) {
            write_stdout(parsed.output);
            return 0;
        }
        parsed.options->started = started;
        apply_log_level(parsed.options->log_level);
        show_log_time(parsed.options->log_timestamps);
        if (parsed.options->command == Command::exec) {
            return execute_task(*parsed.options);
        }
        if (parsed.options->command == Command::check) {
            return execute_check(*parsed.options);
        }
        execute(*parsed.options);
        return 0;
    } catch (const Error& error) {
        spdlog::error(error.what());
        return static_cast<int>(error.exit_code());
    } catch (const std::exception& error) {
        spdlog::error("internal error: {}", printable_text(error.what()));
        return static_cast<int>(ExitCode::driver_error);
    }
}

}  // namespace volumecli::cli
