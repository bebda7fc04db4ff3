#include <volumecli/error.hpp>
#include <volumecli/operations.hpp>
#include <volumecli/plugin_driver.hpp>

#include "core/clock.hpp"
#include "plugin/plugin_driver.hpp"
#include "transport/plugin_transport.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using volumecli::Clock;
using volumecli::DriverError;
using volumecli::HttpResponse;
using volumecli::LookupResult;
using volumecli::MountRequest;
using volumecli::PluginDriver;
using volumecli::PluginSettings;
using volumecli::ProtocolError;
using volumecli::TimeoutError;
using volumecli::Transport;
using volumecli::TransportError;
using volumecli::UnreachableError;
using volumecli::Volume;
using volumecli::VolumeOptions;

namespace {

const std::string k_activate_reply = R"({"Implements":["VolumeDriver"]})";

// Records every request and answers from a queue of canned replies (or errors).
class FakeTransport final : public Transport {
public:
    struct Request {
        std::string path;
        std::string body;
        Clock::duration time_left;  // deadline minus the time of the call
        std::size_t max_reply_bytes = 0;
    };

    HttpResponse post(const std::string& path, const std::string& body, Clock::time_point deadline,
                      std::size_t max_reply_bytes) override
    {
        m_requests.push_back({path, body, deadline - Clock::now(), max_reply_bytes});
        if (m_replies.empty()) {
            throw std::logic_error("FakeTransport: unexpected request " + path);
        }
        auto reply = std::move(m_replies.front());
        m_replies.pop_front();
        return reply();
    }

    void reply(int status, std::string body)
    {
        m_replies.emplace_back([status, body = std::move(body)] { return HttpResponse{status, body}; });
    }

    template <typename E>
    void fail(std::string message)
    {
        m_replies.emplace_back([message = std::move(message)]() -> HttpResponse { throw E(message); });
    }

    [[nodiscard]] const std::vector<Request>& requests() const { return m_requests; }

    [[nodiscard]] std::vector<std::string> paths() const
    {
        std::vector<std::string> paths;
        for (const auto& request : m_requests) {
            paths.push_back(request.path);
        }
        return paths;
    }

    [[nodiscard]] std::size_t replies_left() const { return m_replies.size(); }

private:
    std::vector<Request> m_requests;
    std::deque<std::function<HttpResponse()>> m_replies;
};

// A PluginDriver named "rexray" over a FakeTransport whose Activate is already queued.
struct Fixture {
    FakeTransport* transport = nullptr;
    std::vector<long long> pauses_ms;
    std::unique_ptr<PluginDriver> driver;

    explicit Fixture(PluginSettings settings = {}, bool queue_activate = true)
    {
        auto owned = std::make_unique<FakeTransport>();
        transport = owned.get();
        if (queue_activate) {
            transport->reply(200, k_activate_reply);
        }
        settings.retry.sleep = [this](std::chrono::milliseconds pause) {
            pauses_ms.push_back(pause.count());
            if (pauses_ms.size() > 20) {
                throw std::logic_error("kept retrying after 20 pauses");
            }
        };
        driver = std::make_unique<PluginDriver>("rexray", std::move(owned), std::move(settings));
    }
};

std::string what_of(const std::function<void()>& call)
{
    try {
        call();
    } catch (const std::exception& error) {
        return error.what();
    }
    return "(nothing thrown)";
}

}  // namespace

TEST_CASE("PluginDriver sends Plugin.Activate once, first, with an empty body", "[plugin]")
{
    Fixture fixture;
    fixture.transport->reply(200, R"({"Volume":{"Name":"v1","Mountpoint":"/m"}})");
    fixture.transport->reply(200, R"({"Volumes":[]})");

    (void)fixture.driver->get("v1");
    (void)fixture.driver->list();

    REQUIRE(fixture.transport->paths() ==
            std::vector<std::string>{"/Plugin.Activate", "/VolumeDriver.Get", "/VolumeDriver.List"});
    CHECK(fixture.transport->requests()[0].body.empty());
}

