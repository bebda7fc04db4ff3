#pragma once

#include <volumecli/endpoint.hpp>
#include <volumecli/non_copyable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace volumecli {

using Clock = std::chrono::steady_clock;

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
    int status = 0;
    std::string body;
    HttpHeaders headers{};  // in arrival order, names as sent
    // The deadline the reply was read within; decoding the body belongs to the same call and must
    // meet it too. max() when none applies.
    Clock::time_point deadline = Clock::time_point::max();

    // The value of the first header called `name` (case-insensitive); nullopt when absent.
    [[nodiscard]] std::optional<std::string> header(const std::string& name) const;
};

// Sends plugin requests over one connection, kept alive between calls.
class Transport : private NonCopyable {
public:
    virtual ~Transport() = default;
    Transport() = default;

    // POSTs `body` to `path` and returns the reply. Throws TransportError when nothing usable was
    // received (refused, reset, closed before a reply: safe to resend), TimeoutError when
    // `deadline` passes, ProtocolError for a malformed, truncated or oversized reply (a body over
    // `max_reply_bytes`, itself capped at k_max_reply_bytes), and UnreachableError for failures
    // that retrying cannot fix (bad certificates). A 1xx interim reply is skipped; 101, 204 and
    // 304 replies have an empty body whatever their headers say.
    virtual HttpResponse post(const std::string& path, const std::string& body, Clock::time_point deadline,
                              std::size_t max_reply_bytes) = 0;
    // The same with the largest cap, k_max_reply_bytes.
    HttpResponse post(const std::string& path, const std::string& body, Clock::time_point deadline);
};

// Largest reply body accepted from a driver.
inline constexpr std::size_t k_max_reply_bytes = std::size_t{32} * 1024 * 1024;
// Largest reply body accepted for a call whose reply has no reason to be large (all but List).
inline constexpr std::size_t k_max_small_reply_bytes = std::size_t{1} * 1024 * 1024;

// A transport speaking HTTP/1.1 to `endpoint` (TLS when endpoint.tls). Connects lazily.
std::unique_ptr<Transport> make_http_transport(const Endpoint& endpoint);

// One request of a general HTTP/1.1 client. Host, User-Agent and (when there is a body, or for
// POST and PUT) Content-Length are added by the client; `headers` follow them verbatim.
struct HttpRequest {
    std::string method;  // "GET", "POST", "DELETE", ...
    std::string path;    // "/v1/version", already percent-encoded
    HttpHeaders headers;
    std::string body;
};

// A general HTTP/1.1 client on one connection, kept alive between calls (the engine behind
// make_http_transport). request() throws exactly as Transport::post does.
class HttpClient : private NonCopyable {
public:
    virtual ~HttpClient() = default;
    HttpClient() = default;

    virtual HttpResponse request(const HttpRequest& request, Clock::time_point deadline) = 0;
};

struct HttpClientOptions {
    std::string user_agent;  // the User-Agent header, e.g. "flockercli/0.3.0"
    // TLS: also accept a server certificate issued for this name instead of the dialled host
    // (Flocker's own client checks "control-service" whatever address it dialled). Empty: only
    // the dialled host.
    std::string alternative_server_name;
    // TLS: when a new connection fails after the TCP connect (handshake failure, alert, end of
    // stream before the first reply), throw UnreachableError instead of TransportError, so the
    // failure is final rather than retried. Only the TCP connect itself stays retryable.
    bool tls_failures_are_final = false;
    // Appended to the message of such a failure: what the user should check.
    std::string tls_rejection_hint;
};

// A client speaking HTTP/1.1 to `endpoint` (TLS when endpoint.tls). Connects lazily.
std::unique_ptr<HttpClient> make_http_client(const Endpoint& endpoint, HttpClientOptions options);

}  // namespace volumecli
