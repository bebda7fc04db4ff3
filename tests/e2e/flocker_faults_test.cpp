// The fault-injection suite for the Flocker control service: flockercli against a fake control
// service (mutual TLS) that stalls, cuts replies short, sends garbage or 100 MB, or fails. Each
// row: the documented exit code, one stderr line naming the request, nothing on stdout, a bounded
// time (the configured timeout plus 10%) and bounded memory.

#include "certs.hpp"
#include "fake_flocker.hpp"
#include "harness.hpp"
#include "process.hpp"
#include "temp_dir.hpp"
#include "timing.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using volumecli::e2e::is_one_line;
using volumecli::test::FakeFlocker;
using volumecli::test::ProcessOptions;
using volumecli::test::ProcessResult;
using volumecli::test::TempDir;
using Fault = FakeFlocker::Fault;
using std::chrono::milliseconds;
using volumecli::test::within;

namespace {

const std::string k_flockercli_path = VOLUMECLI_FLOCKERCLI_PATH;
const std::string k_flocker_error = "flockercli: error: driver \"flocker\": ";
constexpr const char* k_datasets = "/v1/configuration/datasets";
constexpr long k_max_rss_kib = 64L * 1024;

// A control service with this node known, and the flags that reach it.
struct Service {
    TempDir dir;
    volumecli::test::TestCertificates certs = volumecli::test::generate_test_certificates(dir.path());
    volumecli::test::IssuedCertificate user =
        volumecli::test::issue_certificate(certs, dir.path(), "plugin", "user-plugin");
    std::string here = volumecli::test::random_uuid();
    std::string empty_dir = dir.make_dir("empty");
    FakeFlocker service;
    int port = 0;

    Service()
    {
        port = service.start(certs.server_cert, certs.server_key, certs.ca_cert);
        service.add_node(here, "203.0.113.1");
    }