TEST_CASE("PluginDriver does not activate a managed plugin", "[plugin]")
{
    PluginSettings settings;
    settings.activate = false;
    Fixture fixture(settings, false);
    fixture.transport->reply(200, R"({"Volumes":[]})");

    (void)fixture.driver->list();

    CHECK(fixture.transport->paths() == std::vector<std::string>{"/VolumeDriver.List"});
}

TEST_CASE("PluginDriver::name is the name the user gave", "[plugin]")
{
    Fixture fixture;

    CHECK(fixture.driver->name() == "rexray");
    CHECK(fixture.transport->requests().empty());
}

TEST_CASE("PluginDriver sends request bodies as Docker encodes them", "[plugin]")
{
    Fixture fixture;
    auto& transport = *fixture.transport;
    auto& driver = *fixture.driver;

    SECTION("Create with options")
    {
        transport.reply(200, R"({"Err":""})");
        driver.create("v1", {{"a", "b"}});
        CHECK(transport.requests().at(1).path == "/VolumeDriver.Create");
        CHECK(transport.requests().at(1).body == "{\"Name\":\"v1\",\"Opts\":{\"a\":\"b\"}}\n");
    }
    SECTION("Create with options sorted by key")
    {
        transport.reply(200, R"({"Err":""})");
        driver.create("v9", {{"size", "5"}, {"a", "b"}});
        CHECK(transport.requests().at(1).body == "{\"Name\":\"v9\",\"Opts\":{\"a\":\"b\",\"size\":\"5\"}}\n");
    }
    SECTION("Create without options sends an empty object, not null")
    {
        transport.reply(200, R"({"Err":""})");
        driver.create("v1", {});
        CHECK(transport.requests().at(1).body == "{\"Name\":\"v1\",\"Opts\":{}}\n");
    }
    SECTION("Mount sends the mount ID")
    {
        transport.reply(200, R"({"Mountpoint":"/m","Err":""})");
        (void)driver.mount("v1", "id1");
        CHECK(transport.requests().at(1).path == "/VolumeDriver.Mount");
        CHECK(transport.requests().at(1).body == "{\"Name\":\"v1\",\"ID\":\"id1\"}\n");
    }
    SECTION("Unmount sends the mount ID")
    {
        transport.reply(200, R"({"Err":""})");
        driver.unmount("v1", "id1");
        CHECK(transport.requests().at(1).path == "/VolumeDriver.Unmount");
        CHECK(transport.requests().at(1).body == "{\"Name\":\"v1\",\"ID\":\"id1\"}\n");
    }
    SECTION("Get")
    {
        transport.reply(200, R"({"Volume":{"Name":"v1"}})");
        (void)driver.get("v1");
        CHECK(transport.requests().at(1).path == "/VolumeDriver.Get");
        CHECK(transport.requests().at(1).body == "{\"Name\":\"v1\"}\n");
    }
    SECTION("Path")
    {
        transport.reply(200, R"({"Mountpoint":"/m"})");
        (void)driver.path("v1");
        CHECK(transport.requests().at(1).path == "/VolumeDriver.Path");
        CHECK(transport.requests().at(1).body == "{\"Name\":\"v1\"}\n");
    }
    SECTION("Remove")
    {
        transport.reply(200, R"({"Err":""})");
        driver.remove("v1");
        CHECK(transport.requests().at(1).path == "/VolumeDriver.Remove");
        CHECK(transport.requests().at(1).body == "{\"Name\":\"v1\"}\n");
    }
    SECTION("List")
    {
        transport.reply(200, R"({"Volumes":[]})");
        (void)driver.list();
        CHECK(transport.requests().at(1).path == "/VolumeDriver.List");
        CHECK(transport.requests().at(1).body == "{}\n");
    }
    SECTION("Capabilities")
    {
        transport.reply(200, R"({"Capabilities":{"Scope":"local"}})");
        (void)driver.capabilities();
        CHECK(transport.requests().at(1).path == "/VolumeDriver.Capabilities");
        CHECK(transport.requests().at(1).body == "{}\n");
    }
    SECTION("names with quotes are JSON-escaped")
    {
        transport.reply(200, R"({"Err":""})");
        driver.remove("v\"1\\");
        CHECK(transport.requests().at(1).body == "{\"Name\":\"v\\\"1\\\\\"}\n");
    }
    CHECK(transport.requests().size() == 2);
}

