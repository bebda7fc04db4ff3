#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace volumecli::test {

// One HTTP request as a plugin received it.
struct RecordedRequest {
    std::string method;                                        // "POST"
    std::string path;                                          // "/VolumeDriver.Mount"
    std::vector<std::pair<std::string, std::string>> headers;  // every header the client sent
    std::string body;
    int remote_port = -1;  // the client's TCP port (TCP and HTTPS only)
    int connection = -1;   // raw engine: which accepted connection (0, 1, ...) carried it
    bool dropped = false;  // the plugin closed the connection instead of answering (drop_first, reset, restart)

    // The call name: the path without its leading '/', e.g. "VolumeDriver.Mount".
    [[nodiscard]] std::string call() const;
    // Value of the first header called `name` (case-insensitive), std::nullopt when absent.
    [[nodiscard]] std::optional<std::string> header(const std::string& name) const;
    [[nodiscard]] std::size_t header_count(const std::string& name) const;
};

// What the plugin answers.
struct Reply {
    int status = 200;
    std::string body;
};

// A handler's way to say "answer as the in-memory plugin would" (FakePlugin::handle).
inline constexpr int k_default_reply = 0;

// A scriptable Docker volume plugin on a real server. By default it behaves like a simple
// in-memory plugin: Activate implements VolumeDriver; Create adds a volume; Mount records the ID
// and returns <mount root>/<name>; Get, Path and List show the Mountpoint only while some ID
// holds the volume; errors are go-plugins-helpers style (500 + {"Err":...}); unknown paths get
// 404 "404 page not found\n". Every scripting and inspection call is thread-safe.
class FakePlugin {
public:
    // httplib: cpp-httplib's Server/SSLServer. raw: a minimal HTTP/1.1 server of ours, the only
    // one that can drop a connection without answering (drop_first).
    enum class Engine { httplib, raw };

    FakePlugin();
    ~FakePlugin();
    FakePlugin(const FakePlugin&) = delete;
    FakePlugin& operator=(const FakePlugin&) = delete;

    // Listens on a unix socket (a stale file at that path is removed first).
    void start_unix(const std::string& socket_path, Engine engine = Engine::httplib);
    // Listens on 127.0.0.1 on an ephemeral port, which it returns.
    int start_tcp(Engine engine = Engine::httplib);
    // HTTPS on 127.0.0.1 (ephemeral port, returned). With a non-empty `client_ca`, clients must
    // present a certificate signed by it (mutual TLS).
    int start_https(const std::string& cert_file, const std::string& key_file, const std::string& client_ca_file = "");
    // Stops the server; pending delays are cut short. Idempotent; the destructor calls it.
    void stop();

    [[nodiscard]] int port() const;
    [[nodiscard]] std::string socket_path() const;

