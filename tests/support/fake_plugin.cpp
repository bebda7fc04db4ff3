#include "fake_plugin.hpp"

#include "socket_util.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

namespace volumecli::test {

namespace {

using json = nlohmann::json;

bool iequals(const std::string& a, const std::string& b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string trim(const std::string& text)
{
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos) {
        return "";
    }
    const auto last = text.find_last_not_of(" \t");
    return text.substr(first, last - first + 1);
}

std::string reason_phrase(int status)
{
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 411: return "Length Required";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        default: return "Status";
    }
}

// Go's json.Encoder ends every document with a newline; plugins built on it do too.
std::string encode(const json& value)
{
    return value.dump() + "\n";
}

Reply error_reply(const std::string& message)
{
    return Reply{500, encode(json{{"Err", message}})};
}

// The headers httplib adds to a request on the server side; they were not sent by the client.
bool is_httplib_pseudo_header(const std::string& name)
{
    return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" || name == "LOCAL_PORT";
}

struct Outcome {
    bool drop = false;
    Reply reply;
    std::optional<FakePlugin::Fault> fault;
    std::optional<std::string> raw{};  // reply_raw: these bytes instead of a reply
};

using ServeFunction = std::function<Outcome(const RecordedRequest&)>;
using Fault = FakePlugin::Fault;

// The huge_body* bodies: a JSON object whose one string never ends within the first 100 MB, so
// however much a client reads it cannot take it for a complete reply.
std::string huge_body_piece(std::size_t offset, std::size_t size)
{
    static const std::string k_head = "{\"Mountpoint\":\"/";
    std::string piece(size, 'x');
    for (std::size_t i = offset; i < k_head.size() && i - offset < size; ++i) {
        piece[i - offset] = k_head[i];
    }
    return piece;
}

// A deliberately small HTTP/1.1 server: Content-Length bodies, keep-alive, one thread per
// connection. It exists because httplib cannot misbehave on purpose: close without answering,
// reset, stall after the headers, cut a body short, stream 100 MB, or restart.
class RawHttpServer {
public:
    // `listen` makes the listening socket; it is called again when the server restarts, after
    // `restart_downtime()`. `hold` (TCP) keeps the address meanwhile: a socket that is bound and
    // refuses connections, so that no other process's outgoing connection takes the port.
    RawHttpServer(std::function<int()> listen, std::function<int()> hold, bool tcp, ServeFunction serve,
                  std::function<std::chrono::milliseconds()> restart_downtime)
        : m_listen(std::move(listen)),
          m_hold(std::move(hold)),
          m_tcp(tcp),
          m_serve(std::move(serve)),
          m_restart_downtime(std::move(restart_downtime))
    {
        m_listen_fd = m_listen();
        m_accept_thread = std::thread([this] { accept_loop(); });
    }
    ~RawHttpServer() { stop(); }
    RawHttpServer(const RawHttpServer&) = delete;
    RawHttpServer& operator=(const RawHttpServer&) = delete;

    void stop()
    {
        std::thread restart_thread;
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            if (m_stopping.exchange(true)) {
                return;
            }
            restart_thread.swap(m_restart_thread);
        }
        m_stop_signal.notify_all();
        if (restart_thread.joinable()) {
            restart_thread.join();
        }
        close_listener();
        std::vector<std::thread> threads;
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            for (const int fd : m_open_fds) {
                ::shutdown(fd, SHUT_RDWR);
            }
            threads.swap(m_threads);
        }
        for (auto& thread : threads) {
            thread.join();
        }
    }

    // Stops listening and drops every connection, then listens again after `downtime`, as a
    // plugin restarted by its supervisor does. Called from a connection thread.
    // The old listener and connections are gone when this returns, so a client can never reach
    // the plugin as it was before the restart; listening again happens on another thread.
    void restart(std::chrono::milliseconds downtime)
    {
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            if (m_stopping.load() || m_restarting) {
                return;
            }
            if (m_restart_thread.joinable()) {
                m_restart_thread.join();  // the previous restart, finished (m_restarting is false)
            }
            m_restarting = true;
        }
        close_listener();
        const std::lock_guard<std::mutex> lock(m_mutex);
        for (const int fd : m_open_fds) {
            ::shutdown(fd, SHUT_RDWR);
        }
        if (m_stopping.load()) {
            m_restarting = false;  // stop() came meanwhile: nothing to listen again for
            return;
        }
        if (m_hold) {
            m_hold_fd = m_hold();
        }
        m_restart_thread = std::thread([this, downtime] { run_restart(downtime); });
    }

    [[nodiscard]] std::size_t connections() const { return m_connections.load(); }
    [[nodiscard]] std::size_t restarts() const { return m_restarts.load(); }

