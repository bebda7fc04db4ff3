// flockercli end to end: the real binary (the dvdcli executable under the name flockercli, and
// dvdcli --volumedriver=flocker) against a fake Flocker control service over real mutual TLS, with
// certificates made for each test. What is checked is what a user sees: stdout, the exit code, the
// one stderr line, and the datasets and leases the control service holds afterwards.

#include "certs.hpp"
#include "fake_flocker.hpp"
#include "fake_plugin.hpp"
#include "harness.hpp"
#include "process.hpp"
#include "temp_dir.hpp"
#include "timing.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using nlohmann::json;
using volumecli::e2e::is_one_line;
using volumecli::e2e::skip_test;
using volumecli::test::FakeFlocker;
using volumecli::test::FakePlugin;
using volumecli::test::ProcessOptions;
using volumecli::test::ProcessResult;
using volumecli::test::read_file;
using volumecli::test::TempDir;
using volumecli::test::within;
using Args = std::vector<std::string>;
using Env = std::map<std::string, std::optional<std::string>>;
using Flags = std::map<std::string, std::optional<std::string>>;

// Each macro evaluates `result` once, so it may be the run itself.
// A run's exit code, with the whole outcome printed when it differs.
#define REQUIRE_STATUS(result, code)                 \
    do {                                             \
        const ProcessResult& status_run_ = (result); \
        INFO("run: " << status_run_.describe());     \
        REQUIRE(status_run_.exit_code == (code));    \
    } while (false)

// A failed run as a user sees it: the exit code, nothing on stdout, one stderr line that starts
// with `prefix` (e.g. `flockercli: error: driver "flocker": Mount "v": `).
#define REQUIRE_FAILED_RUN(result, code, prefix)         \
    do {                                                 \
        const ProcessResult& failed_run_ = (result);     \
        INFO("run: " << failed_run_.describe());         \
        REQUIRE(failed_run_.exit_code == (code));        \
        CHECK(failed_run_.out.empty());                  \
        CHECK(is_one_line(failed_run_.err));             \
        CHECK_THAT(failed_run_.err, StartsWith(prefix)); \
    } while (false)

namespace {

const std::string k_flockercli = VOLUMECLI_FLOCKERCLI_PATH;
const std::string k_dvdcli = VOLUMECLI_DVDCLI_PATH;
const std::string k_error = "flockercli: error: driver \"flocker\": ";

// Every variable that could steer a run from the test's own environment.
constexpr const char* k_cleared_variables[] = {
    "FLOCKER_CONTROL_SERVICE_HOST",
    "FLOCKER_CONTROL_SERVICE_PORT",
    "FLOCKER_CONTROL_SERVICE_CA_FILE",
    "FLOCKER_CONTROL_SERVICE_CLIENT_CERT_FILE",
    "FLOCKER_CONTROL_SERVICE_CLIENT_KEY_FILE",
    "FLOCKER_NODE_UUID",
    "FLOCKER_ID",
    "FLOCKER_CONTAINER_VOLUME_PATH",
    "DVDCLI_LOG_LEVEL",
    "DVDCLI_LOCAL_ROOT",
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
};

// A control service with two nodes, "here" (the node the runs act as) and "there", that accepts
// the user certificate "user-plugin" signed by the cluster CA; Docker plugin discovery points at
// empty temporary directories, so no plugin called "flocker" is found unless a test puts one there.
struct Cluster {
    TempDir dir;
    volumecli::test::TestCertificates certs = volumecli::test::generate_test_certificates(dir.path());
    volumecli::test::IssuedCertificate user =
        volumecli::test::issue_certificate(certs, dir.path(), "plugin", "user-plugin");
    std::string here = volumecli::test::random_uuid();
    std::string there = volumecli::test::random_uuid();
    std::string socket_dir = dir.make_dir("sockets");
    std::string spec_dir = dir.make_dir("specs");
    FakeFlocker service;
    int port = 0;

    Cluster()
    {
        port = service.start(certs.server_cert, certs.server_key, certs.ca_cert);
        service.add_node(here, "203.0.113.1");
        service.add_node(there, "203.0.113.2");
    }

    // The flags that reach the service as node "here"; `changes` replaces (a value) or drops
    // (std::nullopt) some of them.
    [[nodiscard]] Args connection(const Flags& changes = {}) const
    {
        Flags flags = {{"--control-host", "127.0.0.1"},
                       {"--control-port", std::to_string(port)},
                       {"--cacert", certs.ca_cert},
                       {"--cert", user.cert},
                       {"--key", user.key},
                       {"--node-uuid", here}};
        for (const auto& [flag, value] : changes) {
            flags[flag] = value;
        }
        Args args;
        for (const auto& [flag, value] : flags) {
            if (value) {
                args.push_back(flag + "=" + *value);
            }
        }
        return args;
    }