TEST_CASE("PluginDriver::mount returns the Mountpoint exactly as the plugin gave it", "[plugin]")
{
    auto [reply, mountpoint] = GENERATE(table<std::string, std::string>({
        {R"({"Mountpoint":"/mnt/v1","Err":""})", "/mnt/v1"},
        {R"({"mountpoint":"/m"})", "/m"},
        {R"({"MOUNTPOINT":"/m","Unknown":{"x":[1,2]},"err":""})", "/m"},
        {R"({"Mountpoint":"relative"})", "relative"},
        {R"({"Mountpoint":"/with space/"})", "/with space/"},
        {"{\"Mountpoint\":\"/m\"}\n", "/m"},
    }));
    CAPTURE(reply);
    Fixture fixture;
    fixture.transport->reply(200, reply);

    CHECK(fixture.driver->mount("v1", "id1") == mountpoint);
}

TEST_CASE("PluginDriver reports a 200 reply with Err verbatim", "[plugin]")
{
    Fixture fixture;
    fixture.transport->reply(200, R"({"Mountpoint":"","Err":"no such volume: v1"})");

    const std::string what = what_of([&] { (void)fixture.driver->mount("v1", "id1"); });

    CHECK_THAT(what, EndsWith("no such volume: v1"));
    CHECK_THAT(what, !Contains("VolumeDriver.Mount"));
    fixture.transport->reply(200, R"({"Err":"x"})");
    CHECK_THROWS_AS(fixture.driver->remove("v1"), DriverError);
}

TEST_CASE("PluginDriver reports a non-200 reply as VolumeDriver.X: <reason>", "[plugin]")
{
    Fixture fixture;
    auto& transport = *fixture.transport;
    auto& driver = *fixture.driver;

    SECTION("JSON with Err")
    {
        transport.reply(500, R"({"Err":"boom"})");
        CHECK_THROWS_AS(driver.mount("v1", "id1"), DriverError);
        transport.reply(500, R"({"Err":"boom"})");
        CHECK_THAT(what_of([&] { (void)driver.mount("v1", "id1"); }), EndsWith("VolumeDriver.Mount: boom"));
    }
    SECTION("REX-Ray style JSON with Error")
    {
        transport.reply(500, "{\"Error\":\"x\"}\n");
        CHECK_THROWS_AS(driver.create("v1", {}), DriverError);
        transport.reply(500, "{\"Error\":\"x\"}\n");
        CHECK_THAT(what_of([&] { driver.create("v1", {}); }), EndsWith("VolumeDriver.Create: x"));
    }
    SECTION("plain text, trailing newline stripped")
    {
        transport.reply(500, "plain text\n");
        CHECK_THROWS_AS(driver.create("v1", {}), DriverError);
        transport.reply(500, "plain text\n");
        CHECK_THAT(what_of([&] { driver.create("v1", {}); }), EndsWith("VolumeDriver.Create: plain text"));
    }
    SECTION("404 from a plugin without the call")
    {
        transport.reply(404, "404 page not found\n");
        CHECK_THAT(what_of([&] { driver.remove("v1"); }), EndsWith("VolumeDriver.Remove: 404 page not found"));
    }
    SECTION("any status other than 200")
    {
        auto status = GENERATE(201, 204, 400, 503);
        CAPTURE(status);
        transport.reply(status, R"({"Err":"nope"})");
        CHECK_THROWS_AS(driver.unmount("v1", "id1"), DriverError);
    }
}

