#include <volumecli/task.hpp>

#include <volumecli/error.hpp>
#include <volumecli/operations.hpp>
#include <volumecli/options.hpp>

#include "core/text.hpp"
#include "task/container_path.hpp"

#include <spdlog/spdlog.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>

namespace volumecli {

namespace {

constexpr std::array<const char*, 6> k_prefixes = {
    "DVDI_VOLUME_NAME",          "DVDI_VOLUME_DRIVER",         "DVDI_VOLUME_OPTS",
    "DVDI_VOLUME_CONTAINERPATH", "DVDI_VOLUME_EXPLICITCREATE", "DVDI_VOLUME_DVDCLI",
};
enum Field { k_name, k_driver, k_opts, k_container_path, k_explicit_create, k_dvdcli };

void reject_control_characters(const std::string& variable, const std::string& value)
{
    if (value.find_first_of(std::string("\n\0", 2)) != std::string::npos) {
        throw UsageError(variable + ": value contains a newline or NUL");
    }
}

// mesos-module-dvdi's reading, lower(trim(v)) == "true", made strict: "false" and the empty
// value are false, anything else (e.g. "yes", which it silently took as false) is refused.
bool parse_explicit_create(const std::string& variable, std::string value)
{
    value = ascii_lower(trim(value));
    if (value != "true" && value != "false" && !value.empty()) {
        throw UsageError(variable + ": expected true or false, not \"" + value + "\"");
    }
    return value == "true";
}

struct Mounted {
    const TaskVolume* volume;
    Driver* driver;
    std::string mount_id;
    Attached attached;
};

// The volume's lock while its driver calls run, when the caller locks volumes.
std::optional<VolumeLock> hold_lock(const TaskSettings& settings, const TaskVolume& volume)
{
    if (!settings.lock_volume) {
        return std::nullopt;
    }
    return settings.lock_volume(volume);
}

// Undoes `mounted` in reverse order; returns the first failure, having logged every one.
std::exception_ptr release(std::vector<Mounted>& mounted, const TaskSettings& settings)
{
    std::exception_ptr first;
    for (auto it = mounted.rbegin(); it != mounted.rend(); ++it) {
        try {
            detach_volume(it->volume->container_path, it->attached);
            const auto lock = hold_lock(settings, *it->volume);
            unmount_volume(*it->driver, it->volume->name, it->mount_id);
        } catch (const std::exception& error) {
            spdlog::error("{}", error.what());
            if (!first) {
                first = std::current_exception();
            }
        }
    }
    mounted.clear();
    return first;
}

// Every signal whose default action ends the process (man 7 signal: Term and Core), but SIGKILL,
// which cannot be caught, and the real-time signals glibc keeps for itself (below SIGRTMIN).
// While a task runs they are blocked and taken with sigwaitinfo, so none can end this process
// with the volumes still mounted and the command orphaned.
sigset_t terminating_signals()
{
    sigset_t set;
    sigemptyset(&set);
    for (const int signal :
         {SIGHUP,  SIGINT,  SIGQUIT, SIGILL,    SIGTRAP, SIGABRT, SIGBUS,    SIGFPE,  SIGUSR1, SIGSEGV, SIGUSR2,
          SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,   SIGPWR,  SIGSYS}) {
        sigaddset(&set, signal);
    }
    for (int signal = SIGRTMIN; signal <= SIGRTMAX; ++signal) {
        sigaddset(&set, signal);
    }
    return set;
}

// A signal this process raised against itself (SIGPIPE or SIGXFSZ from one of its own writes,
// which then fails with EPIPE or EFBIG): not a request to stop, nothing to pass on.
bool raised_by_self(const siginfo_t& info)
{
    return info.si_code == SI_USER && info.si_pid == ::getpid();
}

// Takes a termination signal that arrived while volumes were being mounted off the queue (so it
// does not strike when the mask is restored), if there is one.
std::optional<int> pending_termination()
{
    const sigset_t termination = terminating_signals();
    const timespec no_wait{0, 0};
    for (;;) {
        siginfo_t info{};
        const int signal = sigtimedwait(&termination, &info, &no_wait);
        if (signal <= 0) {
            return std::nullopt;
        }
        if (!raised_by_self(info)) {
            return signal;
        }
    }
}

// The signal dispositions a task's command starts with: the caller's, as found when run_task
// began (a TLS connection made since may have set SIGPIPE to be ignored in this process).
struct Dispositions {
    std::array<struct sigaction, NSIG> saved{};
    sigset_t mask{};