    // The same settings as FLOCKER_* variables.
    [[nodiscard]] Env environment() const
    {
        return {{"FLOCKER_CONTROL_SERVICE_HOST", "127.0.0.1"},
                {"FLOCKER_CONTROL_SERVICE_PORT", std::to_string(port)},
                {"FLOCKER_CONTROL_SERVICE_CA_FILE", certs.ca_cert},
                {"FLOCKER_CONTROL_SERVICE_CLIENT_CERT_FILE", user.cert},
                {"FLOCKER_CONTROL_SERVICE_CLIENT_KEY_FILE", user.key},
                {"FLOCKER_NODE_UUID", here}};
    }

    // Runs `program` with exactly `args` and the test environment plus `env`.
    [[nodiscard]] ProcessResult run(const std::string& program, const Args& args, const Env& env = {}) const
    {
        ProcessOptions options;
        for (const char* name : k_cleared_variables) {
            options.env[name] = std::nullopt;
        }
        options.env["DVDCLI_SOCKET_DIR"] = socket_dir;
        options.env["DVDCLI_SPEC_DIRS"] = spec_dir;
        options.env["DVDCLI_RUN_DIR"] = dir.file("run");  // lock files: per test, never the host's
        for (const auto& [name, value] : env) {
            options.env[name] = value;
        }
        options.hard_limit = 20s;
        Args argv{program};
        argv.insert(argv.end(), args.begin(), args.end());
        return volumecli::test::run_process(argv, options);
    }

    // flockercli with the connection flags before `args` (which usually start with the command,
    // so flags stand on both sides of it).
    [[nodiscard]] ProcessResult flockercli(const Args& args, const Env& env = {}) const
    {
        Args all = connection();
        all.insert(all.end(), args.begin(), args.end());
        return run(k_flockercli, all, env);
    }

    [[nodiscard]] std::string path_here(const std::string& dataset_id) const
    {
        return FakeFlocker::mount_path(here, dataset_id);
    }
};

// The one live dataset called `name` (fails the test when there is not exactly one).
volumecli::test::FakeDataset only_dataset(const Cluster& cluster, const std::string& name,
                                          const std::string& key = "name")
{
    const auto datasets = cluster.service.datasets_named(name, key);
    REQUIRE(datasets.size() == 1);
    return datasets.front();
}

Args operator+(Args left, const Args& right)
{
    left.insert(left.end(), right.begin(), right.end());
    return left;
}

json parse_stdout(const ProcessResult& result)
{
    INFO("run: " << result.describe());
    REQUIRE(is_one_line(result.out));
    return json::parse(result.out);
}

}  // namespace

TEST_CASE("flockercli: mount prints the path the service reports here; path, get, list, unmount and remove follow",
          "[flockercli]")
{
    Cluster cluster;
    cluster.service.set_convergence_delay(300ms);

    const auto mount = cluster.flockercli({"mount", "--volumename=vol1", "--volumeopts=size=1"});

    REQUIRE_STATUS(mount, 0);
    const auto dataset = only_dataset(cluster, "vol1");
    const std::string path = cluster.path_here(dataset.dataset_id);
    CHECK(mount.out == path + "\n");
    CHECK(mount.err.empty());
    CHECK(dataset.primary == cluster.here);
    CHECK(dataset.maximum_size == std::optional<std::uint64_t>(1073741824ULL));
    CHECK(dataset.metadata == std::map<std::string, std::string>{{"name", "vol1"}});
    // The path was printed once the state showed it, not before.
    CHECK(cluster.service.mounted_since(dataset.dataset_id).has_value());
    CHECK(mount.wall_time >= 300ms);
    CHECK(cluster.service.leases() == std::map<std::string, std::string>{{dataset.dataset_id, cluster.here}});

    const auto again = cluster.flockercli({"mount", "--volumename=vol1", "--volumeopts=size=5"});
    REQUIRE_STATUS(again, 0);
    CHECK(again.out == path + "\n");
    CHECK(cluster.service.datasets().size() == 1);

    const auto path_run = cluster.flockercli({"path", "--volumename=vol1"});
    REQUIRE_STATUS(path_run, 0);
    CHECK(path_run.out == path + "\n");

    const auto get = cluster.flockercli({"get", "--volumename=vol1"});
    REQUIRE_STATUS(get, 0);
    CHECK(get.out == "vol1\n");
    const auto get_json = parse_stdout(cluster.flockercli({"get", "--volumename=vol1", "--format=json"}));
    CHECK(get_json.at("Name") == "vol1");
    CHECK(get_json.at("Mountpoint") == path);
    CHECK(get_json.at("Status").at("DatasetID") == dataset.dataset_id);
    CHECK(get_json.at("Status").at("Primary") == cluster.here);
    CHECK(get_json.at("Status").at("MaximumSize") == 1073741824ULL);

    const auto list = cluster.flockercli({"list"});
    REQUIRE_STATUS(list, 0);
    CHECK(list.out == "vol1\n");
    const auto list_json = parse_stdout(cluster.flockercli({"list", "--format=json"}));
    REQUIRE(list_json.size() == 1);
    CHECK(list_json[0].at("Name") == "vol1");
    CHECK(list_json[0].at("Mountpoint") == path);
    CHECK(list_json[0].at("Status").at("DatasetID") == dataset.dataset_id);

    const auto capabilities = cluster.flockercli({"capabilities"});
    REQUIRE_STATUS(capabilities, 0);
    CHECK(capabilities.out == "global\n");
    CHECK(parse_stdout(cluster.flockercli({"capabilities", "--format=json"})) == json{{"Scope", "global"}});

    const auto unmount = cluster.flockercli({"unmount", "--volumename=vol1"});
    REQUIRE_STATUS(unmount, 0);
    CHECK(unmount.out.empty());
    CHECK(unmount.err.empty());
    CHECK(cluster.service.leases().empty());
    REQUIRE_STATUS(cluster.flockercli({"unmount", "--volumename=vol1"}), 0);

    const auto remove = cluster.flockercli({"remove", "--volumename=vol1"});
    REQUIRE_STATUS(remove, 0);
    CHECK(remove.out.empty());
    REQUIRE(cluster.service.datasets().size() == 1);
    CHECK(cluster.service.datasets()[0].deleted);

    const auto gone = cluster.flockercli({"path", "--volumename=vol1"});
    REQUIRE_FAILED_RUN(gone, 1, k_error);
    CHECK(gone.err == k_error + "Get \"vol1\": no Flocker dataset with metadata name=\"vol1\"\n");
    REQUIRE_FAILED_RUN(cluster.flockercli({"unmount", "--volumename=vol1"}), 1, k_error + "Get \"vol1\": ");
    REQUIRE_FAILED_RUN(cluster.flockercli({"remove", "--volumename=vol1"}), 1, k_error + "Get \"vol1\": ");
    const auto empty = cluster.flockercli({"list"});
    REQUIRE_STATUS(empty, 0);
    CHECK(empty.out.empty());
    CHECK(cluster.flockercli({"list", "--format=json"}).out == "[]\n");
}