private:
    void close_listener()
    {
        const std::lock_guard<std::mutex> listener_lock(m_listener_mutex);
        if (m_listen_fd < 0) {
            return;
        }
        ::shutdown(m_listen_fd, SHUT_RDWR);
        if (m_accept_thread.joinable()) {
            m_accept_thread.join();
        }
        // A unix socket file stays behind: a client meanwhile gets ECONNREFUSED, as from a
        // crashed plugin.
        ::close(m_listen_fd);
        m_listen_fd = -1;
    }

    void run_restart(std::chrono::milliseconds downtime)
    {
        const std::lock_guard<std::mutex> listener_lock(m_listener_mutex);
        std::unique_lock<std::mutex> lock(m_mutex);
        m_stop_signal.wait_for(lock, downtime, [this] { return m_stopping.load(); });
        if (!m_stopping.load()) {
            m_listen_fd = m_listen();
            ++m_restarts;
            m_accept_thread = std::thread([this] { accept_loop(); });
        }
        if (m_hold_fd >= 0) {
            ::close(m_hold_fd);
            m_hold_fd = -1;
        }
        m_restarting = false;
    }

    void accept_loop()
    {
        const int listen_fd = m_listen_fd;
        while (!m_stopping.load()) {
            sockaddr_storage peer{};
            socklen_t length = sizeof peer;
            const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) {
                    continue;
                }
                return;
            }
            int remote_port = -1;
            if (m_tcp && peer.ss_family == AF_INET) {
                remote_port = ntohs(reinterpret_cast<sockaddr_in*>(&peer)->sin_port);
            }
            const std::lock_guard<std::mutex> lock(m_mutex);
            if (m_stopping.load()) {
                ::close(fd);
                return;
            }
            const int index = static_cast<int>(m_connections.fetch_add(1));
            m_open_fds.insert(fd);
            m_threads.emplace_back([this, fd, index, remote_port] { connection_loop(fd, index, remote_port); });
        }
    }

    // Reads until `buffer` holds at least `size` bytes; false on EOF or error.
    static bool fill(int fd, std::string& buffer, std::size_t size)
    {
        char chunk[16384];
        while (buffer.size() < size) {
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return false;
            }
            buffer.append(chunk, static_cast<std::size_t>(n));
        }
        return true;
    }

    static bool read_head(int fd, std::string& buffer, std::size_t& head_end)
    {
        char chunk[16384];
        while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return false;
            }
            buffer.append(chunk, static_cast<std::size_t>(n));
        }
        return true;
    }

    static std::string status_line(int status)
    {
        return "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n" +
               "Content-Type: application/vnd.docker.plugins.v1+json\r\n";
    }

    // Reads and discards until the client closes the connection (or stop() shuts it down).
    static void wait_for_hangup(int fd)
    {
        char chunk[4096];
        while (true) {
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return;
            }
        }
    }

    // Sends the 100 MB body in 64 KiB pieces; stops as soon as the client is gone.
    static void stream_huge_body(int fd, Fault fault)
    {
        constexpr std::size_t k_piece = 64 * 1024;
        std::string head = status_line(200);
        if (fault == Fault::huge_body) {
            head += "Content-Length: " + std::to_string(FakePlugin::k_huge_body_bytes) + "\r\n";
        } else if (fault == Fault::huge_body_chunked) {
            head += "Transfer-Encoding: chunked\r\n";
        } else {
            head += "Connection: close\r\n";
        }
        if (!detail::send_all(fd, head + "\r\n")) {
            return;
        }
        char size_line[32];
        for (std::size_t offset = 0; offset < FakePlugin::k_huge_body_bytes; offset += k_piece) {
            std::string piece = huge_body_piece(offset, k_piece);
            if (fault == Fault::huge_body_chunked) {
                std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece.size());
                piece = size_line + piece + "\r\n";
            }
            if (!detail::send_all(fd, piece)) {
                return;
            }
        }
        if (fault == Fault::huge_body_chunked) {
            detail::send_all(fd, "0\r\n\r\n");
        }
    }

    // The whole reply, chunked in small pieces and ended by a trailer, as Go servers may send it.
    static std::string chunked(const Reply& reply)
    {
        constexpr std::size_t k_piece = 7;
        std::string response = status_line(reply.status) + "Transfer-Encoding: chunked\r\n\r\n";
        char size_line[32];
        for (std::size_t offset = 0; offset < reply.body.size(); offset += k_piece) {
            const std::string piece = reply.body.substr(offset, k_piece);
            std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece.size());
            response += size_line + piece + "\r\n";
        }
        return response + "0\r\nX-Fake-Trailer: 1\r\n\r\n";
    }

    // Misbehaves as `fault` says on the connection `fd`. Returns true when the connection must be
    // reset rather than closed.
    bool inflict(int fd, Fault fault, const Reply& reply)
    {
        switch (fault) {
            case Fault::stall_after_headers:
                detail::send_all(fd, status_line(reply.status) +
                                         "Content-Length: " + std::to_string(reply.body.size() + 64) + "\r\n\r\n");
                wait_for_hangup(fd);
                return false;
            case Fault::close_mid_body:
                detail::send_all(fd, status_line(reply.status) +
                                         "Content-Length: " + std::to_string(reply.body.size() + 64) + "\r\n\r\n" +
                                         reply.body.substr(0, reply.body.size() / 2));
                return false;
            case Fault::reset: return true;
            case Fault::huge_body:
            case Fault::huge_body_chunked:
            case Fault::huge_body_unframed: stream_huge_body(fd, fault); return false;
            case Fault::restart: restart(m_restart_downtime()); return false;
            case Fault::chunked_reply: detail::send_all(fd, chunked(reply)); return false;
            case Fault::restart_after_reply:
                detail::send_all(fd, status_line(reply.status) + "Content-Length: " +
                                         std::to_string(reply.body.size()) + "\r\n\r\n" + reply.body);
                restart(m_restart_downtime());
                return false;
        }
        return false;
    }

    void connection_loop(int fd, int index, int remote_port)
    {
        std::string buffer;
        bool reset = false;
        while (!m_stopping.load()) {
            std::size_t head_end = 0;
            if (!read_head(fd, buffer, head_end)) {
                break;
            }
            RecordedRequest request;
            request.connection = index;
            request.remote_port = remote_port;
            const std::string head = buffer.substr(0, head_end);
            buffer.erase(0, head_end + 4);

            std::size_t line_end = head.find("\r\n");
            const std::string request_line = head.substr(0, line_end);
            const auto first_space = request_line.find(' ');
            const auto second_space = request_line.find(' ', first_space + 1);
            request.method = request_line.substr(0, first_space);
            request.path = request_line.substr(first_space + 1, second_space - first_space - 1);
            while (line_end != std::string::npos) {
                const std::size_t start = line_end + 2;
                line_end = head.find("\r\n", start);
                const std::string line =
                    head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
                const auto colon = line.find(':');
                if (colon != std::string::npos) {
                    request.headers.emplace_back(line.substr(0, colon), trim(line.substr(colon + 1)));
                }
            }
            if (request.header("Transfer-Encoding")) {
                // Docker never sends chunked bodies; record it and refuse.
                request.body = "<chunked body not read>";
                m_serve(request);
                detail::send_all(fd,
                                 "HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\n"
                                 "Connection: close\r\n\r\n");
                break;
            }
            std::size_t length = 0;
            if (const auto value = request.header("Content-Length")) {
                length = std::stoul(*value);
            }
            if (!fill(fd, buffer, length)) {
                break;
            }
            request.body = buffer.substr(0, length);
            buffer.erase(0, length);
            const bool close_after = request.header("Connection") && iequals(*request.header("Connection"), "close");

            const Outcome outcome = m_serve(request);
            if (outcome.drop) {
                break;
            }
            if (outcome.raw) {
                if (!detail::send_all(fd, *outcome.raw)) {
                    break;
                }
                continue;  // the connection stays open, as a kept-alive one would
            }
            if (outcome.fault == Fault::chunked_reply) {
                if (!detail::send_all(fd, chunked(outcome.reply))) {
                    break;
                }
                continue;
            }
            if (outcome.fault) {
                reset = inflict(fd, *outcome.fault, outcome.reply);
                break;  // a misbehaving reply always ends the connection
            }
            std::string response = status_line(outcome.reply.status);
            response += "Content-Length: " + std::to_string(outcome.reply.body.size()) + "\r\n";
            if (close_after) {
                response += "Connection: close\r\n";
            }
            response += "\r\n" + outcome.reply.body;
            if (!detail::send_all(fd, response) || close_after) {
                break;
            }
        }
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            m_open_fds.erase(fd);
        }
        if (reset) {
            detail::reset_and_close(fd);
            return;
        }
        ::shutdown(fd, SHUT_RDWR);
        ::close(fd);
    }

    std::function<int()> m_listen;
    std::function<int()> m_hold;
    int m_hold_fd = -1;  // under m_mutex
    bool m_tcp;
    ServeFunction m_serve;
    std::function<std::chrono::milliseconds()> m_restart_downtime;
    std::atomic<bool> m_stopping{false};
    std::atomic<std::size_t> m_connections{0};
    std::atomic<std::size_t> m_restarts{0};
    int m_listen_fd = -1;
    std::thread m_accept_thread;
    std::thread m_restart_thread;
    std::mutex m_listener_mutex;  // m_listen_fd and m_accept_thread: closed by stop() or restart()
    bool m_restarting = false;
    std::condition_variable m_stop_signal;
    std::mutex m_mutex;
    std::set<int> m_open_fds;
    std::vector<std::thread> m_threads;
};

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string RecordedRequest::call() const
{
    return !path.empty() && path[0] == '/' ? path.substr(1) : path;
}

