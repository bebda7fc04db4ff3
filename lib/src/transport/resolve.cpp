#include "transport/resolve.hpp"

#include <volumecli/error.hpp>

#include "core/text.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstring>

namespace volumecli::detail {

namespace {

std::atomic<std::size_t> g_resolutions{0};

AddressList resolve(const Endpoint& endpoint)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    // With no node name, getaddrinfo returns the loopback addresses.
    // Host names are case-insensitive (RFC 4343): LocalHost is localhost.
    const std::string host = ascii_lower(endpoint.host);
    const bool loopback =
        host == "localhost" || (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0);
    const char* node = loopback ? nullptr : host.c_str();
    addrinfo* found = nullptr;
    ++g_resolutions;
    if (const int rc = ::getaddrinfo(node, endpoint.port.c_str(), &hints, &found); rc != 0) {
        throw TransportError("resolve " + endpoint.host + ": " + ::gai_strerror(rc));
    }
    return AddressList(found, &::freeaddrinfo);
}

}  // namespace

AddressList resolve_endpoint(const Endpoint& endpoint)
{
    if (!endpoint.resolved) {
        return resolve(endpoint);
    }
    AddressCache& cache = *endpoint.resolved;
    const std::lock_guard<std::mutex> lock(cache.mutex);
    if (!cache.addresses || cache.host != endpoint.host || cache.port != endpoint.port) {
        cache.addresses = resolve(endpoint);
        cache.host = endpoint.host;
        cache.port = endpoint.port;
    }
    return cache.addresses;
}

std::size_t resolution_count()
{
    return g_resolutions;
}

std::string address_text(const addrinfo& address)
{
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (address.ai_family == AF_INET) {
        const auto* ipv4 = reinterpret_cast<const sockaddr_in*>(address.ai_addr);
        if ((ntohl(ipv4->sin_addr.s_addr) >> 24U) == 127U) {
            return "loopback";
        }
        ::inet_ntop(AF_INET, &ipv4->sin_addr, text.data(), text.size());
        return text.data();
    }
    if (address.ai_family == AF_INET6) {
        const auto* ipv6 = reinterpret_cast<const sockaddr_in6*>(address.ai_addr);
        const in6_addr& bytes = ipv6->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(&bytes) || (IN6_IS_ADDR_V4MAPPED(&bytes) && bytes.s6_addr[12] == 127U)) {
            return "loopback";
        }
        ::inet_ntop(AF_INET6, &bytes, text.data(), text.size());
        return std::string("[") + text.data() + "]";
    }
    return "family-" + std::to_string(address.ai_family);
}

}  // namespace volumecli::detail
