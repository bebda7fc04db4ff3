#include "flocker/flocker_settings.hpp"

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
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <algorithm>
#include <cctype>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace volumecli::flocker {

namespace {

using Environment = std::function<std::optional<std::string>(const char*)>;

// One setting: the flag when given (which must not be empty), else the environment variable when
// set and not empty.
std::optional<std::string> flag_or_env(const std::optional<std::string>& flag, const char* flag_name,
                                       const Environment& environment, const char* variable)
{
    if (flag) {
        if (flag->empty()) {
            throw UsageError(std::string(flag_name) + " must not be empty");
        }
        return flag;
    }
    if (auto value = environment(variable); value && !value->empty()) {
        return value;
    }
    return std::nullopt;
}

// Caps on what is read: agent.yml is a few lines, a PEM file a few certificates or one key, the
// boot id one line.
constexpr std::size_t k_max_settings_bytes = 1024U * 1024U;
constexpr std::size_t k_max_pem_bytes = 1024U * 1024U;
constexpr std::size_t k_max_boot_id_bytes = 4096U;

// Reads the whole file; nullopt when it does not exist. Throws UnreachableError for anything else
// that is not a regular file within the cap (a FIFO or a device is never waited on).
std::optional<std::string> read_optional_file(const std::string& path)
{
    FileRead read = read_regular_file(path, k_max_settings_bytes);
    if (read.error == ENOENT) {
        return std::nullopt;
    }
    if (!read.ok()) {
        throw UnreachableError("cannot read " + printable_text(path) + ": " + read.problem);
    }
    return std::move(read.text);
}

// Throws UnreachableError unless `path` is a readable regular PEM-sized file. `what` names the file
// in the message (for the private key, without its path), `source` the flag and variable.
void require_readable(const std::string& path, const std::string& what, const std::string& source)
{
    const FileRead read = read_regular_file(path, k_max_pem_bytes);
    if (!read.ok()) {
        throw UnreachableError("cannot read " + what + " (" + source + "): " + read.problem);
    }
}

// --- a YAML subset, enough for agent.yml ---

// `line` without a trailing comment ('#' at the start or after white space, outside quotes).
std::string strip_comment(const std::string& line)
{
    char quote = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quote != 0) {
            if (c == '\\' && quote == '"') {
                ++i;
            } else if (c == quote) {
                quote = 0;
            }
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
            return line.substr(0, i);
        }
    }
    return line;
}

void append_utf8(std::string& out, unsigned long code)
{
    if (code < 0x80) {
        out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (code >> 6)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (code >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (code >> 18)));
        out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
}

// Parses a quoted scalar starting at text[pos] (a quote); leaves pos after the closing quote.
std::string parse_quoted(const std::string& text, std::size_t& pos)
{
    const char quote = text[pos++];
    std::string out;
    while (pos < text.size()) {
        const char c = text[pos++];
        if (quote == '\'' && c == '\'') {
            if (pos < text.size() && text[pos] == '\'') {
                out.push_back('\'');
                ++pos;
                continue;
            }
            return out;
        }
        if (quote == '"' && c == '"') {
            return out;
        }
        if (quote == '"' && c == '\\' && pos < text.size()) {
            const char escaped = text[pos++];
            switch (escaped) {
                case 'n': out.push_back('\n'); break;
                case 't': out.push_back('\t'); break;
                case 'r': out.push_back('\r'); break;
                case '0': out.push_back('\0'); break;
                case 'x':
                case 'u':
                case 'U': {
                    const std::size_t digits = escaped == 'x' ? 2 : (escaped == 'u' ? 4 : 8);
                    if (pos + digits > text.size()) {
                        throw std::invalid_argument("truncated escape in a quoted string");
                    }
                    const std::string hex = text.substr(pos, digits);
                    if (hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
                        throw std::invalid_argument("invalid escape in a quoted string");
                    }
                    append_utf8(out, std::stoul(hex, nullptr, 16));
                    pos += digits;
                    break;
                }
                default: out.push_back(escaped); break;
            }
            continue;
        }
        out.push_back(c);
    }
    throw std::invalid_argument("unterminated quoted string");
}

// A scalar value: quoted, or plain up to the end (or, inside a flow mapping, up to ',' or '}').
// nullopt for YAML's nulls.
std::optional<std::string> parse_scalar(const std::string& text, std::size_t& pos, bool in_flow)
{
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) {
        ++pos;
    }
    if (pos < text.size() && (text[pos] == '"' || text[pos] == '\'')) {
        return parse_quoted(text, pos);
    }
    const std::size_t start = pos;
    while (pos < text.size() && !(in_flow && (text[pos] == ',' || text[pos] == '}'))) {
        ++pos;
    }
    const std::string plain = trim(text.substr(start, pos - start), " \t\r\n");
    if (plain.empty() || plain == "~" || plain == "null" || plain == "Null" || plain == "NULL") {
        return std::nullopt;
    }
    return plain;
}

