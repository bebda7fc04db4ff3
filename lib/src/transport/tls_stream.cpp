#include "transport/stream.hpp"

#include "core/regular_file.hpp"

#include <volumecli/error.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <poll.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

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

// " (hint)" when there is a hint.
std::string with_hint(const std::string& hint)
{
    return hint.empty() ? std::string() : " (" + hint + ")";
}

struct X509Deleter {
    void operator()(X509* certificate) const { X509_free(certificate); }
};

// The certificate names `host` (an IP literal or a DNS name) or `alternative`.
bool names_either(X509* certificate, const std::string& host, const std::string& alternative)
{
    const bool host_matches = is_ip_literal(host)
                                  ? X509_check_ip_asc(certificate, host.c_str(), 0) == 1
                                  : X509_check_host(certificate, host.c_str(), host.size(), 0, nullptr) == 1;
    return host_matches || X509_check_host(certificate, alternative.c_str(), alternative.size(), 0, nullptr) == 1;
}

// --- certificate and key files ---
// OpenSSL's *_file loaders open the path themselves (a FIFO would block them forever): the bytes
// are read by the rule for every file the tool reads, then parsed from memory.

// A PEM file holds a few certificates or one key: a few KiB.
constexpr std::size_t k_max_pem_bytes = 1024U * 1024U;

struct BioDeleter {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct KeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct InfoStackDeleter {
    void operator()(STACK_OF(X509_INFO) * infos) const { sk_X509_INFO_pop_free(infos, X509_INFO_free); }
};

// An encrypted key is refused, never prompted for: there is no one at a terminal to answer.
int no_passphrase(char* /*buffer*/, int /*size*/, int /*writing*/, void* /*data*/)
{
    return 0;
}

// `failure` is the message's start ("TLS: cannot load the client private key").
std::string read_pem(const std::string& path, const std::string& failure)
{
    FileRead read = read_regular_file(path, k_max_pem_bytes);
    if (!read.ok()) {
        throw UnreachableError(failure + ": " + read.problem);
    }
    return std::move(read.text);
}

std::unique_ptr<BIO, BioDeleter> memory_bio(const std::string& bytes)
{
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    if (!bio) {
        throw UnreachableError("TLS: " + openssl_reason());
    }
    return bio;
}

// As SSL_CTX_load_verify_locations(path): every certificate (and CRL) in the file is trusted.
void load_ca_file(SSL_CTX* context, const std::string& path)
{
    const std::string failure = "TLS: cannot load CA certificates from " + printable_text(path);
    const std::string pem = read_pem(path, failure);
    const auto bio = memory_bio(pem);
    const std::unique_ptr<STACK_OF(X509_INFO), InfoStackDeleter> infos(
        PEM_X509_INFO_read_bio(bio.get(), nullptr, no_passphrase, nullptr));
    if (!infos) {
        throw UnreachableError(failure + ": " + openssl_reason());
    }
    X509_STORE* store = SSL_CTX_get_cert_store(context);
    int loaded = 0;
    for (int i = 0; i < sk_X509_INFO_num(infos.get()); ++i) {
        const X509_INFO* info = sk_X509_INFO_value(infos.get(), i);
        if (info->x509 != nullptr) {
            if (X509_STORE_add_cert(store, info->x509) != 1) {
                throw UnreachableError(failure + ": " + openssl_reason());
            }
            ++loaded;
        }
        if (info->crl != nullptr) {
            if (X509_STORE_add_crl(store, info->crl) != 1) {
                throw UnreachableError(failure + ": " + openssl_reason());
            }
            ++loaded;
        }
    }
    if (loaded == 0) {
        throw UnreachableError(failure + ": no certificate in it");
    }
}

// As SSL_CTX_use_certificate_chain_file(path): the first certificate is ours, the rest its chain.
void load_client_certificate(SSL_CTX* context, const std::string& path)
{
    const std::string failure = "TLS: cannot load client certificate " + printable_text(path);
    const std::string pem = read_pem(path, failure);
    const auto bio = memory_bio(pem);
    const std::unique_ptr<X509, X509Deleter> leaf(PEM_read_bio_X509_AUX(bio.get(), nullptr, no_passphrase, nullptr));
    if (!leaf || SSL_CTX_use_certificate(context, leaf.get()) != 1) {
        throw UnreachableError(failure + ": " + openssl_reason());
    }
    SSL_CTX_clear_chain_certs(context);
    ERR_clear_error();
    while (X509* issuer = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr)) {
        if (SSL_CTX_add0_chain_cert(context, issuer) != 1) {
            X509_free(issuer);
            throw UnreachableError(failure + ": " + openssl_reason());
        }
    }
    // The loop ends at the end of the PEM data ("no start line"); any other error is a bad file.
    const unsigned long last = ERR_peek_last_error();
    if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
    } else if (last != 0) {
        throw UnreachableError(failure + ": " + openssl_reason());
    }
}