std::optional<std::string> RecordedRequest::header(const std::string& name) const
{
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

std::size_t RecordedRequest::header_count(const std::string& name) const
{
    return static_cast<std::size_t>(
        std::count_if(headers.begin(), headers.end(), [&](const auto& header) { return iequals(header.first, name); }));
}

// ---------------------------------------------------------------------------------------------

struct FakePlugin::Impl {
    struct Script {
        std::optional<int> status;
        std::optional<std::string> body;
        std::chrono::milliseconds delay{0};
        int drop_remaining = 0;
        std::optional<Fault> fault;
        int fault_remaining = 0;  // -1: every request
        std::function<Reply(const RecordedRequest&)> handler;
        std::optional<std::string> raw;
    };
    struct VolumeState {
        std::set<std::string> holders;
        std::string mountpoint;  // empty: <mount root>/<name>
    };

    mutable std::mutex mutex;
    std::condition_variable stop_signal;
    bool stopping = false;
    std::map<std::string, Script> scripts;
    std::map<std::string, VolumeState> volumes;
    std::string mount_root = "/tmp/fake-plugin";
    std::chrono::milliseconds restart_downtime{300};
    std::vector<RecordedRequest> records;

    std::unique_ptr<httplib::Server> http;
    std::thread http_thread;
    std::unique_ptr<RawHttpServer> raw;
    int port = 0;
    std::string socket_path;
    bool started = false;

    void ensure_not_started() const
    {
        if (started) {
            throw std::logic_error("FakePlugin already started");
        }
    }

    std::string mountpoint_locked(const std::string& name) const
    {
        const auto it = volumes.find(name);
        if (it != volumes.end() && !it->second.mountpoint.empty()) {
            return it->second.mountpoint;
        }
        return mount_root + "/" + name;
    }

    Outcome serve(const RecordedRequest& request)
    {
        std::unique_lock<std::mutex> lock(mutex);
        const std::size_t index = records.size();
        records.push_back(request);
        Script& script = scripts[request.call()];
        if (script.drop_remaining > 0) {
            --script.drop_remaining;
            records[index].dropped = true;
            return Outcome{true, {}, std::nullopt};
        }
        std::optional<Fault> fault;
        if (script.fault && script.fault_remaining != 0) {
            fault = script.fault;
            if (script.fault_remaining > 0) {
                --script.fault_remaining;
            }
            if (*fault == Fault::reset || *fault == Fault::restart) {
                records[index].dropped = true;
                return Outcome{false, {}, fault};
            }
        }
        Outcome outcome = reply_for(request, script, lock);
        outcome.fault = fault;
        return outcome;
    }

    // The reply `script` and the in-memory plugin give; `lock` holds `mutex` on entry.
    Outcome reply_for(const RecordedRequest& request, const Script& script, std::unique_lock<std::mutex>& lock)
    {
        const Script copy = script;
        if (copy.delay.count() > 0) {
            stop_signal.wait_for(lock, copy.delay, [this] { return stopping; });
            if (stopping) {
                return Outcome{false, Reply{503, "fake plugin stopping\n"}, std::nullopt};
            }
        }
        if (copy.raw) {
            Outcome outcome;
            outcome.raw = copy.raw;
            return outcome;
        }
        if (copy.handler) {
            lock.unlock();
            Reply reply = copy.handler(request);
            lock.lock();
            if (reply.status == k_default_reply) {
                reply = default_reply_locked(request);
            }
            return Outcome{false, reply, std::nullopt};
        }
        if (copy.body) {
            return Outcome{false, Reply{copy.status.value_or(200), *copy.body}, std::nullopt};
        }
        Reply reply = default_reply_locked(request);
        if (copy.status) {
            reply.status = *copy.status;
        }
        return Outcome{false, reply, std::nullopt};
    }

    json volume_json_locked(const std::string& name) const
    {
        json volume{{"Name", name}};
        const auto it = volumes.find(name);
        if (it != volumes.end() && !it->second.holders.empty()) {
            volume["Mountpoint"] = mountpoint_locked(name);
        }
        return volume;
    }

    Reply default_reply_locked(const RecordedRequest& request)
    {
        const std::string call = request.call();
        if (call == "Plugin.Activate") {
            return Reply{200, encode(json{{"Implements", json::array({"VolumeDriver"})}})};
        }
        if (call.rfind("VolumeDriver.", 0) != 0) {
            return Reply{404, "404 page not found\n"};
        }
        const json body = json::parse(request.body, nullptr, false);
        if (body.is_discarded() || !body.is_object()) {
            return Reply{400, encode(json{{"Err",
                                           "fake plugin: request body is not a JSON "
                                           "object"}})};
        }
        const std::string name = body.value("Name", std::string());
        const std::string id = body.value("ID", std::string());
        const bool exists = volumes.count(name) != 0;
        const std::string no_such = "no such volume: " + name;

        if (call == "VolumeDriver.Create") {
            volumes[name];
            return Reply{200, encode(json::object())};
        }
        if (call == "VolumeDriver.Get") {
            if (!exists) {
                return error_reply(no_such);
            }
            return Reply{200, encode(json{{"Volume", volume_json_locked(name)}})};
        }
        if (call == "VolumeDriver.Path") {
            if (!exists) {
                return error_reply(no_such);
            }
            const bool mounted = !volumes[name].holders.empty();
            return Reply{200, encode(json{{"Mountpoint", mounted ? mountpoint_locked(name) : ""}})};
        }
        if (call == "VolumeDriver.Mount") {
            if (!exists) {
                return error_reply(no_such);
            }
            volumes[name].holders.insert(id);
            return Reply{200, encode(json{{"Mountpoint", mountpoint_locked(name)}})};
        }
        if (call == "VolumeDriver.Unmount") {
            if (!exists) {
                return error_reply(no_such);
            }
            volumes[name].holders.erase(id);
            return Reply{200, encode(json::object())};
        }
        if (call == "VolumeDriver.Remove") {
            if (!exists) {
                return error_reply(no_such);
            }
            volumes.erase(name);
            return Reply{200, encode(json::object())};
        }
        if (call == "VolumeDriver.List") {
            json list = json::array();
            for (const auto& entry : volumes) {
                list.push_back(volume_json_locked(entry.first));
            }
            return Reply{200, encode(json{{"Volumes", list}})};
        }
        if (call == "VolumeDriver.Capabilities") {
            return Reply{200, encode(json{{"Capabilities", {{"Scope", "local"}}}})};
        }
        return Reply{404, "404 page not found\n"};
    }

    void start_httplib(std::unique_ptr<httplib::Server> server, bool tcp)
    {
        http = std::move(server);
        http->set_keep_alive_max_count(1000);
        http->set_keep_alive_timeout(5);
        http->set_read_timeout(10);
        const auto handler = [this, tcp](const httplib::Request& req, httplib::Response& res) {
            RecordedRequest request;
            request.method = req.method;
            request.path = req.path;
            for (const auto& [name, value] : req.headers) {
                if (!is_httplib_pseudo_header(name)) {
                    request.headers.emplace_back(name, value);
                }
            }
            request.body = req.body;
            request.remote_port = tcp ? req.remote_port : -1;
            const Outcome outcome = serve(request);
            if (outcome.drop || outcome.fault || outcome.raw) {
                res.status = 599;
                res.set_content("fake plugin: drop_first and inject need FakePlugin::Engine::raw\n", "text/plain");
                return;
            }
            res.status = outcome.reply.status;
            res.set_content(outcome.reply.body, "application/vnd.docker.plugins.v1+json");
        };
        http->Post(".*", handler);
        http->Get(".*", handler);
        http->Put(".*", handler);
        http->Delete(".*", handler);
        http_thread = std::thread([this] { http->listen_after_bind(); });
        // stop() is a no-op until the loop runs, so wait for it.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!http->is_running() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        started = true;
    }

    void start_raw(std::function<int()> listen, std::function<int()> hold, bool tcp)
    {
        raw = std::make_unique<RawHttpServer>(
            std::move(listen), std::move(hold), tcp, [this](const RecordedRequest& r) { return serve(r); },
            [this] {
                const std::lock_guard<std::mutex> lock(mutex);
                return restart_downtime;
            });
        started = true;
    }
};

FakePlugin::FakePlugin() : m_impl(std::make_unique<Impl>()) {}

FakePlugin::~FakePlugin()
{
    stop();
}

void FakePlugin::start_unix(const std::string& socket_path, Engine engine)
{
    m_impl->ensure_not_started();
    detail::remove_stale_socket(socket_path);
    m_impl->socket_path = socket_path;
    if (engine == Engine::raw) {
        m_impl->start_raw([socket_path] { return detail::listen_unix(socket_path); }, nullptr, false);
        return;
    }
    auto server = std::make_unique<httplib::Server>();
    server->set_address_family(AF_UNIX);
    if (!server->bind_to_port(socket_path, 80)) {
        throw std::runtime_error("FakePlugin: cannot listen on " + socket_path);
    }
    m_impl->start_httplib(std::move(server), false);
}

int FakePlugin::start_tcp(Engine engine)
{
    m_impl->ensure_not_started();
    if (engine == Engine::raw) {
        // An ephemeral port, kept across restarts: listened on from the start, held while down.
        int port = 0;
        int first_listener = detail::listen_tcp(port);
        m_impl->port = port;
        m_impl->start_raw(
            [port, first_listener]() mutable {
                return first_listener >= 0 ? std::exchange(first_listener, -1) : detail::listen_tcp_on(port);
            },
            [port] { return detail::hold_tcp_port(port); }, true);
        return port;
    }
    auto server = std::make_unique<httplib::Server>();
    const int port = server->bind_to_any_port("127.0.0.1");
    if (port <= 0) {
        throw std::runtime_error("FakePlugin: cannot listen on 127.0.0.1");
    }
    m_impl->port = port;
    m_impl->start_httplib(std::move(server), true);
    return port;
}

int FakePlugin::start_https(const std::string& cert_file, const std::string& key_file,
                            const std::string& client_ca_file)
{
    m_impl->ensure_not_started();
    auto server = std::make_unique<httplib::SSLServer>(cert_file.c_str(), key_file.c_str(),
                                                       client_ca_file.empty() ? nullptr : client_ca_file.c_str());
    if (!server->is_valid()) {
        throw std::runtime_error("FakePlugin: invalid TLS setup (" + cert_file + ", " + key_file + ")");
    }
    const int port = server->bind_to_any_port("127.0.0.1");
    if (port <= 0) {
        throw std::runtime_error("FakePlugin: cannot listen on 127.0.0.1");
    }
    m_impl->port = port;
    m_impl->start_httplib(std::move(server), true);
    return port;
}

void FakePlugin::stop()
{
    {
        const std::lock_guard<std::mutex> lock(m_impl->mutex);
        m_impl->stopping = true;
    }
    m_impl->stop_signal.notify_all();
    if (m_impl->raw) {
        m_impl->raw->stop();
    }
    if (m_impl->http) {
        m_impl->http->stop();
        if (m_impl->http_thread.joinable()) {
            m_impl->http_thread.join();
        }
    }
    if (!m_impl->socket_path.empty() && m_impl->started) {
        ::unlink(m_impl->socket_path.c_str());
        m_impl->started = false;
    }
}

int FakePlugin::port() const
{
    return m_impl->port;
}

std::string FakePlugin::socket_path() const
{
    return m_impl->socket_path;
}

void FakePlugin::reply(const std::string& call, int status, const std::string& body)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    auto& script = m_impl->scripts[call];
    script.status = status;
    script.body = body;
}

