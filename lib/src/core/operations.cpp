#include <volumecli/operations.hpp>

#include <volumecli/error.hpp>

#include <spdlog/spdlog.h>

namespace volumecli {

namespace {

// `driver "D": Call "V": ` (escaped with the rest of the message when the error is made).
std::string context(const Driver& driver, const char* call, const std::string* volume)
{
    std::string text = driver_context(driver.name()) + call;
    if (volume != nullptr) {
        text += " \"" + *volume + "\"";
    }
    return text + ": ";
}

template <typename Function>
auto in_context(const Driver& driver, const char* call, const std::string* volume, Function&& function)
{
    try {
        return function();
    } catch (const Error& error) {
        rethrow_with_context(error, context(driver, call, volume));
    }
}

LookupResult lookup(Driver& driver, const std::string& volume)
{
    auto result = in_context(driver, "Get", &volume, [&] { return driver.get(volume); });
    if (result.kind == LookupResult::Kind::found) {
        if (result.volume.name.empty()) {
            result.volume.name = volume;
        } else if (result.volume.name != volume) {
            spdlog::info("driver \"{}\" calls volume \"{}\" \"{}\"", driver.name(), volume, result.volume.name);
        }
    } else if (result.kind == LookupResult::Kind::unsupported) {
        spdlog::info("driver \"{}\" has no VolumeDriver.Get; using the name \"{}\" as given", driver.name(), volume);
    }
    return result;
}

// The name later calls use: Get's, or the given one when the driver has no Get. "Not found"
// ends the operation, as in dvdcli.
std::string resolved_name(Driver& driver, const std::string& volume, const LookupResult& found)
{
    switch (found.kind) {
        case LookupResult::Kind::found: return found.volume.name;
        case LookupResult::Kind::unsupported: return volume;
        case LookupResult::Kind::not_found: break;
    }
    throw DriverError(context(driver, "Get", &volume) + found.message);
}

void check_mountpoint(const Driver& driver, const char* call, const std::string& name, const std::string& path)
{
    if (!is_usable_mountpoint(path)) {
        std::string shown;
        for (const char c : path) {
            shown += (c == '\n')   ? std::string("\\n")
                     : (c == '\r') ? std::string("\\r")
                     : (c == '\0') ? std::string("\\0")
                                   : std::string(1, c);
        }
        throw ProtocolError(context(driver, call, &name) + "invalid mountpoint \"" + shown +
                            "\": not an absolute path on one line");
    }
}

}  // namespace

bool is_usable_mountpoint(const std::string& path)
{
    return !path.empty() && path.front() == '/' && path.find_first_of(std::string("\n\r\0", 3)) == std::string::npos;
}

MountResult mount_volume(Driver& driver, const MountRequest& request)
{
    const auto found = lookup(driver, request.volume);
    std::string name = request.volume;
    if (found.kind == LookupResult::Kind::found) {
        name = found.volume.name;
        if (!request.options.empty()) {
            // As in Docker and dvdcli, options only shape a new volume; say so rather than drop them silently.
            spdlog::warn("driver \"{}\": volume \"{}\" exists; the options given{} are ignored", driver.name(),
                         request.volume,
                         request.options_source.empty() ? std::string() : " (" + request.options_source + ")");
        }
    } else if (request.explicit_create) {
        if (found.kind == LookupResult::Kind::not_found) {
            throw DriverError(context(driver, "Get", &request.volume) + found.message);
        }
    } else {
        spdlog::info("driver \"{}\": creating volume \"{}\" ({})", driver.name(), request.volume, found.message);
        in_context(driver, "Create", &request.volume, [&] { driver.create(request.volume, request.options); });
    }
    const bool unheld = found.kind == LookupResult::Kind::not_found ||
                        (found.kind == LookupResult::Kind::found && found.volume.mountpoint.empty());
    const auto mountpoint = in_context(driver, "Mount", &name, [&] { return driver.mount(name, request.mount_id); });
    check_mountpoint(driver, "Mount", name, mountpoint);
    return {name, mountpoint, unheld};
}

void unmount_volume(Driver& driver, const std::string& volume, const std::string& mount_id)
{
    const std::string name =
        driver.looks_up_before_release() ? resolved_name(driver, volume, lookup(driver, volume)) : volume;
    in_context(driver, "Unmount", &name, [&] { driver.unmount(name, mount_id); });
}

MountResult volume_path(Driver& driver, const std::string& volume)
{
    const auto found = lookup(driver, volume);
    const std::string name = resolved_name(driver, volume, found);
    if (found.kind == LookupResult::Kind::found && !found.volume.mountpoint.empty()) {
        check_mountpoint(driver, "Get", name, found.volume.mountpoint);
        return {name, found.volume.mountpoint, false};
    }
    // As dvdcli 0.2 and Docker: a volume with no mountpoint has an empty path, and a Path error
    // reply (REX-Ray answers 500 after Unmount) means the same. Scripts test for the empty output.
    std::string mountpoint;
    try {
        mountpoint = in_context(driver, "Path", &name, [&] { return driver.path(name); });
    } catch (const DriverError& error) {
        spdlog::warn("{} (no mountpoint)", error.what());
        return {name, "", false};
    }
    if (!mountpoint.empty()) {
        check_mountpoint(driver, "Path", name, mountpoint);
    }
    return {name, mountpoint, false};
}

void create_volume(Driver& driver, const std::string& volume, const VolumeOptions& options)
{
    in_context(driver, "Create", &volume, [&] { driver.create(volume, options); });
}

void remove_volume(Driver& driver, const std::string& volume)
{
    const std::string name =
        driver.looks_up_before_release() ? resolved_name(driver, volume, lookup(driver, volume)) : volume;
    in_context(driver, "Remove", &name, [&] { driver.remove(name); });
}

Volume get_volume(Driver& driver, const std::string& volume)
{
    const auto found = lookup(driver, volume);
    if (found.kind != LookupResult::Kind::found) {
        throw DriverError(context(driver, "Get", &volume) + found.message);
    }
    return found.volume;
}

std::vector<Volume> list_volumes(Driver& driver)
{
    return in_context(driver, "List", nullptr, [&] { return driver.list(); });
}

Capabilities driver_capabilities(Driver& driver)
{
    return in_context(driver, "Capabilities", nullptr, [&] { return driver.capabilities(); });
}

}  // namespace volumecli
