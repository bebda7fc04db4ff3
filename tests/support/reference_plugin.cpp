// volumecli-reference-plugin: a small, real Docker volume plugin (legacy v1 protocol) on a unix
// socket. Each volume is a directory <root>/<name>. Used by the README quick start, the
// end-to-end tests and the benchmark.
//
//   volumecli-reference-plugin --socket PATH --root DIR [--precreate N]
//
// Semantics (as a block-storage driver such as REX-Ray behaves):
// - Create makes <root>/<name> (no error if it exists); Opts are accepted and ignored.
// - Mount adds the request's ID to the volume's holders and returns <root>/<name>; the same ID
//   mounting twice is idempotent. Unmount removes the ID (an unknown ID is not an error).
// - Get/List report Mountpoint only while at least one ID holds the volume; Path likewise
//   returns "" for a volume nobody has mounted.
// - Remove refuses a mounted volume, else deletes the directory and its contents.
// - Capabilities: {"Scope":"local"}.
// - Names must be a single path component: not empty, not "." or "..", no '/', no NUL.
// Volumes found in <root> at start-up exist (unmounted); holders live in memory only.
// --precreate N creates vol0 .. vol<N-1> before serving. SIGTERM/SIGINT stop the server and
// remove the socket.

#include "socket_util.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <thread>

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

struct Arguments {
    std::string socket_path;
    std::string root;
    long precreate = 0;
};

constexpr const char* k_usage =
    "usage: volumecli-reference-plugin --socket PATH --root DIR [--precreate N]\n"
    "  A Docker volume plugin on the unix socket PATH; volumes are directories DIR/<name>.\n"
    "  --precreate N  create volumes vol0 .. vol<N-1> before serving\n";

[[noreturn]] void usage_error(const std::string& message)
{
    std::cerr << "volumecli-reference-plugin: " << message << "\n" << k_usage;
    std::exit(2);
}

Arguments parse_arguments(int argc, char** argv)
{
    Arguments arguments;
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        std::string value;
        const auto equals = flag.find('=');
        if (flag == "-h" || flag == "--help") {
            std::cout << k_usage;
            std::exit(0);
        }
        if (equals != std::string::npos) {
            value = flag.substr(equals + 1);
            flag = flag.substr(0, equals);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            usage_error("missing value for " + flag);
        }
        if (flag == "--socket") {
            arguments.socket_path = value;
        } else if (flag == "--root") {
            arguments.root = value;
        } else if (flag == "--precreate") {
            char* end = nullptr;
            arguments.precreate = std::strtol(value.c_str(), &end, 10);
            if (end == value.c_str() || *end != '\0' || arguments.precreate < 0) {
                usage_error("--precreate needs a non-negative number");
            }
        } else {
            usage_error("unknown flag " + flag);
        }
    }
    if (arguments.socket_path.empty() || arguments.root.empty()) {
        usage_error("--socket and --root are required");
    }
    return arguments;
}

