#include <volumecli/local_driver.hpp>

#include <volumecli/error.hpp>
#include <volumecli/volume_lock.hpp>

#include "core/paths.hpp"
#include "core/regular_file.hpp"
#include "local/local_mount.hpp"
#include "local/local_tree.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace volumecli {

namespace {

using nlohmann::json;

constexpr const char* k_state_file = "state.json";
constexpr std::size_t k_max_state_bytes = 1024 * 1024;
// The longest name whose derived file names (the trash .removing-NAME-PID with a pid of up to
// 10 digits, NAME.lock) still fit in NAME_MAX.
constexpr std::size_t k_max_name_length = NAME_MAX - local::k_trash_prefix.size() - 1 - 10;
const std::array<const char*, 3> k_option_keys = {"type", "device", "o"};

struct VolumeState {
    VolumeOptions options;
    std::vector<std::string> mount_ids;
    std::string created_at;

    [[nodiscard]] bool needs_mount() const { return options.count("type") != 0; }
};

[[noreturn]] void system_error(const std::string& what)
{
    throw DriverError(what + ": " + std::strerror(errno));
}

std::string now_rfc3339()
{
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

// Creates `path` unless it is there. Volume directories must be real directories (never
// followed through a symlink); the root itself may be a symlink (e.g. to another disk).
void make_dir(const std::string& path, mode_t mode, bool follow_symlink = false)
{
    if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
        system_error("create directory " + path);
    }
    struct stat info {};
    const int rc = follow_symlink ? ::stat(path.c_str(), &info) : ::lstat(path.c_str(), &info);
    if (rc != 0 || !S_ISDIR(info.st_mode)) {
        throw DriverError(path + " is not a directory");
    }
}

// The root as the kernel names it, so paths compare equal to /proc/self/mountinfo's: symlinks
// resolved when it exists, else ".", "//" and a trailing "/" folded away.
std::string canonical_root(const std::string& root)
{
    if (char* resolved = ::realpath(root.c_str(), nullptr)) {
        std::string path = resolved;
        std::free(resolved);
        return path;
    }
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= root.size()) {
        auto slash = root.find('/', start);
        if (slash == std::string::npos) {
            slash = root.size();
        }
        const std::string part = root.substr(start, slash - start);
        if (part == "..") {
            if (!parts.empty()) {
                parts.pop_back();
            }
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        start = slash + 1;
    }
    std::string path;
    for (const auto& part : parts) {
        path += "/" + part;
    }
    return path.empty() ? "/" : path;
}

void make_dirs(const std::string& path, mode_t mode)
{
    for (std::size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
        const std::string parent = path.substr(0, slash);
        if (::mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
            system_error("create directory " + parent);
        }
    }
    make_dir(path, mode, true);
}

// The volume's lock: <root>/.locks/<name>.lock, beside the state it guards, so that every
// process using this root agrees whatever run directory it was given. The lock directory is
// checked as the run directory is: a link or a directory others may write could lead the lock
// files anywhere.
VolumeLock lock_local_volume(const std::string& root, const std::string& volume, std::chrono::milliseconds timeout)
{
    make_dirs(root, 0755);
    const std::string dir = root + "/.locks";
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        system_error("create directory " + dir);
    }
    const std::string problem = private_directory_problem(dir, "lock directory");
    if (!problem.empty()) {
        throw DriverError("lock directory " + dir + " " + problem + "; refusing it (remove it and run again)");
    }
    return VolumeLock(dir + "/" + volume + ".lock", volume, timeout);
}

// A volume's directories are made by create and never through a symlink; one planted there later
// is refused rather than followed to somewhere else.
void refuse_symlink(const std::string& path)
{
    struct stat info {};
    if (::lstat(path.c_str(), &info) == 0 && S_ISLNK(info.st_mode)) {
        throw DriverError(path + " is a symlink; refusing to follow it");
    }
}

class LocalDriver final : public Driver {
public:
    LocalDriver(std::string name, LocalSettings settings) : m_name(std::move(name)), m_settings(std::move(settings))
    {
        m_settings.root = canonical_root(m_settings.root);
    }

    [[nodiscard]] const std::string& name() const override { return m_name; }

