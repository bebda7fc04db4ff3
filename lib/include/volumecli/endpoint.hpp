#pragma once

#include <memory>
#include <string>

namespace volumecli {

namespace detail {
struct AddressCache;  // internal to libvolumecli (transport/resolve.hpp)
}

// Certificate files for an https:// endpoint (go-connections' tlsconfig.Options field names).
struct TlsFiles {
    std::string ca_file;    // empty: verify against the system roots
    std::string cert_file;  // client certificate, with key_file; both or neither
    std::string key_file;
    bool insecure_skip_verify = false;  // only ever true when a .json spec says so explicitly
};

// Where a driver listens: a unix socket or a TCP host:port, optionally with TLS.
struct Endpoint {
    enum class Kind { unix_socket, tcp };
    Kind kind = Kind::unix_socket;
    std::string socket_path;  // Kind::unix_socket
    std::string host;         // Kind::tcp, without brackets for IPv6
    std::string port;         // Kind::tcp
    bool tls = false;         // https://
    TlsFiles tls_files;
    std::string address;  // the address as written, for messages
    // Kind::tcp: the host's addresses, resolved on first use and shared by copies, so that the
    // lock key and the connection resolve the name once. Set by parse_endpoint_url; null: the
    // name is resolved at each use.
    std::shared_ptr<detail::AddressCache> resolved;
};

// Parses a plugin address as Docker does: unix:///abs.sock, unix://rel.sock, tcp://h:p,
// http://h[:p], https://h[:p] (any path is dropped). Throws UsageError on anything else.
Endpoint parse_endpoint_url(const std::string& url);

}  // namespace volumecli
