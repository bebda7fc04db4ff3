// The worst replies the size caps admit (issue #12 item 3): the real dvdcli and flockercli read
// them from the test support's real servers, and each must stay linear in time and under 256 MiB
// peak RSS, or refuse the reply with exit 5. Per case: the exit status, the wall time and the
// child's peak RSS (wait4's ru_maxrss), taken by volumecli-bench-measure (bench/measure.c).
//
//   volumecli-bench-worst-case MEASURE DVDCLI FLOCKERCLI
//
// prints one line per case on stdout: "name exit wall_ms rss_kib stdout_ok cpu_ms", where exit is
// the exit status (128+N for signal N), stdout_ok is 1 when the child printed exactly what the
// case expects (nothing for a refused reply) and cpu_ms its user and system time (the rest of the
// wall time is waiting, mostly for the fake server to send the reply).

#include "certs.hpp"
#include "fake_flocker.hpp"
#include "fake_plugin.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

using volumecli::test::FakeFlocker;
using volumecli::test::FakePlugin;
using volumecli::test::TempDir;

constexpr std::size_t k_mib = std::size_t{1024} * 1024;
// The size of the largest replies: just under the List cap (32 MiB).
constexpr std::size_t k_worst_bytes = 31 * k_mib;

// What one run of a child cost.
struct Measured {
    int exit_status = -1;  // 128+N when signal N ended it
    double wall_ms = 0;
    long rss_kib = 0;  // ru_maxrss: the child's peak resident set
    double cpu_ms = 0;
};

// Runs the cases' commands and prints one line per case.
class Runner {
public:
    Runner(std::string measure, const TempDir& dir) : m_measure(std::move(measure)), m_dir(dir) {}

    // Runs `args` through volumecli-bench-measure (bench/measure.c says why: started from here
    // directly, a command would be charged for this process's memory); `stdout_text` receives what
    // the command printed. Throws std::runtime_error when it cannot measure.
    Measured run(const std::vector<std::string>& args, std::string* stdout_text = nullptr) const
    {
        const std::string result_file = m_dir.file("measured");
        std::vector<std::string> command = {m_measure, result_file};
        command.insert(command.end(), args.begin(), args.end());
        volumecli::test::ProcessOptions options;
        options.hard_limit = std::chrono::minutes(5);
        const auto result = volumecli::test::run_process(command, options);
        if (result.exit_code != 0) {
            throw std::runtime_error("cannot measure " + args.front() + ": " + result.describe());
        }
        if (stdout_text != nullptr) {
            *stdout_text = result.out;
        }
        Measured measured;
        std::istringstream(volumecli::test::read_file(result_file)) >> measured.exit_status >> measured.wall_ms >>
            measured.rss_kib >> measured.cpu_ms;
        return measured;
    }

    // Runs one case and prints "name exit wall_ms rss_kib stdout_ok cpu_ms".
    void report(const std::string& name, const std::vector<std::string>& args, const std::string& expected_stdout) const
    {
        std::string printed;
        const Measured measured = run(args, &printed);
        const bool stdout_ok = printed == expected_stdout;
        std::printf("%s %d %.1f %ld %d %.1f\n", name.c_str(), measured.exit_status, measured.wall_ms, measured.rss_kib,
                    stdout_ok ? 1 : 0, measured.cpu_ms);
        std::fflush(stdout);
    }

    [[nodiscard]] const TempDir& dir() const { return m_dir; }

private:
    std::string m_measure;
    const TempDir& m_dir;
};

// "[{},{},...,{}]": `count` empty objects, 3 bytes each.
std::string empty_objects(std::size_t count)
{
    std::string text = "[";
    text.reserve(3 * count + 1);
    for (std::size_t i = 0; i < count; ++i) {
        text += i == 0 ? "{}" : ",{}";
    }
    text += "]";
    return text;
}

// How many empty objects make a body of `bytes` around `frame` bytes of other text.
std::size_t objects_for(std::size_t bytes, std::size_t frame)
{
    return (bytes - frame) / 3;
}

// The Docker plugin replies. The volume "v1" carries the objects as Status {"a": [...]}.
std::string list_body(std::size_t objects)
{
    return R"({"Volumes":[{"Name":"v1","Status":{"a":)" + empty_objects(objects) + R"(}}],"Err":""})";
}