// As SSL_CTX_use_PrivateKey_file(path, PEM). The key's path is not repeated in messages: it is a
// secret's location; its bytes are wiped once parsed.
void load_client_key(SSL_CTX* context, const std::string& path)
{
    const std::string failure = "TLS: cannot load the client private key";
    std::string pem = read_pem(path, failure);
    std::unique_ptr<EVP_PKEY, KeyDeleter> key;
    {
        const auto bio = memory_bio(pem);
        key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
    }
    OPENSSL_cleanse(pem.data(), pem.size());
    if (!key || SSL_CTX_use_PrivateKey(context, key.get()) != 1 || SSL_CTX_check_private_key(context) != 1) {
        throw UnreachableError(failure + ": " + openssl_reason());
    }
}

class TlsStream final : public Stream {
public:
    TlsStream(UniqueFd fd, std::unique_ptr<SSL_CTX, ContextDeleter> context, std::unique_ptr<SSL, SslDeleter> ssl,
              std::string rejection_hint)
        : m_fd(std::move(fd)),
          m_context(std::move(context)),
          m_ssl(std::move(ssl)),
          m_rejection_hint(std::move(rejection_hint))
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

    bool closed_while_idle() override
    {
        pollfd entry{m_fd.get(), POLLIN, 0};
        if (SSL_pending(m_ssl.get()) == 0 && ::poll(&entry, 1, 0) <= 0) {
            return false;
        }
        // TLS 1.3 servers send session tickets after the handshake: reading them is not a sign
        // of a closed connection. Anything else (close_notify, EOF, application data) is.
        char byte = 0;
        std::size_t got = 0;
        const int rc = SSL_peek_ex(m_ssl.get(), &byte, 1, &got);
        if (rc == 1) {
            return true;
        }
        const int error = SSL_get_error(m_ssl.get(), rc);
        ERR_clear_error();
        return error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE;
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
            throw UnreachableError("TLS: " + openssl_reason() + with_hint(m_rejection_hint));
        }
    }

    UniqueFd m_fd;
    std::unique_ptr<SSL_CTX, ContextDeleter> m_context;
    std::unique_ptr<SSL, SslDeleter> m_ssl;
    std::string m_rejection_hint;
};

}  // namespace

std::unique_ptr<Stream> make_tls_stream(UniqueFd fd, const Endpoint& endpoint, Clock::time_point deadline,
                                        const TlsOptions& options)
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
        if (!files.ca_file.empty()) {
            load_ca_file(context.get(), files.ca_file);
        } else if (SSL_CTX_set_default_verify_paths(context.get()) != 1) {
            throw UnreachableError("TLS: cannot load CA certificates: " + openssl_reason());
        }
    }
    if (!files.cert_file.empty() || !files.key_file.empty()) {
        load_client_certificate(context.get(), files.cert_file);
        load_client_key(context.get(), files.key_file);
    }

    std::unique_ptr<SSL, SslDeleter> ssl(SSL_new(context.get()));
    if (!ssl || SSL_set_fd(ssl.get(), fd.get()) != 1) {
        throw UnreachableError("TLS: " + openssl_reason());
    }
    // OpenSSL requires every name it is given to match, so "this host or the alternative name" is
    // checked by hand once the chain has been verified.
    const bool check_names_later = !options.alternative_server_name.empty() && !files.insecure_skip_verify;
    if (!is_ip_literal(endpoint.host)) {
        SSL_set_tlsext_host_name(ssl.get(), endpoint.host.c_str());
    }
    if (!check_names_later) {
        if (is_ip_literal(endpoint.host)) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), endpoint.host.c_str());
        } else {
            SSL_set1_host(ssl.get(), endpoint.host.c_str());
        }
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
            const std::string message = "TLS handshake with " + endpoint.address + ": connection closed by the peer";
            if (options.failures_are_final) {
                throw UnreachableError(message + with_hint(options.rejection_hint));
            }
            throw TransportError(message);
        } else {
            throw UnreachableError("TLS handshake with " + endpoint.address + ": " + openssl_reason() +
                                   with_hint(options.rejection_hint));
        }
    }
    if (check_names_later) {
        const std::unique_ptr<X509, X509Deleter> peer(SSL_get1_peer_certificate(ssl.get()));
        if (!peer || !names_either(peer.get(), endpoint.host, options.alternative_server_name)) {
            throw UnreachableError("TLS handshake with " + endpoint.address +
                                   ": certificate verification failed: the server certificate is for neither " +
                                   endpoint.host + " nor " + options.alternative_server_name);
        }
    }
    return std::make_unique<TlsStream>(std::move(fd), std::move(context), std::move(ssl), options.rejection_hint);
}

}  // namespace volumecli::detail