    [[nodiscard]] ProcessResult run(std::vector<std::string> args) const
    {
        ProcessOptions options;
        for (const char* name : {"FLOCKER_CONTROL_SERVICE_HOST", "FLOCKER_CONTROL_SERVICE_PORT", "FLOCKER_NODE_UUID",
                                 "DVDCLI_LOG_LEVEL", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"}) {
            options.env[name] = std::nullopt;
        }
        options.env["DVDCLI_SOCKET_DIR"] = empty_dir;
        options.env["DVDCLI_SPEC_DIRS"] = empty_dir;
        options.hard_limit = std::chrono::seconds(30);
        std::vector<std::string> argv{
            k_flockercli_path,           "--control-host=127.0.0.1", "--control-port=" + std::to_string(port),
            "--cacert=" + certs.ca_cert, "--cert=" + user.cert,      "--key=" + user.key,
            "--node-uuid=" + here};
        argv.insert(argv.end(), args.begin(), args.end());
        return volumecli::test::run_process(argv, options);
    }
};

}  // namespace

TEST_CASE("flocker faults: each misbehaviour of the control service is one line with its exit code",
          "[flockercli][faults]")
{
    struct Row {
        std::string name;
        int exit_code;
        std::string needle;  // after "<Command> ...: GET /v1/configuration/datasets: "
        bool stalls;         // the run lasts the --timeout
    };
    const Row row = GENERATE(
        Row{"never answers", 4, "no reply within 1s", true}, Row{"stall after headers", 4, "no reply within 1s", true},
        // The first request of a new TLS connection: the cut-off reply never reaches the client,
        // which sees the service hang up and does not retry.
        Row{"close mid-body", 3, "unexpected eof", false},
        Row{"non-JSON 200", 5, "invalid JSON in reply at byte 1: ", false},
        Row{"HTML 200", 5, "invalid JSON in reply at byte 1: ", false}, Row{"empty 200", 5, "empty reply body", false},
        Row{"deeply nested JSON", 5, "nested deeper than", false},
        Row{"100 MB body", 5, "reply body over the 32 MiB limit", false},
        Row{"100 MB chunked body", 5, "reply body over the 32 MiB limit", false}, Row{"500", 1, "HTTP 500: ", false});
    const std::vector<std::string> command =
        GENERATE(std::vector<std::string>{"list"}, std::vector<std::string>{"mount", "--volumename=v"},
                 std::vector<std::string>{"path", "--volumename=v"});
    INFO("flockercli " << command.front() << ", GET datasets: " << row.name);

    Service cluster;
    if (row.name == "never answers") {
        cluster.service.delay("GET", k_datasets, milliseconds(5000));
    } else if (row.name == "stall after headers") {
        cluster.service.inject("GET", k_datasets, Fault::stall_after_headers);
    } else if (row.name == "close mid-body") {
        cluster.service.inject("GET", k_datasets, Fault::close_mid_body);
    } else if (row.name == "non-JSON 200") {
        cluster.service.reply("GET", k_datasets, 200, "datasets: none\n", "text/plain");
    } else if (row.name == "HTML 200") {
        cluster.service.reply("GET", k_datasets, 200, "<html><body>Proxy error</body></html>\n", "text/html");
    } else if (row.name == "empty 200") {
        cluster.service.reply("GET", k_datasets, 200, "");
    } else if (row.name == "deeply nested JSON") {
        cluster.service.reply("GET", k_datasets, 200, std::string(std::size_t{1} << 20U, '['));
    } else if (row.name == "100 MB body") {
        cluster.service.inject("GET", k_datasets, Fault::huge_body);
    } else if (row.name == "100 MB chunked body") {
        cluster.service.inject("GET", k_datasets, Fault::huge_body_chunked);
    } else {
        cluster.service.reply("GET", k_datasets, 500, "\"4d3e5a4c-0000-4000-8000-000000000000@/1\"");
    }

    // The stalls run into a short --timeout; the other rows must end on their own, so a loaded
    // machine (100 MB over TLS, beside other tests) never turns them into a timeout.
    const milliseconds timeout = row.stalls ? milliseconds(1000) : milliseconds(10000);
    std::vector<std::string> args = command;
    args.emplace_back("--timeout=" + std::to_string(timeout.count() / 1000));
    const auto result = cluster.run(args);

    INFO("run: " << result.describe());
    REQUIRE(result.exit_code == row.exit_code);
    CHECK(result.out.empty());
    CHECK(is_one_line(result.err));
    CHECK_THAT(result.err, Catch::Matchers::StartsWith(k_flocker_error));
    CHECK_THAT(result.err, Catch::Matchers::Contains(std::string("GET ") + k_datasets + ": ") &&
                               Catch::Matchers::Contains(row.needle));
    CHECK(result.wall_time < within(timeout));
    if (row.stalls) {
        CHECK(result.wall_time >= milliseconds(900));
    }
    INFO("peak RSS " << result.peak_rss_kib << " KiB");
    if (volumecli::test::k_peak_rss_is_meaningful) {
        CHECK(result.peak_rss_kib < k_max_rss_kib);
    } else {
        WARN("peak RSS not checked: this build runs under AddressSanitizer");
    }
    // Nothing is changed on the strength of a broken listing.
    CHECK(cluster.service.datasets().empty());
    CHECK(cluster.service.leases().empty());
}

// `count` empty objects as a JSON array: 3 bytes of reply per value.
std::string empty_objects(std::size_t count)
{
    std::string body = "[";
    body.reserve(count * 3 + 2);
    for (std::size_t i = 0; i < count; ++i) {
        body += i == 0 ? "{}" : ",{}";
    }
    return body + "]";
}

// Decoding the dataset list is linear and bounded: 1 MiB of `[{},{},...]` took 21.6 s of CPU and
// 2 MiB over 60 s (the parser callback's end_object rescanned the array), and 31 MiB would have
// needed a gigabyte. Each is refused at once.
TEST_CASE("flocker faults: dataset lists of many values are refused at once within the memory bound",
          "[flockercli][faults][memory]")
{
    constexpr long k_max_decode_rss_kib = 256L * 1024;
    struct Row {
        std::size_t values;
        std::string needle;
    };
    const Row row = GENERATE(Row{(std::size_t{1} << 20U) / 3, "dataset configuration without a string \"dataset_id\""},
                             Row{(std::size_t{2} << 20U) / 3, "dataset configuration without a string \"dataset_id\""},
                             Row{(std::size_t{31} << 20U) / 3, "reply holds more than 1048576 JSON values"});
    INFO(row.values << " empty objects");

    Service cluster;
    cluster.service.reply("GET", k_datasets, 200, empty_objects(row.values));
    const auto result = cluster.run({"list", "--timeout=10"});

    INFO("run: " << result.describe());
    REQUIRE(result.exit_code == 5);
    CHECK(result.out.empty());
    CHECK(is_one_line(result.err));
    CHECK_THAT(result.err, Catch::Matchers::Contains(std::string("GET ") + k_datasets + ": " + row.needle));
    CHECK(result.wall_time < milliseconds(5000));
    INFO("peak RSS " << result.peak_rss_kib << " KiB");
    if (volumecli::test::k_peak_rss_is_meaningful) {
        CHECK(result.peak_rss_kib < k_max_decode_rss_kib);
    } else {
        WARN("peak RSS not checked: this build runs under AddressSanitizer");
    }
}
