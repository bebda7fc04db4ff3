#pragma once

// The Docker plugin driver behind make_plugin_driver, over any Transport, so that tests can
// drive it over a fake one. Internal to libvolumecli.

#include "transport/plugin_transport.hpp"

#include <volumecli/driver.hpp>
#include <volumecli/plugin_driver.hpp>

#include <memory>
#include <string>
#include <vector>

namespace volumecli {

// A Docker volume plugin (legacy v1 protocol, as moby's client speaks it) behind a Transport.
// Plugin.Activate is sent before the first call; it must list "VolumeDriver" (else ProtocolError).
class PluginDriver final : public Driver {
public:
    PluginDriver(std::string name, std::unique_ptr<Transport> transport, PluginSettings settings);

    [[nodiscard]] const std::string& name() const override { return m_name; }
    void create(const std::string& volume, const VolumeOptions& options) override;
    void remove(const std::string& volume) override;
    std::string mount(const std::string& volume, const std::string& mount_id) override;
    void unmount(const std::string& volume, const std::string& mount_id) override;
    std::string path(const std::string& volume) override;
    LookupResult get(const std::string& volume) override;
    std::vector<Volume> list() override;
    Capabilities capabilities() override;

private:
    enum class CallLength { normal, long_running };
    HttpResponse call(const std::string& method, const std::string& body, CallLength length);
    HttpResponse call_activated(const std::string& method, const std::string& body, CallLength length);
    void activate();

    std::string m_name;
    std::unique_ptr<Transport> m_transport;
    PluginSettings m_settings;
    bool m_activated = false;
};

}  // namespace volumecli
