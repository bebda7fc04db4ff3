#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace volumecli::test {

namespace {

using Clock = std::chrono::steady_clock;

// Once the child has exited, a grandchild may still hold the pipes; we stop reading after this.
constexpr auto k_drain_after_exit = std::chrono::milliseconds(2000);

class Pipe {
public:
    Pipe()
    {
        if (::pipe2(m_fds, O_CLOEXEC) != 0) {
            throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
        }
    }
    ~Pipe()
    {
        close_read();
        close_write();
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;

    [[nodiscard]] int read_end() const { return m_fds[0]; }
    [[nodiscard]] int write_end() const { return m_fds[1]; }
    void close_read() { close_fd(m_fds[0]); }
    void close_write() { close_fd(m_fds[1]); }

private:
    static void close_fd(int& fd)
    {
        if (fd >= 0) {
            ::close(fd);
            fd = -1;
        }
    }
    int m_fds[2] = {-1, -1};
};

std::vector<std::string> build_environment(const ProcessOptions& options)
{
    std::map<std::string, std::string> merged;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string text = *entry;
        const auto equals = text.find('=');
        if (equals != std::string::npos) {
            merged[text.substr(0, equals)] = text.substr(equals + 1);
        }
    }
    for (const auto& [name, value] : options.env) {
        if (value) {
            merged[name] = *value;
        } else {
            merged.erase(name);
        }
    }
    std::vector<std::string> result;
    result.reserve(merged.size());
    for (const auto& [name, value] : merged) {
        std::string entry = name;
        entry += '=';
        entry += value;
        result.push_back(std::move(entry));
    }
    return result;
}

std::vector<char*> to_c_array(std::vector<std::string>& strings)
{
    std::vector<char*> result;
    result.reserve(strings.size() + 1);
    for (auto& text : strings) {
        result.push_back(text.data());
    }
    result.push_back(nullptr);
    return result;
}

// Reads what is available on `fd` into `sink`; returns false at end of file.
bool read_available(int fd, std::string& sink)
{
    char buffer[65536];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
        sink.append(buffer, static_cast<size_t>(n));
        return true;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return true;
    }
    return false;
}

std::string escape(const std::string& text)
{
    std::string result;
    for (const char c : text) {
        if (c == '\n') {
            result += "\\n";
        } else if (c == '\r') {
            result += "\\r";
        } else {
            result += c;
        }
    }
    return result;
}

// Starts argv in its own process group with stdout/stderr on the pipes' write ends.
pid_t spawn(const std::vector<std::string>& argv, const ProcessOptions& options, int out_fd, int err_fd)
{
    if (argv.empty()) {
        throw std::invalid_argument("run_process: empty argv");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
    if (!options.cwd.empty()) {
        posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
    }

    // Own process group, so the hard limit also kills what a shell started; default signals.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t no_signals;
    sigemptyset(&no_signals);
    sigset_t default_signals;
    sigfillset(&default_signals);
    posix_spawnattr_setsigmask(&attributes, &no_signals);
    posix_spawnattr_setsigdefault(&attributes, &default_signals);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> argv_copy = argv;
    std::vector<char*> c_argv = to_c_array(argv_copy);
    std::vector<std::string> env = build_environment(options);
    std::vector<char*> c_env = to_c_array(env);

    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, &attributes, c_argv.data(), c_env.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (rc != 0) {
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    return pid;
}

void fill_status(ProcessResult& result, int status)
{
    if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
    }
}

}  // namespace