TEST_CASE("flockercli: a volume on another node is found but has no path here", "[flockercli]")
{
    Cluster cluster;
    const std::string id = cluster.service.add_dataset(cluster.there, {{"name", "remote"}});

    // No path here: nothing printed, exit 0 (as dvdcli 0.2), and the reason on stderr.
    const auto path = cluster.flockercli({"path", "--volumename=remote"});
    REQUIRE_STATUS(path, 0);
    CHECK(path.out.empty());
    CHECK_THAT(path.err,
               Contains("Path \"remote\": ") && Contains("not mounted on this node") && Contains(cluster.here));

    const auto get = cluster.flockercli({"get", "--volumename=remote", "--format=json"});
    REQUIRE_STATUS(get, 0);
    const auto volume = parse_stdout(get);
    CHECK(volume.at("Mountpoint") == "");
    CHECK(volume.at("Status").at("DatasetID") == id);
    CHECK(volume.at("Status").at("Primary") == cluster.there);
    // Looking does not move it.
    CHECK(cluster.service.datasets().at(0).primary == cluster.there);
}

TEST_CASE("flockercli: mount moves a volume from another node here", "[flockercli]")
{
    Cluster cluster;
    const std::string id = cluster.service.add_dataset(cluster.there, {{"name", "data"}});
    cluster.service.set_convergence_delay(200ms);

    const auto mount = cluster.flockercli({"mount", "--volumename=data", "--explicitcreate"});

    REQUIRE_STATUS(mount, 0);
    CHECK(mount.out == cluster.path_here(id) + "\n");
    CHECK(cluster.service.datasets().at(0).primary == cluster.here);
    CHECK(cluster.service.leases() == std::map<std::string, std::string>{{id, cluster.here}});
}

TEST_CASE("flockercli: each setting comes from its flag, else from its FLOCKER_* variable", "[flockercli][config]")
{
    Cluster cluster;
    const std::string id = cluster.service.add_dataset(cluster.here, {{"name", "conf"}});
    const std::string expected = cluster.path_here(id) + "\n";

    SECTION("everything from the environment")
    {
        const auto result = cluster.run(k_flockercli, {"path", "--volumename=conf"}, cluster.environment());
        REQUIRE_STATUS(result, 0);
        CHECK(result.out == expected);
    }
    SECTION("flags win over variables that would fail")
    {
        const Env wrong = {{"FLOCKER_CONTROL_SERVICE_HOST", "127.0.0.2"},
                           {"FLOCKER_CONTROL_SERVICE_PORT", std::to_string(volumecli::test::unused_tcp_port())},
                           {"FLOCKER_CONTROL_SERVICE_CA_FILE", cluster.certs.other_ca_cert},
                           {"FLOCKER_CONTROL_SERVICE_CLIENT_CERT_FILE", cluster.certs.other_client_cert},
                           {"FLOCKER_CONTROL_SERVICE_CLIENT_KEY_FILE", cluster.certs.other_client_key},
                           {"FLOCKER_NODE_UUID", cluster.there}};
        const auto result = cluster.flockercli({"path", "--volumename=conf", "--retry-timeout=0"}, wrong);
        REQUIRE_STATUS(result, 0);
        CHECK(result.out == expected);
    }
    SECTION("a flag overrides its own variable only; the others still count")
    {
        Env env = cluster.environment();
        env["FLOCKER_CONTROL_SERVICE_PORT"] = std::to_string(volumecli::test::unused_tcp_port());
        const auto result = cluster.run(
            k_flockercli, {"path", "--volumename=conf", "--control-port=" + std::to_string(cluster.port)}, env);
        REQUIRE_STATUS(result, 0);
        CHECK(result.out == expected);
    }
    SECTION("a variable is not ignored: FLOCKER_NODE_UUID names the node the path must be on")
    {
        Env env = cluster.environment();
        env["FLOCKER_NODE_UUID"] = cluster.there;
        const auto result = cluster.run(k_flockercli, {"path", "--volumename=conf"}, env);
        REQUIRE_STATUS(result, 0);
        CHECK(result.out.empty());
        CHECK_THAT(result.err, Contains("Path \"conf\": ") && Contains(cluster.there));
    }
    SECTION("an empty variable counts as unset")
    {
        Env env = cluster.environment();
        env["FLOCKER_CONTROL_SERVICE_PORT"] = "";
        // So the default port 4523 is dialled, which is not the fake's (an ephemeral port): exit 3
        // naming it.
        const auto result = cluster.run(k_flockercli, {"path", "--volumename=conf", "--retry-timeout=0"}, env);
        REQUIRE_FAILED_RUN(result, 3, k_error);
        CHECK_THAT(result.err, Contains("4523"));
    }
}

