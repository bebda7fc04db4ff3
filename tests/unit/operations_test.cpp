#include <volumecli/driver.hpp>
#include <volumecli/error.hpp>
#include <volumecli/operations.hpp>

#include <catch2/catch.hpp>

#include <exception>
#include <map>
#include <string>
#include <utility>
#include <vector>

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using volumecli::Capabilities;
using volumecli::Driver;
using volumecli::DriverError;
using volumecli::LookupResult;
using volumecli::MountRequest;
using volumecli::MountResult;
using volumecli::ProtocolError;
using volumecli::TimeoutError;
using volumecli::TransportError;
using volumecli::UnreachableError;
using volumecli::Volume;
using volumecli::VolumeOptions;

namespace {

// Records each call as one line ("mount V1 id") and answers with what the test set up.
class FakeDriver final : public Driver {
public:
    LookupResult lookup;
    std::string mountpoint = "/mnt/v1";
    std::string path_result;
    std::vector<Volume> volumes;
    Capabilities caps;
    // Call name ("get", "mount", ...) -> error to throw instead of answering.
    std::map<std::string, std::exception_ptr> failures;
    std::vector<std::string> calls;

    explicit FakeDriver(std::string name = "rexray") : m_name(std::move(name)) {}

    [[nodiscard]] const std::string& name() const override { return m_name; }

    void create(const std::string& volume, const VolumeOptions& options) override
    {
        std::string line = "create " + volume;
        for (const auto& [key, value] : options) {
            line.append(" ").append(key).append("=").append(value);
        }
        record("create", line);
    }
    void remove(const std::string& volume) override { record("remove", "remove " + volume); }
    std::string mount(const std::string& volume, const std::string& mount_id) override
    {
        record("mount", "mount " + volume + " " + mount_id);
        return mountpoint;
    }
    void unmount(const std::string& volume, const std::string& mount_id) override
    {
        record("unmount", "unmount " + volume + " " + mount_id);
    }
    std::string path(const std::string& volume) override
    {
        record("path", "path " + volume);
        return path_result;
    }
    LookupResult get(const std::string& volume) override
    {
        record("get", "get " + volume);
        return lookup;
    }
    std::vector<Volume> list() override
    {
        record("list", "list");
        return volumes;
    }
    Capabilities capabilities() override
    {
        record("capabilities", "capabilities");
        return caps;
    }

    void found(const std::string& name, const std::string& volume_mountpoint = "")
    {
        lookup.kind = LookupResult::Kind::found;
        lookup.volume = Volume{name, volume_mountpoint, {}, {}};
    }
    void not_found(const std::string& message = "no such volume")
    {
        lookup.kind = LookupResult::Kind::not_found;
        lookup.message = message;
    }
    void unsupported() { lookup.kind = LookupResult::Kind::unsupported; }

    template <typename E>
    void fail(const std::string& call, const std::string& message)
    {
        failures[call] = std::make_exception_ptr(E(message));
    }

private:
    void record(const std::string& call, const std::string& line)
    {
        calls.push_back(line);
        if (auto failure = failures.find(call); failure != failures.end()) {
            std::rethrow_exception(failure->second);
        }
    }

    std::string m_name;
};

using Calls = std::vector<std::string>;

MountRequest mount_request(bool explicit_create = false)
{
    MountRequest request;
    request.volume = "v1";
    request.options = {{"size", "5"}};
    request.explicit_create = explicit_create;
    request.mount_id = "id1";
    return request;
}

}  // namespace

TEST_CASE("mount_volume mounts the name Get returned", "[operations]")
{
    FakeDriver driver;
    driver.found("V1");
    driver.mountpoint = "/mnt/V1";

    const MountResult result = mount_volume(driver, mount_request());

    CHECK(driver.calls == Calls{"get v1", "mount V1 id1"});
    CHECK(result.name == "V1");
    CHECK(result.mountpoint == "/mnt/V1");
}