TEST_CASE("PluginDriver rejects a 200 reply that is not JSON", "[plugin]")
{
    auto body = GENERATE(as<std::string>{}, "not json", R"({"Mountpoint":"/m")", "", "<html></html>");
    CAPTURE(body);
    Fixture fixture;
    fixture.transport->reply(200, body);

    CHECK_THROWS_AS(fixture.driver->mount("v1", "id1"), ProtocolError);
}

TEST_CASE("PluginDriver requires Activate to list VolumeDriver", "[plugin]")
{
    auto [status, body] = GENERATE(table<int, std::string>({
        {200, R"({"Implements":["Authz"]})"},
        {200, R"({"Implements":[]})"},
        {200, R"({})"},
        {200, "not json"},
        {500, R"({"Err":"no"})"},
        {404, "404 page not found\n"},
    }));
    CAPTURE(status, body);
    Fixture fixture({}, false);
    fixture.transport->reply(status, body);

    CHECK_THROWS_AS(fixture.driver->list(), ProtocolError);
    CHECK(fixture.transport->paths() == std::vector<std::string>{"/Plugin.Activate"});
}

TEST_CASE("PluginDriver::get tells found, not found and unsupported apart", "[plugin]")
{
    Fixture fixture;
    auto& transport = *fixture.transport;

    SECTION("found, with every field")
    {
        transport.reply(200, R"({"Volume":{"Name":"V1","Mountpoint":"/m","CreatedAt":"2024-01-02T03:04:05Z",)"
                             R"("Status":{"size":5}},"Err":""})");
        const LookupResult result = fixture.driver->get("v1");
        REQUIRE(result.kind == LookupResult::Kind::found);
        CHECK(result.volume.name == "V1");
        CHECK(result.volume.mountpoint == "/m");
        CHECK(result.volume.created_at == std::optional<std::string>("2024-01-02T03:04:05Z"));
        CHECK(result.volume.status_json == std::optional<std::string>(R"({"size":5})"));
    }
    SECTION("found, keys in any case, unknown fields ignored")
    {
        transport.reply(200, R"({"volume":{"name":"v1","MOUNTPOINT":"/m","Extra":true},"Other":1})");
        const LookupResult result = fixture.driver->get("v1");
        REQUIRE(result.kind == LookupResult::Kind::found);
        CHECK(result.volume.name == "v1");
        CHECK(result.volume.mountpoint == "/m");
        CHECK_FALSE(result.volume.created_at.has_value());
        CHECK_FALSE(result.volume.status_json.has_value());
    }
    SECTION("found, RFC 3339 with fraction and offset")
    {
        transport.reply(200, R"({"Volume":{"Name":"v1","CreatedAt":"2024-01-02T03:04:05.123456789+02:00"}})");
        CHECK(fixture.driver->get("v1").kind == LookupResult::Kind::found);
    }
    SECTION("not found: 200 with Err")
    {
        transport.reply(200, R"({"Volume":null,"Err":"no such volume: v1"})");
        const LookupResult result = fixture.driver->get("v1");
        CHECK(result.kind == LookupResult::Kind::not_found);
        CHECK_THAT(result.message, Contains("no such volume: v1"));
    }
    SECTION("not found: 200 with a null Volume")
    {
        transport.reply(200, R"({"Volume":null,"Err":""})");
        CHECK(fixture.driver->get("v1").kind == LookupResult::Kind::not_found);
    }
    SECTION("not found: 200 without Volume")
    {
        transport.reply(200, R"({})");
        CHECK(fixture.driver->get("v1").kind == LookupResult::Kind::not_found);
    }
    SECTION("not found: 500")
    {
        transport.reply(500, R"({"Err":"x"})");
        const LookupResult result = fixture.driver->get("v1");
        CHECK(result.kind == LookupResult::Kind::not_found);
        CHECK_THAT(result.message, Contains("VolumeDriver.Get: x"));
    }
    SECTION("unsupported: 404")
    {
        transport.reply(404, "404 page not found\n");
        CHECK(fixture.driver->get("v1").kind == LookupResult::Kind::unsupported);
    }
}