void FakePlugin::reply_status(const std::string& call, int status)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->scripts[call].status = status;
}

void FakePlugin::delay(const std::string& call, std::chrono::milliseconds duration)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->scripts[call].delay = duration;
}

void FakePlugin::drop_first(const std::string& call, int times)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->scripts[call].drop_remaining = times;
}

void FakePlugin::reply_raw(const std::string& call, const std::string& bytes)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->scripts[call].raw = bytes;
}

void FakePlugin::inject(const std::string& call, Fault fault, int times)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    auto& script = m_impl->scripts[call];
    script.fault = fault;
    script.fault_remaining = times;
}

void FakePlugin::set_restart_downtime(std::chrono::milliseconds downtime)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->restart_downtime = downtime;
}

std::size_t FakePlugin::restarts() const
{
    return m_impl->raw ? m_impl->raw->restarts() : 0;
}

void FakePlugin::handle(const std::string& call, std::function<Reply(const RecordedRequest&)> handler)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->scripts[call].handler = std::move(handler);
}

void FakePlugin::reset(const std::string& call)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->scripts.erase(call);
}

void FakePlugin::set_mount_root(const std::string& root)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->mount_root = root;
}

void FakePlugin::set_mountpoint(const std::string& volume, const std::string& mountpoint)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->volumes[volume].mountpoint = mountpoint;
}

