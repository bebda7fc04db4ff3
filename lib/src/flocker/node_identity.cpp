// What this host says about which Flocker node it is: the CN of node.crt, the boot id, its
// interface addresses. Certificate reading (OpenSSL) stays in this one file of flocker/.
#include "flocker/node_identity.hpp"

#include <volumecli/error.hpp>

#include "core/regular_file.hpp"
#include "core/text.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cerrno>

#include <algorithm>
#include <cctype>
#include <memory>

namespace volumecli::flocker {

namespace {

// Caps on what is read: a PEM file is a few certificates, the boot id one line.
constexpr std::size_t k_max_pem_bytes = std::size_t{1024} * 1024U;
constexpr std::size_t k_max_boot_id_bytes = 4096U;

}  // namespace

bool is_uuid(const std::string& text)
{
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : std::isxdigit(static_cast<unsigned char>(text[i])) == 0) {
            return false;
        }
    }
    return true;
}

std::optional<std::string> node_uuid_from_certificate(const std::string& path)
{
    const FileRead read = read_regular_file(path, k_max_pem_bytes);
    if (read.error == ENOENT || read.error == EACCES) {
        return std::nullopt;
    }
    if (!read.ok()) {
        throw UnreachableError("cannot read " + printable_text(path) + ": " + read.problem);
    }
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(read.text.data(), static_cast<int>(read.text.size())),
                                                  &BIO_free);
    if (!bio) {
        ERR_clear_error();
        return std::nullopt;
    }
    std::unique_ptr<X509, decltype(&X509_free)> certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                            &X509_free);
    if (!certificate) {
        ERR_clear_error();
        return std::nullopt;
    }
    X509_NAME* subject = X509_get_subject_name(certificate.get());
    const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index < 0) {
        return std::nullopt;
    }
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
    if (length < 0) {
        ERR_clear_error();
        return std::nullopt;
    }
    const std::string common_name(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    static const std::string k_prefix = "node-";
    if (common_name.rfind(k_prefix, 0) != 0 || !is_uuid(common_name.substr(k_prefix.size()))) {
        return std::nullopt;
    }
    return ascii_lower(common_name.substr(k_prefix.size()));
}

std::optional<std::string> read_boot_id(const std::string& path)
{
    const FileRead read = read_regular_file(path, k_max_boot_id_bytes);
    if (!read.ok()) {
        return std::nullopt;
    }
    const std::string line = trim(read.text.substr(0, read.text.find('\n')), " \t\r\n");
    if (line.empty()) {
        return std::nullopt;
    }
    return line;
}

std::vector<std::string> host_addresses()
{
    std::vector<std::string> addresses;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        return addresses;
    }
    for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
        if (entry->ifa_addr == nullptr) {
            continue;
        }
        char text[INET6_ADDRSTRLEN] = {};
        if (entry->ifa_addr->sa_family == AF_INET) {
            ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(entry->ifa_addr)->sin_addr, text, sizeof(text));
        } else if (entry->ifa_addr->sa_family == AF_INET6) {
            ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr)->sin6_addr, text,
                        sizeof(text));
        } else {
            continue;
        }
        if (text[0] != '\0' && std::find(addresses.begin(), addresses.end(), text) == addresses.end()) {
            addresses.emplace_back(text);
        }
    }
    ::freeifaddrs(list);
    return addresses;
}

std::string canonical_address(const std::string& address)
{
    std::string bare = address;
    if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') {
        bare = bare.substr(1, bare.size() - 2);
    }
    unsigned char buffer[16];
    char text[INET6_ADDRSTRLEN] = {};
    if (::inet_pton(AF_INET, bare.c_str(), buffer) == 1) {
        ::inet_ntop(AF_INET, buffer, text, sizeof(text));
        return text;
    }
    if (::inet_pton(AF_INET6, bare.c_str(), buffer) == 1) {
        ::inet_ntop(AF_INET6, buffer, text, sizeof(text));
        return text;
    }
    return address;
}

}  // namespace volumecli::flocker
