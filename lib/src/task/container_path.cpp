#include "task/container_path.hpp"

#include <volumecli/error.hpp>
#include <volumecli/task.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace volumecli {

namespace {

using detail::UniqueFd;

// Directories the host runs from: a volume mounted over one would hide it from every process.
constexpr std::array<const char*, 17> k_system_directories = {
    "/",     "/bin",  "/boot", "/dev",  "/etc", "/lib", "/lib32", "/lib64", "/libx32",
    "/proc", "/root", "/run",  "/sbin", "/sys", "/tmp", "/usr",   "/var",
};
// Kernel file systems: no volume belongs anywhere below them.
constexpr std::array<const char*, 3> k_kernel_trees = {"/dev", "/proc", "/sys"};

// The components of an absolute path ("//a/b/" -> {"a", "b"}); "." and ".." are refused, so
// "/tmp/../etc" never counts as under /tmp.
std::vector<std::string> path_components(const std::string& path)
{
    if (path.empty() || path.front() != '/') {
        throw UsageError("container path \"" + path + "\" must be absolute");
    }
    std::vector<std::string> parts;
    for (std::size_t start = 0; start < path.size();) {
        const auto slash = path.find('/', start);
        const std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part == "." || part == "..") {
            throw UsageError("container path \"" + path + "\" must not contain . or .. components");
        }
        if (!part.empty()) {
            parts.push_back(part);
        }
        start = slash == std::string::npos ? path.size() : slash + 1;
    }
    return parts;
}

std::string join(const std::vector<std::string>& parts, std::size_t count)
{
    std::string path;
    for (std::size_t i = 0; i < count; ++i) {
        path.append("/").append(parts[i]);
    }
    return path.empty() ? "/" : path;
}

bool under_tmp(const std::vector<std::string>& parts)
{
    return parts.size() > 1 && parts.front() == "tmp";
}

// Where a walk from "/" stopped: the prefix and the errno (ELOOP: it is a symlink).
struct WalkStop {
    std::string prefix;
    int error = 0;
};

std::string describe(const WalkStop& stop)
{
    if (stop.error == ELOOP) {
        return "\"" + stop.prefix + "\" is a symlink; container paths are never followed through links";
    }
    return "\"" + stop.prefix + "\": " + std::strerror(stop.error);
}