void FakePlugin::add_volume(const std::string& name, const std::string& mounted_by)
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    auto& volume = m_impl->volumes[name];
    if (!mounted_by.empty()) {
        volume.holders.insert(mounted_by);
    }
}

bool FakePlugin::has_volume(const std::string& name) const
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    return m_impl->volumes.count(name) != 0;
}

std::vector<std::string> FakePlugin::mount_ids(const std::string& volume) const
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    const auto it = m_impl->volumes.find(volume);
    if (it == m_impl->volumes.end()) {
        return {};
    }
    return {it->second.holders.begin(), it->second.holders.end()};
}

std::string FakePlugin::mountpoint_of(const std::string& volume) const
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    return m_impl->mountpoint_locked(volume);
}

std::vector<RecordedRequest> FakePlugin::requests() const
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    return m_impl->records;
}

std::vector<std::string> FakePlugin::calls() const
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    std::vector<std::string> result;
    result.reserve(m_impl->records.size());
    for (const auto& record : m_impl->records) {
        result.push_back(record.call());
    }
    return result;
}

std::vector<RecordedRequest> FakePlugin::requests_for(const std::string& call) const
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    std::vector<RecordedRequest> result;
    for (const auto& record : m_impl->records) {
        if (record.call() == call) {
            result.push_back(record);
        }
    }
    return result;
}

