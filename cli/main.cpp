#include "app.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace {

// Run with `2>&-`, the first file dvdcli opens (its lock file) would become fd 2 and take every
// log line. So before anything opens a file, each closed standard descriptor is taken by
// /dev/null: stdin and stderr readable and writable as usual, stdout read-only, so that a result
// written to a stdout the caller closed still fails (EBADF) and is reported, not silently lost.
void occupy_standard_descriptors()
{
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) {
            continue;
        }
        // open returns the lowest free descriptor: this one, as those below it are open.
        const int opened = ::open("/dev/null", fd == STDOUT_FILENO ? O_RDONLY : O_RDWR);
        if (opened != fd) {
            _exit(2);  // nothing can be reported anywhere safely
        }
    }
}

}  // namespace

int main(int argc, char** argv)
{
    occupy_standard_descriptors();
    return volumecli::cli::run(argc, argv);
}
