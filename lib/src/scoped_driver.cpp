#include <volumecli/scoped_driver.hpp>

#include <utility>
#include <vector>

namespace volumecli {

namespace {

// Go's filepath.Clean for absolute paths: no empty, "." or ".." components.
std::string clean_absolute(const std::string& path)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto slash = path.find('/', start);
        const std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part == "..") {
            if (!parts.empty()) {
                parts.pop_back();
            }
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        if (slash == std::string::npos) {
            break;
        }
        start = slash + 1;
    }
    std::string cleaned;
    for (const auto& part : parts) {
        cleaned += "/" + part;
    }
    return cleaned.empty() ? "/" : cleaned;
}

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
        return clean_absolute(filesystem.plugin_dir + "/propagated-mount/" + path.substr(propagated.size()));
    }
    return clean_absolute(filesystem.plugin_dir + "/rootfs/" + path);
}

std::unique_ptr<Driver> make_scoped_driver(std::unique_ptr<Driver> inner, PluginFilesystem filesystem)
{
    return std::make_unique<ScopedDriver>(std::move(inner), std::move(filesystem));
}

}  // namespace volumecli
