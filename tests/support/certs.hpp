#pragma once

#include <string>

namespace volumecli::test {

// PEM files for TLS tests, all made locally with OpenSSL (EC P-256, SHA-256, valid one day
// back and thirty days forward). Paths are absolute.
struct TestCertificates {
    std::string ca_cert;            // ca.pem: the CA that signed the server and client below
    std::string ca_key;             // ca-key.pem
    std::string server_cert;        // server.pem: CN=localhost, SAN DNS:localhost, IP:127.0.0.1
    std::string server_key;         // server-key.pem
    std::string client_cert;        // client.pem: CN=volumecli-test-client, clientAuth, by ca.pem
    std::string client_key;         // client-key.pem
    std::string other_ca_cert;      // other-ca.pem: an unrelated CA
    std::string other_client_cert;  // other-client.pem: a client certificate by other-ca.pem
    std::string other_client_key;   // other-client-key.pem
};

// Writes the files above into `directory` (which must exist). Throws std::runtime_error with
// OpenSSL's reason when anything fails.
TestCertificates generate_test_certificates(const std::string& directory);

struct IssuedCertificate {
    std::string cert;  // <directory>/<stem>.pem
    std::string key;   // <directory>/<stem>-key.pem
};

// One more certificate signed by the CA of `authority` (its ca_cert and ca_key), for tests that
// need particular names: with `subject_alt_names` (OpenSSL syntax, e.g.
// "DNS:control-service,IP:127.0.0.1") a server certificate, else a client certificate (clientAuth)
// such as Flocker's "user-plugin" or "node-<uuid>". Throws std::runtime_error like the above.
IssuedCertificate issue_certificate(const TestCertificates& authority, const std::string& directory,
                                    const std::string& stem, const std::string& common_name,
                                    const std::string& subject_alt_names = "");

}  // namespace volumecli::test