// Opens component `name` of directory `dir` as a directory, never through a symlink.
UniqueFd open_directory_at(int dir, const std::string& name)
{
    UniqueFd fd(::openat(dir, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) {
        // O_PATH|O_NOFOLLOW reports a symlink as "not a directory": say what it is.
        const int error = errno;
        struct stat info {};
        errno = ::fstatat(dir, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(info.st_mode) ? ELOOP : error;
    }
    return fd;
}

// Opens the directory holding the last of `parts`, from "/" one component at a time without
// following a symlink anywhere, creating missing directories through the descriptors (when
// `create`). Sets `stop` and returns no descriptor where it could go no further.
UniqueFd open_parent(const std::vector<std::string>& parts, bool create, WalkStop& stop)
{
    UniqueFd dir(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    for (std::size_t i = 0; i + 1 < parts.size() && dir.get() >= 0; ++i) {
        UniqueFd next = open_directory_at(dir.get(), parts[i]);
        if (next.get() < 0 && errno == ENOENT && create) {
            if (::mkdirat(dir.get(), parts[i].c_str(), 0755) != 0 && errno != EEXIST) {
                stop = {join(parts, i + 1), errno};
                return UniqueFd();
            }
            next = open_directory_at(dir.get(), parts[i]);
        }
        if (next.get() < 0) {
            stop = {join(parts, i + 1), errno};
            return UniqueFd();
        }
        dir = std::move(next);
    }
    return dir;
}

std::string fd_path(const UniqueFd& fd)
{
    return "/proc/self/fd/" + std::to_string(fd.get());
}

// Points `name` in `dir` at `source` with a symlink made beside it and renamed over it, so a
// link left by an earlier run is replaced without the path ever missing.
void link_atomically(int dir, const std::string& name, const std::string& source, const std::string& target)
{
    const std::string temporary = name + ".dvdcli-" + std::to_string(::getpid());
    ::unlinkat(dir, temporary.c_str(), 0);
    if (::symlinkat(source.c_str(), dir, temporary.c_str()) != 0 ||
        ::renameat(dir, temporary.c_str(), dir, name.c_str()) != 0) {
        const int error = errno;
        ::unlinkat(dir, temporary.c_str(), 0);
        throw DriverError("link " + target + " to " + source + ": " + std::strerror(error));
    }
}

}  // namespace

// Puts the volume at the task's container path, resolved without following any symlink: a bind
// mount onto the very directory checked (through its descriptor) if this process may mount, else
// a symlink. A symlink already there (an earlier run's) is replaced by a new one, atomically.
Attached attach_volume(const std::string& source, const std::string& target)
{
    const auto parts = path_components(target);
    if (parts.empty()) {
        throw DriverError("container path \"" + target + "\": cannot attach a volume at /");
    }
    WalkStop stop;
    const UniqueFd parent = open_parent(parts, under_tmp(parts), stop);
    if (parent.get() < 0) {
        throw DriverError("container path \"" + target + "\": " + describe(stop));
    }
    const std::string& name = parts.back();
    struct stat info {};
    const bool exists = ::fstatat(parent.get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && S_ISLNK(info.st_mode)) {
        link_atomically(parent.get(), name, source, target);
        return {Attachment::symlink, UniqueFd()};
    }
    if (!exists && !under_tmp(parts)) {
        throw DriverError("container path \"" + target + "\" no longer exists");
    }
    if (!exists && ::mkdirat(parent.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        throw DriverError("create " + target + ": " + std::strerror(errno));
    }
    const UniqueFd directory = open_directory_at(parent.get(), name);
    if (directory.get() < 0) {
        throw DriverError("container path \"" + target + "\": " + describe({target, errno}));
    }
    if (::mount(source.c_str(), fd_path(directory).c_str(), nullptr, MS_BIND | MS_REC, nullptr) == 0) {
        // Looked up again, the name now leads to the new mount's root (the checked directory is
        // underneath it); it cannot be renamed or removed while mounted on.
        return {Attachment::bind, open_directory_at(parent.get(), name)};
    }
    const int error = errno;
    if (error != EPERM && error != EACCES) {
        throw DriverError("bind-mount " + source + " on " + target + ": " + std::strerror(error));
    }
    spdlog::info("cannot bind-mount {} ({}); linking it instead", target, std::strerror(error));
    if (::unlinkat(parent.get(), name.c_str(), AT_REMOVEDIR) != 0) {
        throw DriverError("cannot put a symlink at " + target + ": " +
                          (errno == ENOTEMPTY ? std::string("a non-empty directory is there") : std::strerror(errno)));
    }
    link_atomically(parent.get(), name, source, target);
    return {Attachment::symlink, UniqueFd()};
}

// Unmounts the bind mount through the descriptor of its root: exactly what attach mounted.
void detach_volume(const std::string& target, Attached& attached)
{
    if (attached.kind != Attachment::bind) {
        return;  // a symlink stays; the next run replaces it
    }
    if (attached.mount_root.get() < 0) {
        throw DriverError("unmount " + target + ": the mount was lost");
    }
    const std::string root = fd_path(attached.mount_root);
    if (::umount2(root.c_str(), 0) != 0 && ::umount2(root.c_str(), MNT_DETACH) != 0) {
        throw DriverError("unmount " + target + ": " + std::strerror(errno));
    }
    attached.mount_root = UniqueFd();
    attached.kind = Attachment::none;
}

void validate_container_path(const std::string& path)
{
    const auto parts = path_components(path);
    const std::string canonical = join(parts, parts.size());
    for (const char* tree : k_kernel_trees) {
        if (canonical.compare(0, std::strlen(tree) + 1, std::string(tree) + "/") == 0) {
            throw UsageError("container path \"" + path + "\" is under " + tree +
                             ", a system directory; a volume is never mounted there");
        }
    }
    if (std::find_if(k_system_directories.begin(), k_system_directories.end(),
                     [&](const char* directory) { return canonical == directory; }) != k_system_directories.end()) {
        throw UsageError("container path \"" + path + "\" is a system directory; a volume is never mounted over it");
    }
    // Only the parents are checked for links: a symlink as the last component is replaced.
    WalkStop stop;
    const UniqueFd parent = open_parent(parts, false, stop);
    if (parent.get() < 0 && stop.error != ENOENT) {
        throw UsageError("container path \"" + path + "\": " + describe(stop));
    }
    struct stat info {};
    const bool missing =
        parent.get() < 0 || ::fstatat(parent.get(), parts.back().c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0;
    if (missing && !under_tmp(parts)) {
        throw UsageError("container path \"" + path + "\" must exist, or be under /tmp");
    }
}

}  // namespace volumecli
