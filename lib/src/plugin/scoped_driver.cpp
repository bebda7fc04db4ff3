#include <volumecli/scoped_driver.hpp>

#include "core/paths.hpp"

#include <utility>
#include <vector>

namespace volumecli {

namespace {

class ScopedDriver final : public Driver {
public:
    ScopedDriver(std::unique_ptr<Driver> inner, PluginFilesystem filesystem)
        : m_inner(std::move(inner)), m_filesystem(std::move(filesystem))
    {
    }

    [[nodiscard]] const std::string& name() const override { return m_inner->name(); }
    void create(const std::string& volume, const VolumeOptions& options) override { m_inner->create(volume, options); }
    void remove(const std::string& volume) override { m_inner->remove(volume); }
    std::string mount(const std::string& volume, const std::string& mount_id) override
    {
        return scoped(m_inner->mount(volume, mount_id));
    }
    void unmount(const std::string& volume, const std::string& mount_id) override
    {
        m_inner->unmount(volume, mount_id);
    }
    std::string path(const std::string& volume) override { return scoped(m_inner->path(volume)); }
    LookupResult get(const std::string& volume) override
    {
        LookupResult result = m_inner->get(volume);
        result.volume.mountpoint = scoped(result.volume.mountpoint);
        return result;
    }
    std::vector<Volume> list() override
    {
        std::vector<Volume> volumes = m_inner->list();
        for (auto& volume : volumes) {
            volume.mountpoint = scoped(volume.mountpoint);
        }
        return volumes;
    }
    Capabilities capabilities() override { return m_inner->capabilities(); }
    [[nodiscard]] bool looks_up_before_release() const override { return m_inner->looks_up_before_release(); }

private:
    [[nodiscard]] std::string scoped(const std::string& path) const { return scoped_path(m_filesystem, path); }

    std::unique_ptr<Driver> m_inner;
    PluginFilesystem m_filesystem;
};

}  // namespace

std::string scoped_path(const PluginFilesystem& filesystem, const std::string& path)
{
    if (path.empty() || path.front() != '/') {
        return path;
    }
    // As Docker, a plain string prefix: the host path must be the one dockerd would use.
    const std::string& propagated = filesystem.propagated_mount;
    if (!propagated.empty() && path.compare(0, propagated.size(), propagated) == 0) {
        return clean_absolute_path(filesystem.plugin_dir + "/propagated-mount/" + path.substr(propagated.size()));
    }
    return clean_absolute_path(filesystem.plugin_dir + "/rootfs/" + path);
}

std::unique_ptr<Driver> make_scoped_driver(std::unique_ptr<Driver> inner, PluginFilesystem filesystem)
{
    return std::make_unique<ScopedDriver>(std::move(inner), std::move(filesystem));
}

}  // namespace volumecli
