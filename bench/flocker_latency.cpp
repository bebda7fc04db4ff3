// How fast flockercli notices that a dataset is ready: the real flockercli binary runs `mount`
// against the fake Flocker control service (mutual TLS, tests/support/fake_flocker), which
// reports the dataset mounted here a set delay after the move; measured is the time from the
// state first showing it mounted to flockercli exiting, over several runs.
//
//   volumecli-bench-flocker FLOCKERCLI [RUNS]      prints "median_ms max_ms" on stdout

#include "certs.hpp"
#include "fake_flocker.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using volumecli::test::FakeFlocker;

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fputs("usage: volumecli-bench-flocker FLOCKERCLI [RUNS]\n", stderr);
        return 2;
    }
    const std::string flockercli = argv[1];
    const int runs = argc > 2 ? std::atoi(argv[2]) : 10;

    volumecli::test::TempDir dir;
    const auto certs = volumecli::test::generate_test_certificates(dir.path());
    const auto user = volumecli::test::issue_certificate(certs, dir.path(), "plugin", "user-plugin");
    FakeFlocker service;
    const int port = service.start(certs.server_cert, certs.server_key, certs.ca_cert);
    const std::string here = volumecli::test::random_uuid();
    const std::string there = volumecli::test::random_uuid();
    service.add_node(here, "203.0.113.1");
    service.add_node(there, "203.0.113.2");

    std::vector<double> latencies;
    for (int i = 0; i < runs; ++i) {
        // A dataset on another node: mount moves it here; the agents take 300 ms plus a varying
        // part, so the convergence falls anywhere within flockercli's polling pauses.
        const std::string name = "bench" + std::to_string(i);
        const std::string id = service.add_dataset(there, {{"name", name}});
        service.set_convergence_delay(std::chrono::milliseconds(300 + 37 * i % 150));
        const int status =
            volumecli::test::run_process(
                {flockercli, "mount", "--control-host=127.0.0.1", "--control-port=" + std::to_string(port),
                 "--cacert=" + certs.ca_cert, "--cert=" + user.cert, "--key=" + user.key, "--node-uuid=" + here,
                 "--volumename=" + name, "--explicitcreate", "--wait-timeout=10", "--retry-timeout=0"})
                .exit_code;
        const auto returned = std::chrono::steady_clock::now();
        const auto converged = service.mounted_since(id);
        if (status != 0 || !converged) {
            std::fprintf(stderr, "volumecli-bench-flocker: flockercli mount exited %d\n", status);
            return 1;
        }
        latencies.push_back(std::chrono::duration<double, std::milli>(returned - *converged).count());
    }
    std::sort(latencies.begin(), latencies.end());
    std::printf("%.1f %.1f\n", latencies[latencies.size() / 2], latencies.back());
    return 0;
}