TEST_CASE("flockercli: with no control service host anywhere, exit 3 saying how to give one", "[flockercli][config]")
{
    // The last place looked at is /etc/flocker/agent.yml, which this test cannot redirect.
    if (std::ifstream("/etc/flocker/agent.yml")) {
        skip_test("/etc/flocker/agent.yml exists on this host and would name a control service");
        return;
    }
    Cluster cluster;
    const auto result = cluster.run(k_flockercli, {"list"},
                                    {{"FLOCKER_NODE_UUID", cluster.here}, {"FLOCKER_CONTROL_SERVICE_HOST", ""}});
    REQUIRE_FAILED_RUN(result, 3, k_error);
    CHECK_THAT(result.err, Contains("--control-host") && Contains("FLOCKER_CONTROL_SERVICE_HOST"));
    CHECK(cluster.service.requests().empty());
}

TEST_CASE("flockercli: without --node-uuid this node is the one the service knows by this boot id",
          "[flockercli][node]")
{
    const std::optional<std::string> boot_id = [] {
        std::ifstream in("/proc/sys/kernel/random/boot_id");
        std::string line;
        return in && std::getline(in, line) && !line.empty() ? std::optional<std::string>(line) : std::nullopt;
    }();
    if (!boot_id) {
        skip_test("/proc/sys/kernel/random/boot_id cannot be read here");
        return;
    }
    Cluster cluster;
    cluster.service.add_node(cluster.here, "203.0.113.1", *boot_id);
    const std::string id = cluster.service.add_dataset(cluster.here, {{"name", "mine"}});

    const auto result =
        cluster.run(k_flockercli, Args{"path", "--volumename=mine"} + cluster.connection({{"--node-uuid", {}}}));

    REQUIRE_STATUS(result, 0);
    CHECK(result.out == cluster.path_here(id) + "\n");
    CHECK(cluster.service.requests_for("GET", "/v1/state/nodes/by_era/" + *boot_id).size() == 1);
}