std::size_t FakePlugin::connections() const
{
    return m_impl->raw ? m_impl->raw->connections() : 0;
}

void FakePlugin::clear_requests()
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->records.clear();
}

// ---------------------------------------------------------------------------------------------

struct SilentSocket::Impl {
    int listen_fd = -1;
    Mode mode = Mode::never_accept;
    std::string socket_path;
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> accepted{0};
    mutable std::mutex mutex;
    std::string received;
    std::set<int> open_fds;
    std::vector<std::thread> threads;
    std::thread accept_thread;

    void start()
    {
        if (mode == Mode::never_accept) {
            return;
        }
        accept_thread = std::thread([this] { accept_loop(); });
    }

    void accept_loop()
    {
        while (!stopping.load()) {
            const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) {
                    continue;
                }
                return;
            }
            ++accepted;
            if (mode == Mode::accept_and_close) {
                ::close(fd);
                continue;
            }
            const std::lock_guard<std::mutex> lock(mutex);
            if (stopping.load()) {
                ::close(fd);
                return;
            }
            open_fds.insert(fd);
            threads.emplace_back([this, fd] { read_loop(fd); });
        }
    }

    void read_loop(int fd)
    {
        char chunk[4096];
        while (true) {
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            const std::lock_guard<std::mutex> lock(mutex);
            received.append(chunk, static_cast<std::size_t>(n));
        }
        // Keep the fd open until stop(): closing it would answer the client with EOF.
        while (!stopping.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

    void stop()
    {
        stopping = true;
        ::shutdown(listen_fd, SHUT_RDWR);
        if (accept_thread.joinable()) {
            accept_thread.join();
        }
        std::vector<std::thread> to_join;
        {
            const std::lock_guard<std::mutex> lock(mutex);
            for (const int fd : open_fds) {
                ::shutdown(fd, SHUT_RDWR);
            }
            to_join.swap(threads);
        }
        for (auto& thread : to_join) {
            thread.join();
        }
        {
            const std::lock_guard<std::mutex> lock(mutex);
            for (const int fd : open_fds) {
                ::close(fd);
            }
            open_fds.clear();
        }
        ::close(listen_fd);
        if (!socket_path.empty()) {
            ::unlink(socket_path.c_str());
        }
    }
};

SilentSocket::SilentSocket(const std::string& socket_path, Mode mode) : m_impl(std::make_unique<Impl>())
{
    m_impl->mode = mode;
    m_impl->socket_path = socket_path;
    m_impl->listen_fd = detail::listen_unix(socket_path, 16);
    m_impl->start();
}

SilentSocket::SilentSocket(Mode mode) : m_impl(std::make_unique<Impl>())
{
    m_impl->mode = mode;
    m_impl->listen_fd = detail::listen_tcp(m_port, 16);
    m_impl->start();
}

SilentSocket::~SilentSocket()
{
    m_impl->stop();
}

std::size_t SilentSocket::accepted() const
{
    return m_impl->accepted.load();
}

std::string SilentSocket::received() const
{
    const std::lock_guard<std::mutex> lock(m_impl->mutex);
    return m_impl->received;
}

// ---------------------------------------------------------------------------------------------

void make_stale_socket(const std::string& socket_path)
{
    detail::remove_stale_socket(socket_path);
    const int fd = detail::listen_unix(socket_path, 1);
    // Closing the listener leaves the file behind with nobody on it: connect() is refused.
    ::close(fd);
}

int unused_tcp_port()
{
    int port = 0;
    const int fd = detail::listen_tcp(port, 1);
    ::close(fd);
    return port;
}

bool wait_for_unix_socket(const std::string& socket_path, std::chrono::milliseconds wait)
{
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (true) {
        if (detail::unix_socket_answers(socket_path)) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace volumecli::test
