// The Flocker driver end to end, in process: make_flocker_driver and the dvdcli call sequences
// (operations.hpp) against a fake control service over real mutual TLS, with certificates made
// for each test.

#include <volumecli/error.hpp>
#include <volumecli/flocker_driver.hpp>
#include <volumecli/operations.hpp>

#include "certs.hpp"
#include "fake_flocker.hpp"
#include "fake_plugin.hpp"
#include "flocker/host_probes.hpp"
#include "temp_dir.hpp"
#include "timing.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using Clock = std::chrono::steady_clock;
using volumecli::Driver;
using volumecli::ExitCode;
using volumecli::FlockerSettings;
using volumecli::MountRequest;
using volumecli::flocker::HostProbes;
using volumecli::test::FakeFlocker;
using volumecli::test::TempDir;
using volumecli::test::within;

namespace {

const std::string k_boot_id = "0b9a1b4e-8d5c-4c3e-9f6f-2a1d3c4b5e6f";

// A cluster of two nodes, "here" (this host) and "there" (at addresses from TEST-NET-3, which no
// test machine should have), behind a fake control service that
// accepts the user certificate "user-plugin" signed by the cluster CA.
struct Cluster {
    TempDir dir;
    volumecli::test::TestCertificates certs = volumecli::test::generate_test_certificates(dir.path());
    volumecli::test::IssuedCertificate user =
        volumecli::test::issue_certificate(certs, dir.path(), "plugin", "user-plugin");
    std::string here = volumecli::test::random_uuid();
    std::string there = volumecli::test::random_uuid();
    FakeFlocker service;
    int port = 0;

    Cluster() : Cluster(std::string()) {}
    // With `server_names`, the service's certificate has these subject alternative names.
    explicit Cluster(const std::string& server_names)
    {
        auto server = volumecli::test::IssuedCertificate{certs.server_cert, certs.server_key};
        if (!server_names.empty()) {
            server = volumecli::test::issue_certificate(certs, dir.path(), "control", "control-service", server_names);
        }
        port = service.start(server.cert, server.key, certs.ca_cert);
        service.add_node(here, "203.0.113.1");
        service.add_node(there, "203.0.113.2");
        dir.make_dir("etc");
    }

    // Settings for a flockercli run on node "here", as the CLI would make them from flags.
    [[nodiscard]] FlockerSettings settings() const
    {
        FlockerSettings settings;
        settings.control_host = "127.0.0.1";
        settings.control_port = std::to_string(port);
        settings.ca_file = certs.ca_cert;
        settings.cert_file = user.cert;
        settings.key_file = user.key;
        settings.node_uuid = here;
        settings.etc_dir = dir.file("etc");
        settings.wait_timeout = 10s;
        settings.retry.window = 0ms;
        return settings;
    }

    // The host as the tests see it: boot id file in the temporary directory, empty environment,
    // one address that no node has.
    [[nodiscard]] HostProbes probes() const
    {
        HostProbes probes;
        probes.boot_id_file = dir.file("boot_id");
        probes.environment = [](const char*) -> std::optional<std::string> { return std::nullopt; };
        probes.local_addresses = [] { return std::vector<std::string>{"198.51.100.1"}; };
        return probes;
    }

    [[nodiscard]] std::unique_ptr<Driver> driver(FlockerSettings settings) const
    {
        return driver(std::move(settings), probes());
    }

    [[nodiscard]] static std::unique_ptr<Driver> driver(FlockerSettings settings, HostProbes probes)
    {
        return volumecli::flocker::make_flocker_driver("flocker", std::move(settings), std::move(probes));
    }
};

MountRequest mount_request(const std::string& volume, volumecli::VolumeOptions options = {},
                           bool explicit_create = false)
{
    return MountRequest{volume, std::move(options), explicit_create, "mount-id"};
}

struct Failure {
    ExitCode code = ExitCode::success;
    std::string message;
};

// Runs `function`, which must throw a volumecli::Error; returns its exit code and message, which
// must be one line.
template <typename Function>
Failure failure_of(Function&& function)
{
    try {
        function();
    } catch (const volumecli::Error& error) {
        const std::string message = error.what();
        CHECK(message.find('\n') == std::string::npos);
        return {error.exit_code(), message};
    }
    FAIL("expected a volumecli::Error");
    return {};
}

}  // namespace