TEST_CASE("dvdcli --volumedriver=flocker uses the control service unless a Docker plugin called flocker is found",
          "[flockercli][discovery]")
{
    Cluster cluster;
    FakePlugin plugin;
    plugin.set_mount_root(cluster.dir.make_dir("plugin-mounts"));

    SECTION("no plugin: the control service, with the flags")
    {
        Args args{"mount", "--volumedriver=flocker", "--volumename=v", "--volumeopts=size=1"};
        const auto connection = cluster.connection();
        args.insert(args.end(), connection.begin(), connection.end());
        const auto result = cluster.run(k_dvdcli, args);
        REQUIRE_STATUS(result, 0);
        CHECK(result.out == cluster.path_here(only_dataset(cluster, "v").dataset_id) + "\n");
        CHECK(result.err.empty());
    }
    SECTION("no plugin: the control service, with the variables")
    {
        const auto result = cluster.run(k_dvdcli, {"list", "--volumedriver=flocker"}, cluster.environment());
        REQUIRE_STATUS(result, 0);
        CHECK(result.out.empty());
        CHECK(cluster.service.requests_for("GET", "/v1/configuration/datasets").size() == 1);
    }
    SECTION("no plugin and the service fails: dvdcli names itself and the driver")
    {
        Env env = cluster.environment();
        env["FLOCKER_CONTROL_SERVICE_CA_FILE"] = cluster.certs.other_ca_cert;
        const auto result = cluster.run(k_dvdcli, {"list", "--volumedriver=flocker"}, env);
        REQUIRE_FAILED_RUN(result, 3, "dvdcli: error: driver \"flocker\": List: ");
    }
    SECTION("no plugin and no usable configuration: the driver is named once")
    {
        Env env = cluster.environment();
        env["FLOCKER_CONTROL_SERVICE_CA_FILE"] = cluster.dir.path() + "/missing-ca.pem";
        const auto result = cluster.run(k_dvdcli, {"list", "--volumedriver=flocker"}, env);
        REQUIRE_FAILED_RUN(result, 3, "dvdcli: error: driver \"flocker\": cannot read the cluster CA certificate");
        CHECK_THAT(result.err, !Contains("driver \"flocker\": driver"));
    }
    SECTION("a plugin socket called flocker wins")
    {
        plugin.start_unix(cluster.socket_dir + "/flocker.sock");
        const auto result =
            cluster.run(k_dvdcli, {"mount", "--volumedriver=flocker", "--volumename=v"}, cluster.environment());
        REQUIRE_STATUS(result, 0);
        CHECK(result.out == plugin.mountpoint_of("v") + "\n");
        CHECK(plugin.requests_for("VolumeDriver.Mount").size() == 1);
        CHECK(cluster.service.requests().empty());
    }
    SECTION("a spec file called flocker wins")
    {
        const int port = plugin.start_tcp();
        cluster.dir.write_file("specs/flocker.spec", "tcp://127.0.0.1:" + std::to_string(port) + "\n");
        const auto result = cluster.run(k_dvdcli, {"list", "--volumedriver=flocker"}, cluster.environment());
        REQUIRE_STATUS(result, 0);
        CHECK(plugin.requests_for("VolumeDriver.List").size() == 1);
        CHECK(cluster.service.requests().empty());
    }
    SECTION("flockercli never looks for a plugin")
    {
        plugin.start_unix(cluster.socket_dir + "/flocker.sock");
        const auto result = cluster.flockercli({"list"});
        REQUIRE_STATUS(result, 0);
        CHECK(plugin.requests().empty());
        CHECK(cluster.service.requests_for("GET", "/v1/configuration/datasets").size() == 1);
    }
}

TEST_CASE("flockercli: a wrong CA, a refused client certificate or an unreachable host exit 3 at once with one line",
          "[flockercli][tls]")
{
    Cluster cluster;
    Flags changes{{"--retry-timeout", "15"}};  // none of these may be retried...
    std::string expected;
    SECTION("the server's certificate is not from the given CA")
    {
        changes["--cacert"] = cluster.certs.other_ca_cert;
        expected = "certificate verification failed";
    }
    SECTION("a client certificate from another CA")
    {
        changes["--cert"] = cluster.certs.other_client_cert;
        changes["--key"] = cluster.certs.other_client_key;
        expected = "user-";
    }
    SECTION("a node certificate (CN node-...) instead of a user certificate")
    {
        const auto node =
            volumecli::test::issue_certificate(cluster.certs, cluster.dir.path(), "node", "node-" + cluster.here);
        changes["--cert"] = node.cert;
        changes["--key"] = node.key;
        expected = "user-";
    }
    SECTION("nothing listens on the port")
    {
        changes["--retry-timeout"] = "0";  // ...except a refused connection, which is
        changes["--control-port"] = std::to_string(volumecli::test::unused_tcp_port());
        expected = "refused";
    }

    const auto result = cluster.run(k_flockercli, Args{"list"} + cluster.connection(changes));

    REQUIRE_FAILED_RUN(result, 3, k_error + "List: GET /v1/configuration/datasets: ");
    CHECK_THAT(result.err, Contains(expected));
    CHECK(result.wall_time < within(0ms));
    CHECK(cluster.service.requests().empty());
}

TEST_CASE("flockercli: mount gives up at --wait-timeout with exit 4 and releases the lease it took",
          "[flockercli][timeout]")
{
    Cluster cluster;
    // A node whose agent never connects: the dataset is configured there but never arrives.
    const std::string lost = volumecli::test::random_uuid();

    const auto result = cluster.run(k_flockercli, Args{"mount", "--volumename=stuck", "--wait-timeout=0.8"} +
                                                      cluster.connection({{"--node-uuid", lost}}));

    REQUIRE_FAILED_RUN(result, 4, k_error + "Mount \"stuck\": ");
    CHECK_THAT(result.err, Contains("within 0.8s") && Contains(lost));
    CHECK(result.wall_time >= 750ms);
    CHECK(result.wall_time < within(800ms));
    CHECK(only_dataset(cluster, "stuck").primary == lost);
    CHECK(cluster.service.requests_for("POST", "/v1/configuration/leases").size() == 1);
    CHECK(cluster.service.leases().empty());
}

TEST_CASE("flockercli: --timeout bounds each request with exit 4", "[flockercli][timeout]")
{
    Cluster cluster;
    cluster.service.delay("GET", "/v1/configuration/datasets", 3s);

    const auto result = cluster.flockercli({"list", "--timeout=0.3"});

    REQUIRE_FAILED_RUN(result, 4, k_error + "List: GET /v1/configuration/datasets: ");
    CHECK(result.wall_time < within(300ms));
}