TEST_CASE("mount_volume creates a volume Get does not find", "[operations]")
{
    FakeDriver driver;
    SECTION("not found")
    {
        driver.not_found();
    }
    SECTION("no Get in the plugin")
    {
        driver.unsupported();
    }

    const MountResult result = mount_volume(driver, mount_request());

    CHECK(driver.calls == Calls{"get v1", "create v1 size=5", "mount v1 id1"});
    CHECK(result.name == "v1");
    CHECK(result.mountpoint == "/mnt/v1");
}

TEST_CASE("mount_volume with explicit_create never creates", "[operations]")
{
    FakeDriver driver;

    SECTION("not found is a driver error")
    {
        driver.not_found("no such volume: v1");
        CHECK_THROWS_AS(mount_volume(driver, mount_request(true)), DriverError);
        CHECK(driver.calls == Calls{"get v1"});
    }
    SECTION("a plugin without Get is asked to Mount directly")
    {
        driver.unsupported();
        const MountResult result = mount_volume(driver, mount_request(true));
        CHECK(driver.calls == Calls{"get v1", "mount v1 id1"});
        CHECK(result.mountpoint == "/mnt/v1");
    }
    SECTION("a found volume is mounted")
    {
        driver.found("v1");
        (void)mount_volume(driver, mount_request(true));
        CHECK(driver.calls == Calls{"get v1", "mount v1 id1"});
    }
}

TEST_CASE("mount_volume never creates after a failed Get", "[operations]")
{
    FakeDriver driver;

    SECTION("transport error")
    {
        driver.fail<TransportError>("get", "connection refused");
        CHECK_THROWS_AS(mount_volume(driver, mount_request()), TransportError);
    }
    SECTION("timeout")
    {
        driver.fail<TimeoutError>("get", "timed out");
        CHECK_THROWS_AS(mount_volume(driver, mount_request()), TimeoutError);
    }
    SECTION("malformed reply")
    {
        driver.fail<ProtocolError>("get", "not JSON");
        CHECK_THROWS_AS(mount_volume(driver, mount_request()), ProtocolError);
    }
    CHECK(driver.calls == Calls{"get v1"});
}

TEST_CASE("mount_volume rejects a mountpoint a caller cannot bind-mount", "[operations]")
{
    auto mountpoint =
        GENERATE(as<std::string>{}, "", "rel", "./rel", "/a\nb", "/a\rb", "/mnt/v1\n", std::string("/a\0b", 4));
    CAPTURE(mountpoint);
    FakeDriver driver;
    driver.found("v1");
    driver.mountpoint = mountpoint;

    CHECK_THROWS_AS(mount_volume(driver, mount_request()), ProtocolError);
}

TEST_CASE("is_usable_mountpoint accepts absolute single-line paths only", "[operations]")
{
    auto [path, usable] = GENERATE(table<std::string, bool>({
        {"/", true},
        {"/mnt/v1", true},
        {"/with space/x", true},
        {"", false},
        {"rel", false},
        {"./rel", false},
        {"/a\nb", false},
        {"/a\rb", false},
        {std::string("/a\0b", 4), false},
    }));
    CAPTURE(path);

    CHECK(volumecli::is_usable_mountpoint(path) == usable);
}

