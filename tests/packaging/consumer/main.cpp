// Uses libvolumecli as a Mesos module would: find a plugin, call it through a Driver, map errors
// to exit codes. Run with a socket directory that holds no plugin: prints what it did, exits 0.

#include <volumecli/discovery.hpp>
#include <volumecli/error.hpp>
#include <volumecli/operations.hpp>
#include <volumecli/plugin_driver.hpp>
#include <volumecli/version.hpp>

#include <iostream>
#include <memory>
#include <string>

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::cerr << "usage: consumer EMPTY_DIR\n";
        return 2;
    }
    std::cout << "volumecli " << volumecli::version() << "\n";
    volumecli::discovery::SearchPaths paths;
    paths.socket_dir = argv[1];
    paths.spec_dirs = {argv[1]};
    if (volumecli::discovery::find_plugin("nothing", paths)) {
        std::cerr << "found a plugin in an empty directory\n";
        return 1;
    }
    const std::string socket = std::string(argv[1]) + "/none.sock";
    volumecli::PluginSettings settings;
    settings.retry.window = std::chrono::milliseconds(0);
    const auto driver =
        volumecli::make_plugin_driver("none", volumecli::parse_endpoint_url("unix://" + socket), settings);
    try {
        volumecli::list_volumes(*driver);
    } catch (const volumecli::Error& error) {
        std::cout << "exit code " << static_cast<int>(error.exit_code()) << "\n";
        return 0;
    }
    std::cerr << "listing a missing plugin succeeded\n";
    return 1;
}