std::string rfc3339(std::time_t when)
{
    std::tm utc{};
    ::gmtime_r(&when, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buffer;
}

bool valid_name(const std::string& name)
{
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
           name.find('\0') == std::string::npos;
}

struct Reply {
    int status = 200;
    json body;
};

Reply error(const std::string& message)
{
    // go-plugins-helpers answers errors with 500 and {"Err": ...}.
    return Reply{500, json{{"Err", message}}};
}

class VolumeStore {
public:
    explicit VolumeStore(fs::path root) : m_root(std::move(root)) {}

    void load()
    {
        fs::create_directories(m_root);
        for (const auto& entry : fs::directory_iterator(m_root)) {
            if (entry.is_directory() && valid_name(entry.path().filename().string())) {
                m_volumes[entry.path().filename().string()].created_at = created_time(entry.path());
            }
        }
    }

    Reply create(const std::string& name)
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        if (!valid_name(name)) {
            return error("invalid volume name \"" + name + "\"");
        }
        std::error_code failure;
        fs::create_directory(path_of(name), failure);
        if (failure) {
            return error("create " + name + ": " + failure.message());
        }
        auto& volume = m_volumes[name];
        if (volume.created_at.empty()) {
            volume.created_at = rfc3339(std::time(nullptr));
        }
        return Reply{200, json::object()};
    }

    Reply remove(const std::string& name)
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        const auto it = m_volumes.find(name);
        if (it == m_volumes.end()) {
            return error("no such volume: " + name);
        }
        if (!it->second.holders.empty()) {
            return error("volume " + name + " is in use by " + std::to_string(it->second.holders.size()) + " mount(s)");
        }
        std::error_code failure;
        fs::remove_all(path_of(name), failure);
        if (failure) {
            return error("remove " + name + ": " + failure.message());
        }
        m_volumes.erase(it);
        return Reply{200, json::object()};
    }

    Reply mount(const std::string& name, const std::string& id)
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        const auto it = m_volumes.find(name);
        if (it == m_volumes.end()) {
            return error("no such volume: " + name);
        }
        // The directory may have been deleted behind our back; recreate it so the path works.
        std::error_code ignored;
        fs::create_directory(path_of(name), ignored);
        it->second.holders.insert(id);
        return Reply{200, json{{"Mountpoint", path_of(name).string()}}};
    }

    Reply unmount(const std::string& name, const std::string& id)
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        const auto it = m_volumes.find(name);
        if (it == m_volumes.end()) {
            return error("no such volume: " + name);
        }
        it->second.holders.erase(id);
        return Reply{200, json::object()};
    }

    Reply path(const std::string& name)
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        const auto it = m_volumes.find(name);
        if (it == m_volumes.end()) {
            return error("no such volume: " + name);
        }
        return Reply{200, json{{"Mountpoint", mountpoint_locked(*it)}}};
    }

    Reply get(const std::string& name)
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        const auto it = m_volumes.find(name);
        if (it == m_volumes.end()) {
            return error("no such volume: " + name);
        }
        return Reply{200, json{{"Volume", describe_locked(*it)}}};
    }

    Reply list()
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        json volumes = json::array();
        for (const auto& entry : m_volumes) {
            volumes.push_back(describe_locked(entry));
        }
        return Reply{200, json{{"Volumes", volumes}}};
    }

private:
    struct State {
        std::set<std::string> holders;
        std::string created_at;
    };
    using Entry = std::pair<const std::string, State>;

    [[nodiscard]] fs::path path_of(const std::string& name) const { return m_root / name; }

    static std::string created_time(const fs::path& path)
    {
        struct stat info {};
        if (::stat(path.c_str(), &info) != 0) {
            return rfc3339(std::time(nullptr));
        }
        return rfc3339(info.st_mtim.tv_sec);
    }

    [[nodiscard]] std::string mountpoint_locked(const Entry& entry) const
    {
        return entry.second.holders.empty() ? std::string() : path_of(entry.first).string();
    }

    [[nodiscard]] json describe_locked(const Entry& entry) const
    {
        json volume{{"Name", entry.first}, {"CreatedAt", entry.second.created_at}};
        const std::string mountpoint = mountpoint_locked(entry);
        if (!mountpoint.empty()) {
            volume["Mountpoint"] = mountpoint;
        }
        volume["Status"] = json{{"mounts", entry.second.holders.size()}};
        return volume;
    }

    fs::path m_root;
    std::mutex m_mutex;
    std::map<std::string, State> m_volumes;
};