TEST_CASE("flocker: mount creates the dataset on this node and prints the path the service reports", "[flocker][e2e]")
{
    Cluster cluster;
    cluster.service.set_convergence_delay(300ms);
    auto driver = cluster.driver(cluster.settings());

    const auto result = volumecli::mount_volume(*driver, mount_request("vol1", {{"size", "1"}, {"tier", "gold"}}));

    const auto datasets = cluster.service.datasets_named("vol1");
    REQUIRE(datasets.size() == 1);
    const auto& dataset = datasets.front();
    CHECK(result.name == "vol1");
    CHECK(result.mountpoint == FakeFlocker::mount_path(cluster.here, dataset.dataset_id));
    CHECK(dataset.primary == cluster.here);
    CHECK(dataset.maximum_size == std::optional<std::uint64_t>(1073741824ULL));
    CHECK(dataset.metadata == std::map<std::string, std::string>{{"name", "vol1"}, {"tier", "gold"}});
    // The create was conditional on the configuration the driver had just read.
    const auto creates = cluster.service.requests_for("POST", "/v1/configuration/datasets");
    REQUIRE(creates.size() == 1);
    CHECK(creates[0].status == 201);
    CHECK(creates[0].header("X-If-Configuration-Matches").has_value());
    // This node holds a lease while the volume is mounted.
    CHECK(cluster.service.leases() == std::map<std::string, std::string>{{dataset.dataset_id, cluster.here}});

    SECTION("a second mount finds the same dataset and creates nothing")
    {
        auto again = cluster.driver(cluster.settings());
        CHECK(volumecli::mount_volume(*again, mount_request("vol1", {{"size", "5"}})).mountpoint == result.mountpoint);
        CHECK(cluster.service.datasets().size() == 1);
    }
    SECTION("path prints it; unmount releases the lease, and again succeeds")
    {
        auto next = cluster.driver(cluster.settings());
        CHECK(volumecli::volume_path(*next, "vol1").mountpoint == result.mountpoint);
        volumecli::unmount_volume(*next, "vol1", "mount-id");
        CHECK(cluster.service.leases().empty());
        CHECK_NOTHROW(volumecli::unmount_volume(*next, "vol1", "mount-id"));
    }
}

TEST_CASE("flocker: without a size the dataset gets the documented 75 GiB", "[flocker][e2e]")
{
    Cluster cluster;
    auto driver = cluster.driver(cluster.settings());
    volumecli::create_volume(*driver, "big", {});
    const auto datasets = cluster.service.datasets_named("big");
    REQUIRE(datasets.size() == 1);
    CHECK(datasets[0].maximum_size == std::optional<std::uint64_t>(80530636800ULL));
}

TEST_CASE("flocker: mount returns within 250 ms of the state converging, polling one kept-alive connection gently",
          "[flocker][e2e][timing]")
{
    Cluster cluster;
    const std::string id = cluster.service.add_dataset(cluster.there, {{"name", "moving"}});
    cluster.service.set_convergence_delay(1200ms);
    auto driver = cluster.driver(cluster.settings());
    cluster.service.clear_requests();

    const auto result = volumecli::mount_volume(*driver, mount_request("moving"));
    const auto returned = Clock::now();

    CHECK(result.mountpoint == FakeFlocker::mount_path(cluster.here, id));
    const auto converged = cluster.service.mounted_since(id);
    REQUIRE(converged.has_value());
    CHECK(returned - *converged < 250ms);
    const auto moves = cluster.service.requests_for("POST", "/v1/configuration/datasets/" + id);
    REQUIRE(moves.size() == 1);
    std::vector<volumecli::test::FlockerRequest> polls;
    for (auto& poll : cluster.service.requests_for("GET", "/v1/state/datasets")) {
        if (poll.received > moves[0].received) {
            polls.push_back(std::move(poll));
        }
    }
    REQUIRE(polls.size() >= 5);
    // At most 20 state requests per second, and never so far apart that a change could go
    // unnoticed for 250 ms, whenever it happens...
    for (std::size_t i = 1; i < polls.size(); ++i) {
        CHECK(polls[i].received - polls[i - 1].received >= 45ms);
        CHECK(polls[i].received - polls[i - 1].received < 230ms);
    }
    // ...all on one connection, like every other request of the run.
    std::set<int> connections;
    for (const auto& request : cluster.service.requests()) {
        connections.insert(request.remote_port);
    }
    CHECK(connections.size() == 1);
}

