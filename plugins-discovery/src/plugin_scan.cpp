// The plugins that exist now, by name, as Docker's plugin scan lists them: what shell completion
// offers for --volumedriver. Lookups of one name are discovery.cpp's.

#include <volumecli/discovery.hpp>

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

namespace volumecli::discovery {

namespace {

bool has_suffix(const std::string& text, const std::string& suffix)
{
    return text.size() > suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_socket(const std::string& path)
{
    struct stat status {};
    return ::stat(path.c_str(), &status) == 0 && S_ISSOCK(status.st_mode);
}

bool exists(const std::string& path)
{
    struct stat status {};
    return ::stat(path.c_str(), &status) == 0;
}

bool is_directory(const std::string& path)
{
    struct stat status {};
    return ::stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode);
}

// The entries of `dir` other than "." and "..", or none when it cannot be read.
std::vector<std::string> entries_of(const std::string& dir)
{
    std::vector<std::string> names;
    DIR* stream = ::opendir(dir.c_str());
    if (stream == nullptr) {
        return names;
    }
    while (const dirent* entry = ::readdir(stream)) {
        const std::string name = entry->d_name;
        if (name != "." && name != "..") {
            names.push_back(name);
        }
    }
    ::closedir(stream);
    return names;
}

// A plugin named by an entry of a directory of sockets or specs: N<suffix>, or N/N<suffix>.
void add_named(const std::string& dir, const std::string& entry, const std::vector<std::string>& suffixes,
               bool (*usable)(const std::string&), std::vector<std::string>& names)
{
    const std::string path = dir + "/" + entry;
    for (const auto& suffix : suffixes) {
        if (has_suffix(entry, suffix) && usable(path)) {
            names.push_back(entry.substr(0, entry.size() - suffix.size()));
        } else if (is_directory(path) && usable(path + "/" + entry + suffix)) {
            names.push_back(entry);
        }
    }
}

}  // namespace

std::vector<std::string> plugin_names(const SearchPaths& paths)
{
    std::vector<std::string> names;
    if (!paths.socket_dir.empty()) {
        for (const auto& entry : entries_of(paths.socket_dir)) {
            add_named(paths.socket_dir, entry, {".sock"}, is_socket, names);
        }
    }
    for (const auto& dir : paths.spec_dirs) {
        for (const auto& entry : entries_of(dir)) {
            add_named(dir, entry, {".spec", ".json"}, exists, names);
        }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

}  // namespace volumecli::discovery