Reply dispatch(VolumeStore& store, const std::string& call, const std::string& body_text)
{
    if (call == "Plugin.Activate") {
        return Reply{200, json{{"Implements", json::array({"VolumeDriver"})}}};
    }
    if (call == "VolumeDriver.Capabilities") {
        return Reply{200, json{{"Capabilities", {{"Scope", "local"}}}}};
    }
    if (call == "VolumeDriver.List") {
        return store.list();
    }
    const json body = json::parse(body_text, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        return Reply{400, json{{"Err", "request body is not a JSON object"}}};
    }
    std::string name;
    std::string id;
    const auto name_it = body.find("Name");
    if (name_it != body.end() && name_it->is_string()) {
        name = name_it->get<std::string>();
    }
    const auto id_it = body.find("ID");
    if (id_it != body.end() && id_it->is_string()) {
        id = id_it->get<std::string>();
    }
    if (call == "VolumeDriver.Create") {
        return store.create(name);
    }
    if (call == "VolumeDriver.Remove") {
        return store.remove(name);
    }
    if (call == "VolumeDriver.Mount") {
        return store.mount(name, id);
    }
    if (call == "VolumeDriver.Unmount") {
        return store.unmount(name, id);
    }
    if (call == "VolumeDriver.Path") {
        return store.path(name);
    }
    if (call == "VolumeDriver.Get") {
        return store.get(name);
    }
    return Reply{404, json{{"Err", "unknown call " + call}}};
}

}  // namespace

int main(int argc, char** argv)
{
    const Arguments arguments = parse_arguments(argc, argv);

    // Block the stop signals in every thread; one thread waits for them with sigwait.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    VolumeStore store(fs::absolute(arguments.root).lexically_normal());
    try {
        store.load();
        for (long i = 0; i < arguments.precreate; ++i) {
            const Reply created = store.create("vol" + std::to_string(i));
            if (created.status != 200) {
                throw std::runtime_error(created.body.dump());
            }
        }
        const fs::path parent = fs::path(arguments.socket_path).parent_path();
        if (!parent.empty()) {
            fs::create_directories(parent);
        }
    } catch (const std::exception& failure) {
        std::cerr << "volumecli-reference-plugin: " << failure.what() << "\n";
        return 1;
    }

    if (volumecli::test::detail::unix_socket_answers(arguments.socket_path)) {
        std::cerr << "volumecli-reference-plugin: " << arguments.socket_path << " is in use by another process\n";
        return 1;
    }
    try {
        volumecli::test::detail::remove_stale_socket(arguments.socket_path);
    } catch (const std::exception& failure) {
        std::cerr << "volumecli-reference-plugin: " << failure.what() << "\n";
        return 1;
    }

    httplib::Server server;
    server.set_address_family(AF_UNIX);
    server.set_keep_alive_max_count(100000);
    server.set_keep_alive_timeout(30);
    server.Post(".*", [&store](const httplib::Request& request, httplib::Response& response) {
        const std::string call = request.path.empty() ? "" : request.path.substr(1);
        const Reply reply = dispatch(store, call, request.body);
        response.status = reply.status;
        response.set_content(reply.body.dump() + "\n", "application/vnd.docker.plugins.v1+json");
    });
    if (!server.bind_to_port(arguments.socket_path, 80)) {
        std::cerr << "volumecli-reference-plugin: cannot listen on " << arguments.socket_path << "\n";
        return 1;
    }

    // A signal may arrive before the accept loop runs (stop() is then a no-op): keep asking.
    std::atomic<bool> serving_done{false};
    std::thread signal_thread([&server, &stop_signals, &serving_done] {
        int received = 0;
        sigwait(&stop_signals, &received);
        while (!serving_done.load()) {
            server.stop();
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    });
    std::cerr << "volumecli-reference-plugin: serving " << arguments.root << " on " << arguments.socket_path << "\n";

    server.listen_after_bind();
    serving_done = true;
    // listen_after_bind() also returns on failure: wake the signal thread ourselves then.
    kill(getpid(), SIGTERM);
    signal_thread.join();
    ::unlink(arguments.socket_path.c_str());
    std::cerr << "volumecli-reference-plugin: stopped\n";
    return 0;
}