TEST_CASE("PluginDriver::get throws on a malformed reply instead of reporting not found", "[plugin]")
{
    auto body = GENERATE(as<std::string>{}, "not json", R"({"Volume":{"Name":"v1")",
                         R"({"Volume":{"Name":"v1","CreatedAt":"yesterday"}})",
                         R"({"Volume":{"Name":"v1","CreatedAt":"2024-01-02 03:04:05"}})",
                         R"({"Volume":{"Name":"v1","CreatedAt":5}})");
    CAPTURE(body);
    Fixture fixture;
    fixture.transport->reply(200, body);

    CHECK_THROWS_AS(fixture.driver->get("v1"), ProtocolError);
}

TEST_CASE("PluginDriver::list returns the plugin's volumes", "[plugin]")
{
    Fixture fixture;
    auto& transport = *fixture.transport;

    SECTION("several")
    {
        transport.reply(200, R"({"Volumes":[{"Name":"a"},{"name":"b","Mountpoint":"/b","Status":{}}],"Err":""})");
        const std::vector<Volume> volumes = fixture.driver->list();
        REQUIRE(volumes.size() == 2);
        CHECK(volumes[0].name == "a");
        CHECK(volumes[0].mountpoint.empty());
        CHECK(volumes[1].name == "b");
        CHECK(volumes[1].mountpoint == "/b");
    }
    SECTION("none")
    {
        transport.reply(200, R"({"Volumes":[]})");
        CHECK(fixture.driver->list().empty());
    }
    SECTION("Err")
    {
        transport.reply(200, R"({"Volumes":[],"Err":"backend down"})");
        CHECK_THROWS_AS(fixture.driver->list(), DriverError);
    }
    SECTION("a CreatedAt that is not RFC 3339")
    {
        transport.reply(200, R"({"Volumes":[{"Name":"a","CreatedAt":"yesterday"}]})");
        CHECK_THROWS_AS(fixture.driver->list(), ProtocolError);
    }
}

TEST_CASE("PluginDriver::capabilities normalises the scope", "[plugin]")
{
    auto [status, body, scope] = GENERATE(table<int, std::string, std::string>({
        {200, R"({"Capabilities":{"Scope":"local"}})", "local"},
        {200, R"({"Capabilities":{"Scope":"global"}})", "global"},
        {200, R"({"Capabilities":{"Scope":"GLOBAL"}})", "global"},
        {200, R"({"capabilities":{"scope":"Global"}})", "global"},
        {200, R"({"Capabilities":{"Scope":"WeIrD"}})", "local"},
        {200, R"({"Capabilities":{"Scope":""}})", "local"},
        {200, R"({})", "local"},
        {404, "404 page not found\n", "local"},
    }));
    CAPTURE(status, body);
    Fixture fixture;
    fixture.transport->reply(status, body);

    CHECK(fixture.driver->capabilities().scope == scope);
}

TEST_CASE("PluginDriver retries transport failures with the same body", "[plugin]")
{
    Fixture fixture;
    auto& transport = *fixture.transport;

    SECTION("Mount")
    {
        transport.fail<TransportError>("connection reset");
        transport.reply(200, R"({"Mountpoint":"/m"})");
        CHECK(fixture.driver->mount("v1", "id1") == "/m");
        REQUIRE(transport.paths() ==
                std::vector<std::string>{"/Plugin.Activate", "/VolumeDriver.Mount", "/VolumeDriver.Mount"});
        CHECK(transport.requests()[1].body == "{\"Name\":\"v1\",\"ID\":\"id1\"}\n");
        CHECK(transport.requests()[2].body == transport.requests()[1].body);
        CHECK(fixture.pauses_ms == std::vector<long long>{1000});
    }
    SECTION("Create, twice")
    {
        transport.fail<TransportError>("closed before reply");
        transport.fail<TransportError>("closed before reply");
        transport.reply(200, R"({"Err":""})");
        fixture.driver->create("v1", {{"size", "5"}});
        REQUIRE(transport.requests().size() == 4);
        for (std::size_t i = 1; i < 4; ++i) {
            CHECK(transport.requests()[i].body == "{\"Name\":\"v1\",\"Opts\":{\"size\":\"5\"}}\n");
        }
        CHECK(fixture.pauses_ms == std::vector<long long>{1000, 2000});
    }
}