TEST_CASE("flocker: mount moves a dataset from another node here, through the detached phase", "[flocker][e2e]")
{
    Cluster cluster;
    const std::string id = cluster.service.add_dataset(cluster.there, {{"name", "data"}}, 67108864ULL);
    cluster.service.set_convergence_delay(200ms);
    auto driver = cluster.driver(cluster.settings());

    const auto result = volumecli::mount_volume(*driver, mount_request("data", {}, true));

    CHECK(result.mountpoint == FakeFlocker::mount_path(cluster.here, id));
    const auto moves = cluster.service.requests_for("POST", "/v1/configuration/datasets/" + id);
    REQUIRE(moves.size() == 1);
    CHECK(moves[0].body == R"({"primary":")" + cluster.here + R"("})");
    CHECK(cluster.service.datasets().front().primary == cluster.here);
    // The lease was taken before the move.
    const auto requests = cluster.service.requests();
    const auto lease = std::find_if(requests.begin(), requests.end(), [](const auto& r) {
        return r.method == "POST" && r.path == "/v1/configuration/leases";
    });
    const auto move = std::find_if(requests.begin(), requests.end(), [&](const auto& r) {
        return r.method == "POST" && r.path == "/v1/configuration/datasets/" + id;
    });
    CHECK(lease < move);
}

TEST_CASE("flocker: mount fails fast naming the node that holds a lease", "[flocker][e2e]")
{
    Cluster cluster;
    const std::string id = cluster.service.add_dataset(cluster.there, {{"name", "busy"}});
    cluster.service.add_lease(id, cluster.there);
    auto driver = cluster.driver(cluster.settings());

    const auto started = Clock::now();
    const auto failure = failure_of([&] { volumecli::mount_volume(*driver, mount_request("busy")); });

    CHECK(failure.code == ExitCode::driver_error);
    CHECK_THAT(failure.message, StartsWith("driver \"flocker\": Mount \"busy\": ") && Contains(cluster.there));
    CHECK(Clock::now() - started < within(0ms));  // no waiting for convergence
    CHECK(cluster.service.requests_for("POST", "/v1/configuration/datasets/").empty());
    CHECK(cluster.service.leases() == std::map<std::string, std::string>{{id, cluster.there}});
}

TEST_CASE("flocker: two concurrent mounts of one new name create one dataset", "[flocker][e2e][race]")
{
    Cluster cluster;
    cluster.service.set_convergence_delay(100ms);
    // Both creators read the same configuration tag before either create is answered.
    cluster.service.hold_creates_until(2);
    auto first = cluster.driver(cluster.settings());
    auto second = cluster.driver(cluster.settings());

    auto one = std::async(std::launch::async, [&] { return volumecli::mount_volume(*first, mount_request("shared")); });
    auto two =
        std::async(std::launch::async, [&] { return volumecli::mount_volume(*second, mount_request("shared")); });
    const auto a = one.get();
    const auto b = two.get();

    const auto datasets = cluster.service.datasets_named("shared");
    REQUIRE(datasets.size() == 1);
    CHECK(a.mountpoint == FakeFlocker::mount_path(cluster.here, datasets[0].dataset_id));
    CHECK(b.mountpoint == a.mountpoint);
    std::vector<int> statuses;
    for (const auto& request : cluster.service.requests_for("POST", "/v1/configuration/datasets")) {
        statuses.push_back(request.status);
    }
    std::sort(statuses.begin(), statuses.end());
    CHECK(statuses == std::vector<int>{201, 412});
}

TEST_CASE("flocker: create retries a 412 and gives up with exit 1 after 20", "[flocker][e2e][race]")
{
    Cluster cluster;
    auto driver = cluster.driver(cluster.settings());
    SECTION("two conflicting changes, then success")
    {
        cluster.service.disturb_creates(2);
        volumecli::create_volume(*driver, "contended", {});
        CHECK(cluster.service.datasets_named("contended").size() == 1);
        CHECK(cluster.service.requests_for("POST", "/v1/configuration/datasets").size() == 3);
    }
    SECTION("the configuration never stops changing")
    {
        cluster.service.disturb_creates(-1);
        const auto failure = failure_of([&] { volumecli::create_volume(*driver, "contended", {}); });
        CHECK(failure.code == ExitCode::driver_error);
        CHECK_THAT(failure.message, StartsWith("driver \"flocker\": Create \"contended\": ") && Contains("412"));
        CHECK(cluster.service.requests_for("POST", "/v1/configuration/datasets").size() == 20);
        CHECK(cluster.service.datasets().empty());
    }
}

