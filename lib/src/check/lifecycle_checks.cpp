// The checks that follow one volume through its life: activation, create, get and list, mount by
// several holders, unmount, remove.

#include "check/check_run.hpp"

#include "core/json_fields.hpp"
#include "plugin/plugin_codec.hpp"

#include <algorithm>
#include <array>
#include <thread>

namespace volumecli::check {

namespace {

constexpr const char* k_first_id = "dvdcli-check-mount-1";
constexpr const char* k_second_id = "dvdcli-check-mount-2";
constexpr std::size_t k_parallel_holders = 10;

std::string options_body(const std::string& name, const VolumeOptions& options, bool null_when_empty)
{
    Json opts = Json::object();
    for (const auto& [key, value] : options) {
        opts[key] = value;
    }
    if (opts.empty() && null_when_empty) {
        opts = nullptr;
    }
    return Json{{"Name", name}, {"Opts", opts}}.dump();
}

void activation(CheckRun& run)
{
    if (!run.settings().activate) {
        run.skip("activate.implements-volumedriver", "not run: a managed plugin, Docker sends it no Activate");
    } else {
        run.run("activate.implements-volumedriver", [&run](Verdict& verdict) {
            const auto reply = success_reply(verdict, run.calls().post("Plugin.Activate", ""), "Plugin.Activate");
            if (!reply) {
                return;
            }
            const Json* implements = member(verdict, *reply, "Implements");
            if (implements == nullptr || !implements->is_array()) {
                verdict.fail("Implements must be an array of strings");
            } else if (std::none_of(implements->begin(), implements->end(),
                                    [](const Json& item) { return item == "VolumeDriver"; })) {
                verdict.fail("Implements " + implements->dump() + " does not list \"VolumeDriver\"");
            }
        });
    }
    run.run("activate.capabilities-scope", [&run](Verdict& verdict) {
        const std::string call = "VolumeDriver.Capabilities";
        const auto outcome = run.calls().post(call, codec::empty_request());
        if (outcome.response && outcome.response->status == 404) {
            verdict.warn("no Capabilities endpoint (Docker then assumes scope local)");
            return;
        }
        const auto reply = success_reply(verdict, outcome, call);
        const Json* capabilities = reply ? member(verdict, *reply, "Capabilities") : nullptr;
        const Json* scope =
            capabilities != nullptr && capabilities->is_object() ? member(verdict, *capabilities, "Scope") : nullptr;
        if (reply && (scope == nullptr || (*scope != "local" && *scope != "global"))) {
            verdict.fail("Capabilities.Scope should be \"local\" or \"global\" (Docker uses local otherwise)");
        }
    });
}

void creation(CheckRun& run)
{
    Scratch& scratch = run.scratch();
    const auto create = [&run, &scratch](Verdict& verdict, const std::string& name, bool null_when_empty) {
        // Whatever it answers, the volume may exist now: it is cleaned up in any case.
        scratch.created.insert(name);
        success_reply(
            verdict,
            run.calls().post("VolumeDriver.Create", options_body(name, run.settings().options, null_when_empty)),
            "VolumeDriver.Create");
    };
    run.run("create.new-volume", [&](Verdict& verdict) { create(verdict, scratch.volume, true); });
    run.run("create.with-options", [&](Verdict& verdict) { create(verdict, scratch.with_options, false); });
    run.run("create.second-create-same-name", [&](Verdict& verdict) { create(verdict, scratch.volume, true); });
}

void get_and_list(CheckRun& run)
{
    Scratch& scratch = run.scratch();
    run.run("get.found", [&](Verdict& verdict) {
        const auto reply = success_reply(
            verdict, run.calls().post("VolumeDriver.Get", codec::name_request(scratch.volume)), "VolumeDriver.Get");
        const Json* volume = reply ? member(verdict, *reply, "Volume") : nullptr;
        if (reply && (volume == nullptr || !volume->is_object())) {
            verdict.fail("no Volume object in the reply");
            return;
        }
        if (volume != nullptr) {
            const Json* name = json_fields::find(*volume, "Name");
            if (name == nullptr || *name != scratch.volume) {
                verdict.fail("Volume.Name is " + (name == nullptr ? std::string("missing") : name->dump()) +
                             ", not \"" + scratch.volume + "\"");
            }
            scratch.got = *volume;
        }
    });
    run.run("get.fields", [&](Verdict& verdict) { check_volume_fields(verdict, *scratch.got); });
    run.run("get.created-at-rfc3339", [&](Verdict& verdict) { check_created_at(verdict, *scratch.got, true); });
    run.run("get.status-object", [&](Verdict& verdict) { check_status(verdict, *scratch.got, true); });

    run.run("list.found", [&](Verdict& verdict) {
        const auto reply =
            success_reply(verdict, run.calls().post("VolumeDriver.List", codec::empty_request()), "VolumeDriver.List");
        const Json* volumes = reply ? member(verdict, *reply, "Volumes") : nullptr;
        if (reply && (volumes == nullptr || !volumes->is_array())) {
            verdict.fail("Volumes must be an array");
            return;
        }
        if (volumes == nullptr) {
            return;
        }
        scratch.listed = *volumes;
        const bool listed = std::any_of(volumes->begin(), volumes->end(), [&scratch](const Json& volume) {
            const Json* name = volume.is_object() ? json_fields::find(volume, "Name") : nullptr;
            return name != nullptr && *name == scratch.volume;
        });
        if (!listed) {
            verdict.fail("the new volume " + scratch.volume + " is not listed");
        }
    });
    run.run("list.fields", [&](Verdict& verdict) {
        for (const auto& volume : *scratch.listed) {
            if (!volume.is_object()) {
                verdict.fail("a listed volume is not an object: " + volume.dump());
                continue;
            }
            Verdict entry;
            check_volume_fields(entry, volume);
            check_created_at(entry, volume, false);
            check_status(entry, volume, false);
            const Json* name = json_fields::find(volume, "Name");
            const std::string which = name != nullptr ? name->dump() : volume.dump();
            for (const auto& note : entry.notes()) {
                entry.failed() ? verdict.fail(which + ": " + note) : verdict.warn(which + ": " + note);
            }
        }
    });
}

// Mount of the scratch volume for `id`; the mountpoint when it succeeded and is a host directory.
std::optional<std::string> mount(CheckRun& run, Verdict& verdict, const std::string& id)
{
    Scratch& scratch = run.scratch();
    // A failed Mount may still have mounted: the ID is released in any case.
    scratch.held.emplace(scratch.volume, id);
    const std::string body = codec::mount_request(scratch.volume, id);
    const auto outcome = run.calls().post("VolumeDriver.Mount", body);
    const auto reply = success_reply(verdict, outcome, "VolumeDriver.Mount");
    return reply ? checked_mountpoint(verdict, *reply, run.settings().filesystem) : std::nullopt;
}

bool unmount(CheckRun& run, Verdict& verdict, const std::string& id)
{
    Scratch& scratch = run.scratch();
    const std::string body = codec::mount_request(scratch.volume, id);
    const auto outcome = run.calls().post("VolumeDriver.Unmount", body);
    if (!success_reply(verdict, outcome, "VolumeDriver.Unmount")) {
        return false;
    }
    scratch.held.erase({scratch.volume, id});
    return true;
}

void expect_path(CheckRun& run, Verdict& verdict)
{
    const auto reply = success_reply(
        verdict, run.calls().post("VolumeDriver.Path", codec::name_request(run.scratch().volume)), "VolumeDriver.Path");
    const auto path = reply ? checked_mountpoint(verdict, *reply, run.settings().filesystem) : std::nullopt;
    if (path && *path != run.scratch().mountpoint) {
        verdict.fail("Path answers " + *path + ", not the mounted path " + run.scratch().mountpoint);
    }
}

// 10 Mounts at once, each on its own connection, then their Unmounts at once.
void parallel_holders(CheckRun& run, Verdict& verdict)
{
    std::array<Verdict, k_parallel_holders> verdicts;
    std::array<std::optional<std::string>, k_parallel_holders> paths;
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < k_parallel_holders; ++i) {
        ids.push_back("dvdcli-check-parallel-" + std::to_string(i + 1));
        run.scratch().held.emplace(run.scratch().volume, ids.back());
    }
    const auto all_at_once = [&](const std::function<void(std::size_t)>& call) {
        std::vector<std::thread> threads;
        for (std::size_t i = 0; i < k_parallel_holders; ++i) {
            threads.emplace_back(call, i);
        }
        for (auto& thread : threads) {
            thread.join();
        }
    };
    // The held set is filled in above and emptied below, never by the threads.
    all_at_once([&](std::size_t i) {
        const std::string body = codec::mount_request(run.scratch().volume, ids[i]);
        const auto reply =
            success_reply(verdicts[i], run.calls().post_alone("VolumeDriver.Mount", body), "VolumeDriver.Mount");
        paths[i] = reply ? checked_mountpoint(verdicts[i], *reply, run.settings().filesystem) : std::nullopt;
    });
    std::array<bool, k_parallel_holders> unmounted{};
    all_at_once([&](std::size_t i) {
        const std::string body = codec::mount_request(run.scratch().volume, ids[i]);
        unmounted[i] =
            success_reply(verdicts[i], run.calls().post_alone("VolumeDriver.Unmount", body), "VolumeDriver.Unmount")
                .has_value();
    });
    for (std::size_t i = 0; i < k_parallel_holders; ++i) {
        if (unmounted[i]) {
            run.scratch().held.erase({run.scratch().volume, ids[i]});
        }
        if (paths[i] && *paths[i] != run.scratch().mountpoint) {
            verdicts[i].fail("Mountpoint " + *paths[i] + " differs from the first holder's, " +
                             run.scratch().mountpoint);
        }
        for (const auto& note : verdicts[i].notes()) {
            verdict.fail(ids[i] + ": " + note);
        }
    }
}

void mounting(CheckRun& run)
{
    Scratch& scratch = run.scratch();
    run.run("mount.absolute-path", [&](Verdict& verdict) {
        if (const auto path = mount(run, verdict, k_first_id)) {
            scratch.mountpoint = *path;
        }
    });
    run.run("mount.second-holder-same-path", [&](Verdict& verdict) {
        const auto path = mount(run, verdict, k_second_id);
        if (path && *path != scratch.mountpoint) {
            verdict.fail("Mountpoint " + *path + " differs from the first holder's, " + scratch.mountpoint);
        }
    });
    run.run("mount.parallel-holders", [&](Verdict& verdict) { parallel_holders(run, verdict); });
    run.run("mount.path-matches", [&](Verdict& verdict) { expect_path(run, verdict); });
    run.run("unmount.holder-left-stays-mounted", [&](Verdict& verdict) {
        if (unmount(run, verdict, k_first_id)) {
            expect_path(run, verdict);
        }
    });
    run.run("unmount.last-holder-releases", [&](Verdict& verdict) { unmount(run, verdict, k_second_id); });
}

void removal(CheckRun& run)
{
    Scratch& scratch = run.scratch();
    if (run.needed("remove.unmounted-volume")) {
        // Whatever mounts the checks above left are released first: this check is about Remove.
        Verdict ignored;
        for (const auto& [volume, id] : std::set<std::pair<std::string, std::string>>(scratch.held)) {
            if (volume == scratch.volume) {
                unmount(run, ignored, id);
            }
        }
    }
    run.run("remove.unmounted-volume", [&](Verdict& verdict) {
        if (success_reply(verdict, run.calls().post("VolumeDriver.Remove", codec::name_request(scratch.volume)),
                          "VolumeDriver.Remove")) {
            scratch.created.erase(scratch.volume);
        }
    });
    run.run("remove.gone-from-get", [&](Verdict& verdict) {
        const auto outcome = run.calls().post("VolumeDriver.Get", codec::name_request(scratch.volume));
        if (!outcome.response) {
            verdict.fail("VolumeDriver.Get: " + outcome.problem);
            return;
        }
        if (outcome.response->status != 200) {
            return;  // an error: not found
        }
        const Json reply = Json::parse(outcome.response->body, nullptr, false);
        const Json* err = reply.is_object() ? json_fields::find(reply, "Err") : nullptr;
        const Json* volume = reply.is_object() ? json_fields::find(reply, "Volume") : nullptr;
        const bool has_err = err != nullptr && err->is_string() && !err->get<std::string>().empty();
        if (!has_err && volume != nullptr && !volume->is_null()) {
            verdict.fail("the removed volume is still found by Get");
        }
    });
    run.run("remove.gone-from-list", [&](Verdict& verdict) {
        const auto reply =
            success_reply(verdict, run.calls().post("VolumeDriver.List", codec::empty_request()), "VolumeDriver.List");
        const Json* volumes = reply ? json_fields::find(*reply, "Volumes") : nullptr;
        if (volumes == nullptr || !volumes->is_array()) {
            return;
        }
        for (const auto& volume : *volumes) {
            const Json* name = volume.is_object() ? json_fields::find(volume, "Name") : nullptr;
            if (name != nullptr && *name == scratch.volume) {
                verdict.fail("the removed volume is still listed");
            }
        }
    });
}

}  // namespace

void run_lifecycle_checks(CheckRun& run)
{
    activation(run);
    creation(run);
    get_and_list(run);
    mounting(run);
    removal(run);
}

}  // namespace volumecli::check
