#pragma once

// Reading a file the tool was pointed at (a plugin spec, a certificate, the local driver's state):
// one rule for every such path. Internal to libvolumecli and plugins-discovery.

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace volumecli {

enum class Links { follow, refuse };

struct FileRead {
    std::string text;     // the whole file, when `error` is 0
    int error = 0;        // an errno value; ENOENT when nothing is at the path
    std::string problem;  // what went wrong, for a message: "not a regular file (a FIFO)"

    [[nodiscard]] bool ok() const { return error == 0; }
};

// Reads `path` if it is a regular file of at most `max_bytes`, never blocking: it is opened
// non-blocking (a FIFO or a device never stalls open(2)), checked with fstat, and read up to
// the cap. With Links::refuse a symlink as the last component is refused (ELOOP). Never throws
// for file-system conditions: the caller turns `error`/`problem` into its own error and exit code.
FileRead read_regular_file(const std::string& path, std::size_t max_bytes, Links links = Links::follow);

// Replaces `path` with `text`: written to a new file beside it (created exclusively, never through a
// link), flushed, then renamed over it, so a reader sees the old content or the new, never half,
// and a symlink planted at `path` is replaced, never written through. Returns 0, or the errno of
// the step that failed (the new file is then removed and `path` left as it was).
[[nodiscard]] int replace_file(const std::string& path, const std::string& text, mode_t mode);

}  // namespace volumecli
