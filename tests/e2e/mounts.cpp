#include "mounts.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace volumecli::e2e {

namespace {

// mountinfo writes space, tab, newline and backslash as \040, \011, \012, \134.
std::string unescape_mountinfo(const std::string& field)
{
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size()) {
            const std::string octal = field.substr(i + 1, 3);
            if (octal.find_first_not_of("01234567") == std::string::npos) {
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

std::vector<MountEntry> read_mounts()
{
    std::vector<MountEntry> mounts;
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::string line;
    while (std::getline(mountinfo, line)) {
        std::vector<std::string> fields;
        std::size_t start = 0;
        while (start <= line.size()) {
            const auto space = line.find(' ', start);
            fields.push_back(line.substr(start, space == std::string::npos ? std::string::npos : space - start));
            if (space == std::string::npos) {
                break;
            }
            start = space + 1;
        }
        const auto dash = std::find(fields.begin(), fields.end(), "-");
        if (fields.size() < 5 || dash == fields.end() || fields.end() - dash < 4) {
            continue;
        }
        mounts.push_back({unescape_mountinfo(fields[4]), *(dash + 1), *(dash + 2), *(dash + 3)});
    }
    return mounts;
}

std::vector<MountEntry> mounts_at(const std::string& path)
{
    std::vector<MountEntry> found;
    for (const auto& entry : read_mounts()) {
        if (entry.point == path) {
            found.push_back(entry);
        }
    }
    return found;
}

std::vector<std::string> mount_points_under(const std::string& prefix)
{
    std::vector<std::string> found;
    for (const auto& entry : read_mounts()) {
        if (entry.point == prefix || entry.point.rfind(prefix + "/", 0) == 0) {
            found.push_back(entry.point);
        }
    }
    return found;
}

void unmount_all_under(const std::string& prefix)
{
    for (int round = 0; round < 20; ++round) {
        auto points = mount_points_under(prefix);
        if (points.empty()) {
            return;
        }
        std::sort(points.begin(), points.end(),
                  [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
        for (const auto& point : points) {
            ::umount2(point.c_str(), MNT_DETACH);
        }
    }
}

MountGuard::~MountGuard()
{
    unmount_all_under(m_prefix);
}

bool is_directory(const std::string& path)
{
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool is_symlink(const std::string& path)
{
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0 && S_ISLNK(info.st_mode);
}

std::string link_target(const std::string& path)
{
    std::vector<char> buffer(4096);
    const ssize_t size = ::readlink(path.c_str(), buffer.data(), buffer.size());
    return size < 0 ? std::string() : std::string(buffer.data(), static_cast<std::size_t>(size));
}

bool running_as_root(const std::string& why)
{
    if (::geteuid() == 0) {
        return true;
    }
    skip_test("needs root to " + why);
    return false;
}

}  // namespace volumecli::e2e