    void create(const std::string& volume, const VolumeOptions& options) override
    {
        validate_local_volume_name(volume);
        validate_options(options);
        make_dirs(m_settings.root, 0701);
        m_settings.root = canonical_root(m_settings.root);  // now that it exists, with symlinks resolved
        const VolumeLock lock = lock_local_volume(m_settings.root, volume, m_settings.lock_timeout);
        if (const auto existing = load(volume)) {
            if (existing->options != options) {
                throw DriverError("volume \"" + volume + "\" already exists with other options");
            }
            return;  // Docker's local driver: creating an existing volume returns it
        }
        make_dir(volume_dir(volume), 0701);
        make_dir(data_dir(volume), 0755);
        save(volume, VolumeState{options, {}, now_rfc3339()});
    }

    void remove(const std::string& volume) override
    {
        validate_local_volume_name(volume);
        const VolumeLock lock = lock_local_volume(m_settings.root, volume, m_settings.lock_timeout);
        // A remove killed half-way left its trash: finish it first (or refuse, naming the mount
        // that stops it), so that removing the name again completes what was asked.
        const bool finished = finish_removals(volume);
        const auto state = load(volume);
        if (!state) {
            if (finished) {
                return;
            }
            throw DriverError("no such volume");
        }
        if (!state->mount_ids.empty()) {
            throw DriverError("volume \"" + volume + "\" is in use: mounted for " +
                              std::to_string(state->mount_ids.size()) + " mount ID(s)");
        }
        refuse_mounts_inside(volume, *state);
        // Renamed away first, so a crash mid-delete never leaves half a volume under its name.
        const std::string trash = m_settings.root + "/" + local::trash_entry(volume, ::getpid());
        if (::rename(volume_dir(volume).c_str(), trash.c_str()) != 0) {
            system_error("remove volume " + volume_dir(volume));
        }
        local::delete_tree(trash);
        finish_others_removals(volume);
    }

    std::string mount(const std::string& volume, const std::string& mount_id) override
    {
        validate_local_volume_name(volume);
        const VolumeLock lock = lock_local_volume(m_settings.root, volume, m_settings.lock_timeout);
        VolumeState state = load_existing(volume);
        const std::string target = data_dir(volume);
        refuse_symlink(target);
        // The mount itself is checked, not the recorded holders: a crash between mount(2) and
        // saving leaves it mounted with no holder, and a reboot or a killed exec leaves holders
        // whose mount is gone.
        const bool mount_now = state.needs_mount() && !local::is_mount_point(target);
        const bool held = std::find(state.mount_ids.begin(), state.mount_ids.end(), mount_id) != state.mount_ids.end();
        if (held && !mount_now) {
            return target;  // this holder has it already
        }
        if (mount_now) {
            if (!state.mount_ids.empty()) {
                spdlog::info("local volume \"{}\" is not mounted although {} holder(s) are recorded; mounting it",
                             volume, state.mount_ids.size());
            }
            local::mount_volume({state.options["type"], state.options["device"], state.options["o"]}, target);
        }
        if (!held) {
            state.mount_ids.push_back(mount_id);
        }
        try {
            save(volume, state);
        } catch (const Error&) {
            if (mount_now) {
                local::unmount_volume(target);
            }
            throw;
        }
        return target;
    }

    void unmount(const std::string& volume, const std::string& mount_id) override
    {
        validate_local_volume_name(volume);
        const VolumeLock lock = lock_local_volume(m_settings.root, volume, m_settings.lock_timeout);
        VolumeState state = load_existing(volume);
        const auto held = std::find(state.mount_ids.begin(), state.mount_ids.end(), mount_id);
        if (held == state.mount_ids.end()) {
            if (state.mount_ids.empty() && state.needs_mount() && local::is_mount_point(data_dir(volume))) {
                // A mount interrupted between mount(2) and saving its holder: nobody holds it.
                spdlog::info("local volume \"{}\" is mounted with no holder recorded; unmounting it", volume);
                local::unmount_volume(data_dir(volume));
                return;
            }
            // Mesos unmounts every volume of a failed container, mounted or not.
            spdlog::info("local volume \"{}\" is not mounted with ID {}; nothing to do", volume, mount_id);
            return;
        }
        state.mount_ids.erase(held);
        if (state.mount_ids.empty() && state.needs_mount()) {
            local::unmount_volume(data_dir(volume));  // on failure the holder stays recorded
        }
        save(volume, state);
    }

    std::string path(const std::string& volume) override
    {
        validate_local_volume_name(volume);
        static_cast<void>(load_existing(volume));
        refuse_symlink(data_dir(volume));
        return data_dir(volume);
    }

    LookupResult get(const std::string& volume) override
    {
        validate_local_volume_name(volume);
        LookupResult result;
        const auto state = load(volume);
        if (!state) {
            result.kind = LookupResult::Kind::not_found;
            result.message = "no such volume";
            return result;
        }
        refuse_symlink(data_dir(volume));  // its mountpoint would lead elsewhere
        result.kind = LookupResult::Kind::found;
        result.volume = describe(volume, *state);
        return result;
    }

