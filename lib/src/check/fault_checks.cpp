// The checks of what a plugin answers when things are wrong: calls for a volume that does not
// exist, a body that is not JSON, an endpoint the protocol does not have.

#include "check/check_run.hpp"

#include "plugin/plugin_codec.hpp"

namespace volumecli::check {

namespace {

constexpr const char* k_missing_id = "dvdcli-check-missing";

}  // namespace

void run_fault_checks(CheckRun& run)
{
    Scratch& scratch = run.scratch();
    const std::string name_body = codec::name_request(scratch.missing);
    const std::string mount_body = codec::mount_request(scratch.missing, k_missing_id);
    run.run("errors.get-missing", [&](Verdict& verdict) {
        const auto outcome = run.calls().post("VolumeDriver.Get", name_body);
        if (outcome.response && outcome.response->status == 200) {
            // Volume null without Err: Docker reads it as "no such volume", stricter callers do not.
            const Json reply = Json::parse(outcome.response->body, nullptr, false);
            Verdict ignored;
            const Json* volume = reply.is_object() ? member(ignored, reply, "Volume") : nullptr;
            const Json* err = reply.is_object() ? member(ignored, reply, "Err") : nullptr;
            if (volume == nullptr && (err == nullptr || *err == "")) {
                verdict.warn(
                    "Get of a missing volume answers Volume null without Err (Docker copes; an Err says "
                    "why)");
                return;
            }
        }
        expect_error_reply(verdict, outcome, "VolumeDriver.Get of a missing volume");
    });
    run.run("errors.path-missing", [&](Verdict& verdict) {
        expect_error_reply(verdict, run.calls().post("VolumeDriver.Path", name_body),
                           "VolumeDriver.Path of a missing volume");
    });
    run.run("errors.mount-missing", [&](Verdict& verdict) {
        const auto outcome = run.calls().post("VolumeDriver.Mount", mount_body);
        if (!expect_error_reply(verdict, outcome, "VolumeDriver.Mount of a missing volume") && outcome.response) {
            // It made the volume after all: it goes with the others.
            scratch.created.insert(scratch.missing);
            scratch.held.emplace(scratch.missing, k_missing_id);
        }
    });
    run.run("errors.unmount-missing", [&](Verdict& verdict) {
        if (scratch.created.count(scratch.missing) != 0) {
            verdict.warn("not checked: the Mount before it created the volume");
            return;
        }
        expect_error_reply(verdict, run.calls().post("VolumeDriver.Unmount", mount_body),
                           "VolumeDriver.Unmount of a missing volume");
    });
    run.run("errors.remove-missing", [&](Verdict& verdict) {
        if (scratch.created.count(scratch.missing) != 0) {
            verdict.warn("not checked: the Mount before it created the volume");
            return;
        }
        expect_error_reply(verdict, run.calls().post("VolumeDriver.Remove", name_body),
                           "VolumeDriver.Remove of a missing volume");
    });

    run.run("robustness.malformed-json", [&](Verdict& verdict) {
        expect_error_reply(verdict, run.calls().post("VolumeDriver.Get", "{\"Name\": not JSON"),
                           "VolumeDriver.Get with a body that is not JSON");
        // The connection may have been closed on us: List goes on a new one if need be.
        success_reply(verdict, run.calls().post("VolumeDriver.List", codec::empty_request()),
                      "VolumeDriver.List after it");
    });
    run.run("robustness.unknown-endpoint", [&](Verdict& verdict) {
        const std::string call = "VolumeDriver.DvdcliCheckUnknownEndpoint";
        const auto outcome = run.calls().post(call, codec::empty_request());
        if (!outcome.response) {
            verdict.fail(call + ": " + outcome.problem);
        } else if (outcome.response->status != 404) {
            verdict.fail(call + " answered HTTP " + std::to_string(outcome.response->status) + ", not 404");
        }
    });
}

}  // namespace volumecli::check