TEST_CASE("flocker: a name whose dataset was deleted can be used again", "[flocker][e2e]")
{
    Cluster cluster;
    const std::string old_id = cluster.service.add_dataset(cluster.there, {{"name", "reused"}});
    cluster.service.delete_dataset(old_id);
    auto driver = cluster.driver(cluster.settings());

    // Deleted datasets are invisible: not found, not listed...
    const auto failure = failure_of([&] { volumecli::get_volume(*driver, "reused"); });
    CHECK(failure.code == ExitCode::driver_error);
    CHECK(failure.message == "driver \"flocker\": Get \"reused\": no Flocker dataset with metadata name=\"reused\"");
    CHECK(volumecli::list_volumes(*driver).empty());

    // ...so mount creates a fresh dataset instead of touching the deleted one.
    const auto result = volumecli::mount_volume(*driver, mount_request("reused"));
    const auto live = cluster.service.datasets_named("reused");
    REQUIRE(live.size() == 1);
    CHECK(live[0].dataset_id != old_id);
    CHECK(result.mountpoint == FakeFlocker::mount_path(cluster.here, live[0].dataset_id));
    CHECK(cluster.service.requests_for("POST", "/v1/configuration/datasets/" + old_id).empty());
}

TEST_CASE("flocker: --name-key selects datasets made by the Mesos isolator", "[flocker][e2e]")
{
    Cluster cluster;
    const std::string mesos = cluster.service.add_dataset(cluster.here, {{"FLOCKER_ID", "app"}});
    cluster.service.add_dataset(cluster.here, {{"name", "app"}});
    auto settings = cluster.settings();
    settings.name_key = "FLOCKER_ID";
    auto driver = cluster.driver(settings);

    CHECK(volumecli::mount_volume(*driver, mount_request("app")).mountpoint ==
          FakeFlocker::mount_path(cluster.here, mesos));
    volumecli::create_volume(*driver, "new-app", {});
    const auto created = cluster.service.datasets_named("new-app", "FLOCKER_ID");
    REQUIRE(created.size() == 1);
    CHECK(created[0].metadata == std::map<std::string, std::string>{{"FLOCKER_ID", "new-app"}});
}

TEST_CASE("flocker: mount gives up with exit 4 at --wait-timeout and releases the lease it took",
          "[flocker][e2e][timeout]")
{
    Cluster cluster;
    // This node's agent is not connected: the configuration is accepted but never converges.
    auto settings = cluster.settings();
    settings.node_uuid = volumecli::test::random_uuid();
    settings.wait_timeout = 700ms;
    settings.started = Clock::now();
    auto driver = cluster.driver(settings);

    const auto failure = failure_of([&] { volumecli::mount_volume(*driver, mount_request("stuck")); });
    const auto elapsed = Clock::now() - *settings.started;

    const auto datasets = cluster.service.datasets_named("stuck");
    REQUIRE(datasets.size() == 1);
    CHECK(failure.code == ExitCode::timeout);
    CHECK_THAT(failure.message, StartsWith("driver \"flocker\": Mount \"stuck\": dataset " + datasets[0].dataset_id +
                                           " was not mounted on this node (" + *settings.node_uuid + ") within 0.7s"));
    CHECK(elapsed >= 650ms);
    CHECK(elapsed < within(700ms));
    CHECK(cluster.service.requests_for("POST", "/v1/configuration/leases").size() == 1);
    CHECK(cluster.service.leases().empty());
}

TEST_CASE("flocker: --timeout bounds each request with exit 4", "[flocker][e2e][timeout]")
{
    Cluster cluster;
    cluster.service.delay("GET", "/v1/configuration/datasets", 3s);
    auto settings = cluster.settings();
    settings.timeout = 300ms;
    auto driver = cluster.driver(settings);

    const auto started = Clock::now();
    const auto failure = failure_of([&] { volumecli::list_volumes(*driver); });
    CHECK(failure.code == ExitCode::timeout);
    CHECK_THAT(failure.message, Contains("GET /v1/configuration/datasets"));
    CHECK(Clock::now() - started < within(300ms));
}