// A mapping key at text[pos]: quoted, or plain up to ':'. Leaves pos after the ':'; nullopt when
// there is no key (not a mapping entry).
std::optional<std::string> parse_key(const std::string& text, std::size_t& pos, bool in_flow)
{
    std::string key;
    if (pos < text.size() && (text[pos] == '"' || text[pos] == '\'')) {
        key = parse_quoted(text, pos);
        while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) {
            ++pos;
        }
        if (pos >= text.size() || text[pos] != ':') {
            return std::nullopt;
        }
        ++pos;
        return key;
    }
    // A plain key ends at ": ", or at ':' ending the line (or, in a flow mapping, before , or }).
    for (std::size_t i = pos; i < text.size(); ++i) {
        if (text[i] == ':' && (i + 1 == text.size() || text[i + 1] == ' ' || text[i + 1] == '\t' ||
                               (in_flow && (text[i + 1] == ',' || text[i + 1] == '}')))) {
            key = trim(text.substr(pos, i - pos), " \t\r\n");
            pos = i + 1;
            return key;
        }
        if (in_flow && (text[i] == ',' || text[i] == '}')) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

// The value of `wanted` in a one-line flow mapping "{a: 1, b: "x"}".
std::optional<std::string> flow_mapping_value(const std::string& text, const std::string& wanted)
{
    std::size_t pos = text.find('{') + 1;
    for (;;) {
        while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == ',')) {
            ++pos;
        }
        if (pos >= text.size() || text[pos] == '}') {
            return std::nullopt;
        }
        const auto key = parse_key(text, pos, true);
        if (!key) {
            throw std::invalid_argument("malformed flow mapping");
        }
        auto value = parse_scalar(text, pos, true);
        if (*key == wanted) {
            return value;
        }
    }
}

std::size_t leading_blanks(const std::string& line)
{
    std::size_t count = 0;
    while (count < line.size() && (line[count] == ' ' || line[count] == '\t')) {
        ++count;
    }
    return count;
}

}  // namespace

std::optional<std::string> agent_yml_hostname(const std::string& text)
{
    struct Frame {
        std::size_t indent;
        std::string key;
    };
    std::vector<Frame> parents;
    constexpr std::size_t k_none = std::string::npos;
    std::size_t block_scalar_indent = k_none;  // inside a | or > block below this indent
    std::istringstream lines(text);
    std::string raw;
    while (std::getline(lines, raw)) {
        if (!raw.empty() && raw.back() == '\r') {
            raw.pop_back();
        }
        std::size_t indent = leading_blanks(raw);
        if (block_scalar_indent != k_none) {
            if (indent == raw.size() || indent > block_scalar_indent) {
                continue;
            }
            block_scalar_indent = k_none;
        }
        std::string line = strip_comment(raw);
        if (trim(line, " \t\r\n").empty()) {
            continue;
        }
        if (indent == 0 && (line.rfind("---", 0) == 0 || line.rfind("...", 0) == 0)) {
            parents.clear();  // a new document
            continue;
        }
        // "- key: value": the entry's content sits two columns further in.
        while (line.compare(indent, 2, "- ") == 0) {
            indent += 2 + leading_blanks(line.substr(indent + 2));
        }
        std::size_t pos = indent;
        const auto key = parse_key(line, pos, false);
        if (!key) {
            continue;  // a sequence scalar or a continuation line
        }
        const std::string value = trim(line.substr(pos), " \t\r\n");
        while (!parents.empty() && parents.back().indent >= indent) {
            parents.pop_back();
        }
        if (parents.empty() && *key == "control-service" && !value.empty() && value.front() == '{') {
            return flow_mapping_value(value, "hostname");
        }
        if (parents.size() == 1 && parents.front().key == "control-service" && *key == "hostname") {
            std::size_t at = 0;
            return parse_scalar(value, at, false);
        }
        if (value.empty()) {
            parents.push_back({indent, *key});
        } else if (value.front() == '|' || value.front() == '>') {
            block_scalar_indent = indent;
        }
    }
    return std::nullopt;
}