TEST_CASE("flockercli: a volume leased by another node is neither mounted nor removed here", "[flockercli][lease]")
{
    Cluster cluster;
    const std::string id = cluster.service.add_dataset(cluster.there, {{"name", "busy"}});
    cluster.service.add_lease(id, cluster.there);
    const std::map<std::string, std::string> theirs{{id, cluster.there}};

    SECTION("mount fails at once naming the holder")
    {
        const auto result = cluster.flockercli({"mount", "--volumename=busy"});
        REQUIRE_FAILED_RUN(result, 1, k_error + "Mount \"busy\": ");
        CHECK_THAT(result.err, Contains(cluster.there));
        CHECK(result.wall_time < 3s);  // not the default 120 s wait
        CHECK(cluster.service.requests_for("POST", "/v1/configuration/datasets/").empty());
    }
    SECTION("remove refuses naming the holder")
    {
        const auto result = cluster.flockercli({"remove", "--volumename=busy"});
        REQUIRE_FAILED_RUN(result, 1, k_error + "Remove \"busy\": ");
        CHECK_THAT(result.err, Contains(cluster.there));
        CHECK_FALSE(cluster.service.datasets().at(0).deleted);
    }
    SECTION("unmount here leaves the other node's lease alone")
    {
        REQUIRE_STATUS(cluster.flockercli({"unmount", "--volumename=busy"}), 0);
    }
    CHECK(cluster.service.leases() == theirs);
    CHECK(cluster.service.requests_for("DELETE", "/v1/configuration/leases/").empty());
}

TEST_CASE("flockercli: unmount releases this node's leases on deleted datasets of the name", "[flockercli][lease]")
{
    Cluster cluster;
    // Mounted here, then deleted by someone else (e.g. with curl) while still leased.
    const std::string deleted = cluster.service.add_dataset(cluster.here, {{"name", "old"}});
    cluster.service.add_lease(deleted, cluster.here);
    cluster.service.delete_dataset(deleted);

    SECTION("beside a live dataset of the same name")
    {
        const std::string live = cluster.service.add_dataset(cluster.here, {{"name", "old"}});
        cluster.service.add_lease(live, cluster.here);
        REQUIRE_STATUS(cluster.flockercli({"unmount", "--volumename=old"}), 0);
        CHECK(cluster.service.leases().empty());
    }
    SECTION("when only the deleted dataset has the name")
    {
        REQUIRE_STATUS(cluster.flockercli({"unmount", "--volumename=old"}), 0);
        CHECK(cluster.service.leases().empty());
    }
}

TEST_CASE("flockercli: a name whose dataset was deleted is unknown, and mount makes a new one", "[flockercli]")
{
    Cluster cluster;
    const std::string old_id = cluster.service.add_dataset(cluster.there, {{"name", "reused"}});
    cluster.service.delete_dataset(old_id);

    const auto get = cluster.flockercli({"get", "--volumename=reused"});
    REQUIRE_FAILED_RUN(get, 1, k_error);
    CHECK(get.err == k_error + "Get \"reused\": no Flocker dataset with metadata name=\"reused\"\n");
    CHECK(cluster.flockercli({"list"}).out.empty());

    const auto mount = cluster.flockercli({"mount", "--volumename=reused"});

    REQUIRE_STATUS(mount, 0);
    const auto dataset = only_dataset(cluster, "reused");
    CHECK(dataset.dataset_id != old_id);
    CHECK(dataset.maximum_size == std::optional<std::uint64_t>(80530636800ULL));  // the documented default
    CHECK(mount.out == cluster.path_here(dataset.dataset_id) + "\n");
    CHECK(cluster.service.requests_for("POST", "/v1/configuration/datasets/" + old_id).empty());
}

TEST_CASE("flockercli: --name-key selects the metadata key that names volumes", "[flockercli]")
{
    Cluster cluster;
    const std::string mesos = cluster.service.add_dataset(cluster.here, {{"FLOCKER_ID", "app"}});
    const std::string docker = cluster.service.add_dataset(cluster.here, {{"name", "app"}});
    cluster.service.add_dataset(cluster.there, {{"name", "other"}});

    CHECK(cluster.flockercli({"path", "--volumename=app", "--name-key=FLOCKER_ID"}).out ==
          cluster.path_here(mesos) + "\n");
    CHECK(cluster.flockercli({"path", "--volumename=app"}).out == cluster.path_here(docker) + "\n");
    CHECK(cluster.flockercli({"list", "--name-key=FLOCKER_ID"}).out == "app\n");
    CHECK(cluster.flockercli({"list"}).out == "app\nother\n");

    REQUIRE_STATUS(cluster.flockercli({"create", "--volumename=new-app", "--name-key=FLOCKER_ID"}), 0);
    CHECK(only_dataset(cluster, "new-app", "FLOCKER_ID").metadata ==
          std::map<std::string, std::string>{{"FLOCKER_ID", "new-app"}});
}