TEST_CASE("flocker: a wrong CA, a refused client certificate or an unreachable host exit 3 at once",
          "[flocker][e2e][tls]")
{
    Cluster cluster;
    auto settings = cluster.settings();
    settings.retry.window = 15s;  // none of these may be retried...
    std::string expected;
    SECTION("the server's certificate is not from the given CA")
    {
        settings.ca_file = cluster.certs.other_ca_cert;
        expected = "certificate verification failed";
    }
    SECTION("a client certificate from another CA")
    {
        settings.cert_file = cluster.certs.other_client_cert;
        settings.key_file = cluster.certs.other_client_key;
        expected = "user-";
    }
    SECTION("a node certificate (CN node-...) instead of a user certificate")
    {
        const auto node =
            volumecli::test::issue_certificate(cluster.certs, cluster.dir.path(), "node", "node-" + cluster.here);
        settings.cert_file = node.cert;
        settings.key_file = node.key;
        expected = "user-";
    }
    SECTION("nothing listens on the port")
    {
        settings.retry.window = 0ms;  // ...except a refused connection, which is
        settings.control_port = std::to_string(volumecli::test::unused_tcp_port());
        expected = "refused";
    }
    auto driver = cluster.driver(settings);

    const auto started = Clock::now();
    const auto failure = failure_of([&] { volumecli::list_volumes(*driver); });

    CHECK(failure.code == ExitCode::unreachable);
    CHECK_THAT(failure.message,
               StartsWith("driver \"flocker\": List: GET /v1/configuration/datasets: ") && Contains(expected));
    CHECK(Clock::now() - started < within(0ms));  // no retry window
    CHECK(cluster.service.requests().empty());
}

TEST_CASE("flocker: the refused client certificate is refused by the server, not by the client", "[flocker][e2e][tls]")
{
    Cluster cluster;
    auto settings = cluster.settings();
    settings.cert_file = cluster.certs.client_cert;  // CN volumecli-test-client: right CA, not a user
    settings.key_file = cluster.certs.client_key;
    auto driver = cluster.driver(settings);
    CHECK(failure_of([&] { volumecli::list_volumes(*driver); }).code == ExitCode::unreachable);
    CHECK(cluster.service.rejected_clients() >= 1);
}

TEST_CASE("flocker: the server certificate may name control-service instead of the dialled host", "[flocker][e2e][tls]")
{
    SECTION("control-service only, as flocker-ca makes it for a host name")
    {
        Cluster cluster("DNS:control-service");
        auto driver = cluster.driver(cluster.settings());
        CHECK(volumecli::list_volumes(*driver).empty());
    }
    SECTION("neither name")
    {
        Cluster cluster("DNS:elsewhere.example");
        auto driver = cluster.driver(cluster.settings());
        const auto failure = failure_of([&] { volumecli::list_volumes(*driver); });
        CHECK(failure.code == ExitCode::unreachable);
        CHECK_THAT(failure.message, Contains("control-service") && Contains("127.0.0.1"));
    }
}

TEST_CASE("flocker: the host, port and certificates can come from the environment and /etc/flocker",
          "[flocker][e2e][config]")
{
    Cluster cluster;
    const std::string id = cluster.service.add_dataset(cluster.here, {{"name", "conf"}});
    // agent.yml names the host and the agents' port 4524, which is not the REST port.
    cluster.dir.write_file("etc/agent.yml",
                           "\"version\": 1\n\"control-service\":\n  \"hostname\": \"127.0.0.1\"\n  \"port\": 4524\n");
    cluster.dir.write_file("etc/cluster.crt", volumecli::test::read_file(cluster.certs.ca_cert));
    cluster.dir.write_file("etc/plugin.crt", volumecli::test::read_file(cluster.user.cert));
    cluster.dir.write_file("etc/plugin.key", volumecli::test::read_file(cluster.user.key));
    std::map<std::string, std::string> env{{"FLOCKER_CONTROL_SERVICE_PORT", std::to_string(cluster.port)},
                                           {"FLOCKER_NODE_UUID", cluster.here}};
    FlockerSettings settings = cluster.settings();
    settings.control_host.reset();
    settings.control_port.reset();
    settings.ca_file.reset();
    settings.cert_file.reset();
    settings.key_file.reset();
    settings.node_uuid.reset();
    HostProbes probes = cluster.probes();
    probes.environment = [&env](const char* name) -> std::optional<std::string> {
        const auto found = env.find(name);
        return found == env.end() ? std::nullopt : std::optional<std::string>(found->second);
    };
    auto driver = Cluster::driver(settings, probes);
    CHECK(volumecli::volume_path(*driver, "conf").mountpoint == FakeFlocker::mount_path(cluster.here, id));
}

