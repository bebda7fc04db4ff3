// Writing a report file the user named (--junit=FILE) the way the local driver writes its state:
// a new file beside it, flushed, then renamed over it, so a reader never sees half a report and a
// symlink planted at the path is replaced, never written through.

#include <volumecli/conformance.hpp>
#include <volumecli/error.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace volumecli {

void write_report_file(const std::string& path, const std::string& text)
{
    const std::string temporary = path + ".tmp." + std::to_string(::getpid());
    // O_EXCL with O_NOFOLLOW: whatever is at the temporary name (a crashed run's file, a planted
    // link) is removed first, never written through.
    ::unlink(temporary.c_str());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        throw OutputError("write " + path + ": " + std::strerror(errno));
    }
    std::size_t done = 0;
    int write_error = 0;
    while (done < text.size()) {
        const ssize_t wrote = ::write(fd, text.data() + done, text.size() - done);
        if (wrote < 0 && errno == EINTR) {
            continue;
        }
        if (wrote <= 0) {
            write_error = wrote < 0 ? errno : EIO;
            break;
        }
        done += static_cast<std::size_t>(wrote);
    }
    if (write_error == 0 && ::fsync(fd) != 0) {
        write_error = errno;
    }
    ::close(fd);
    if (write_error == 0 && ::rename(temporary.c_str(), path.c_str()) != 0) {
        write_error = errno;
    }
    if (write_error != 0) {
        ::unlink(temporary.c_str());
        throw OutputError("write " + path + ": " + std::strerror(write_error));
    }
}

}  // namespace volumecli
