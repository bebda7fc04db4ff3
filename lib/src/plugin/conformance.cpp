#include <volumecli/conformance.hpp>

#include <volumecli/error.hpp>

#include "core/clock.hpp"
#include "core/json_fields.hpp"
#include "plugin/plugin_codec.hpp"
#include "plugin/rfc3339.hpp"
#include "transport/plugin_transport.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <random>
#include <set>
#include <utility>

namespace volumecli {

namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

constexpr milliseconds k_normal_timeout{60000};
constexpr milliseconds k_long_timeout{120000};

// One step in progress: its notes decide its status (a failure outranks a warning).
class Step {
public:
    explicit Step(CheckStep& step) : m_step(step) {}

    void fail(const std::string& note)
    {
        m_step.notes.push_back(note);
        m_step.status = StepStatus::fail;
    }
    void warn(const std::string& note)
    {
        m_step.notes.push_back(note);
        if (m_step.status != StepStatus::fail) {
            m_step.status = StepStatus::warn;
        }
    }
    [[nodiscard]] bool failed() const { return m_step.status == StepStatus::fail; }

private:
    CheckStep& m_step;
};

// The plugin's reply as JSON, with the checks every call shares: HTTP 200, a JSON object, Err (if
// any) a string and empty. Returns nullopt (after failing the step) when the reply is unusable.
std::optional<json> checked_reply(Step& step, const HttpResponse& response, const std::string& call)
{
    if (response.status != 200) {
        step.fail("HTTP " + std::to_string(response.status) + ": " + codec::failure_message(call, response.body));
        return std::nullopt;
    }
    json reply;
    try {
        reply = json::parse(response.body);
    } catch (const json::exception&) {
        step.fail("reply is not JSON");
        return std::nullopt;
    }
    if (!reply.is_object()) {
        step.fail("reply is not a JSON object");
        return std::nullopt;
    }
    for (auto it = reply.begin(); it != reply.end(); ++it) {
        if (json_fields::equals_ignoring_case(it.key(), "Err")) {
            if (!it.value().is_string() && !it.value().is_null()) {
                step.fail("Err must be a string");
                return std::nullopt;
            }
            if (it.value().is_string() && !it.value().get<std::string>().empty()) {
                step.fail("Err: " + it.value().get<std::string>());
                return std::nullopt;
            }
        }
    }
    return reply;
}

// The value of `key` in `object`; a key that matches only ignoring case is a warning (Docker's
// decoder accepts it, stricter clients do not).
const json* member(Step& step, const json& object, const char* key)
{
    const json* value = json_fields::find(object, key);
    if (value != nullptr && object.find(key) == object.end()) {
        step.warn(std::string("field should be spelled \"") + key + "\"");
    }
    return value;
}

bool is_directory(const std::string& path)
{
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

// Checks a Volume object from Get or List: Name, Mountpoint, CreatedAt, Status.
void check_volume(Step& step, const json& volume, const std::string& expected_name, bool warn_missing)
{
    if (!volume.is_object()) {
        step.fail("Volume must be an object");
        return;
    }
    const json* name = member(step, volume, "Name");
    if (name == nullptr || !name->is_string()) {
        step.fail("Volume.Name must be a string");
    } else if (name->get<std::string>() != expected_name) {
        step.fail("Volume.Name is \"" + name->get<std::string>() + "\", not \"" + expected_name + "\"");
    }
    if (const json* mountpoint = member(step, volume, "Mountpoint");
        mountpoint != nullptr && !mountpoint->is_string()) {
        step.fail("Volume.Mountpoint must be a string");
    }
    const json* created_at = member(step, volume, "CreatedAt");
    if (created_at == nullptr || created_at->is_null()) {
        if (warn_missing) {
            step.warn("no CreatedAt");
        }
    } else if (!created_at->is_string() || !codec::is_rfc3339(created_at->get<std::string>())) {
        step.fail("CreatedAt " + created_at->dump() + " is not an RFC 3339 time");
    }
    const json* status = member(step, volume, "Status");
    if (status == nullptr || status->is_null()) {
        if (warn_missing) {
            step.warn("no Status");
        }
    } else if (!status->is_object()) {
        step.fail("Status must be an object");
    }
}

class Runner {
public:
    Runner(const std::string& driver, Transport& transport, const CheckSettings& settings)
        : m_transport(transport), m_settings(settings)
    {
        m_report.driver = driver;
        m_report.volume = settings.volume;
    }

    CheckReport run()
    {
        activate();
        capabilities();
        if (create()) {
            get();
            list();
            const auto first = mount("mount 1", k_first_id);
            const auto second = first ? mount("mount 2", k_second_id) : skip_step("mount 2", "VolumeDriver.Mount");
            if (first && second && *first != *second) {
                m_report.steps.back().status = StepStatus::fail;
                m_report.steps.back().notes.push_back("mountpoint \"" + *second + "\" differs from the first, \"" +
                                                      *first + "\"");
            }
            if (first) {
                path("path", *first);
                unmount("unmount 1", k_first_id);
                if (second) {
                    path("still mounted", *first);
                    unmount("unmount 2", k_second_id);
                } else {
                    skip_step("still mounted", "VolumeDriver.Path");
                    skip_step("unmount 2", "VolumeDriver.Unmount");
                }
            } else {
                for (const char* name : {"path", "unmount 1", "still mounted", "unmount 2"}) {
                    skip_step(name, std::string(name).rfind("unmount", 0) == 0 ? "VolumeDriver.Unmount"
                                                                               : "VolumeDriver.Path");
                }
            }
            release_mounts();
            remove();
            gone();
            cleanup();
        } else {
            for (const auto& [name, call] :
                 std::vector<std::pair<const char*, const char*>>{{"get", "VolumeDriver.Get"},
                                                                  {"list", "VolumeDriver.List"},
                                                                  {"mount 1", "VolumeDriver.Mount"},
                                                                  {"mount 2", "VolumeDriver.Mount"},
                                                                  {"path", "VolumeDriver.Path"},
                                                                  {"unmount 1", "VolumeDriver.Unmount"},
                                                                  {"still mounted", "VolumeDriver.Path"},
                                                                  {"unmount 2", "VolumeDriver.Unmount"},
                                                                  {"remove", "VolumeDriver.Remove"},
                                                                  {"gone", "VolumeDriver.Get"}}) {
                skip_step(name, call);
            }
        }
        return std::move(m_report);
    }

private:
    static constexpr const char* k_first_id = "dvdcli-check-mount-1";
    static constexpr const char* k_second_id = "dvdcli-check-mount-2";

    CheckStep& add_step(const std::string& name, const std::string& call, bool mandatory)
    {
        CheckStep step;
        step.name = name;
        step.call = call;
        step.mandatory = mandatory;
        step.status = StepStatus::pass;
        m_report.steps.push_back(std::move(step));
        return m_report.steps.back();
    }

    std::optional<std::string> skip_step(const std::string& name, const std::string& call)
    {
        CheckStep& step = add_step(name, call, true);
        step.status = StepStatus::skipped;
        step.notes.emplace_back("not run: an earlier step failed");
        return std::nullopt;
    }

    // Sends one call, timing it. Returns nullopt after failing the step when no reply came back.
    // The plugin being unreachable on the very first call ends the whole check.
    std::optional<HttpResponse> send(CheckStep& step, const std::string& body, bool long_running)
    {
        const milliseconds timeout = m_settings.timeout.value_or(long_running ? k_long_timeout : k_normal_timeout);
        const auto started = Clock::now();
        try {
            HttpResponse response = m_transport.post("/" + step.call, body, started + timeout);
            step.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
            m_reached = true;
            return response;
        } catch (const UnreachableError& error) {
            if (!m_reached) {
                throw UnreachableError(step.call + ": " + error.what());
            }
            step.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
            Step(step).fail(error.what());
        } catch (const Error& error) {
            step.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
            Step(step).fail(error.what());
        }
        return std::nullopt;
    }

    // send, then the checks every reply gets; nullopt (with the step failed) when either fails.
    std::optional<json> call(CheckStep& data, Step& step, const std::string& body, bool long_running)
    {
        const auto response = send(data, body, long_running);
        if (!response) {
            return std::nullopt;
        }
        return checked_reply(step, *response, data.call);
    }

    void activate()
    {
        if (!m_settings.activate) {
            CheckStep& step = add_step("activate", "Plugin.Activate", false);
            step.status = StepStatus::skipped;
            step.notes.emplace_back("managed plugin: Docker sends it no Activate");
            return;
        }
        CheckStep& data = add_step("activate", "Plugin.Activate", true);
        Step step(data);
        const auto reply = call(data, step, std::string(), false);
        if (!reply) {
            return;
        }
        const json* implements = member(step, *reply, "Implements");
        if (implements == nullptr || !implements->is_array()) {
            step.fail("Implements must be an array of strings");
            return;
        }
        const bool volume_driver = std::any_of(implements->begin(), implements->end(), [](const json& item) {
            return item.is_string() && item.get<std::string>() == "VolumeDriver";
        });
        if (!volume_driver) {
            step.fail("Implements does not list \"VolumeDriver\"");
        }
    }

    void capabilities()
    {
        CheckStep& data = add_step("capabilities", "VolumeDriver.Capabilities", false);
        Step step(data);
        const auto response = send(data, codec::empty_request(), false);
        if (!response) {
            return;
        }
        if (response->status == 404) {
            step.warn("no Capabilities endpoint (Docker then assumes scope local)");
            return;
        }
        const auto reply = checked_reply(step, *response, data.call);
        if (!reply) {
            return;
        }
        const json* capabilities = member(step, *reply, "Capabilities");
        if (capabilities == nullptr || !capabilities->is_object()) {
            step.fail("Capabilities must be an object");
            return;
        }
        const json* scope = member(step, *capabilities, "Scope");
        if (scope == nullptr || !scope->is_string() ||
            (scope->get<std::string>() != "local" && scope->get<std::string>() != "global")) {
            step.warn("Scope should be \"local\" or \"global\" (Docker uses local otherwise)");
        }
    }

    bool create()
    {
        CheckStep& data = add_step("create", "VolumeDriver.Create", true);
        Step step(data);
        const auto response = send(data, codec::create_request(m_settings.volume, m_settings.options), true);
        // Whatever it answered, the volume may exist now: clean up in any case.
        m_maybe_created = true;
        if (response) {
            checked_reply(step, *response, data.call);
        }
        return !step.failed();
    }

    void get()
    {
        CheckStep& data = add_step("get", "VolumeDriver.Get", true);
        Step step(data);
        const auto reply = call(data, step, codec::name_request(m_settings.volume), false);
        if (!reply) {
            return;
        }
        const json* volume = member(step, *reply, "Volume");
        if (volume == nullptr || volume->is_null()) {
            step.fail("no Volume in the reply");
            return;
        }
        check_volume(step, *volume, m_settings.volume, true);
    }

    void list()
    {
        CheckStep& data = add_step("list", "VolumeDriver.List", true);
        Step step(data);
        const auto reply = call(data, step, codec::empty_request(), false);
        if (!reply) {
            return;
        }
        const json* volumes = member(step, *reply, "Volumes");
        if (volumes == nullptr || !volumes->is_array()) {
            step.fail("Volumes must be an array");
            return;
        }
        bool listed = false;
        for (const auto& volume : *volumes) {
            const json* name = volume.is_object() ? json_fields::find(volume, "Name") : nullptr;
            if (name != nullptr && name->is_string() && name->get<std::string>() == m_settings.volume) {
                listed = true;
                check_volume(step, volume, m_settings.volume, false);
            }
        }
        if (!listed) {
            step.fail("the new volume is not listed");
        }
    }

    // Checks a reply's Mountpoint: a non-empty absolute path that exists on this host.
    std::optional<std::string> mountpoint_of(Step& step, const json& reply)
    {
        const json* mountpoint = member(step, reply, "Mountpoint");
        if (mountpoint == nullptr || !mountpoint->is_string() || mountpoint->get<std::string>().empty()) {
            step.fail("no Mountpoint");
            return std::nullopt;
        }
        std::string path = mountpoint->get<std::string>();
        if (path.front() != '/' || path.find_first_of(std::string("\n\r\0", 3)) != std::string::npos) {
            step.fail("Mountpoint \"" + path + "\" is not an absolute path");
            return std::nullopt;
        }
        if (m_settings.filesystem) {
            path = scoped_path(*m_settings.filesystem, path);
        }
        if (!is_directory(path)) {
            step.fail("Mountpoint " + path + " is not a directory on this host");
        }
        return path;
    }

    std::optional<std::string> mount(const std::string& name, const std::string& id)
    {
        CheckStep& data = add_step(name, "VolumeDriver.Mount", true);
        Step step(data);
        // A failed Mount may still have mounted: release the ID in any case.
        m_held.insert(id);
        const auto reply = call(data, step, codec::mount_request(m_settings.volume, id), true);
        if (!reply) {
            return std::nullopt;
        }
        auto path = mountpoint_of(step, *reply);
        return step.failed() ? std::nullopt : path;
    }

    void path(const std::string& name, const std::string& expected)
    {
        CheckStep& data = add_step(name, "VolumeDriver.Path", true);
        Step step(data);
        const auto reply = call(data, step, codec::name_request(m_settings.volume), false);
        if (!reply) {
            return;
        }
        const auto path = mountpoint_of(step, *reply);
        if (path && *path != expected) {
            step.fail("Mountpoint " + *path + " is not the mounted path " + expected);
        }
    }

    bool unmount(const std::string& name, const std::string& id)
    {
        CheckStep& data = add_step(name, "VolumeDriver.Unmount", true);
        Step step(data);
        if (call(data, step, codec::mount_request(m_settings.volume, id), false)) {
            m_held.erase(id);
        }
        return !step.failed();
    }

    void remove()
    {
        CheckStep& data = add_step("remove", "VolumeDriver.Remove", true);
        Step step(data);
        if (call(data, step, codec::name_request(m_settings.volume), false)) {
            m_maybe_created = false;
        }
    }

    void gone()
    {
        CheckStep& data = add_step("gone", "VolumeDriver.Get", true);
        Step step(data);
        const auto response = send(data, codec::name_request(m_settings.volume), false);
        if (!response || response->status != 200) {
            return;  // an error status: not found
        }
        json reply;
        try {
            reply = json::parse(response->body);
        } catch (const json::exception&) {
            step.fail("reply is not JSON");
            return;
        }
        const json* err = reply.is_object() ? json_fields::find(reply, "Err") : nullptr;
        const json* volume = reply.is_object() ? json_fields::find(reply, "Volume") : nullptr;
        const bool has_err = err != nullptr && err->is_string() && !err->get<std::string>().empty();
        if (!has_err && volume != nullptr && !volume->is_null()) {
            step.fail("the removed volume is still found");
        }
    }

    // After a failure, mounts may still be held: release them so that Remove can work.
    void release_mounts()
    {
        for (const auto& id : std::vector<std::string>(m_held.begin(), m_held.end())) {
            CheckStep scratch;
            scratch.call = "VolumeDriver.Unmount";
            const auto response = send(scratch, codec::mount_request(m_settings.volume, id), false);
            m_cleanup_notes.push_back("unmounted " + id + (response && response->status == 200 ? "" : " (failed)"));
            m_held.erase(id);
        }
    }

    void cleanup()
    {
        if (m_maybe_created) {
            CheckStep scratch;
            scratch.call = "VolumeDriver.Remove";
            const auto response = send(scratch, codec::name_request(m_settings.volume), false);
            const bool removed = response && response->status == 200 && scratch.status != StepStatus::fail;
            m_cleanup_notes.push_back("removed " + m_settings.volume + (removed ? "" : " (failed: remove it by hand)"));
        }
        if (!m_cleanup_notes.empty()) {
            CheckStep& step = add_step("cleanup", "", false);
            step.notes = m_cleanup_notes;
            if (std::any_of(m_cleanup_notes.begin(), m_cleanup_notes.end(),
                            [](const std::string& note) { return note.find("(failed") != std::string::npos; })) {
                step.status = StepStatus::warn;
            }
        }
    }

    Transport& m_transport;
    const CheckSettings& m_settings;
    CheckReport m_report;
    bool m_reached = false;
    bool m_maybe_created = false;
    std::set<std::string> m_held;
    std::vector<std::string> m_cleanup_notes;
};

}  // namespace

bool CheckReport::passed() const
{
    return std::none_of(steps.begin(), steps.end(), [](const CheckStep& step) {
        return step.mandatory && (step.status == StepStatus::fail || step.status == StepStatus::skipped);
    });
}

const char* status_name(StepStatus status)
{
    switch (status) {
        case StepStatus::pass: return "pass";
        case StepStatus::warn: return "warn";
        case StepStatus::fail: return "fail";
        case StepStatus::skipped: return "skipped";
    }
    return "?";
}

std::string scratch_volume_name()
{
    std::random_device device;
    std::uniform_int_distribution<unsigned> digit(0, 15);
    std::string suffix;
    for (int i = 0; i < 8; ++i) {
        suffix.push_back("0123456789abcdef"[digit(device)]);
    }
    return "dvdcli-check-" + std::to_string(::getpid()) + "-" + suffix;
}

CheckReport run_conformance_check(const std::string& driver, const Endpoint& endpoint, const CheckSettings& settings)
{
    const auto transport = make_http_transport(endpoint);
    return Runner(driver, *transport, settings).run();
}

}  // namespace volumecli
