#include "certs.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <stdexcept>

namespace volumecli::test {

namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
    void operator()(X509* cert) const { X509_free(cert); }
};
struct BioFree {
    void operator()(BIO* bio) const { BIO_free_all(bio); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using CertPtr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

[[noreturn]] void fail(const std::string& what)
{
    std::string reason;
    unsigned long code = 0;
    while ((code = ERR_get_error()) != 0) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        reason += std::string(reason.empty() ? "" : "; ") + buffer;
    }
    throw std::runtime_error("certificate generation: " + what + (reason.empty() ? "" : ": ") + reason);
}

void check(int ok, const std::string& what)
{
    if (ok <= 0) {
        fail(what);
    }
}

KeyPtr make_key()
{
    KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key) {
        fail("EC key generation");
    }
    return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value)
{
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    if (extension == nullptr) {
        fail(std::string("extension ") + OBJ_nid2sn(nid) + "=" + value);
    }
    const int ok = X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
    check(ok, "X509_add_ext");
}

struct Issuer {
    X509* cert = nullptr;  // nullptr: self-signed
    EVP_PKEY* key = nullptr;
};

enum class Role { ca, server, client };

CertPtr make_certificate(const std::string& common_name, EVP_PKEY* subject_key, Role role, const Issuer& issuer,
                         const char* subject_alt_names = "DNS:localhost,IP:127.0.0.1")
{
    static std::atomic<long> serial{1000};
    CertPtr cert(X509_new());
    if (!cert) {
        fail("X509_new");
    }
    check(X509_set_version(cert.get(), 2), "X509_set_version");
    check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++), "serial");
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
    check(X509_set_pubkey(cert.get(), subject_key), "X509_set_pubkey");

    X509_NAME* name = X509_get_subject_name(cert.get());
    check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("volumecli tests"),
                                     -1, -1, 0),
          "subject O");
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0),
          "subject CN");
    X509* issuer_cert = issuer.cert != nullptr ? issuer.cert : cert.get();
    EVP_PKEY* issuer_key = issuer.key != nullptr ? issuer.key : subject_key;
    check(X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)), "issuer name");

    add_extension(cert.get(), issuer_cert, NID_subject_key_identifier, "hash");
    add_extension(cert.get(), issuer_cert, NID_authority_key_identifier, "keyid:always");
    switch (role) {
        case Role::ca:
            add_extension(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
            add_extension(cert.get(), issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
            break;
        case Role::server:
            add_extension(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
            add_extension(cert.get(), issuer_cert, NID_key_usage, "critical,digitalSignature");
            add_extension(cert.get(), issuer_cert, NID_ext_key_usage, "serverAuth");
            add_extension(cert.get(), issuer_cert, NID_subject_alt_name, subject_alt_names);
            break;
        case Role::client:
            add_extension(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
            add_extension(cert.get(), issuer_cert, NID_key_usage, "critical,digitalSignature");
            add_extension(cert.get(), issuer_cert, NID_ext_key_usage, "clientAuth");
            break;
    }
    if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) {
        fail("X509_sign " + common_name);
    }
    return cert;
}

void write_cert(const std::string& path, X509* cert)
{
    BioPtr bio(BIO_new_file(path.c_str(), "w"));
    if (!bio) {
        fail("open " + path);
    }
    check(PEM_write_bio_X509(bio.get(), cert), "write " + path);
}

void write_key(const std::string& path, EVP_PKEY* key)
{
    BioPtr bio(BIO_new_file(path.c_str(), "w"));
    if (!bio) {
        fail("open " + path);
    }
    ::chmod(path.c_str(), 0600);
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), "write " + path);
}

}  // namespace

TestCertificates generate_test_certificates(const std::string& directory)
{
    TestCertificates files;
    files.ca_cert = directory + "/ca.pem";
    files.ca_key = directory + "/ca-key.pem";
    files.server_cert = directory + "/server.pem";
    files.server_key = directory + "/server-key.pem";
    files.client_cert = directory + "/client.pem";
    files.client_key = directory + "/client-key.pem";
    files.other_ca_cert = directory + "/other-ca.pem";
    files.other_client_cert = directory + "/other-client.pem";
    files.other_client_key = directory + "/other-client-key.pem";

    const KeyPtr ca_key = make_key();
    const CertPtr ca = make_certificate("volumecli test CA", ca_key.get(), Role::ca, {});
    const KeyPtr server_key = make_key();
    const CertPtr server = make_certificate("localhost", server_key.get(), Role::server, {ca.get(), ca_key.get()});
    const KeyPtr client_key = make_key();
    const CertPtr client =
        make_certificate("volumecli-test-client", client_key.get(), Role::client, {ca.get(), ca_key.get()});
    const KeyPtr other_ca_key = make_key();
    const CertPtr other_ca = make_certificate("unrelated test CA", other_ca_key.get(), Role::ca, {});
    const KeyPtr other_client_key = make_key();
    const CertPtr other_client = make_certificate("volumecli-test-stranger", other_client_key.get(), Role::client,
                                                  {other_ca.get(), other_ca_key.get()});

    write_cert(files.ca_cert, ca.get());
    write_key(files.ca_key, ca_key.get());
    write_cert(files.server_cert, server.get());
    write_key(files.server_key, server_key.get());
    write_cert(files.client_cert, client.get());
    write_key(files.client_key, client_key.get());
    write_cert(files.other_ca_cert, other_ca.get());
    write_cert(files.other_client_cert, other_client.get());
    write_key(files.other_client_key, other_client_key.get());
    return files;
}

namespace {

CertPtr read_cert(const std::string& path)
{
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    CertPtr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!cert) {
        fail("read " + path);
    }
    return cert;
}

KeyPtr read_key(const std::string& path)
{
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    KeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!key) {
        fail("read " + path);
    }
    return key;
}

}  // namespace

IssuedCertificate issue_certificate(const TestCertificates& authority, const std::string& directory,
                                    const std::string& stem, const std::string& common_name,
                                    const std::string& subject_alt_names)
{
    const CertPtr ca = read_cert(authority.ca_cert);
    const KeyPtr ca_key = read_key(authority.ca_key);
    const KeyPtr key = make_key();
    const CertPtr cert = subject_alt_names.empty()
                             ? make_certificate(common_name, key.get(), Role::client, {ca.get(), ca_key.get()})
                             : make_certificate(common_name, key.get(), Role::server, {ca.get(), ca_key.get()},
                                                subject_alt_names.c_str());
    IssuedCertificate files{directory + "/" + stem + ".pem", directory + "/" + stem + "-key.pem"};
    write_cert(files.cert, cert.get());
    write_key(files.key, key.get());
    return files;
}

}  // namespace volumecli::test