TEST_CASE("PluginDriver retries a refused Activate", "[plugin]")
{
    Fixture fixture({}, false);
    auto& transport = *fixture.transport;
    transport.fail<TransportError>("connection refused");
    transport.reply(200, k_activate_reply);
    transport.reply(200, R"({"Volumes":[]})");

    CHECK(fixture.driver->list().empty());

    CHECK(transport.paths() == std::vector<std::string>{"/Plugin.Activate", "/Plugin.Activate", "/VolumeDriver.List"});
    CHECK(transport.requests()[1].body.empty());
    CHECK(fixture.pauses_ms == std::vector<long long>{1000});
}

TEST_CASE("PluginDriver gives up when the retry window is spent", "[plugin]")
{
    PluginSettings settings;
    settings.retry.window = 3s;
    Fixture fixture(settings);
    for (int i = 0; i < 10; ++i) {
        fixture.transport->fail<TransportError>("connection refused");
    }

    CHECK_THROWS_AS(fixture.driver->remove("v1"), TransportError);

    CHECK(fixture.transport->requests().size() == 1 + 3);
    CHECK(fixture.pauses_ms == std::vector<long long>{1000, 2000});
}

TEST_CASE("PluginDriver does not retry a timeout or a bad certificate", "[plugin]")
{
    Fixture fixture;
    auto& transport = *fixture.transport;

    SECTION("TimeoutError")
    {
        transport.fail<TimeoutError>("timed out");
        transport.reply(200, R"({"Mountpoint":"/m"})");
        CHECK_THROWS_AS(fixture.driver->mount("v1", "id1"), TimeoutError);
    }
    SECTION("UnreachableError")
    {
        transport.fail<UnreachableError>("certificate verify failed");
        transport.reply(200, R"({"Mountpoint":"/m"})");
        CHECK_THROWS_AS(fixture.driver->mount("v1", "id1"), UnreachableError);
    }
    SECTION("ProtocolError")
    {
        transport.fail<ProtocolError>("reply over 32 MiB");
        transport.reply(200, R"({"Mountpoint":"/m"})");
        CHECK_THROWS_AS(fixture.driver->mount("v1", "id1"), ProtocolError);
    }
    CHECK(transport.requests().size() == 2);
    CHECK(fixture.pauses_ms.empty());
}

TEST_CASE("PluginDriver gives each call Docker's timeout", "[plugin]")
{
    Fixture fixture;
    auto& transport = *fixture.transport;
    transport.reply(200, R"({"Err":""})");
    transport.reply(200, R"({"Mountpoint":"/m"})");
    transport.reply(200, R"({"Volume":{"Name":"v1"}})");
    transport.reply(200, R"({"Err":""})");

    fixture.driver->create("v1", {});
    (void)fixture.driver->mount("v1", "id1");
    (void)fixture.driver->get("v1");
    fixture.driver->unmount("v1", "id1");

    const auto& requests = transport.requests();
    REQUIRE(requests.size() == 5);
    const std::vector<std::chrono::seconds> expected{60s, 120s, 120s, 60s, 60s};
    for (std::size_t i = 0; i < requests.size(); ++i) {
        CAPTURE(requests[i].path);
        CHECK(requests[i].time_left <= expected[i]);
        CHECK(requests[i].time_left > expected[i] - 5s);
    }
}

