#pragma once

#include <volumecli/driver.hpp>
#include <volumecli/endpoint.hpp>
#include <volumecli/retry.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace volumecli {

struct PluginSettings {
    // One timeout for every call when set; otherwise Docker's: Create and Mount 120 s, others 60 s.
    std::optional<std::chrono::milliseconds> timeout;
    RetryPolicy retry;
    // Managed (v2) plugins are never sent Plugin.Activate.
    bool activate = true;
};

// A Docker volume plugin (legacy v1 protocol, as moby's client speaks it) called `name`, reached
// over HTTP/1.1 at `endpoint` (TLS when endpoint.tls) on one kept-alive connection, made on the
// first call. Plugin.Activate is sent before the first call; it must list "VolumeDriver" (else
// ProtocolError).
std::unique_ptr<Driver> make_plugin_driver(std::string name, const Endpoint& endpoint, PluginSettings settings);

}  // namespace volumecli
