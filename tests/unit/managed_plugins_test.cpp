#include <volumecli/error.hpp>
#include <volumecli/managed_plugins.hpp>
#include <volumecli/scoped_driver.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

using Catch::Matchers::Contains;
using volumecli::PluginFilesystem;
using volumecli::scoped_path;
using volumecli::UnreachableError;
using volumecli::discovery::find_managed_plugin;
using volumecli::discovery::normalize_plugin_reference;

namespace fs = std::filesystem;

namespace {

const std::string k_id_a = std::string(63, 'a') + "1";
const std::string k_id_b = std::string(63, 'a') + "2";

// A throwaway dockerd data root.
struct DataRoot {
    DataRoot()
    {
        std::string pattern = (fs::temp_directory_path() / "vcli-managed-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~DataRoot() { fs::remove_all(path); }
    DataRoot(const DataRoot&) = delete;
    DataRoot& operator=(const DataRoot&) = delete;

    void add(const std::string& id, const std::string& config) const
    {
        fs::create_directories(path + "/plugins/" + id);
        std::ofstream(path + "/plugins/" + id + "/config.json") << config;
    }

    std::string path;
};

std::string volume_plugin_config(const std::string& id, const std::string& name, bool enabled)
{
    return R"({"Id":")" + id + R"(","Name":")" + name + R"(","Enabled":)" + (enabled ? "true" : "false") +
           R"(,"Config":{"Interface":{"Types":["docker.volumedriver/1.0"],"Socket":"p.sock"}}})";
}

// Records nothing; answers every call with fixed mountpoints.
class FixedDriver final : public volumecli::Driver {
public:
    [[nodiscard]] const std::string& name() const override { return m_name; }
    void create(const std::string& /*volume*/, const volumecli::VolumeOptions& /*options*/) override {}
    void remove(const std::string& /*volume*/) override {}
    std::string mount(const std::string& /*volume*/, const std::string& /*id*/) override { return "/pm/v"; }
    void unmount(const std::string& /*volume*/, const std::string& /*id*/) override {}
    std::string path(const std::string& /*volume*/) override { return ""; }
    volumecli::LookupResult get(const std::string& volume) override
    {
        volumecli::LookupResult result;
        result.kind = volumecli::LookupResult::Kind::found;
        result.volume.name = volume;
        result.volume.mountpoint = "/elsewhere/" + volume;
        return result;
    }
    std::vector<volumecli::Volume> list() override { return {volumecli::Volume{"a", "/pm/a", {}, {}}}; }
    volumecli::Capabilities capabilities() override { return {}; }

private:
    std::string m_name = "fixed";
};

}  // namespace

TEST_CASE("normalize_plugin_reference adds :latest and drops Docker Hub's prefixes", "[managed]")
{
    const auto [given, expected] = GENERATE(table<std::string, std::string>({
        {"rexray/ebs", "rexray/ebs:latest"},
        {"rexray/ebs:0.11", "rexray/ebs:0.11"},
        {"docker.io/rexray/ebs", "rexray/ebs:latest"},
        {"docker.io/library/sshfs", "sshfs:latest"},
        {"library/sshfs:1", "sshfs:1"},
        {"registry.example.com:5000/team/plugin", "registry.example.com:5000/team/plugin:latest"},
        {"team/plugin@sha256:abcd", "team/plugin@sha256:abcd"},
    }));
    CHECK(normalize_plugin_reference(given) == expected);
}

TEST_CASE("scoped_path maps plugin paths to host paths as Docker's ScopedPath", "[managed]")
{
    const PluginFilesystem filesystem{"/var/lib/docker/plugins/abc", "/mnt/state"};
    CHECK(scoped_path(filesystem, "/mnt/state/vol1") == "/var/lib/docker/plugins/abc/propagated-mount/vol1");
    CHECK(scoped_path(filesystem, "/mnt/state") == "/var/lib/docker/plugins/abc/propagated-mount");
    CHECK(scoped_path(filesystem, "/data/vol1") == "/var/lib/docker/plugins/abc/rootfs/data/vol1");
    CHECK(scoped_path(filesystem, "/data/../x//y/.") == "/var/lib/docker/plugins/abc/rootfs/x/y");
    // Left for the caller's validation.
    CHECK(scoped_path(filesystem, "").empty());
    CHECK(scoped_path(filesystem, "relative") == "relative");
    const PluginFilesystem no_propagation{"/d/plugins/abc", ""};
    CHECK(scoped_path(no_propagation, "/mnt/state/v") == "/d/plugins/abc/rootfs/mnt/state/v");
}

TEST_CASE("make_scoped_driver maps the mountpoints of Mount, Get and List and leaves empty ones", "[managed]")
{
    auto driver = volumecli::make_scoped_driver(std::make_unique<FixedDriver>(), PluginFilesystem{"/r/p/id", "/pm"});
    CHECK(driver->name() == "fixed");
    CHECK(driver->mount("v", "id") == "/r/p/id/propagated-mount/v");
    CHECK(driver->get("v").volume.mountpoint == "/r/p/id/rootfs/elsewhere/v");
    CHECK(driver->list().at(0).mountpoint == "/r/p/id/propagated-mount/a");
    CHECK(driver->path("v").empty());
}

TEST_CASE("find_managed_plugin returns nothing without a plugins directory or a match", "[managed]")
{
    DataRoot root;
    CHECK_FALSE(find_managed_plugin("rexray/ebs", root.path, root.path + "/run"));
    root.add(k_id_a, volume_plugin_config(k_id_a, "other/plugin:latest", true));
    fs::create_directories(root.path + "/plugins/tmp");
    CHECK_FALSE(find_managed_plugin("rexray/ebs", root.path, root.path + "/run"));
}

TEST_CASE("find_managed_plugin fails at once for a plugin it cannot use", "[managed]")
{
    DataRoot root;
    const std::string run = root.path + "/run";
    SECTION("disabled")
    {
        root.add(k_id_a, volume_plugin_config(k_id_a, "rexray/ebs:latest", false));
        CHECK_THROWS_MATCHES(find_managed_plugin("rexray/ebs", root.path, run), UnreachableError,
                             Catch::Matchers::Message("managed plugin rexray/ebs:latest is disabled (docker plugin "
                                                      "enable rexray/ebs:latest)"));
    }
    SECTION("not a volume driver")
    {
        root.add(k_id_a, R"({"Id":")" + k_id_a +
                             R"(","Name":"x/net:latest","Enabled":true,"Config":{"Interface":{"Types":)"
                             R"(["docker.networkdriver/1.0"],"Socket":"n.sock"}}})");
        CHECK_THROWS_WITH(find_managed_plugin("x/net", root.path, run), Contains("is not a volume driver"));
    }
    SECTION("an ambiguous ID prefix")
    {
        root.add(k_id_a, volume_plugin_config(k_id_a, "a/a:latest", true));
        root.add(k_id_b, volume_plugin_config(k_id_b, "b/b:latest", true));
        CHECK_THROWS_WITH(find_managed_plugin("aaaa", root.path, run), Contains("is ambiguous"));
    }
    SECTION("no socket")
    {
        root.add(k_id_a, volume_plugin_config(k_id_a, "rexray/ebs:latest", true));
        CHECK_THROWS_WITH(find_managed_plugin(k_id_a.substr(0, 10), root.path, run),
                          Contains(run + "/" + k_id_a + "/p.sock does not exist"));
    }
    SECTION("invalid JSON, said where and without nlohmann's own text")
    {
        root.add(k_id_a, "{");
        CHECK_THROWS_WITH(find_managed_plugin("rexray/ebs", root.path, run),
                          Catch::Matchers::EndsWith("config.json: invalid JSON at byte 2"));
    }
    SECTION("a Socket with a NUL, which would name another path")
    {
        root.add(k_id_a, R"({"Id":")" + k_id_a +
                             R"(","Name":"rexray/ebs:latest","Enabled":true,"Config":{"Interface":{"Types":)"
                             R"(["docker.volumedriver/1.0"],"Socket":"p.sock\u0000x"}}})");
        CHECK_THROWS_WITH(find_managed_plugin("rexray/ebs", root.path, run),
                          Contains("invalid Id or Config.Interface.Socket"));
    }
    SECTION("a name with a NUL is shown whole")
    {
        root.add(k_id_a, volume_plugin_config(k_id_a, "rexray/ebs:latest\\u0000more", false));
        CHECK_THROWS_WITH(find_managed_plugin(k_id_a, root.path, run),
                          Contains("managed plugin rexray/ebs:latest\\x00more is disabled"));
    }
}