    // --- scripting; `call` is a name like "Plugin.Activate" or "VolumeDriver.Mount" ---
    // Answer every `call` with this status and raw body (no in-memory side effects).
    void reply(const std::string& call, int status, const std::string& body);
    // Answer every `call` with exactly these bytes (status line, headers and all) and keep the
    // connection open afterwards. Raw engine only; the httplib engine answers 599 instead.
    void reply_raw(const std::string& call, const std::string& bytes);
    // Answer with the default body but this status.
    void reply_status(const std::string& call, int status);
    // Wait this long before answering `call` (interrupted by stop()).
    void delay(const std::string& call, std::chrono::milliseconds duration);
    // Close the connection without answering the first `times` requests of `call` (raw engine;
    // the httplib engine answers 599 instead so the test fails visibly).
    void drop_first(const std::string& call, int times);
    // What the raw engine can do to a request instead of answering it properly.
    enum class Fault {
        stall_after_headers,  // status line and headers, then silence until the client leaves
        close_mid_body,       // Content-Length promises more than is sent, then the connection closes
        reset,                // no reply: the connection is reset (SO_LINGER 0, then close)
        huge_body,            // 200 with a 100 MB body and its Content-Length, streamed, never held in memory
        huge_body_chunked,    // the same body, chunked
        huge_body_unframed,   // the same body without a length: it ends when the connection does
        restart,              // no reply: the server stops, then listens again on the same address
        restart_after_reply,  // answers, then restarts as above (the kept-alive connection goes away)
        chunked_reply,        // not a fault: the proper reply, chunked in 7-byte pieces, with a trailer
    };
    // Inflicts `fault` on the next `times` requests of `call` (-1: on every one). Raw engine only;
    // the httplib engine answers 599 instead so the test fails visibly.
    void inject(const std::string& call, Fault fault, int times = -1);
    // How long a restart keeps the server away (default 300 ms).
    void set_restart_downtime(std::chrono::milliseconds downtime);
    // Size of the huge_body* bodies.
    static constexpr std::size_t k_huge_body_bytes = std::size_t{100} * 1024 * 1024;
    // Full control: computes the reply from the request (runs after delay/drop). A reply with
    // status k_default_reply stands for the in-memory plugin's own reply (side effects included).
    void handle(const std::string& call, std::function<Reply(const RecordedRequest&)> handler);
    // Forget every override for `call`.
    void reset(const std::string& call);

    // --- the in-memory plugin ---
    void set_mount_root(const std::string& root);  // default /tmp/fake-plugin
    void set_mountpoint(const std::string& volume, const std::string& mountpoint);
    // Adds a volume; with `mounted_by` non-empty, that ID holds it (it shows a Mountpoint).
    void add_volume(const std::string& name, const std::string& mounted_by = "");
    [[nodiscard]] bool has_volume(const std::string& name) const;
    [[nodiscard]] std::vector<std::string> mount_ids(const std::string& volume) const;
    [[nodiscard]] std::string mountpoint_of(const std::string& volume) const;

    // --- what was received ---
    [[nodiscard]] std::vector<RecordedRequest> requests() const;
    // The call names in arrival order, e.g. {"Plugin.Activate", "VolumeDriver.Get"}.
    [[nodiscard]] std::vector<std::string> calls() const;
    // Requests for one call, in arrival order.
    [[nodiscard]] std::vector<RecordedRequest> requests_for(const std::string& call) const;
    // Times the raw server restarted (inject restart*) and listened again.
    [[nodiscard]] std::size_t restarts() const;
    // Connections accepted so far (raw engine only; httplib engine returns 0).
    [[nodiscard]] std::size_t connections() const;
    void clear_requests();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// A socket that never answers: for timeout and retry tests.
class SilentSocket {
public:
    enum class Mode {
        never_accept,         // listen() but never accept(): connects queue in the backlog
        accept_never_answer,  // accept() and read, never write
        accept_and_close,     // accept() then close at once (counts connection attempts)
    };

    // On a unix socket at `socket_path` (a stale file there is removed first).
    SilentSocket(const std::string& socket_path, Mode mode);
    // On 127.0.0.1, ephemeral port.
    explicit SilentSocket(Mode mode);
    ~SilentSocket();
    SilentSocket(const SilentSocket&) = delete;
    SilentSocket& operator=(const SilentSocket&) = delete;

    [[nodiscard]] int port() const { return m_port; }
    // Connections accepted so far (0 for never_accept).
    [[nodiscard]] std::size_t accepted() const;
    // Bytes read so far (accept_never_answer).
    [[nodiscard]] std::string received() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    int m_port = 0;
};

// Leaves a socket file at `socket_path` that nobody listens on (connect() gets ECONNREFUSED).
void make_stale_socket(const std::string& socket_path);
// A 127.0.0.1 TCP port that was free a moment ago (connect() most likely gets ECONNREFUSED).
int unused_tcp_port();
// True once something accepts connections on the unix socket (polls until `wait` expires).
bool wait_for_unix_socket(const std::string& socket_path, std::chrono::milliseconds wait);

}  // namespace volumecli::test
