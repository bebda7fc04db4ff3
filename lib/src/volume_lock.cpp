#include <volumecli/volume_lock.hpp>

#include <volumecli/error.hpp>
#include <volumecli/mount_id.hpp>

#include "durations.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>
#include <utility>

namespace volumecli {

namespace {

using std::chrono::milliseconds;

// Waiters poll: flock(2) has no timed wait, and a blocking flock interrupted by an alarm would
// need a signal handler. The pause starts short so that a queue of waiters hands the lock on
// quickly, and grows so that a long wait costs little.
constexpr milliseconds k_first_pause{1};
constexpr milliseconds k_longest_pause{20};

[[noreturn]] void system_error(const std::string& what, int error)
{
    throw DriverError(what + ": " + std::strerror(error));
}

void make_dir(const std::string& path)
{
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
        system_error("create directory " + path, errno);
    }
}

// Nobody else may replace what is inside a directory that only we own and only we may write, so
// checking it once (without following a symlink) makes every path below it safe to use.
void check_private_dir(const std::string& path, const char* what)
{
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
        system_error(std::string(what) + " " + path, errno);
    }
    std::string problem;
    if (S_ISLNK(info.st_mode)) {
        problem = "is a symlink";
    } else if (!S_ISDIR(info.st_mode)) {
        problem = "is not a directory";
    } else if (info.st_uid != ::geteuid()) {
        problem = "belongs to uid " + std::to_string(info.st_uid) + ", not to this user (uid " +
                  std::to_string(::geteuid()) + ")";
    } else if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        problem = "may be written by other users";
    }
    if (!problem.empty()) {
        throw UsageError(std::string(what) + " " + path + " " + problem +
                         "; refusing it for lock files (choose another with --run-dir or DVDCLI_RUN_DIR)");
    }
}

// The pid the holder wrote after locking, when it is there and readable.
std::string holder_of(int fd)
{
    char text[32] = {};
    const ssize_t got = ::pread(fd, text, sizeof(text) - 1, 0);
    if (got <= 0) {
        return {};
    }
    std::string pid(text, static_cast<std::size_t>(got));
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) {
        pid.pop_back();
    }
    const bool digits =
        !pid.empty() && std::all_of(pid.begin(), pid.end(), [](char c) { return c >= '0' && c <= '9'; });
    return digits ? pid : std::string();
}

}  // namespace

VolumeLock::VolumeLock(const std::string& path, const std::string& volume, milliseconds timeout) : m_path(path)
{
    m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
    if (m_fd < 0) {
        const int error = errno;
        system_error("open lock file " + path + (error == ELOOP ? " (a symlink is never followed)" : ""), error);
    }
    struct stat info {};
    if (::fstat(m_fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(m_fd);
        throw DriverError("lock file " + path + " is not a regular file");
    }
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + timeout;
    milliseconds pause = k_first_pause;
    while (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        if (error != EWOULDBLOCK && error != EINTR) {
            ::close(m_fd);
            system_error("lock " + path, error);
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            const std::string holder = holder_of(m_fd);
            ::close(m_fd);
            throw TimeoutError("volume \"" + volume + "\" is busy: another process" +
                               (holder.empty() ? std::string() : " (pid " + holder + ")") + " still holds its lock " +
                               path + " after " + seconds_text(timeout));
        }
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
        pause = std::min(pause * 2, k_longest_pause);
    }
    // For the message of whoever waits next; the lock never depends on it. Always the same width,
    // written over the last holder's: truncating instead makes ext4 flush the file on close
    // (auto_da_alloc), which cost more than the rest of a mount.
    char pid[16];
    const int length = std::snprintf(pid, sizeof(pid), "%-10d\n", static_cast<int>(::getpid()));
    if (length > 0) {
        static_cast<void>(::pwrite(m_fd, pid, static_cast<std::size_t>(length), 0));
    }
}

VolumeLock::~VolumeLock()
{
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

VolumeLock::VolumeLock(VolumeLock&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_path(std::move(other.m_path))
{
}

VolumeLock& VolumeLock::operator=(VolumeLock&& other) noexcept
{
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = std::exchange(other.m_fd, -1);
        m_path = std::move(other.m_path);
    }
    return *this;
}

std::string volume_lock_path(const std::string& run_dir, const std::string& driver, const std::string& volume)
{
    if (run_dir.empty() || run_dir.front() != '/') {
        throw UsageError("run directory \"" + run_dir + "\" is not an absolute path");
    }
    for (std::size_t slash = run_dir.find('/', 1); slash != std::string::npos; slash = run_dir.find('/', slash + 1)) {
        make_dir(run_dir.substr(0, slash));
    }
    make_dir(run_dir);
    check_private_dir(run_dir, "run directory");
    const std::string locks = run_dir + "/locks";
    make_dir(locks);
    check_private_dir(locks, "lock directory");
    std::string key = driver;
    key.push_back('\0');
    key += volume;
    return locks + "/" + sha256_hex(key) + ".lock";
}

VolumeLock lock_volume(const std::string& run_dir, const std::string& driver, const std::string& volume,
                       milliseconds timeout)
{
    return VolumeLock(volume_lock_path(run_dir, driver, volume), volume, timeout);
}

}  // namespace volumecli
