#include "stream.hpp"

#include <volumecli/error.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <poll.h>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace volumecli::detail {

namespace {

std::string openssl_reason()
{
    std::string reason;
    while (const unsigned long code = ERR_get_error()) {
        char text[256];
        ERR_error_string_n(code, text, sizeof(text));
        // Keep the readable tail of "error:0A000086:SSL routines::certificate verify failed".
        std::string entry = text;
        if (const auto colons = entry.rfind("::"); colons != std::string::npos) {
            entry = entry.substr(colons + 2);
        }
        reason = reason.empty() ? entry : reason + "; " + entry;
    }
    return reason.empty() ? std::string("unknown TLS error") : reason;
}

bool is_ip_literal(const std::string& host)
{
    unsigned char buffer[16];
    return ::inet_pton(AF_INET, host.c_str(), buffer) == 1 || ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

struct ContextDeleter {
    void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
struct SslDeleter {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
};

class TlsStream final : public Stream {
public:
    TlsStream(UniqueFd fd, std::unique_ptr<SSL_CTX, ContextDeleter> context, std::unique_ptr<SSL, SslDeleter> ssl)
        : m_fd(std::move(fd)), m_context(std::move(context)), m_ssl(std::move(ssl))
    {
    }

    void write_all(const char* data, std::size_t size, Clock::time_point deadline) override
    {
        while (size > 0) {
            std::size_t written = 0;
            const int rc = SSL_write_ex(m_ssl.get(), data, size, &written);
            if (rc == 1) {
                data += written;
                size -= written;
                continue;
            }
            wait_or_throw(SSL_get_error(m_ssl.get(), rc), deadline, "sending the request");
        }
    }

    std::size_t read_some(char* data, std::size_t size, Clock::time_point deadline) override
    {
        for (;;) {
            std::size_t got = 0;
            const int rc = SSL_read_ex(m_ssl.get(), data, size, &got);
            if (rc == 1) {
                return got;
            }
            const int error = SSL_get_error(m_ssl.get(), rc);
            if (error == SSL_ERROR_ZERO_RETURN) {
                return 0;
            }
            wait_or_throw(error, deadline, "waiting for the reply");
        }
    }

private:
    void wait_or_throw(int error, Clock::time_point deadline, const char* waiting_for)
    {
        if (error == SSL_ERROR_WANT_READ) {
            wait_ready(m_fd.get(), POLLIN, deadline, waiting_for);
        } else if (error == SSL_ERROR_WANT_WRITE) {
            wait_ready(m_fd.get(), POLLOUT, deadline, waiting_for);
        } else if (error == SSL_ERROR_SYSCALL) {
            const int saved = errno;
            ERR_clear_error();
            throw TransportError(std::string("TLS connection lost: ") +
                                 (saved != 0 ? std::strerror(saved) : "unexpected end of stream"));
        } else {
            // An alert from the peer, e.g. it rejected our client certificate after the handshake.
            throw UnreachableError("TLS: " + openssl_reason());
        }
    }

    UniqueFd m_fd;
    std::unique_ptr<SSL_CTX, ContextDeleter> m_context;
    std::unique_ptr<SSL, SslDeleter> m_ssl;
};

}  // namespace

std::unique_ptr<Stream> make_tls_stream(UniqueFd fd, const Endpoint& endpoint, Clock::time_point deadline)
{
    // SSL_write on a socket the peer closed raises SIGPIPE; a CLI must get EPIPE instead.
    std::signal(SIGPIPE, SIG_IGN);

    std::unique_ptr<SSL_CTX, ContextDeleter> context(SSL_CTX_new(TLS_client_method()));
    if (!context) {
        throw UnreachableError("TLS: " + openssl_reason());
    }
    SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION);
    const TlsFiles& files = endpoint.tls_files;
    if (files.insecure_skip_verify) {
        spdlog::warn("TLS certificate of {} is not verified (InsecureSkipVerify)", endpoint.address);
        SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);
    } else {
        SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
        const int loaded = files.ca_file.empty()
                               ? SSL_CTX_set_default_verify_paths(context.get())
                               : SSL_CTX_load_verify_locations(context.get(), files.ca_file.c_str(), nullptr);
        if (loaded != 1) {
            throw UnreachableError("TLS: cannot load CA certificates" +
                                   (files.ca_file.empty() ? std::string() : " from " + files.ca_file) + ": " +
                                   openssl_reason());
        }
    }
    if (!files.cert_file.empty() || !files.key_file.empty()) {
        if (SSL_CTX_use_certificate_chain_file(context.get(), files.cert_file.c_str()) != 1) {
            throw UnreachableError("TLS: cannot load client certificate " + files.cert_file + ": " + openssl_reason());
        }
        // The key's path is not repeated in messages: it is a secret's location.
        if (SSL_CTX_use_PrivateKey_file(context.get(), files.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(context.get()) != 1) {
            throw UnreachableError("TLS: cannot load the client private key: " + openssl_reason());
        }
    }

    std::unique_ptr<SSL, SslDeleter> ssl(SSL_new(context.get()));
    if (!ssl || SSL_set_fd(ssl.get(), fd.get()) != 1) {
        throw UnreachableError("TLS: " + openssl_reason());
    }
    if (is_ip_literal(endpoint.host)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), endpoint.host.c_str());
    } else {
        SSL_set_tlsext_host_name(ssl.get(), endpoint.host.c_str());
        SSL_set1_host(ssl.get(), endpoint.host.c_str());
    }

    for (;;) {
        const int rc = SSL_connect(ssl.get());
        if (rc == 1) {
            break;
        }
        const int error = SSL_get_error(ssl.get(), rc);
        if (error == SSL_ERROR_WANT_READ) {
            wait_ready(fd.get(), POLLIN, deadline, "TLS handshake");
        } else if (error == SSL_ERROR_WANT_WRITE) {
            wait_ready(fd.get(), POLLOUT, deadline, "TLS handshake");
        } else if (const long verify = SSL_get_verify_result(ssl.get()); verify != X509_V_OK) {
            ERR_clear_error();
            throw UnreachableError(std::string("TLS handshake with ") + endpoint.address +
                                   ": certificate verification failed: " + X509_verify_cert_error_string(verify));
        } else if (error == SSL_ERROR_SYSCALL) {
            ERR_clear_error();
            throw TransportError("TLS handshake with " + endpoint.address + ": connection closed by the peer");
        } else {
            throw UnreachableError("TLS handshake with " + endpoint.address + ": " + openssl_reason());
        }
    }
    return std::make_unique<TlsStream>(std::move(fd), std::move(context), std::move(ssl));
}

}  // namespace volumecli::detail
