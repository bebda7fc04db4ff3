#include "core/paths.hpp"

#include <volumecli/error.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace volumecli {

std::string clean_absolute_path(const std::string& path)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto slash = path.find('/', start);
        const std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part == "..") {
            if (!parts.empty()) {
                parts.pop_back();
            }
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        if (slash == std::string::npos) {
            break;
        }
        start = slash + 1;
    }
    std::string cleaned;
    for (const auto& part : parts) {
        cleaned += "/" + part;
    }
    return cleaned.empty() ? "/" : cleaned;
}

std::string private_directory_problem(const std::string& path, const std::string& what)
{
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
        throw DriverError(what + " " + path + ": " + std::strerror(errno));
    }
    if (S_ISLNK(info.st_mode)) {
        return "is a symlink";
    }
    if (!S_ISDIR(info.st_mode)) {
        return "is not a directory";
    }
    if (info.st_uid != ::geteuid()) {
        return "belongs to uid " + std::to_string(info.st_uid) + ", not to this user (uid " +
               std::to_string(::geteuid()) + ")";
    }
    if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        return "may be written by other users";
    }
    return {};
}

}  // namespace volumecli