    void save(const sigset_t& signals)
    {
        for (int signal = 1; signal < static_cast<int>(saved.size()); ++signal) {
            if (sigismember(&signals, signal) == 1) {
                sigaction(signal, nullptr, &saved[static_cast<std::size_t>(signal)]);
            }
        }
    }
    void restore(const sigset_t& signals) const
    {
        for (int signal = 1; signal < static_cast<int>(saved.size()); ++signal) {
            if (sigismember(&signals, signal) == 1) {
                sigaction(signal, &saved[static_cast<std::size_t>(signal)], nullptr);
            }
        }
        sigprocmask(SIG_SETMASK, &mask, nullptr);
    }
};

[[noreturn]] void exec_child(const std::vector<std::string>& command, const EnvironmentList& environment,
                             const Dispositions& dispositions, const sigset_t& signals, pid_t parent)
{
    // If this process dies where it cannot pass a signal on (SIGKILL), the command goes with it
    // rather than run on unwatched; the kernel delivers this even across exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
        ::_exit(128 + SIGKILL);
    }
    dispositions.restore(signals);
    std::vector<std::string> entries;
    entries.reserve(environment.size());
    for (const auto& [name, value] : environment) {
        entries.push_back(name + "=" + value);
    }
    std::vector<char*> envp;
    for (auto& entry : entries) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> arguments = command;
    std::vector<char*> argv;
    for (auto& argument : arguments) {
        argv.push_back(argument.data());
    }
    argv.push_back(nullptr);
    ::execvpe(argv[0], argv.data(), envp.data());
    const int error = errno;
    const std::string message = std::string(program_invocation_short_name) + ": error: cannot run \"" +
                                command.front() + "\": " + std::strerror(error) + "\n";
    const ssize_t ignored = ::write(STDERR_FILENO, message.data(), message.size());
    static_cast<void>(ignored);
    ::_exit(error == ENOENT ? 127 : 126);
}

// Passes every terminating signal on to the command (which decides what it means) until the
// command ends; returns its status, 128+N for a signal.
int wait_forwarding(pid_t child, const sigset_t& signals)
{
    for (;;) {
        siginfo_t info{};
        const int signal = sigwaitinfo(&signals, &info);
        if (signal < 0 || raised_by_self(info)) {
            continue;  // EINTR, or our own SIGPIPE
        }
        if (signal != SIGCHLD) {
            spdlog::info("forwarding signal {} to the command", signal);
            ::kill(child, signal);
            continue;
        }
        int status = 0;
        const pid_t done = ::waitpid(child, &status, WNOHANG);
        if (done == child) {
            return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
        }
    }
}

}  // namespace

std::vector<TaskVolume> task_volumes_from_environment(const EnvironmentList& environment,
                                                      const std::string& default_driver)
{
    struct Slot {
        std::array<std::optional<std::string>, k_prefixes.size()> fields;
        std::string suffix;
    };
    std::array<Slot, 10> slots{};
    std::optional<std::string> flocker_id;
    std::optional<std::string> flocker_path;
    for (const auto& [variable, value] : environment) {
        if (variable == "FLOCKER_ID" || variable == "FLOCKER_CONTAINER_VOLUME_PATH") {
            reject_control_characters(variable, value);
            (variable == "FLOCKER_ID" ? flocker_id : flocker_path) = value;
            continue;
        }
        for (std::size_t field = 0; field < k_prefixes.size(); ++field) {
            const std::string prefix = k_prefixes[field];
            if (variable.compare(0, prefix.size(), prefix) != 0) {
                continue;
            }
            const std::string suffix = variable.substr(prefix.size());
            if (suffix.size() > 1 || (suffix.size() == 1 && (suffix[0] < '0' || suffix[0] > '9'))) {
                throw UsageError(variable + ": expected " + prefix + " or " + prefix + "0 to " + prefix + "9");
            }
            reject_control_characters(variable, value);
            Slot& slot = slots[suffix.empty() ? 0 : static_cast<std::size_t>(suffix[0] - '0')];
            slot.fields[field] = value;
            if (field == k_name) {
                slot.suffix = suffix;
            }
            break;
        }
    }
    std::vector<TaskVolume> volumes;
    for (const Slot& slot : slots) {
        if (!slot.fields[k_name] || slot.fields[k_name]->empty()) {
            continue;
        }
        TaskVolume volume;
        volume.origin = std::string(k_prefixes[k_name]) + slot.suffix;
        volume.name = *slot.fields[k_name];
        volume.driver =
            slot.fields[k_driver] && !slot.fields[k_driver]->empty() ? *slot.fields[k_driver] : default_driver;
        if (slot.fields[k_opts] && !slot.fields[k_opts]->empty()) {
            VolumeOptionsBuilder builder;
            try {
                builder.add_split(*slot.fields[k_opts]);
            } catch (const UsageError& error) {
                throw UsageError(std::string(k_prefixes[k_opts]) + slot.suffix + ": " + error.what());
            }
            volume.options = builder.options();
        }
        volume.container_path = slot.fields[k_container_path].value_or("");
        if (slot.fields[k_explicit_create]) {
            volume.explicit_create = parse_explicit_create(std::string(k_prefixes[k_explicit_create]) + slot.suffix,
                                                           *slot.fields[k_explicit_create]);
        }
        volume.mountpoint_variable = "DVDI_VOLUME_MOUNTPOINT" + slot.suffix;
        volumes.push_back(std::move(volume));
    }
    if (flocker_id && !flocker_id->empty()) {
        TaskVolume volume;
        volume.origin = "FLOCKER_ID";
        volume.driver = "flocker";
        volume.name = *flocker_id;
        volume.name_key = "FLOCKER_ID";
        volume.container_path = flocker_path.value_or("");
        volume.mountpoint_variable = "FLOCKER_VOLUME_MOUNTPOINT";
        volumes.push_back(std::move(volume));
    }
    for (const auto& volume : volumes) {
        if (!volume.container_path.empty()) {
            try {
                validate_container_path(volume.container_path);
            } catch (const UsageError& error) {
                const std::string variable = volume.origin == "FLOCKER_ID"
                                                 ? std::string("FLOCKER_CONTAINER_VOLUME_PATH")
                                                 : std::string(k_prefixes[k_container_path]) +
                                                       volume.origin.substr(std::string(k_prefixes[k_name]).size());
                throw UsageError(variable + ": " + error.what());
            }
        }
    }
    return volumes;
}