std::uint64_t parse_size(const std::string& text)
{
    const auto invalid = [&text](const std::string& why) {
        return UsageError("invalid size \"" + text + "\": " + why +
                          " (expected N[.N][k|m|g|t][i][b], e.g. 10 (GiB), 512m, 1.5GiB)");
    };
    const std::string value = ascii_lower(trim(text, " \t\r\n"));
    std::size_t pos = 0;
    std::string whole;
    std::string fraction;
    while (pos < value.size() && std::isdigit(static_cast<unsigned char>(value[pos])) != 0) {
        whole.push_back(value[pos++]);
    }
    if (pos < value.size() && value[pos] == '.') {
        ++pos;
        while (pos < value.size() && std::isdigit(static_cast<unsigned char>(value[pos])) != 0) {
            fraction.push_back(value[pos++]);
        }
        if (fraction.empty()) {
            throw invalid("no digits after the decimal point");
        }
    }
    if (whole.empty()) {
        throw invalid(value.rfind('-', 0) == 0 ? "it must be above zero" : "no number");
    }
    int power = -1;  // -1: no unit letter
    if (pos < value.size()) {
        static const std::string k_units = "kmgt";
        if (const auto unit = k_units.find(value[pos]); unit != std::string::npos) {
            power = static_cast<int>(unit) + 1;
            ++pos;
            if (pos < value.size() && value[pos] == 'i') {
                ++pos;
            }
        }
    }
    bool bytes = false;
    if (pos < value.size() && value[pos] == 'b') {
        bytes = true;
        ++pos;
    }
    if (pos != value.size()) {
        throw invalid("unknown unit");
    }
    if (power < 0) {
        power = bytes ? 0 : 3;  // "b" alone means bytes; no unit at all means GiB
    }
    __extension__ typedef unsigned __int128 Wide;  // NOLINT(modernize-use-using): __extension__ needs typedef
    const Wide multiplier = Wide{1} << (10U * static_cast<unsigned>(power));
    constexpr Wide k_limit = Wide{1} << 62U;
    const auto digits_value = [&](const std::string& digits) {
        Wide result = 0;
        for (const char c : digits) {
            result = result * 10 + static_cast<unsigned>(c - '0');
            if (result > k_limit) {
                throw invalid("too large");
            }
        }
        return result;
    };
    Wide total = digits_value(whole.substr(0, 30)) * multiplier;
    if (whole.size() > 30 || total > k_limit) {
        throw invalid("too large");
    }
    // Only the first 18 decimals count; any further non-zero digit still rounds up.
    std::string decimals = fraction.substr(0, 18);
    const bool more = fraction.size() > 18 && fraction.find_first_not_of('0', 18) != std::string::npos;
    if (!decimals.empty()) {
        Wide scale = 1;
        for (std::size_t i = 0; i < decimals.size(); ++i) {
            scale *= 10;
        }
        const Wide numerator = digits_value(decimals) * multiplier;
        total += numerator / scale + ((numerator % scale != 0 || more) ? 1 : 0);
    } else if (more) {
        total += 1;
    }
    if (total == 0) {
        throw invalid("it must be above zero");
    }
    if (total > k_limit) {
        throw invalid("too large");
    }
    return static_cast<std::uint64_t>(total);
}

std::uint64_t round_size(std::uint64_t bytes)
{
    const std::uint64_t rounded = (bytes + 1023) / 1024 * 1024;
    return std::max(rounded, k_minimum_size);
}

CreateSpec create_spec(const std::string& name_key, const std::string& volume, const VolumeOptions& options)
{
    CreateSpec spec;
    if (volume.size() > k_max_metadata_length) {
        throw UsageError("volume name longer than " + std::to_string(k_max_metadata_length) +
                         " characters: Flocker metadata values are limited to that");
    }
    spec.metadata[name_key] = volume;
    for (const auto& [key, value] : options) {
        if (key == "size") {
            spec.maximum_size = round_size(parse_size(value));
            spec.size_given = true;
            continue;
        }
        if (key == name_key) {
            throw UsageError("option \"" + key + "\" clashes with the metadata key that holds the volume name");
        }
        if (key.empty() || key.size() > k_max_metadata_length) {
            throw UsageError("option name \"" + key.substr(0, 40) + (key.size() > 40 ? "..." : "") +
                             "\" must have 1 to " + std::to_string(k_max_metadata_length) +
                             " characters (a Flocker metadata key)");
        }
        if (value.size() > k_max_metadata_length) {
            throw UsageError("option \"" + key + "\" has a value longer than " + std::to_string(k_max_metadata_length) +
                             " characters (a Flocker metadata value)");
        }
        spec.metadata[key] = value;
    }
    if (spec.metadata.size() > k_max_metadata_keys) {
        throw UsageError("too many options: Flocker keeps at most " + std::to_string(k_max_metadata_keys) +
                         " metadata entries, the volume name included (got " + std::to_string(spec.metadata.size()) +
                         ")");
    }
    return spec;
}

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

