#pragma once

#include <volumecli/non_copyable.hpp>
#include <volumecli/volume.hpp>

#include <optional>
#include <string>
#include <vector>

namespace volumecli {

// Outcome of looking a volume up, keeping apart the cases the dvdcli call sequence treats
// differently. Transport failures, timeouts and malformed replies are thrown, never returned.
struct LookupResult {
    enum class Kind {
        found,        // volume holds the driver's description
        not_found,    // the driver answered with an error or a null volume; message says which
        unsupported,  // the driver has no Get (HTTP 404): callers fall back to the given name
    };
    Kind kind = Kind::not_found;
    Volume volume;
    std::string message;
};

// One volume driver: a Docker volume plugin, the Flocker control service or the local driver.
// Every method throws a volumecli::Error subclass on failure; messages carry the driver's words.
class Driver : private NonCopyable {
public:
    virtual ~Driver() = default;
    Driver() = default;

    // The name the user called the driver by (used in messages and mount IDs).
    [[nodiscard]] virtual const std::string& name() const = 0;

    // Creates `volume` with `options`. Throws DriverError when the driver refuses.
    virtual void create(const std::string& volume, const VolumeOptions& options) = 0;
    // Removes `volume`.
    virtual void remove(const std::string& volume) = 0;
    // Mounts `volume` for holder `mount_id`; returns the mountpoint exactly as the driver gave it.
    virtual std::string mount(const std::string& volume, const std::string& mount_id) = 0;
    // Releases holder `mount_id` of `volume`.
    virtual void unmount(const std::string& volume, const std::string& mount_id) = 0;
    // Returns the mountpoint of `volume` as the driver gives it (may be empty).
    virtual std::string path(const std::string& volume) = 0;
    // Looks `volume` up; see LookupResult for what is returned and what is thrown.
    virtual LookupResult get(const std::string& volume) = 0;
    // Lists every volume the driver knows.
    virtual std::vector<Volume> list() = 0;
    // Reports the driver's scope; drivers without the call report "local".
    virtual Capabilities capabilities() = 0;

    // Whether unmount and remove look the volume up with get first (dvdcli's sequence, which
    // also picks up a name the driver normalised). A driver that finds volumes itself, and can
    // release what a lookup would not show, answers false.
    [[nodiscard]] virtual bool looks_up_before_release() const { return true; }
};

}  // namespace volumecli