    std::vector<Volume> list() override
    {
        std::vector<Volume> volumes;
        DIR* dir = ::opendir(m_settings.root.c_str());
        if (dir == nullptr) {
            if (errno == ENOENT) {
                return volumes;
            }
            system_error("list " + m_settings.root);
        }
        std::vector<std::string> names;
        while (const dirent* entry = ::readdir(dir)) {
            names.emplace_back(entry->d_name);
        }
        ::closedir(dir);
        std::sort(names.begin(), names.end());
        for (const auto& volume : names) {
            try {
                validate_local_volume_name(volume);
            } catch (const UsageError&) {
                continue;  // ".locks", ".removing-*" and strangers
            }
            struct stat info {};
            if (::lstat(volume_dir(volume).c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
                continue;  // a symlink or a file planted in the root is no volume
            }
            try {
                if (const auto state = load(volume)) {
                    volumes.push_back(describe(volume, *state));
                }
            } catch (const DriverError& error) {
                spdlog::warn("skipping local volume \"{}\": {}", volume, error.what());
            }
        }
        return volumes;
    }

    Capabilities capabilities() override { return {}; }

    // remove must reach the driver when the volume is already gone from its name: a remove
    // killed half-way left its trash, which this one finishes.
    [[nodiscard]] bool looks_up_before_release() const override { return false; }

private:
    [[nodiscard]] std::string volume_dir(const std::string& volume) const { return m_settings.root + "/" + volume; }
    [[nodiscard]] std::string data_dir(const std::string& volume) const { return volume_dir(volume) + "/_data"; }

    static void validate_options(const VolumeOptions& options)
    {
        for (const auto& [key, value] : options) {
            if (std::find_if(k_option_keys.begin(), k_option_keys.end(),
                             [&name = key](const char* known) { return name == known; }) == k_option_keys.end()) {
                throw UsageError("local driver: unknown option \"" + key +
                                 "\" (known: type, device, o; for mount options with commas use "
                                 "--volumeopt=o=opt1,opt2)");
            }
        }
        const bool has_type = options.count("type") != 0;
        if (has_type != (options.count("device") != 0)) {
            throw UsageError("local driver: options \"type\" and \"device\" go together");
        }
        if (!has_type && options.count("o") != 0) {
            throw UsageError("local driver: option \"o\" needs \"type\" and \"device\"");
        }
    }

    Volume describe(const std::string& volume, const VolumeState& state) const
    {
        Volume described;
        described.name = volume;
        described.mountpoint = data_dir(volume);
        if (!state.created_at.empty()) {
            described.created_at = state.created_at;
        }
        json status = {{"MountIDs", state.mount_ids.size()}};
        if (state.needs_mount()) {
            status["Type"] = state.options.at("type");
            status["Device"] = state.options.at("device");
        }
        described.status_json = status.dump();
        return described;
    }

    [[nodiscard]] VolumeState load_existing(const std::string& volume) const
    {
        auto state = load(volume);
        if (!state) {
            throw DriverError("no such volume");
        }
        return std::move(*state);
    }

    [[nodiscard]] std::optional<VolumeState> load(const std::string& volume) const
    {
        refuse_symlink(volume_dir(volume));
        const std::string path = volume_dir(volume) + "/" + k_state_file;
        const FileRead read = read_regular_file(path, k_max_state_bytes, Links::refuse);
        if (read.error == ENOENT || read.error == ENOTDIR) {
            return std::nullopt;
        }
        if (!read.ok()) {
            throw DriverError("read state file " + path + ": " + read.problem);
        }
        return parse_state(read.text, path);
    }

    // The state file's fields, checked one by one: nlohmann's own messages are not for users.
    static VolumeState parse_state(const std::string& text, const std::string& path)
    {
        const auto corrupt = [&path](const std::string& what) {
            return DriverError("corrupt state file " + path + ": " + what);
        };
        const json state = json::parse(text, nullptr, false);
        if (state.is_discarded()) {
            throw corrupt("not valid JSON");
        }
        if (!state.is_object()) {
            throw corrupt("not a JSON object");
        }
        VolumeState loaded;
        const auto options = state.find("Options");
        if (options == state.end() || !options->is_object()) {
            throw corrupt("\"Options\" is missing or not an object");
        }
        for (const auto& [key, value] : options->items()) {
            if (!value.is_string()) {
                throw corrupt("option \"" + key + "\" is not a string");
            }
            loaded.options[key] = value.get<std::string>();
        }
        const auto ids = state.find("MountIDs");
        if (ids == state.end() || !ids->is_array()) {
            throw corrupt("\"MountIDs\" is missing or not an array");
        }
        for (const auto& id : *ids) {
            if (!id.is_string()) {
                throw corrupt("\"MountIDs\" holds something other than a string");
            }
            loaded.mount_ids.push_back(id.get<std::string>());
        }
        const auto created = state.find("CreatedAt");
        if (created != state.end() && created->is_string()) {
            loaded.created_at = created->get<std::string>();
        }
        return loaded;
    }

    // Refuses, before anything is deleted, a volume with a mount at or below its directory:
    // deleting would go through it into whatever is mounted there.
    void refuse_mounts_inside(const std::string& volume, const VolumeState& state) const
    {
        const auto mounts = local::mount_points_under(volume_dir(volume));
        if (mounts.empty()) {
            return;
        }
        if (mounts.front() == data_dir(volume) && state.needs_mount()) {
            throw DriverError("volume \"" + volume + "\" is still mounted at " + mounts.front() +
                              " with no holder recorded (an interrupted mount); run \"dvdcli unmount "
                              "--volumedriver=local --volumename=" +
                              volume + "\" first");
        }
        throw DriverError("volume \"" + volume + "\" has a mount at " + mounts.front() +
                          "; refusing to delete through it (unmount it, then remove again)");
    }

    // Deletes the trash of `volume`'s killed removes (the caller holds its lock). True when
    // there was some; throws, naming the mount, when one holds a mount.
    bool finish_removals(const std::string& volume) const
    {
        bool found = false;
        for (const auto& entry : local::trash_entries(m_settings.root)) {
            if (local::trash_owner(entry) == volume) {
                local::delete_trash(m_settings.root + "/" + entry);
                found = true;
            }
        }
        return found;
    }

    // Deletes the trash of other volumes' killed removes, each under its volume's lock when it is
    // free at once (a live remove or create of that name holds it). Never fails this remove:
    // what cannot be deleted is left, with a warning.
    void finish_others_removals(const std::string& volume) const
    {
        for (const auto& entry : local::trash_entries(m_settings.root)) {
            const std::string owner = local::trash_owner(entry);
            if (owner.empty() || owner == volume) {
                continue;
            }
            try {
                const VolumeLock lock = lock_local_volume(m_settings.root, owner, std::chrono::milliseconds(0));
                local::delete_trash(m_settings.root + "/" + entry);
            } catch (const TimeoutError&) {
                // Its owner is at work on it.
            } catch (const Error& error) {
                spdlog::warn("left {}/{} of an interrupted remove: {}", m_settings.root, entry, error.what());
            }
        }
    }

    // Written to a temporary file, flushed, then renamed over the old one: a crash leaves either
    // the old state or the new, never a torn file.
    void save(const std::string& volume, const VolumeState& state) const
    {
        const json document = {
            {"Options", state.options}, {"MountIDs", state.mount_ids}, {"CreatedAt", state.created_at}};
        const std::string text = document.dump() + "\n";
        const std::string path = volume_dir(volume) + "/" + k_state_file;
        refuse_symlink(volume_dir(volume));
        if (const int error = replace_file(path, text, 0600); error != 0) {
            throw DriverError("write " + path + ": " + std::strerror(error));
        }
        if (const int dir = ::open(volume_dir(volume).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
            ::fsync(dir);
            ::close(dir);
        }
    }

    std::string m_name;
    LocalSettings m_settings;
};

}  // namespace

void validate_local_volume_name(const std::string& name)
{
    if (name.size() > k_max_name_length) {
        throw UsageError("invalid local volume name of " + std::to_string(name.size()) + " characters: at most " +
                         std::to_string(k_max_name_length) + " (the files named after it must fit in 255 bytes)");
    }
    const auto allowed = [](char c, bool first) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               (!first && (c == '_' || c == '.' || c == '-'));
    };
    bool valid = name.size() >= 2;
    for (std::size_t i = 0; valid && i < name.size(); ++i) {
        valid = allowed(name[i], i == 0);
    }
    if (!valid) {
        throw UsageError("invalid local volume name \"" + name +
                         "\": use at least two of [A-Za-z0-9_.-], starting with a letter or digit");
    }
}

std::unique_ptr<Driver> make_local_driver(const std::string& name, LocalSettings settings)
{
    return std::make_unique<LocalDriver>(name, std::move(settings));
}

}  // namespace volumecli
