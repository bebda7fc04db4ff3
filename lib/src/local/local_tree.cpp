#include "local/local_tree.hpp"

#include <volumecli/error.hpp>
#include <volumecli/local_driver.hpp>

#include "core/unique_fd.hpp"
#include "local/local_mount.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

namespace volumecli::local {

namespace {

// Directories deeper than this below the tree's top are moved up to the top before they are
// entered, so the walk holds at most this many descriptors (and stack frames) however deep the
// tree: a volume's tree is the user's, and may be thousands of levels deep.
constexpr int k_max_depth = 12;

[[noreturn]] void fail(const std::string& what, int error)
{
    throw DriverError(what + ": " + std::strerror(error));
}

class Directory {
public:
    // Reads `fd` (a duplicate: the stream owns and closes its own).
    Directory(int fd, const std::string& path) : m_stream(::fdopendir(::fcntl(fd, F_DUPFD_CLOEXEC, 0)))
    {
        if (m_stream == nullptr) {
            fail("read directory " + path, errno);
        }
        ::rewinddir(m_stream);  // the duplicate shares the offset an earlier pass left at the end
    }
    Directory(const Directory&) = delete;
    Directory& operator=(const Directory&) = delete;
    ~Directory() { ::closedir(m_stream); }
    [[nodiscard]] DIR* get() const { return m_stream; }

private:
    DIR* m_stream;
};

class TreeDeleter {
public:
    TreeDeleter(int top, std::string path, dev_t device) : m_top(top), m_path(std::move(path)), m_device(device) {}

    // Empties the top directory. Directories moved up from deep down are found by a later pass.
    void run()
    {
        while (empty_directory(m_top, m_path, 0)) {
        }
    }

private:
    // Deletes what `dir` holds; true when something was moved up to the top meanwhile.
    bool empty_directory(int dir, const std::string& path, int depth)
    {
        bool moved = false;
        const Directory stream(dir, path);
        errno = 0;
        while (const dirent* entry = ::readdir(stream.get())) {
            const std::string name = entry->d_name;
            if (name != "." && name != "..") {
                moved = delete_entry(dir, path, name, depth) || moved;
            }
            errno = 0;
        }
        if (errno != 0) {
            fail("read directory " + path, errno);
        }
        return moved;
    }

    bool delete_entry(int dir, const std::string& parent, const std::string& name, int depth)
    {
        const std::string path = parent + "/" + name;
        // unlinkat without AT_REMOVEDIR removes anything but a directory, a symlink as itself.
        if (::unlinkat(dir, name.c_str(), 0) == 0 || errno == ENOENT) {
            return false;
        }
        if (errno == EBUSY) {
            refuse_mount(path);
        }
        if (errno != EISDIR) {
            fail("delete " + path, errno);
        }
        const detail::UniqueFd child(open_directory(dir, name, path));
        if (depth + 1 >= k_max_depth) {
            move_to_top(dir, name, path);
            return true;
        }
        bool moved = false;
        for (int attempt = 0;; ++attempt) {
            moved = empty_directory(child.get(), path, depth + 1) || moved;
            if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) {
                return moved;
            }
            if (errno == EBUSY) {
                refuse_mount(path);
            }
            if (errno != ENOTEMPTY || attempt == 3) {
                fail("delete " + path, errno);
            }
        }
    }

    // Opens the directory `name` in `dir` only if it is a directory of this tree: not a symlink
    // and not a mount point (RESOLVE_NO_XDEV refuses bind mounts of the same file system too).
    int open_directory(int dir, const std::string& name, const std::string& path) const
    {
        open_how how{};
        how.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        how.resolve = RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH;
        int fd = static_cast<int>(::syscall(SYS_openat2, dir, name.c_str(), &how, sizeof(how)));
        if (fd < 0 && errno == ENOSYS) {  // before Linux 5.6: the device check below remains
            fd = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) {
            if (errno == EXDEV) {
                refuse_mount(path);
            }
            fail("open directory " + path, errno);
        }
        struct stat info {};
        if (::fstat(fd, &info) != 0 || info.st_dev != m_device) {
            ::close(fd);
            refuse_mount(path);
        }
        return fd;
    }

    // Renames the directory `name` in `dir` to a fresh name in the top directory.
    void move_to_top(int dir, const std::string& name, const std::string& path)
    {
        for (;;) {
            const std::string moved = ".deep-" + std::to_string(++m_moved);
            if (::renameat2(dir, name.c_str(), m_top, moved.c_str(), RENAME_NOREPLACE) == 0) {
                return;
            }
            if (errno != EEXIST) {
                fail("move " + path + " to " + m_path + "/" + moved, errno);
            }
        }
    }

    [[noreturn]] static void refuse_mount(const std::string& path)
    {
        throw DriverError(path + " is a mount point; refusing to delete through it (unmount it, then remove again)");
    }

    int m_top;
    std::string m_path;
    dev_t m_device;
    unsigned long m_moved = 0;
};

}  // namespace

void delete_tree(const std::string& path)
{
    const detail::UniqueFd top(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (top.get() < 0) {
        if (errno == ENOENT) {
            return;
        }
        fail("open directory " + path, errno);
    }
    struct stat info {};
    if (::fstat(top.get(), &info) != 0) {
        fail("stat " + path, errno);
    }
    TreeDeleter(top.get(), path, info.st_dev).run();
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT) {
        fail("delete " + path, errno);
    }
}

std::string trash_entry(const std::string& volume, pid_t pid)
{
    return std::string(k_trash_prefix) + volume + "-" + std::to_string(pid);
}

std::string trash_owner(const std::string& entry)
{
    if (entry.compare(0, k_trash_prefix.size(), k_trash_prefix) != 0) {
        return {};
    }
    const auto dash = entry.rfind('-');
    if (dash == std::string::npos || dash < k_trash_prefix.size() || dash + 1 == entry.size() ||
        entry.find_first_not_of("0123456789", dash + 1) != std::string::npos) {
        return {};
    }
    std::string volume = entry.substr(k_trash_prefix.size(), dash - k_trash_prefix.size());
    try {
        validate_local_volume_name(volume);
    } catch (const UsageError&) {
        return {};
    }
    return volume;
}

std::vector<std::string> trash_entries(const std::string& root)
{
    std::vector<std::string> entries;
    DIR* dir = ::opendir(root.c_str());
    if (dir == nullptr) {
        return entries;
    }
    while (const dirent* entry = ::readdir(dir)) {
        if (std::string_view(entry->d_name).compare(0, k_trash_prefix.size(), k_trash_prefix) == 0) {
            entries.emplace_back(entry->d_name);
        }
    }
    ::closedir(dir);
    return entries;
}

void delete_trash(const std::string& path)
{
    const auto mounts = mount_points_under(path);
    if (!mounts.empty()) {
        throw DriverError("the trash " + path + " of an interrupted remove has a mount at " + mounts.front() +
                          "; refusing to delete through it (unmount it, then remove again)");
    }
    delete_tree(path);
}

}  // namespace volumecli::local
