#include "app.hpp"

#include "options.hpp"
#include "printer.hpp"

#include <volumecli/discovery.hpp>
#include <volumecli/error.hpp>
#include <volumecli/mount_id.hpp>
#include <volumecli/operations.hpp>
#include <volumecli/plugin_driver.hpp>
#include <volumecli/transport.hpp>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace volumecli::cli {

namespace {

void set_up_logging()
{
    auto logger = spdlog::stderr_logger_st("dvdcli");
    logger->set_pattern("%n: %l: %v");
    logger->set_level(spdlog::level::warn);
    spdlog::set_default_logger(std::move(logger));
}

void apply_log_level(LogLevel level)
{
    static constexpr spdlog::level::level_enum k_levels[] = {
        spdlog::level::trace, spdlog::level::debug,    spdlog::level::info, spdlog::level::warn,
        spdlog::level::err,   spdlog::level::critical, spdlog::level::off};
    spdlog::set_level(k_levels[static_cast<int>(level)]);
}

std::optional<std::string> from_process_environment(const char* name)
{
    if (const char* value = std::getenv(name)) {
        return std::string(value);
    }
    return std::nullopt;
}

std::unique_ptr<Driver> open_driver(const CliOptions& options)
{
    PluginSettings settings;
    settings.timeout = options.timeout;
    settings.retry.window = options.retry_window;
    Endpoint endpoint;
    if (options.plugin_address) {
        endpoint = parse_endpoint_url(*options.plugin_address);
        endpoint.tls_files = options.tls_files;
    } else {
        discovery::validate_plugin_name(options.driver);
        try {
            endpoint = discovery::resolve_plugin(options.driver, options.search_paths, settings.retry);
        } catch (const Error& error) {
            rethrow_with_context(error, "driver \"" + options.driver + "\": ");
        }
    }
    return std::make_unique<PluginDriver>(options.driver, make_http_transport(endpoint), settings);
}

std::string execute(const CliOptions& options)
{
    const auto driver = open_driver(options);
    const std::string mount_id = options.mount_id.value_or(default_mount_id(options.driver, options.volume));
    switch (options.command) {
        case Command::mount: {
            MountRequest request{options.volume, options.volume_options, options.explicit_create, mount_id};
            return render_mount(mount_volume(*driver, request), options.format);
        }
        case Command::unmount: unmount_volume(*driver, options.volume, mount_id); return {};
        case Command::path: return render_mount(volume_path(*driver, options.volume), options.format);
        case Command::create:
            create_volume(*driver, options.volume, options.volume_options);
            return render_created(options.volume, options.format);
        case Command::remove: remove_volume(*driver, options.volume); return {};
        case Command::get: return render_volume(get_volume(*driver, options.volume), options.format);
        case Command::list: return render_list(list_volumes(*driver), options.format);
        case Command::capabilities: return render_capabilities(driver_capabilities(*driver), options.format);
        case Command::version: return render_version();
    }
    return {};
}

void write_stdout(const std::string& text)
{
    if (text.empty()) {
        return;
    }
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
        throw DriverError("cannot write the result to standard output");
    }
}

// Error text may quote a plugin's reply; the promise is one line on stderr.
std::string one_line(std::string text)
{
    for (char& c : text) {
        if (c == '\n' || c == '\r') {
            c = ' ';
        }
    }
    return text;
}

}  // namespace

int run(int argc, char** argv)
{
    set_up_logging();
    try {
        const ParseResult parsed = parse_command_line(argc, argv, from_process_environment);
        if (!parsed.options) {
            write_stdout(parsed.output);
            return 0;
        }
        apply_log_level(parsed.options->log_level);
        write_stdout(execute(*parsed.options));
        return 0;
    } catch (const Error& error) {
        spdlog::error(one_line(error.what()));
        return static_cast<int>(error.exit_code());
    } catch (const std::exception& error) {
        spdlog::error("internal error: {}", one_line(error.what()));
        return static_cast<int>(ExitCode::driver_error);
    }
}

}  // namespace volumecli::cli