ResolvedSettings resolve_settings(const FlockerSettings& settings, bool connect)
{
    const Environment environment =
        settings.environment ? settings.environment : Environment([](const char* name) -> std::optional<std::string> {
            const char* value = std::getenv(name);
            if (value == nullptr) {
                return std::nullopt;
            }
            return std::string(value);
        });
    ResolvedSettings resolved;
    resolved.etc_dir = settings.etc_dir;
    resolved.boot_id_file = settings.boot_id_file;
    resolved.local_addresses = settings.local_addresses ? settings.local_addresses : host_addresses;
    resolved.retry = settings.retry;
    resolved.started = settings.started.value_or(Clock::now());

    if (settings.name_key.empty() || settings.name_key.size() > k_max_metadata_length) {
        throw UsageError("--name-key must have 1 to " + std::to_string(k_max_metadata_length) + " characters");
    }
    resolved.name_key = settings.name_key;
    if (settings.wait_timeout.count() < 0) {
        throw UsageError("--wait-timeout must not be negative");
    }
    resolved.wait_timeout = settings.wait_timeout;
    if (settings.timeout && settings.timeout->count() <= 0) {
        throw UsageError("--timeout must be above zero");
    }
    resolved.call_timeout = settings.timeout.value_or(k_flocker_default_call_timeout);

    if (auto node = flag_or_env(settings.node_uuid, "--node-uuid", environment, "FLOCKER_NODE_UUID")) {
        if (!is_uuid(*node)) {
            throw UsageError("invalid node UUID \"" + *node + "\" (--node-uuid / FLOCKER_NODE_UUID)");
        }
        resolved.node_uuid = ascii_lower(*node);
    }
    if (!connect) {
        return resolved;
    }

    auto host = flag_or_env(settings.control_host, "--control-host", environment, "FLOCKER_CONTROL_SERVICE_HOST");
    if (!host) {
        const std::string agent_yml = settings.etc_dir + "/agent.yml";
        if (const auto text = read_optional_file(agent_yml)) {
            try {
                host = agent_yml_hostname(*text);
            } catch (const std::invalid_argument& error) {
                throw UnreachableError(printable_text(agent_yml) +
                                       ": cannot read control-service.hostname: " + error.what());
            }
        }
        if (!host || host->empty()) {
            throw UnreachableError(
                "no Flocker control service configured: pass --control-host, set FLOCKER_CONTROL_SERVICE_HOST, or "
                "set control-service.hostname in " +
                agent_yml);
        }
    }
    if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
        *host = host->substr(1, host->size() - 2);
    }
    if (host->find_first_of(" \t\r\n/[]@?#") != std::string::npos || printable_text(*host) != *host) {
        throw UsageError("invalid control service host \"" + printable_text(*host) + "\"");
    }
    const std::string port =
        flag_or_env(settings.control_port, "--control-port", environment, "FLOCKER_CONTROL_SERVICE_PORT")
            .value_or(k_flocker_default_port);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port) == 0 || std::stoul(port) > 65535) {
        throw UsageError("invalid control service port \"" + port +
                         "\" (--control-port / FLOCKER_CONTROL_SERVICE_PORT)");
    }

    Endpoint& endpoint = resolved.endpoint;
    endpoint.kind = Endpoint::Kind::tcp;
    endpoint.host = *host;
    endpoint.port = std::to_string(std::stoul(port));
    endpoint.tls = true;
    endpoint.address =
        "https://" + (host->find(':') != std::string::npos ? "[" + *host + "]" : *host) + ":" + endpoint.port;

    const std::string etc = settings.etc_dir + "/";
    TlsFiles& files = endpoint.tls_files;
    files.ca_file = flag_or_env(settings.ca_file, "--cacert", environment, "FLOCKER_CONTROL_SERVICE_CA_FILE")
                        .value_or(etc + "cluster.crt");
    files.cert_file = flag_or_env(settings.cert_file, "--cert", environment, "FLOCKER_CONTROL_SERVICE_CLIENT_CERT_FILE")
                          .value_or(etc + "plugin.crt");
    files.key_file = flag_or_env(settings.key_file, "--key", environment, "FLOCKER_CONTROL_SERVICE_CLIENT_KEY_FILE")
                         .value_or(etc + "plugin.key");
    require_readable(files.ca_file, "the cluster CA certificate " + printable_text(files.ca_file),
                     "--cacert, FLOCKER_CONTROL_SERVICE_CA_FILE");
    require_readable(files.cert_file, "the client certificate " + printable_text(files.cert_file),
                     "--cert, FLOCKER_CONTROL_SERVICE_CLIENT_CERT_FILE");
    // The key's path is not repeated: it is a secret's location.
    require_readable(files.key_file, "the client private key", "--key, FLOCKER_CONTROL_SERVICE_CLIENT_KEY_FILE");
    return resolved;
}

}  // namespace volumecli::flocker