TEST_CASE("flocker: this node is found by boot id, node.crt or address when --node-uuid is not given",
          "[flocker][e2e][node]")
{
    Cluster cluster;
    const std::string id = cluster.service.add_dataset(cluster.there, {{"name", "where"}});
    auto settings = cluster.settings();
    settings.node_uuid.reset();
    cluster.dir.write_file("boot_id", k_boot_id + "\n");
    const std::string by_era = "/v1/state/nodes/by_era/" + k_boot_id;

    SECTION("by_era knows this boot")
    {
        cluster.service.add_node(cluster.there, "203.0.113.2", k_boot_id);
        auto driver = cluster.driver(settings);
        CHECK(volumecli::volume_path(*driver, "where").mountpoint == FakeFlocker::mount_path(cluster.there, id));
    }
    SECTION("mount waits for the agent to report this boot")
    {
        auto driver = cluster.driver(settings);
        std::thread agent([&] {
            std::this_thread::sleep_for(400ms);
            cluster.service.add_node(cluster.here, "203.0.113.1", k_boot_id);
        });
        const auto result = volumecli::mount_volume(*driver, mount_request("where"));
        agent.join();
        CHECK(result.mountpoint == FakeFlocker::mount_path(cluster.here, id));
        CHECK(cluster.service.requests_for("GET", by_era).size() >= 3);
    }
    SECTION("a server without by_era: node.crt")
    {
        cluster.service.set_era_support(FakeFlocker::EraSupport::absent);
        const auto node =
            volumecli::test::issue_certificate(cluster.certs, cluster.dir.path(), "node", "node-" + cluster.there);
        cluster.dir.write_file("etc/node.crt", volumecli::test::read_file(node.cert));
        auto driver = cluster.driver(settings);
        CHECK(volumecli::volume_path(*driver, "where").mountpoint == FakeFlocker::mount_path(cluster.there, id));
        CHECK(cluster.service.requests_for("GET", by_era).size() == 1);
    }
    SECTION("then this host's addresses, loopback included")
    {
        cluster.service.set_era_support(FakeFlocker::EraSupport::broken);
        HostProbes probes = cluster.probes();
        probes.local_addresses = {};  // the real interfaces
        const std::string local = volumecli::test::random_uuid();
        cluster.service.add_node(local, "127.0.0.1");
        cluster.service.add_dataset(local, {{"name", "local"}});
        auto driver = Cluster::driver(settings, probes);
        CHECK_THAT(volumecli::volume_path(*driver, "local").mountpoint, Contains(local));
    }
    SECTION("nothing identifies this node: exit 4")
    {
        auto driver = cluster.driver(settings);
        const auto failure = failure_of([&] { volumecli::volume_path(*driver, "where"); });
        CHECK(failure.code == ExitCode::timeout);
        CHECK_THAT(failure.message, Contains("--node-uuid"));
    }
}

TEST_CASE("flocker: path and get tell whether the volume is mounted here", "[flocker][e2e]")
{
    Cluster cluster;
    const std::string there = cluster.service.add_dataset(cluster.there, {{"name", "remote"}});
    auto driver = cluster.driver(cluster.settings());

    const auto volume = volumecli::get_volume(*driver, "remote");
    CHECK(volume.name == "remote");
    CHECK(volume.mountpoint.empty());
    CHECK_THAT(volume.status_json.value_or(""), Contains(there) && Contains(cluster.there));
    // Path says why there is no path here; path (as dvdcli 0.2) has an empty one.
    const auto failure = failure_of([&] { driver->path("remote"); });
    CHECK(failure.code == ExitCode::driver_error);
    CHECK_THAT(failure.message, Contains("not mounted"));
    CHECK(volumecli::volume_path(*driver, "remote").mountpoint.empty());
    CHECK(volumecli::driver_capabilities(*driver).scope == "global");
}

