#include <volumecli/volume_lock.hpp>

#include <volumecli/error.hpp>

#include "core/durations.hpp"
#include "core/paths.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"
#include "transport/resolve.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

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

void check_private_dir(const std::string& path, const char* what)
{
    const std::string problem = private_directory_problem(path, what);
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

std::optional<std::string> real_path(const std::string& path)
{
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved) == nullptr) {
        return std::nullopt;
    }
    return std::string(resolved);
}

std::string canonical_socket_path(const std::string& path)
{
    if (auto resolved = real_path(path)) {
        return *resolved;
    }
    const std::string normal = clean_absolute_path(path);
    const auto slash = normal.rfind('/');
    if (slash != std::string::npos && slash > 0) {
        if (auto dir = real_path(normal.substr(0, slash))) {
            return *dir + normal.substr(slash);
        }
    }
    return normal;
}

// The host as the lock knows it: the least of its resolved addresses' texts (detail::address_text,
// so every loopback spelling is "loopback"), the same for any spelling and whatever order a
// resolver returns them in; a name that does not resolve stays as written, in lower case (its
// connection fails anyway).
std::string host_key(const Endpoint& endpoint)
{
    try {
        const detail::AddressList addresses = detail::resolve_endpoint(endpoint);
        std::string least;
        for (const addrinfo* address = addresses.get(); address != nullptr; address = address->ai_next) {
            const std::string text = detail::address_text(*address);
            if (least.empty() || text < least) {
                least = text;
            }
        }
        if (!least.empty()) {
            return least;
        }
    } catch (const TransportError&) {
    }
    const std::string host = ascii_lower(endpoint.host);
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

std::string endpoint_lock_key(const Endpoint& endpoint)
{
    if (endpoint.kind == Endpoint::Kind::unix_socket) {
        // A relative socket path (unix://rel.sock) is relative to the working directory, as for connect(2).
        std::string path = endpoint.socket_path;
        if (path.empty() || path.front() != '/') {
            char cwd[PATH_MAX];
            path = (::getcwd(cwd, sizeof(cwd)) != nullptr ? std::string(cwd) : std::string()) + "/" + path;
        }
        return "unix://" + canonical_socket_path(path);
    }
    return std::string(endpoint.tls ? "https://" : "tcp://") + host_key(endpoint) + ":" + endpoint.port;
}

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
        // Best effort (see above); glibc's _FORTIFY_SOURCE warns when the result is not taken.
        [[maybe_unused]] const ssize_t written = ::pwrite(m_fd, pid, static_cast<std::size_t>(length), 0);
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

std::string volume_lock_path(const std::string& run_dir, const std::string& key, const std::string& volume)
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
    std::string hashed = key;
    hashed.push_back('\0');
    hashed += volume;
    return locks + "/" + sha256_hex(hashed) + ".lock";
}

VolumeLock lock_volume(const std::string& run_dir, const std::string& key, const std::string& volume,
                       milliseconds timeout)
{
    return VolumeLock(volume_lock_path(run_dir, key, volume), volume, timeout);
}

}  // namespace volumecli
