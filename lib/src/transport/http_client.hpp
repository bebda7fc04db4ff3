#pragma once

// A general HTTP/1.1 client (any method, headers, body) on one kept-alive connection: what the
// Flocker driver speaks to the control service over. Internal to libvolumecli.

#include "core/clock.hpp"
#include "transport/http_response.hpp"
#include "transport/stream.hpp"

#include <volumecli/endpoint.hpp>
#include <volumecli/non_copyable.hpp>

#include <memory>
#include <string>

namespace volumecli {

// One request of a general HTTP/1.1 client. Host, User-Agent and (when there is a body, or for
// POST and PUT) Content-Length are added by the client; `headers` follow them verbatim.
struct HttpRequest {
    std::string method;  // "GET", "POST", "DELETE", ...
    std::string path;    // "/v1/version", already percent-encoded
    HttpHeaders headers;
    std::string body;
};

// A general HTTP/1.1 client on one connection, kept alive between calls. request() throws as
// Transport::post does, and UsageError for a request line or header holding a line break or NUL.
class HttpClient : private NonCopyable {
public:
    virtual ~HttpClient() = default;
    HttpClient() = default;

    virtual HttpResponse request(const HttpRequest& request, Clock::time_point deadline) = 0;
};

// A client speaking HTTP/1.1 to `endpoint` (TLS when endpoint.tls, adjusted by `tls`), sending
// `user_agent` as User-Agent (none when empty). Connects lazily.
std::unique_ptr<HttpClient> make_http_client(const Endpoint& endpoint, std::string user_agent,
                                             detail::TlsOptions tls = {});

}  // namespace volumecli