TEST_CASE("flockercli: two concurrent mounts of one new name create one dataset and print one path",
          "[flockercli][race]")
{
    Cluster cluster;
    cluster.service.set_convergence_delay(100ms);
    // Both runs read the same configuration tag before either create is answered.
    cluster.service.hold_creates_until(2);

    // Separate run directories, as on two hosts: one host's lock would serialise them.
    const auto mount = [&](const char* run_dir) {
        return cluster.flockercli({"mount", "--volumename=shared", "--run-dir=" + cluster.dir.file(run_dir)});
    };
    auto one = std::async(std::launch::async, [&] { return mount("run1"); });
    auto two = std::async(std::launch::async, [&] { return mount("run2"); });
    const auto a = one.get();
    const auto b = two.get();

    REQUIRE_STATUS(a, 0);
    REQUIRE_STATUS(b, 0);
    const auto dataset = only_dataset(cluster, "shared");
    CHECK(a.out == cluster.path_here(dataset.dataset_id) + "\n");
    CHECK(b.out == a.out);
    std::vector<int> statuses;
    for (const auto& request : cluster.service.requests_for("POST", "/v1/configuration/datasets")) {
        statuses.push_back(request.status);
    }
    std::sort(statuses.begin(), statuses.end());
    CHECK(statuses == std::vector<int>{201, 412});
}

TEST_CASE("flockercli: an error reply that is not Flocker JSON is one stderr line with its status", "[flockercli]")
{
    Cluster cluster;
    const std::string id = cluster.service.add_dataset(cluster.here, {{"name", "v"}});
    cluster.service.add_lease(id, cluster.here);
    cluster.service.reply("GET", "/v1/configuration/leases", 404,
                          "<html>\n  <head><title>404 - No Such Resource</title></head>\n</html>\n", "text/html");

    const auto result = cluster.flockercli({"unmount", "--volumename=v"});

    REQUIRE_FAILED_RUN(result, 1, k_error + "Unmount \"v\": GET /v1/configuration/leases: HTTP 404: ");
    CHECK_THAT(result.err, Contains("404 - No Such Resource"));
}

TEST_CASE("flockercli exec and dvdcli exec mount FLOCKER_ID for the command, then release it", "[flockercli][exec]")
{
    Cluster cluster;
    // As the Mesos isolator left it: named by FLOCKER_ID, on another node.
    const std::string id = cluster.service.add_dataset(cluster.there, {{"FLOCKER_ID", "app"}});
    cluster.service.set_convergence_delay(100ms);
    const std::string seen = cluster.dir.file("seen");
    const Args command{"--", "/bin/sh", "-c", "printf %s \"$FLOCKER_VOLUME_MOUNTPOINT\" > \"$0\"; exit 7", seen};
    const std::string program = GENERATE(k_flockercli, k_dvdcli);
    INFO("program " << program);

    // The Flocker volume's container path is left out: the fake's path does not exist here.
    const auto result = cluster.run(program, Args{"exec"} + cluster.connection() + command, {{"FLOCKER_ID", "app"}});

    REQUIRE_STATUS(result, 7);  // the command's own status
    CHECK(result.out.empty());
    CHECK(read_file(seen) == cluster.path_here(id));
    CHECK(cluster.service.datasets().at(0).primary == cluster.here);
    const auto taken = cluster.service.requests_for("POST", "/v1/configuration/leases");
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].status == 201);
    const auto released = cluster.service.requests_for("DELETE", "/v1/configuration/leases/" + id);
    REQUIRE(released.size() == 1);
    CHECK(released[0].status == 200);
    CHECK(cluster.service.leases().empty());
}

TEST_CASE("flockercli exec creates a missing FLOCKER_ID dataset, and runs nothing when the mount fails",
          "[flockercli][exec]")
{
    Cluster cluster;
    const std::string ran = cluster.dir.file("ran");
    const Args command{"--", "/bin/sh", "-c", ": > \"$0\"", ran};

    SECTION("a new name: created with the FLOCKER_ID key and the default size")
    {
        const auto result =
            cluster.run(k_flockercli, Args{"exec"} + cluster.connection() + command, {{"FLOCKER_ID", "fresh"}});
        REQUIRE_STATUS(result, 0);
        const auto dataset = only_dataset(cluster, "fresh", "FLOCKER_ID");
        CHECK(dataset.metadata == std::map<std::string, std::string>{{"FLOCKER_ID", "fresh"}});
        CHECK(dataset.maximum_size == std::optional<std::uint64_t>(80530636800ULL));
        CHECK(std::ifstream(ran).good());
        CHECK(cluster.service.leases().empty());
    }
    SECTION("leased by another node: exit 1, the command never runs")
    {
        const std::string id = cluster.service.add_dataset(cluster.there, {{"FLOCKER_ID", "busy"}});
        cluster.service.add_lease(id, cluster.there);
        const auto result =
            cluster.run(k_flockercli, Args{"exec"} + cluster.connection() + command, {{"FLOCKER_ID", "busy"}});
        REQUIRE_FAILED_RUN(result, 1, k_error + "Mount \"busy\": ");
        CHECK_THAT(result.err, Contains(cluster.there));
        CHECK_FALSE(std::ifstream(ran).good());
        CHECK(cluster.service.leases() == std::map<std::string, std::string>{{id, cluster.there}});
    }
}