TaskVolume parse_volume_flag(const std::string& value, std::size_t position)
{
    TaskVolume volume;
    volume.origin = "--volume=" + value;
    volume.mountpoint_variable = "DVDCLI_VOLUME_MOUNTPOINT" + std::to_string(position);
    reject_control_characters("--volume", value);
    const auto first = value.find(':');
    const auto second = first == std::string::npos ? std::string::npos : value.find(':', first + 1);
    volume.driver = value.substr(0, first);
    volume.name = first == std::string::npos ? std::string() : value.substr(first + 1, second - first - 1);
    if (second != std::string::npos) {
        volume.container_path = value.substr(second + 1);
        if (volume.container_path.empty()) {
            throw UsageError(volume.origin + ": empty container path");
        }
    }
    if (volume.driver.empty() || volume.name.empty()) {
        throw UsageError(volume.origin + ": expected DRIVER:NAME[:CONTAINERPATH]");
    }
    if (!volume.container_path.empty()) {
        try {
            validate_container_path(volume.container_path);
        } catch (const UsageError& error) {
            throw UsageError(volume.origin + ": " + error.what());
        }
    }
    return volume;
}

int run_task(const std::vector<TaskVolume>& volumes, const std::vector<std::string>& command,
             const EnvironmentList& environment, const TaskSettings& settings)
{
    if (command.empty()) {
        throw UsageError("exec: no command given");
    }
    // Signals wait in the queue until we choose to look: before the command starts they abort
    // the run cleanly; afterwards they are passed on to the command.
    sigset_t signals = terminating_signals();
    sigaddset(&signals, SIGCHLD);
    Dispositions dispositions;
    dispositions.save(signals);
    sigprocmask(SIG_BLOCK, &signals, &dispositions.mask);
    struct RestoreMask {
        const sigset_t& mask;
        ~RestoreMask()
        {
            // Signals still queued were aimed at a task that is over (or at our own writes).
            while (pending_termination()) {
            }
            sigprocmask(SIG_SETMASK, &mask, nullptr);
        }
    } restore{dispositions.mask};

    std::vector<Mounted> mounted;
    EnvironmentList command_environment = environment;
    for (const TaskVolume& volume : volumes) {
        try {
            if (const auto signal = pending_termination()) {
                release(mounted, settings);
                spdlog::warn("signal {} before the command started; volumes released", *signal);
                return 128 + *signal;
            }
            Driver& driver = settings.open_driver(volume);
            const std::string mount_id = settings.mount_id(volume);
            MountResult result;
            {
                // Released before the next volume's turn and before the command starts: another
                // process may mount or unmount this volume while the task runs.
                const auto lock = hold_lock(settings, volume);
                result =
                    mount_volume(driver, MountRequest{volume.name, volume.options, volume.explicit_create, mount_id});
            }
            // Should this process be killed (SIGKILL), this is the ID that releases the volume.
            spdlog::info("driver \"{}\": volume \"{}\" mounted at {} with mount ID {}", volume.driver, volume.name,
                         result.mountpoint, mount_id);
            mounted.push_back({&volume, &driver, mount_id, Attached{}});
            if (!volume.container_path.empty()) {
                mounted.back().attached = attach_volume(result.mountpoint, volume.container_path);
            }
            if (!volume.mountpoint_variable.empty()) {
                command_environment.erase(
                    std::remove_if(command_environment.begin(), command_environment.end(),
                                   [&](const auto& entry) { return entry.first == volume.mountpoint_variable; }),
                    command_environment.end());
                command_environment.emplace_back(volume.mountpoint_variable, result.mountpoint);
            }
        } catch (const Error&) {
            release(mounted, settings);
            throw;
        }
    }
    if (const auto signal = pending_termination()) {
        release(mounted, settings);
        return 128 + *signal;
    }

    const pid_t parent = ::getpid();
    const pid_t child = ::fork();
    if (child < 0) {
        const int error = errno;
        release(mounted, settings);
        throw DriverError(std::string("fork: ") + std::strerror(error));
    }
    if (child == 0) {
        exec_child(command, command_environment, dispositions, signals, parent);
    }
    const int status = wait_forwarding(child, signals);
    const std::exception_ptr cleanup = release(mounted, settings);
    if (cleanup && status == 0) {
        std::rethrow_exception(cleanup);
    }
    return status;
}

}  // namespace volumecli
