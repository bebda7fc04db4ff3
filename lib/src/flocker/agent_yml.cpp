// The YAML subset agent.yml is read with: enough for control-service.hostname (block and flow
// mappings, quoted and plain scalars, comments), so no YAML library is linked for one value.
#include "flocker/agent_yml.hpp"

#include "core/text.hpp"

#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace volumecli::flocker {

namespace {

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

}  // namespace volumecli::flocker
