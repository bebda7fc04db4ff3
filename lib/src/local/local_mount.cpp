#include "local/local_mount.hpp"

#include <volumecli/error.hpp>

#include "core/regular_file.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace volumecli::local {

namespace {

// Hosts with thousands of mounts (container nodes) have a mountinfo of a few MiB.
constexpr std::size_t k_max_mountinfo_bytes = 16 * 1024 * 1024;

struct FlagWord {
    std::string_view word;
    bool clear;
    unsigned long flag;
};

// moby/sys/mount's table (flags.go), minus the ones that make no sense for a volume.
constexpr std::array<FlagWord, 27> k_flag_words = {{
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"suid", true, MS_NOSUID},
    {"nosuid", false, MS_NOSUID},
    {"dev", true, MS_NODEV},
    {"nodev", false, MS_NODEV},
    {"exec", true, MS_NOEXEC},
    {"noexec", false, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},
}};

constexpr std::array<FlagWord, 8> k_propagation_words = {{
    {"private", false, MS_PRIVATE},
    {"rprivate", false, MS_PRIVATE | MS_REC},
    {"shared", false, MS_SHARED},
    {"rshared", false, MS_SHARED | MS_REC},
    {"slave", false, MS_SLAVE},
    {"rslave", false, MS_SLAVE | MS_REC},
    {"unbindable", false, MS_UNBINDABLE},
    {"runbindable", false, MS_UNBINDABLE | MS_REC},
}};

// NFS wants addr= as an address; Docker's local driver resolves a host name first.
std::string resolve_nfs_address(const std::string& data)
{
    std::string out;
    std::size_t start = 0;
    while (start <= data.size()) {
        auto comma = data.find(',', start);
        if (comma == std::string::npos) {
            comma = data.size();
        }
        std::string piece = data.substr(start, comma - start);
        if (piece.compare(0, 5, "addr=") == 0) {
            const std::string host = piece.substr(5);
            addrinfo hints{};
            hints.ai_socktype = SOCK_STREAM;
            addrinfo* found = nullptr;
            if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
                throw DriverError("cannot resolve NFS server \"" + host + "\"");
            }
            char text[INET6_ADDRSTRLEN] = {};
            const void* address =
                found->ai_family == AF_INET6
                    ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(found->ai_addr)->sin6_addr)
                    : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr);
            ::inet_ntop(found->ai_family, address, text, sizeof(text));
            ::freeaddrinfo(found);
            piece = std::string("addr=") + text;
        }
        out += (out.empty() ? "" : ",") + piece;
        start = comma + 1;
    }
    return out;
}

std::string unescape_mountinfo(const std::string& field)
{
    // mountinfo writes space, tab, newline and backslash as \040, \011, \012, \134.
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size()) {
            const std::string octal = field.substr(i + 1, 3);
            if (octal.size() == 3 && octal.find_first_not_of("01234567") == std::string::npos) {
                out.push_back(static_cast<char>(std::stoi(octal, nullptr, 8)));
                i += 3;
                continue;
            }
        }
        out.push_back(field[i]);
    }
    return out;
}

}  // namespace

ParsedOptions parse_mount_options(const std::string& options)
{
    ParsedOptions parsed;
    std::size_t start = 0;
    while (start <= options.size()) {
        auto comma = options.find(',', start);
        if (comma == std::string::npos) {
            comma = options.size();
        }
        const std::string piece = options.substr(start, comma - start);
        start = comma + 1;
        if (piece.empty()) {
            continue;
        }
        bool known = false;
        for (const auto& word : k_flag_words) {
            if (piece == word.word) {
                parsed.flags = word.clear ? (parsed.flags & ~word.flag) : (parsed.flags | word.flag);
                known = true;
                break;
            }
        }
        for (const auto& word : k_propagation_words) {
            if (!known && piece == word.word) {
                parsed.propagation |= word.flag;
                known = true;
            }
        }
        if (!known) {
            parsed.data += (parsed.data.empty() ? "" : ",") + piece;
        }
    }
    return parsed;
}

void mount_volume(const MountSpec& spec, const std::string& target)
{
    ParsedOptions parsed = parse_mount_options(spec.options);
    if (spec.type.compare(0, 3, "nfs") == 0) {
        parsed.data = resolve_nfs_address(parsed.data);
    }
    // mount(2) follows a symlink at the target; the volume's directory must be the real one.
    struct stat info {};
    if (::lstat(target.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
        throw DriverError("mount on " + target + ": not a real directory (a symlink is never followed)");
    }
    if (::mount(spec.device.c_str(), target.c_str(), spec.type.c_str(), parsed.flags,
                parsed.data.empty() ? nullptr : parsed.data.c_str()) != 0) {
        const int error = errno;
        throw DriverError("mount " + spec.device + " (type " + spec.type + ") on " + target + ": " +
                          std::strerror(error) + (error == EPERM ? " (mount options need root)" : ""));
    }
    if (parsed.propagation != 0 && ::mount(nullptr, target.c_str(), nullptr, parsed.propagation, nullptr) != 0) {
        const int error = errno;
        ::umount2(target.c_str(), MNT_DETACH);
        throw DriverError("set mount propagation on " + target + ": " + std::strerror(error));
    }
    // A read-only bind needs a remount: the kernel ignores MS_RDONLY on the bind itself.
    if ((parsed.flags & MS_BIND) != 0 && (parsed.flags & MS_RDONLY) != 0 &&
        ::mount(nullptr, target.c_str(), nullptr, parsed.flags | MS_REMOUNT, nullptr) != 0) {
        const int error = errno;
        ::umount2(target.c_str(), MNT_DETACH);
        throw DriverError("remount " + target + " read-only: " + std::strerror(error));
    }
}

void unmount_volume(const std::string& target)
{
    if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) != 0) {
        const int error = errno;
        if (error == EINVAL && !is_mount_point(target)) {
            return;
        }
        throw DriverError("unmount " + target + ": " + std::strerror(error));
    }
}

bool is_mount_point(const std::string& path)
{
    const auto points = mount_points_under(path);
    return !points.empty() && points.front() == path;
}

std::vector<std::string> mount_points_under(const std::string& path)
{
    const FileRead mountinfo = read_regular_file("/proc/self/mountinfo", k_max_mountinfo_bytes);
    if (!mountinfo.ok()) {
        throw DriverError("read /proc/self/mountinfo: " + mountinfo.problem);
    }
    const std::string below = path == "/" ? path : path + "/";
    std::vector<std::string> points;
    std::size_t line = 0;
    while (line < mountinfo.text.size()) {
        auto end = mountinfo.text.find('\n', line);
        if (end == std::string::npos) {
            end = mountinfo.text.size();
        }
        // id parent major:minor root mountpoint ...
        std::size_t at = line;
        for (int field = 0; field < 4 && at < end; ++field) {
            at = mountinfo.text.find(' ', at);
            at = (at == std::string::npos || at >= end) ? end : at + 1;
        }
        const auto space = std::min(mountinfo.text.find(' ', at), end);
        if (at < end) {
            std::string point = unescape_mountinfo(mountinfo.text.substr(at, space - at));
            if (point == path || point.compare(0, below.size(), below) == 0) {
                points.push_back(std::move(point));
            }
        }
        line = end + 1;
    }
    std::stable_sort(points.begin(), points.end(),
                     [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
    return points;
}

}  // namespace volumecli::local