TEST_CASE("mount_volume errors carry the driver, call and volume", "[operations]")
{
    FakeDriver driver;
    driver.found("vol1");
    MountRequest request = mount_request();
    request.volume = "vol1";

    SECTION("Mount")
    {
        driver.fail<DriverError>("mount", "VolumeDriver.Mount: boom");
        CHECK_THROWS_AS(mount_volume(driver, request), DriverError);
        CHECK_THROWS_WITH(mount_volume(driver, request), "driver \"rexray\": Mount \"vol1\": VolumeDriver.Mount: boom");
    }
    SECTION("Get")
    {
        driver.fail<TimeoutError>("get", "timed out");
        CHECK_THROWS_AS(mount_volume(driver, request), TimeoutError);
        CHECK_THROWS_WITH(mount_volume(driver, request), "driver \"rexray\": Get \"vol1\": timed out");
    }
    SECTION("Create")
    {
        driver.not_found();
        driver.fail<DriverError>("create", "VolumeDriver.Create: exists");
        CHECK_THROWS_AS(mount_volume(driver, request), DriverError);
        CHECK_THROWS_WITH(mount_volume(driver, request),
                          "driver \"rexray\": Create \"vol1\": VolumeDriver.Create: exists");
    }
    SECTION("bad mountpoint")
    {
        driver.mountpoint = "relative";
        CHECK_THROWS_WITH(mount_volume(driver, request), StartsWith("driver \"rexray\": Mount \"vol1\": "));
    }
    SECTION("not found with explicit_create")
    {
        driver.not_found("no such volume: vol1");
        request.explicit_create = true;
        CHECK_THROWS_WITH(mount_volume(driver, request),
                          StartsWith("driver \"rexray\": Get \"vol1\": ") && Contains("no such volume: vol1"));
    }
}

TEST_CASE("unmount_volume unmounts the name Get returned", "[operations]")
{
    FakeDriver driver;

    SECTION("found")
    {
        driver.found("V1");
        unmount_volume(driver, "v1", "id1");
        CHECK(driver.calls == Calls{"get v1", "unmount V1 id1"});
    }
    SECTION("no Get in the plugin")
    {
        driver.unsupported();
        unmount_volume(driver, "v1", "id1");
        CHECK(driver.calls == Calls{"get v1", "unmount v1 id1"});
    }
    SECTION("not found")
    {
        driver.not_found();
        CHECK_THROWS_AS(unmount_volume(driver, "v1", "id1"), DriverError);
        CHECK(driver.calls == Calls{"get v1"});
    }
    SECTION("Unmount fails")
    {
        driver.found("v1");
        driver.fail<DriverError>("unmount", "VolumeDriver.Unmount: busy");
        CHECK_THROWS_AS(unmount_volume(driver, "v1", "id1"), DriverError);
        CHECK_THROWS_WITH(unmount_volume(driver, "v1", "id1"),
                          "driver \"rexray\": Unmount \"v1\": VolumeDriver.Unmount: busy");
    }
}

TEST_CASE("volume_path prefers Get's Mountpoint over Path", "[operations]")
{
    FakeDriver driver;

    SECTION("Get has a mountpoint: no Path call")
    {
        driver.found("V1", "/from/get");
        driver.path_result = "/from/path";
        const MountResult result = volume_path(driver, "v1");
        CHECK(result.mountpoint == "/from/get");
        CHECK(driver.calls == Calls{"get v1"});
    }
    SECTION("Get has none: Path of the name Get returned")
    {
        driver.found("V1");
        driver.path_result = "/from/path";
        const MountResult result = volume_path(driver, "v1");
        CHECK(result.mountpoint == "/from/path");
        CHECK(driver.calls == Calls{"get v1", "path V1"});
    }
    SECTION("no Get in the plugin: Path of the given name")
    {
        driver.unsupported();
        driver.path_result = "/from/path";
        const MountResult result = volume_path(driver, "v1");
        CHECK(result.mountpoint == "/from/path");
        CHECK(driver.calls == Calls{"get v1", "path v1"});
    }
}

TEST_CASE("volume_path has an empty mountpoint when Path reports none or fails, as dvdcli 0.2", "[operations]")
{
    FakeDriver driver;
    driver.found("v1");

    SECTION("empty: not mounted")
    {
        driver.path_result = "";
        CHECK(volume_path(driver, "v1").mountpoint.empty());
    }
    SECTION("Path fails with an error reply")
    {
        driver.fail<DriverError>("path", "VolumeDriver.Path: nope");
        const auto result = volume_path(driver, "v1");
        CHECK(result.name == "v1");
        CHECK(result.mountpoint.empty());
    }
    SECTION("Path times out: still an error")
    {
        driver.fail<TimeoutError>("path", "(waiting for the reply)");
        CHECK_THROWS_AS(volume_path(driver, "v1"), TimeoutError);
    }
}