std::string get_body(std::size_t objects)
{
    return R"({"Volume":{"Name":"v1","Status":{"a":)" + empty_objects(objects) + R"(}},"Err":""})";
}

// Cases 1-3: dvdcli against a plugin on a unix socket found by discovery, as a user's.
void plugin_cases(const Runner& runner, const std::string& dvdcli)
{
    const TempDir& dir = runner.dir();
    const std::string socket_dir = dir.make_dir("plugins");
    ::setenv("DVDCLI_SOCKET_DIR", socket_dir.c_str(), 1);
    ::setenv("DVDCLI_SPEC_DIRS", dir.make_dir("specs").c_str(), 1);
    FakePlugin plugin;
    plugin.start_unix(socket_dir + "/worst.sock");
    const std::vector<std::string> list = {dvdcli, "list", "--volumedriver=worst", "--timeout=30", "--retry-timeout=0"};
    const std::vector<std::string> path = {
        dvdcli, "path", "--volumedriver=worst", "--volumename=v1", "--timeout=30", "--retry-timeout=0"};
    const std::vector<std::string> version = {dvdcli, "version"};
    std::string version_text;
    runner.run(version, &version_text);

    // The check that this process's memory stays out of the command's figure: `dvdcli version`
    // before the big replies exist and while the plugin holds the largest.
    runner.report("version-before", version, version_text);
    // One big body at a time: the plugin keeps a copy, the local one goes at once.
    plugin.reply("VolumeDriver.List", 200, list_body(objects_for(k_worst_bytes, 64)));
    runner.report("version-holding-31mib", version, version_text);
    runner.report("list-31mib", list, "");
    plugin.reset("VolumeDriver.List");

    plugin.reply("VolumeDriver.List", 200, list_body(1000 * 1000));
    runner.report("list-1m-values", list, "v1\n");
    plugin.reset("VolumeDriver.List");

    plugin.reply("VolumeDriver.Get", 200, get_body(objects_for(k_worst_bytes, 64)));
    runner.report("get-31mib", path, "");
    plugin.reset("VolumeDriver.Get");
}

// Case 4: flockercli list against the fake control service (mutual TLS). It reads
// GET /v1/configuration/datasets, then, with a named dataset and this node known,
// GET /v1/state/datasets.
void flocker_cases(const Runner& runner, const std::string& flockercli)
{
    const TempDir& dir = runner.dir();
    const auto certs = volumecli::test::generate_test_certificates(dir.make_dir("certs"));
    const auto user = volumecli::test::issue_certificate(certs, dir.path() + "/certs", "plugin", "user-plugin");
    FakeFlocker service;
    const int port = service.start(certs.server_cert, certs.server_key, certs.ca_cert);
    const std::string here = volumecli::test::random_uuid();
    service.add_node(here, "203.0.113.1");
    service.add_dataset(here, {{"name", "v1"}});
    const std::vector<std::string> list = {flockercli,
                                           "list",
                                           "--control-host=127.0.0.1",
                                           "--control-port=" + std::to_string(port),
                                           "--cacert=" + certs.ca_cert,
                                           "--cert=" + user.cert,
                                           "--key=" + user.key,
                                           "--node-uuid=" + here,
                                           "--timeout=30",
                                           "--retry-timeout=0"};

    // The state first: a canned reply cannot be taken back, and once the configuration is canned
    // too, list stops there.
    for (const std::size_t mib : {1, 2}) {
        service.reply("GET", "/v1/state/datasets", 200, empty_objects(objects_for(mib * k_mib, 2)));
        runner.report("flocker-state-" + std::to_string(mib) + "mib", list, "");
    }
    for (const std::size_t mib : {1, 2}) {
        service.reply("GET", "/v1/configuration/datasets", 200, empty_objects(objects_for(mib * k_mib, 2)));
        runner.report("flocker-configuration-" + std::to_string(mib) + "mib", list, "");
    }
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 4) {
        std::fputs("usage: volumecli-bench-worst-case MEASURE DVDCLI FLOCKERCLI\n", stderr);
        return 2;
    }
    try {
        const TempDir dir;
        const Runner runner(argv[1], dir);
        plugin_cases(runner, argv[2]);
        flocker_cases(runner, argv[3]);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "volumecli-bench-worst-case: %s\n", error.what());
        return 1;
    }
    return 0;
}