std::string ProcessResult::describe() const
{
    return "exit=" + std::to_string(exit_code) + " signal=" + std::to_string(signal) +
           (killed ? " KILLED(hard limit)" : "") + " time=" + std::to_string(wall_time.count()) + "ms stdout=\"" +
           escape(out) + "\" stderr=\"" + escape(err) + "\"";
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options)
{
    Pipe out_pipe;
    Pipe err_pipe;
    const auto started = Clock::now();
    const pid_t pid = spawn(argv, options, out_pipe.write_end(), err_pipe.write_end());
    out_pipe.close_write();
    err_pipe.close_write();

    ProcessResult result;
    const auto deadline = started + options.hard_limit;
    bool out_open = true;
    bool err_open = true;
    bool exited = false;
    int status = 0;
    Clock::time_point exited_at;

    while (true) {
        if (!exited) {
            rusage usage{};
            const pid_t waited = ::wait4(pid, &status, WNOHANG, &usage);
            if (waited == pid) {
                result.peak_rss_kib = usage.ru_maxrss;
                exited = true;
                exited_at = Clock::now();
                result.wall_time = std::chrono::duration_cast<std::chrono::milliseconds>(exited_at - started);
            }
        }
        if (exited && !out_open && !err_open) {
            break;
        }
        const auto now = Clock::now();
        if (exited && now - exited_at > k_drain_after_exit) {
            break;
        }
        if (!exited && now >= deadline) {
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            result.killed = true;
            rusage usage{};
            ::wait4(pid, &status, 0, &usage);
            result.peak_rss_kib = usage.ru_maxrss;
            exited = true;
            exited_at = Clock::now();
            result.wall_time = std::chrono::duration_cast<std::chrono::milliseconds>(exited_at - started);
            // Drain what is already buffered, without waiting for stragglers.
            continue;
        }
        pollfd fds[2];
        nfds_t count = 0;
        if (out_open) {
            fds[count++] = pollfd{out_pipe.read_end(), POLLIN, 0};
        }
        if (err_open) {
            fds[count++] = pollfd{err_pipe.read_end(), POLLIN, 0};
        }
        if (count == 0) {
            // Both pipes closed but the child is still running: wait for it in small steps.
            ::usleep(2000);
            continue;
        }
        const int ready = ::poll(fds, count, 20);
        if (ready <= 0) {
            continue;
        }
        for (nfds_t i = 0; i < count; ++i) {
            if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            if (fds[i].fd == out_pipe.read_end()) {
                out_open = read_available(fds[i].fd, result.out);
            } else {
                err_open = read_available(fds[i].fd, result.err);
            }
        }
    }

    fill_status(result, status);
    return result;
}

struct BackgroundProcess::Impl {
    pid_t pid = -1;
    Pipe out_pipe;
    Pipe err_pipe;
    std::thread out_reader;
    std::thread err_reader;
    std::mutex mutex;
    ProcessResult result;
    bool reaped = false;
    Clock::time_point started;

    static void read_all(int fd, std::string& sink, std::mutex& mutex)
    {
        char buffer[4096];
        while (true) {
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return;
            }
            const std::lock_guard<std::mutex> lock(mutex);
            sink.append(buffer, static_cast<size_t>(n));
        }
    }

    // Reaps the child if it exited; with `block`, waits for it.
    bool reap(bool block)
    {
        if (reaped) {
            return true;
        }
        int status = 0;
        const pid_t waited = ::waitpid(pid, &status, block ? 0 : WNOHANG);
        if (waited != pid) {
            return false;
        }
        reaped = true;
        fill_status(result, status);
        result.wall_time = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
        return true;
    }
};

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv, const ProcessOptions& options)
    : m_impl(std::make_unique<Impl>())
{
    m_impl->started = Clock::now();
    m_impl->pid = spawn(argv, options, m_impl->out_pipe.write_end(), m_impl->err_pipe.write_end());
    m_impl->out_pipe.close_write();
    m_impl->err_pipe.close_write();
    Impl* impl = m_impl.get();
    m_impl->out_reader =
        std::thread([impl] { Impl::read_all(impl->out_pipe.read_end(), impl->result.out, impl->mutex); });
    m_impl->err_reader =
        std::thread([impl] { Impl::read_all(impl->err_pipe.read_end(), impl->result.err, impl->mutex); });
}

BackgroundProcess::~BackgroundProcess()
{
    stop(SIGTERM);
}

int BackgroundProcess::pid() const
{
    return m_impl->pid;
}

bool BackgroundProcess::running()
{
    return !m_impl->reap(false);
}

ProcessResult BackgroundProcess::stop(int signal, std::chrono::milliseconds grace)
{
    if (!m_impl->reap(false)) {
        ::kill(m_impl->pid, signal);
        const auto deadline = Clock::now() + grace;
        while (!m_impl->reap(false) && Clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        if (!m_impl->reap(false)) {
            ::kill(-m_impl->pid, SIGKILL);
            ::kill(m_impl->pid, SIGKILL);
            m_impl->result.killed = true;
            m_impl->reap(true);
        }
    }
    if (m_impl->out_reader.joinable()) {
        m_impl->out_reader.join();
    }
    if (m_impl->err_reader.joinable()) {
        m_impl->err_reader.join();
    }
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    return m_impl->result;
}

}  // namespace volumecli::test
