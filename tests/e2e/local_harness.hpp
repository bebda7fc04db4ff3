#pragma once

// The local driver's end-to-end setup: the real dvdcli with DVDCLI_LOCAL_ROOT in a per-test
// temporary directory, and what the tests read back (the state file, the holders).

#include "harness.hpp"
#include "mounts.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace volumecli::e2e {

// A harness plus DVDCLI_LOCAL_ROOT=<tmp>/volumes (not created beforehand: dvdcli makes it).
// Member order matters: the guard unmounts before the temporary tree is deleted.
struct LocalHarness {
    using Args = std::vector<std::string>;

    Harness harness;
    std::string root = harness.dir().file("volumes");
    MountGuard guard{harness.dir().path()};

    [[nodiscard]] ProcessResult run(const Args& args, test::ProcessOptions options = {}) const
    {
        options.env["DVDCLI_LOCAL_ROOT"] = root;
        return harness.run(args, options);
    }
    [[nodiscard]] ProcessResult local(const std::string& command, const std::string& volume, Args extra = {}) const
    {
        Args args{command, "--volumedriver=local", "--volumename=" + volume};
        args.insert(args.end(), extra.begin(), extra.end());
        return run(args);
    }
    [[nodiscard]] std::string data(const std::string& volume) const { return root + "/" + volume + "/_data"; }
    [[nodiscard]] std::string state_path(const std::string& volume) const
    {
        return root + "/" + volume + "/state.json";
    }
    [[nodiscard]] nlohmann::json state(const std::string& volume) const
    {
        return nlohmann::json::parse(test::read_file(state_path(volume)));
    }
    [[nodiscard]] std::vector<std::string> ids(const std::string& volume) const
    {
        return state(volume).at("MountIDs").get<std::vector<std::string>>();
    }
};

}  // namespace volumecli::e2e