TEST_CASE("flocker: remove deletes the dataset, but not while another node holds a lease", "[flocker][e2e]")
{
    Cluster cluster;
    auto driver = cluster.driver(cluster.settings());
    SECTION("mounted here: the lease is released and the dataset deleted")
    {
        volumecli::mount_volume(*driver, mount_request("gone"));
        volumecli::remove_volume(*driver, "gone");
        CHECK(cluster.service.datasets_named("gone").empty());
        CHECK(cluster.service.datasets().at(0).deleted);
        CHECK(cluster.service.leases().empty());
        // Unknown now: remove and unmount say so.
        CHECK(failure_of([&] { volumecli::remove_volume(*driver, "gone"); }).code == ExitCode::driver_error);
        CHECK(failure_of([&] { volumecli::unmount_volume(*driver, "gone", "id"); }).code == ExitCode::driver_error);
    }
    SECTION("leased by another node")
    {
        const std::string id = cluster.service.add_dataset(cluster.there, {{"name", "kept"}});
        cluster.service.add_lease(id, cluster.there);
        const auto failure = failure_of([&] { volumecli::remove_volume(*driver, "kept"); });
        CHECK(failure.code == ExitCode::driver_error);
        CHECK_THAT(failure.message, StartsWith("driver \"flocker\": Remove \"kept\": ") && Contains(cluster.there));
        CHECK_FALSE(cluster.service.datasets().at(0).deleted);
        CHECK(cluster.service.requests_for("DELETE", "/v1/configuration/datasets/").empty());
    }
}

TEST_CASE("flocker: list names each live volume once, with its local path", "[flocker][e2e]")
{
    Cluster cluster;
    const std::string mine = cluster.service.add_dataset(cluster.here, {{"name", "b-mine"}});
    cluster.service.add_dataset(cluster.there, {{"name", "a-theirs"}});
    cluster.service.add_dataset(cluster.there, {{"name", "a-theirs"}});  // a duplicate name
    cluster.service.add_dataset(cluster.there, {{"other", "no name"}});
    cluster.service.delete_dataset(cluster.service.add_dataset(cluster.here, {{"name", "c-deleted"}}));
    auto driver = cluster.driver(cluster.settings());

    const auto volumes = volumecli::list_volumes(*driver);
    REQUIRE(volumes.size() == 2);
    CHECK(volumes[0].name == "a-theirs");
    CHECK(volumes[0].mountpoint.empty());
    CHECK(volumes[1].name == "b-mine");
    CHECK(volumes[1].mountpoint == FakeFlocker::mount_path(cluster.here, mine));
    CHECK_THAT(volumes[1].status_json.value_or(""), Contains(mine));
}

TEST_CASE("flocker: replies that are not Flocker's JSON errors are reported with their status", "[flocker][e2e]")
{
    Cluster cluster;
    cluster.service.add_dataset(cluster.here, {{"name", "v"}});
    auto driver = cluster.driver(cluster.settings());
    SECTION("an unhandled exception's JSON string")
    {
        cluster.service.reply("GET", "/v1/configuration/leases", 500, R"("5145d34d-61c5-4b28-a2ec-9de33bd4a7cd@/1")");
        const auto failure = failure_of([&] { volumecli::unmount_volume(*driver, "v", "id"); });
        CHECK(failure.code == ExitCode::driver_error);
        CHECK_THAT(failure.message,
                   Contains("GET /v1/configuration/leases: HTTP 500: internal error") && Contains("5145d34d"));
    }
    SECTION("an HTML 404 from a server without the leases API")
    {
        cluster.service.reply("GET", "/v1/configuration/leases", 404,
                              "<html><head><title>404 - No Such Resource</title></head></html>", "text/html");
        const auto failure = failure_of([&] { volumecli::unmount_volume(*driver, "v", "id"); });
        CHECK(failure.code == ExitCode::driver_error);
        CHECK_THAT(failure.message, Contains("HTTP 404: 404 - No Such Resource"));
    }
}

TEST_CASE("flocker: invalid options exit 2 before any request", "[flocker][e2e]")
{
    Cluster cluster;
    auto driver = cluster.driver(cluster.settings());
    volumecli::VolumeOptions options;
    SECTION("size 0")
    {
        options = {{"size", "0"}};
    }
    SECTION("a size that is not one")
    {
        options = {{"size", "lots"}};
    }
    SECTION("an option named like the name key")
    {
        options = {{"name", "other"}};
    }
    SECTION("17 metadata entries")
    {
        for (int i = 0; i < 16; ++i) {
            options["key" + std::to_string(i)] = "v";
        }
    }
    cluster.service.clear_requests();
    const auto failure = failure_of([&] { volumecli::create_volume(*driver, "bad", options); });
    CHECK(failure.code == ExitCode::usage);
    CHECK(cluster.service.requests().empty());
}
