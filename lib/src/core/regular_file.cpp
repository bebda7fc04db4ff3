#include "core/regular_file.hpp"

#include "core/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace volumecli {

namespace {

const char* file_kind(mode_t mode)
{
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    if (S_ISCHR(mode)) {
        return "a character device";
    }
    if (S_ISBLK(mode)) {
        return "a block device";
    }
    return "not a plain file";
}

FileRead failure(int error, std::string problem)
{
    FileRead read;
    read.error = error;
    read.problem = std::move(problem);
    return read;
}

}  // namespace

FileRead read_regular_file(const std::string& path, std::size_t max_bytes, Links links)
{
    if (path.find('\0') != std::string::npos) {
        return failure(EINVAL, "the path contains a NUL byte");
    }
    int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
    if (links == Links::refuse) {
        flags |= O_NOFOLLOW;
    }
    const detail::UniqueFd fd(::open(path.c_str(), flags));
    if (fd.get() < 0) {
        const int error = errno;
        if (error == ELOOP && links == Links::refuse) {
            return failure(error, "is a symbolic link, which is not followed here");
        }
        return failure(error, std::strerror(error));
    }
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0) {
        const int error = errno;
        return failure(error, std::strerror(error));
    }
    if (!S_ISREG(status.st_mode)) {
        return failure(EINVAL, std::string("not a regular file (") + file_kind(status.st_mode) + ")");
    }
    const std::string too_large = "larger than " + std::to_string(max_bytes) + " bytes";
    if (static_cast<unsigned long long>(status.st_size) > max_bytes) {
        return failure(EFBIG, too_large);
    }
    FileRead read;
    // st_size is a hint only (procfs reports 0, a file may grow while read): read up to the cap.
    read.text.reserve(static_cast<std::size_t>(status.st_size));
    char buffer[8192];
    for (;;) {
        const ssize_t got = ::read(fd.get(), buffer, sizeof(buffer));
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            const int error = errno;
            return failure(error, std::strerror(error));
        }
        if (got == 0) {
            return read;
        }
        if (read.text.size() + static_cast<std::size_t>(got) > max_bytes) {
            return failure(EFBIG, too_large);
        }
        read.text.append(buffer, static_cast<std::size_t>(got));
    }
}

int replace_file(const std::string& path, const std::string& text, mode_t mode)
{
    const std::string temporary = path + ".tmp." + std::to_string(::getpid());
    // Whatever is at the temporary name (a crashed run's file, a planted link) is removed first.
    ::unlink(temporary.c_str());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        return errno;
    }
    std::size_t done = 0;
    int error = 0;
    while (done < text.size()) {
        const ssize_t wrote = ::write(fd, text.data() + done, text.size() - done);
        if (wrote < 0 && errno == EINTR) {
            continue;
        }
        if (wrote <= 0) {
            error = wrote < 0 ? errno : EIO;
            break;
        }
        done += static_cast<std::size_t>(wrote);
    }
    if (error == 0 && ::fsync(fd) != 0) {
        error = errno;
    }
    ::close(fd);
    if (error == 0 && ::rename(temporary.c_str(), path.c_str()) != 0) {
        error = errno;
    }
    if (error != 0) {
        ::unlink(temporary.c_str());
    }
    return error;
}

}  // namespace volumecli
