// The plugin transport: a POST with exactly the headers Docker's plugin client sends, over a
// kept-alive connection.

#include "transport/plugin_transport.hpp"

#include <volumecli/version.hpp>

#include "transport/http_connection.hpp"

#include <utility>

namespace volumecli {

namespace {

class HttpTransport final : public Transport {
public:
    explicit HttpTransport(Endpoint endpoint)
        : m_host_header(detail::host_header(endpoint)),
          m_address(endpoint.address),
          m_connection(std::move(endpoint), {})
    {
    }

    [[nodiscard]] std::string address() const override { return m_address; }

    HttpResponse post(const std::string& path, const std::string& body, Clock::time_point deadline,
                      std::size_t max_reply_bytes) override
    {
        std::string request =
            "POST " + path + " HTTP/1.1\r\nHost: " + m_host_header + "\r\nUser-Agent: dvdcli/" + version() +
            "\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n\r\n";
        request += body;
        return m_connection.send(request, deadline, max_reply_bytes);
    }

private:
    std::string m_host_header;
    std::string m_address;
    detail::HttpConnection m_connection;
};

}  // namespace

HttpResponse Transport::post(const std::string& path, const std::string& body, Clock::time_point deadline)
{
    return post(path, body, deadline, k_max_reply_bytes);
}

std::unique_ptr<Transport> make_http_transport(const Endpoint& endpoint)
{
    return std::make_unique<HttpTransport>(endpoint);
}

}  // namespace volumecli
