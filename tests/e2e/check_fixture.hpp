#pragma once

// What the dvdcli check tests share: a fake plugin whose mountpoints are real directories, and
// readers of the --format=json report.

#include "harness.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace volumecli::e2e {

// A fake plugin on <socket dir>/fake.sock; the scratch volume is "scratch", mounted at
// <tmp>/mounts/scratch (a real directory, as is <tmp>/mounts/other).
struct CheckFixture {
    CheckFixture()
    {
        harness.start(plugin);
        mount_root = harness.dir().make_dir("mounts");
        harness.dir().make_dir("mounts/scratch");
        harness.dir().make_dir("mounts/other");
        plugin.set_mount_root(mount_root);
    }

    [[nodiscard]] ProcessResult check(std::vector<std::string> extra = {}) const
    {
        std::vector<std::string> args{"check", "--volumedriver=fake", "--volumename=scratch", "--format=json"};
        args.insert(args.end(), extra.begin(), extra.end());
        return harness.run(args);
    }

    // The volume's name in a request body ("" when there is none).
    static std::string name_in(const RecordedRequest& request)
    {
        const auto body = nlohmann::json::parse(request.body, nullptr, false);
        return body.is_object() && body.contains("Name") && body["Name"].is_string() ? body["Name"].get<std::string>()
                                                                                     : std::string();
    }

    Harness harness;
    FakePlugin plugin;
    std::string mount_root;
};

// The check `id` in a --format=json report.
inline nlohmann::json check_of(const nlohmann::json& report, const std::string& id)
{
    for (const auto& entry : report["Checks"]) {
        if (entry["ID"] == id) {
            return entry;
        }
    }
    FAIL("no check " << id << " in " << report.dump());
    return {};
}

// The IDs of the checks with `status`, in report order.
inline std::vector<std::string> ids_with(const nlohmann::json& report, const std::string& status)
{
    std::vector<std::string> ids;
    for (const auto& entry : report["Checks"]) {
        if (entry["Status"] == status) {
            ids.push_back(entry["ID"].get<std::string>());
        }
    }
    return ids;
}

}  // namespace volumecli::e2e