TEST_CASE("volume_path fails when the mountpoint is unusable", "[operations]")
{
    FakeDriver driver;
    driver.found("v1");

    SECTION("relative from Path")
    {
        driver.path_result = "relative";
        CHECK_THROWS_AS(volume_path(driver, "v1"), ProtocolError);
    }
    SECTION("newline from Get")
    {
        driver.found("v1", "/a\nb");
        CHECK_THROWS_AS(volume_path(driver, "v1"), ProtocolError);
    }
}

TEST_CASE("create_volume sends only Create", "[operations]")
{
    FakeDriver driver;
    driver.found("v1");

    create_volume(driver, "v1", {{"size", "5"}, {"a", "b"}});

    CHECK(driver.calls == Calls{"create v1 a=b size=5"});
    SECTION("errors carry the context")
    {
        driver.fail<DriverError>("create", "VolumeDriver.Create: exists");
        CHECK_THROWS_WITH(create_volume(driver, "v1", {}),
                          "driver \"rexray\": Create \"v1\": VolumeDriver.Create: exists");
    }
}

TEST_CASE("remove_volume removes the name Get returned", "[operations]")
{
    FakeDriver driver;

    SECTION("found")
    {
        driver.found("V1");
        remove_volume(driver, "v1");
        CHECK(driver.calls == Calls{"get v1", "remove V1"});
    }
    SECTION("no Get in the plugin")
    {
        driver.unsupported();
        remove_volume(driver, "v1");
        CHECK(driver.calls == Calls{"get v1", "remove v1"});
    }
    SECTION("Remove fails")
    {
        driver.found("v1");
        driver.fail<DriverError>("remove", "VolumeDriver.Remove: in use");
        CHECK_THROWS_WITH(remove_volume(driver, "v1"), "driver \"rexray\": Remove \"v1\": VolumeDriver.Remove: in use");
    }
}

TEST_CASE("get_volume returns what Get found", "[operations]")
{
    FakeDriver driver;

    SECTION("found")
    {
        driver.found("V1", "/m");
        const Volume volume = get_volume(driver, "v1");
        CHECK(volume.name == "V1");
        CHECK(volume.mountpoint == "/m");
    }
    SECTION("not found")
    {
        driver.not_found("no such volume: v1");
        CHECK_THROWS_AS(get_volume(driver, "v1"), DriverError);
        CHECK_THROWS_WITH(get_volume(driver, "v1"),
                          StartsWith("driver \"rexray\": Get \"v1\": ") && Contains("no such volume: v1"));
    }
    CHECK(driver.calls.front() == "get v1");
}

TEST_CASE("list_volumes and driver_capabilities pass the driver's answer on", "[operations]")
{
    FakeDriver driver;
    driver.volumes = {Volume{"a", "", {}, {}}, Volume{"b", "/b", {}, {}}};
    driver.caps.scope = "global";

    const std::vector<Volume> volumes = list_volumes(driver);
    REQUIRE(volumes.size() == 2);
    CHECK(volumes[0].name == "a");
    CHECK(volumes[1].mountpoint == "/b");
    CHECK(driver_capabilities(driver).scope == "global");
    CHECK(driver.calls == Calls{"list", "capabilities"});

    SECTION("errors keep their type and name the driver and call")
    {
        driver.fail<UnreachableError>("list", "connection refused");
        CHECK_THROWS_AS(list_volumes(driver), UnreachableError);
        CHECK_THROWS_WITH(list_volumes(driver), StartsWith("driver \"rexray\": List"));
    }
}
