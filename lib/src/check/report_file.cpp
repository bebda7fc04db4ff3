// Writing a report file the user named (--junit=FILE) as the local driver writes its state
// (replace_file): a reader never sees half a report, and a symlink planted at the path is replaced,
// never written through.

#include <volumecli/conformance.hpp>
#include <volumecli/error.hpp>

#include "core/regular_file.hpp"

#include <cstring>

namespace volumecli {

void write_report_file(const std::string& path, const std::string& text)
{
    if (const int error = replace_file(path, text, 0644); error != 0) {
        throw OutputError("write " + path + ": " + std::strerror(error));
    }
}

}  // namespace volumecli
