// The general client: serialises a request (refusing header injection) and sends it over a
// kept-alive connection.

#include "transport/http_client.hpp"

#include <volumecli/error.hpp>

#include "transport/http_connection.hpp"
#include "transport/reply_limits.hpp"

#include <utility>

namespace volumecli {

namespace {

class GeneralHttpClient final : public HttpClient {
public:
    GeneralHttpClient(Endpoint endpoint, std::string user_agent, detail::TlsOptions tls)
        : m_host_header(detail::host_header(endpoint)),
          m_user_agent(std::move(user_agent)),
          m_connection(std::move(endpoint), std::move(tls))
    {
    }

    HttpResponse request(const HttpRequest& request, Clock::time_point deadline) override
    {
        for (const auto& [name, value] : request.headers) {
            if (!is_header_safe(name) || !is_header_safe(value)) {
                throw UsageError("HTTP header \"" + name + "\" contains a line break or NUL");
            }
        }
        if (!is_header_safe(request.method) || !is_header_safe(request.path) ||
            request.path.find(' ') != std::string::npos) {
            throw UsageError("invalid HTTP request line for \"" + request.path + "\"");
        }
        std::string text = request.method + " " + request.path + " HTTP/1.1\r\nHost: " + m_host_header + "\r\n";
        if (!m_user_agent.empty()) {
            text += "User-Agent: " + m_user_agent + "\r\n";
        }
        for (const auto& [name, value] : request.headers) {
            text.append(name).append(": ").append(value).append("\r\n");
        }
        if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
            text += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
        }
        text += "\r\n";
        text += request.body;
        return m_connection.send(text, deadline, k_max_reply_bytes);
    }

private:
    static bool is_header_safe(const std::string& text)
    {
        return text.find_first_of(std::string("\r\n\0", 3)) == std::string::npos;
    }

    std::string m_host_header;
    std::string m_user_agent;
    detail::HttpConnection m_connection;
};

}  // namespace

std::unique_ptr<HttpClient> make_http_client(const Endpoint& endpoint, std::string user_agent, detail::TlsOptions tls)
{
    return std::make_unique<GeneralHttpClient>(endpoint, std::move(user_agent), std::move(tls));
}

}  // namespace volumecli