TEST_CASE("flockercli: help, version and usage errors", "[flockercli][usage]")
{
    Cluster cluster;

    SECTION("--help exits 0 and describes flockercli and its flags")
    {
        const auto result = cluster.run(k_flockercli, {"--help"});
        REQUIRE_STATUS(result, 0);
        CHECK_THAT(result.out, Contains("flockercli") && Contains("--control-host") && Contains("--wait-timeout") &&
                                   Contains("--name-key") && Contains("mount"));
        CHECK(result.err.empty());
    }
    SECTION("a command's --help shows a flockercli example")
    {
        const auto result = cluster.run(k_flockercli, {"mount", "--help"});
        REQUIRE_STATUS(result, 0);
        CHECK_THAT(result.out, Contains("flockercli mount --volumename="));
    }
    SECTION("--version names flockercli")
    {
        const auto result = cluster.run(k_flockercli, {"--version"});
        REQUIRE_STATUS(result, 0);
        CHECK_THAT(result.out, StartsWith("flockercli "));
        CHECK(is_one_line(result.out));
    }
    SECTION("usage errors exit 2 with one line, before any request")
    {
        const auto [args, says] = GENERATE(table<Args, std::string>({
            {Args{}, "flockercli: error: "},
            {Args{"frobnicate"}, "flockercli: error: unknown command \"frobnicate\""},
            {Args{"list", "--volumedriver=rexray"}, "flockercli: error: flockercli uses the Flocker driver"},
            {Args{"list", "--plugin-addr=unix:///run/x.sock"}, "flockercli: error: "},
            {Args{"mount"}, "flockercli: error: missing --volumename for mount"},
            {Args{"create", "--volumename=v", "--volumeopts=size=0"}, k_error + "Create \"v\": invalid size"},
            {Args{"create", "--volumename=v", "--volumeopts=name=x"}, k_error + "Create \"v\": "},
            {Args{"list", "--wait-timeout=0"}, "flockercli: error: "},
            {Args{"list", "--node-uuid=not-a-uuid"}, k_error},
        }));
        INFO("args: " << Catch::Detail::stringify(args));
        // The connection flags too (but not one the row sets), so only the row's mistake fails.
        Args all = args;
        for (const auto& flag : cluster.connection()) {
            const std::string name = flag.substr(0, flag.find('=') + 1);
            const bool overridden =
                std::any_of(args.begin(), args.end(), [&](const std::string& arg) { return arg.rfind(name, 0) == 0; });
            if (!args.empty() && !overridden) {
                all.push_back(flag);
            }
        }
        const auto result = cluster.run(k_flockercli, all);
        REQUIRE_FAILED_RUN(result, 2, says);
        CHECK(cluster.service.requests().empty());
    }
    SECTION("--volumedriver=flocker is accepted")
    {
        REQUIRE_STATUS(cluster.flockercli({"list", "--volumedriver=flocker"}), 0);
    }
}

TEST_CASE("flockercli never shows the client key's path or contents, even at trace level", "[flockercli][security]")
{
    Cluster cluster;
    const std::string key_path = cluster.dir.path() + "/k3y-never-logged.pem";
    std::filesystem::copy_file(cluster.user.key, key_path);
    const std::string contents = read_file(key_path);
    const std::string body_line = contents.substr(contents.find('\n') + 1, 40);
    REQUIRE(body_line.size() == 40);
    const auto check_key_not_shown = [&](const ProcessResult& result) {
        INFO("run: " << result.describe());
        CHECK_THAT(result.err, !Contains("k3y-never-logged"));
        CHECK_THAT(result.err, !Contains("PRIVATE KEY"));
        CHECK_THAT(result.err, !Contains(body_line));
    };

    SECTION("a mount that succeeds")
    {
        const auto result = cluster.run(k_flockercli, cluster.connection({{"--key", key_path}}) +
                                                          Args{"mount", "--volumename=v1", "--log-level=trace"});
        REQUIRE_STATUS(result, 0);
        CHECK_FALSE(result.err.empty());  // trace logging did say things
        check_key_not_shown(result);
    }
    SECTION("a key file that does not exist, given by flag or by variable")
    {
        const auto by_flag = cluster.run(k_flockercli, cluster.connection({{"--key", key_path + ".missing"}}) +
                                                           Args{"mount", "--volumename=v1", "--log-level=trace"});
        REQUIRE_STATUS(by_flag, 3);
        CHECK(by_flag.out.empty());
        check_key_not_shown(by_flag);
        const auto by_variable =
            cluster.run(k_flockercli, cluster.connection({{"--key", std::nullopt}}) + Args{"mount", "--volumename=v1"},
                        {{"FLOCKER_CONTROL_SERVICE_CLIENT_KEY_FILE", key_path + ".missing"}});
        REQUIRE_STATUS(by_variable, 3);
        CHECK(by_variable.out.empty());
        CHECK_THAT(by_variable.err, Contains("private key"));
        check_key_not_shown(by_variable);
    }
}