TEST_CASE("PluginDriver applies --timeout to every call, Activate included", "[plugin]")
{
    PluginSettings settings;
    settings.timeout = 2500ms;
    Fixture fixture(settings);
    fixture.transport->reply(200, R"({"Err":""})");
    fixture.transport->reply(200, R"({"Mountpoint":"/m"})");

    fixture.driver->create("v1", {});
    (void)fixture.driver->mount("v1", "id1");

    const auto& requests = fixture.transport->requests();
    REQUIRE(requests.size() == 3);
    for (const auto& request : requests) {
        CAPTURE(request.path);
        CHECK(request.time_left <= 2500ms);
        CHECK(request.time_left > 1500ms);
    }
}

TEST_CASE("mount_volume over a PluginDriver sends dvdcli's call sequence", "[plugin][operations]")
{
    Fixture fixture;
    auto& transport = *fixture.transport;
    MountRequest request;
    request.volume = "vol1";
    request.options = {{"size", "5"}};
    request.mount_id = "id1";

    SECTION("existing volume: the name Get returned is mounted")
    {
        transport.reply(200, R"({"Volume":{"Name":"VOL1","Mountpoint":""},"Err":""})");
        transport.reply(200, R"({"Mountpoint":"/mnt/VOL1","Err":""})");
        CHECK(volumecli::mount_volume(*fixture.driver, request).mountpoint == "/mnt/VOL1");
        REQUIRE(transport.paths() ==
                std::vector<std::string>{"/Plugin.Activate", "/VolumeDriver.Get", "/VolumeDriver.Mount"});
        CHECK(transport.requests()[1].body == "{\"Name\":\"vol1\"}\n");
        CHECK(transport.requests()[2].body == "{\"Name\":\"VOL1\",\"ID\":\"id1\"}\n");
    }
    SECTION("missing volume: created with the options, then mounted")
    {
        transport.reply(500, R"({"Err":"no such volume"})");
        transport.reply(200, R"({"Err":""})");
        transport.reply(200, R"({"Mountpoint":"/mnt/vol1"})");
        CHECK(volumecli::mount_volume(*fixture.driver, request).mountpoint == "/mnt/vol1");
        REQUIRE(transport.paths() == std::vector<std::string>{"/Plugin.Activate", "/VolumeDriver.Get",
                                                              "/VolumeDriver.Create", "/VolumeDriver.Mount"});
        CHECK(transport.requests()[2].body == "{\"Name\":\"vol1\",\"Opts\":{\"size\":\"5\"}}\n");
        CHECK(transport.requests()[3].body == "{\"Name\":\"vol1\",\"ID\":\"id1\"}\n");
    }
}

TEST_CASE("mount_volume over a PluginDriver reports errors with their context", "[plugin][operations]")
{
    MountRequest request;
    request.volume = "vol1";
    request.mount_id = "id1";

    SECTION("a failed Mount")
    {
        Fixture fixture;
        fixture.transport->reply(200, R"({"Volume":{"Name":"vol1"}})");
        fixture.transport->reply(500, R"({"Err":"boom"})");
        CHECK_THROWS_WITH(volumecli::mount_volume(*fixture.driver, request),
                          "driver \"rexray\": Mount \"vol1\": VolumeDriver.Mount: boom");
    }
    SECTION("a failed Activate shows under Get")
    {
        Fixture fixture({}, false);
        // Twice: a failed activation is tried again by the next call.
        fixture.transport->reply(200, R"({"Implements":["Authz"]})");
        fixture.transport->reply(200, R"({"Implements":["Authz"]})");
        CHECK_THROWS_AS(volumecli::mount_volume(*fixture.driver, request), ProtocolError);
        CHECK_THAT(what_of([&] { (void)volumecli::mount_volume(*fixture.driver, request); }),
                   Catch::Matchers::StartsWith("driver \"rexray\": Get \"vol1\": Plugin.Activate: "));
    }
}
