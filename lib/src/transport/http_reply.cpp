// Reading one HTTP/1.1 reply: status line, headers, a body framed by Content-Length, chunks or
// the end of the stream, under the caps that keep a misbehaving server from filling memory.

#include "transport/http_reply.hpp"

#include <volumecli/error.hpp>

#include "core/text.hpp"
#include "transport/reply_limits.hpp"
#include "transport/stream.hpp"

#include <algorithm>
#include <cctype>

namespace volumecli {

std::optional<std::string> HttpResponse::header(const std::string& name) const
{
    const std::string wanted = ascii_lower(name);
    for (const auto& [key, value] : headers) {
        if (ascii_lower(key) == wanted) {
            return value;
        }
    }
    return std::nullopt;
}

namespace detail {

namespace {

constexpr std::size_t k_max_header_bytes = std::size_t{64} * 1024;
constexpr int k_max_interim_replies = 5;

struct ParsedHead {
    int status = 0;
    bool keep_alive = true;
    bool chunked = false;
    bool has_length = false;
    std::size_t content_length = 0;
    HttpHeaders headers;
};

// The end of the line that starts at `from` (before its CR LF, or its bare LF as Go's textproto
// also accepts) and, in `next`, where the following line starts; npos when no LF has arrived yet.
std::size_t line_end(const std::string& text, std::size_t from, std::size_t& next)
{
    const std::size_t lf = text.find('\n', from);
    if (lf == std::string::npos) {
        return std::string::npos;
    }
    next = lf + 1;
    return lf > from && text[lf - 1] == '\r' ? lf - 1 : lf;
}

// Where the body starts: just after the empty line that ends the head; npos until it has arrived.
std::size_t body_start(const std::string& text)
{
    std::size_t from = 0;
    std::size_t next = 0;
    for (std::size_t end = 0; (end = line_end(text, from, next)) != std::string::npos; from = next) {
        if (end == from && from > 0) {
            return next;
        }
    }
    return std::string::npos;
}

// True for a final status that carries no body whatever its headers say (RFC 9112 6.3):
// 101 Switching Protocols, 204 No Content, 304 Not Modified.
bool has_no_body(int status)
{
    return status == 101 || status == 204 || status == 304;
}

// "HTTP/1.1 200 OK": the status, and whether the version keeps the connection alive by default.
void parse_status_line(const std::string& status_line, ParsedHead& parsed)
{
    if (status_line.size() < 12 || status_line.compare(0, 7, "HTTP/1.") != 0 || status_line[8] != ' ' ||
        std::isdigit(static_cast<unsigned char>(status_line[9])) == 0 ||
        std::isdigit(static_cast<unsigned char>(status_line[10])) == 0 ||
        std::isdigit(static_cast<unsigned char>(status_line[11])) == 0) {
        throw ProtocolError("malformed HTTP status line \"" + status_line.substr(0, 64) + "\"");
    }
    parsed.status = std::stoi(status_line.substr(9, 3));
    parsed.keep_alive = status_line[7] == '1';
}

// Records one header line, reading the three that frame the body and the connection.
void parse_header_line(const std::string& line, ParsedHead& parsed)
{
    const auto colon = line.find(':');
    if (colon == std::string::npos) {
        return;
    }
    const std::string name = ascii_lower(trim(line.substr(0, colon)));
    const std::string value = trim(line.substr(colon + 1));
    parsed.headers.emplace_back(trim(line.substr(0, colon)), value);
    if (name == "content-length") {
        if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string::npos) {
            throw ProtocolError("invalid Content-Length \"" + value.substr(0, 32) + "\"");
        }
        const std::size_t length = std::stoull(value);
        // Two lengths that differ leave the body's end to a guess: refused, as Go does.
        if (parsed.has_length && length != parsed.content_length) {
            throw ProtocolError("reply has two different Content-Length headers");
        }
        parsed.has_length = true;
        parsed.content_length = length;
    } else if (name == "transfer-encoding") {
        parsed.chunked = ascii_lower(value).find("chunked") != std::string::npos;
    } else if (name == "connection") {
        const std::string tokens = ascii_lower(value);
        if (tokens.find("close") != std::string::npos) {
            parsed.keep_alive = false;
        } else if (tokens.find("keep-alive") != std::string::npos) {
            parsed.keep_alive = true;
        }
    }
}

ParsedHead parse_head(const std::string& head)
{
    ParsedHead parsed;
    std::size_t start = 0;
    parse_status_line(head.substr(0, line_end(head, 0, start)), parsed);
    std::size_t next = 0;
    for (std::size_t end = 0; (end = line_end(head, start, next)) != std::string::npos; start = next) {
        parse_header_line(head.substr(start, end - start), parsed);
    }
    if (has_no_body(parsed.status)) {
        parsed.chunked = false;
        parsed.has_length = true;
        parsed.content_length = 0;
        if (parsed.status == 101) {
            parsed.keep_alive = false;  // the connection no longer speaks HTTP
        }
    } else if (!parsed.chunked && !parsed.has_length) {
        parsed.keep_alive = false;  // the body ends when the connection does
    }
    return parsed;
}

// Reserves room for `needed` bytes. Small replies grow by doubling; past 1 MiB the buffer
// jumps at once to the most the reply cap can require (address space, not memory, until it is
// filled). Doubling all the way would copy 30 MiB into a new 60 MiB buffer and put an
// oversized reply at twice the cap in memory before it is rejected.
void grow(std::string& text, std::size_t needed)
{
    if (needed <= text.capacity()) {
        return;
    }
    constexpr std::size_t k_small = std::size_t{1024} * 1024;
    constexpr std::size_t k_most = k_max_reply_bytes + k_max_header_bytes + std::size_t{64} * 1024;
    text.reserve(needed > k_small ? std::max(needed, k_most) : std::max(needed, 2 * text.capacity()));
}

[[noreturn]] void truncated()
{
    throw ProtocolError("reply truncated: the connection closed mid-reply");
}

// One reply being read: the bytes received so far and whether any arrived at all.
class ReplyReader {
public:
    ReplyReader(Stream& stream, std::size_t max_body_bytes) : m_stream(stream), m_max_body_bytes(max_body_bytes) {}

    ReadReply read(Clock::time_point deadline)
    {
        std::size_t offset = 0;
        const ParsedHead head = read_final_head(offset, deadline);
        ReadReply reply;
        reply.keep_alive = head.keep_alive;
        reply.response.status = head.status;
        reply.response.headers = head.headers;
        reply.response.deadline = deadline;
        if (head.chunked) {
            reply.response.body = read_chunked(offset, deadline);
        } else if (head.has_length) {
            check_size(head.content_length);
            grow(m_buffer, offset + head.content_length);
            if (!fill(offset + head.content_length, deadline)) {
                truncated();
            }
            reply.response.body = take_body(offset, head.content_length);
        } else {
            while (fill(m_buffer.size() + 1, deadline)) {
                check_size(m_buffer.size() - offset);
            }
            reply.response.body = take_body(offset, m_buffer.size() - offset);
        }
        return reply;
    }

private:
    // The head of the final reply, past any interim ones; `offset` is where its body starts.
    ParsedHead read_final_head(std::size_t& offset, Clock::time_point deadline)
    {
        for (int interim = 0;; ++interim) {
            while ((offset = body_start(m_buffer)) == std::string::npos) {
                if (m_buffer.size() > k_max_header_bytes) {
                    throw ProtocolError("reply headers over 64 KiB");
                }
                if (!fill(m_buffer.size() + 1, deadline)) {
                    if (m_buffer.empty()) {
                        throw TransportError("connection closed before a reply");
                    }
                    truncated();
                }
            }
            ParsedHead head = parse_head(m_buffer.substr(0, offset));
            if (head.status < 100 || head.status >= 200 || head.status == 101) {
                return head;
            }
            // An interim reply (100 Continue, 103 Early Hints): the real one follows. Go's client
            // gives up after 5 of them.
            if (interim == k_max_interim_replies) {
                throw ProtocolError("more than " + std::to_string(k_max_interim_replies) + " interim (1xx) replies");
            }
            m_buffer.erase(0, offset);
        }
    }

    // Reads until m_buffer holds `wanted` bytes; false if the stream ends first.
    bool fill(std::size_t wanted, Clock::time_point deadline)
    {
        char chunk[16384];
        while (m_buffer.size() < wanted) {
            std::size_t got = 0;
            try {
                got = m_stream.read_some(chunk, sizeof(chunk), deadline);
            } catch (const TransportError& error) {
                if (m_received_any) {
                    throw ProtocolError(std::string("reply truncated: ") + error.what());
                }
                throw;
            }
            if (got == 0) {
                return false;
            }
            m_received_any = true;
            grow(m_buffer, m_buffer.size() + got);
            m_buffer.append(chunk, got);
        }
        return true;
    }

    void check_size(std::size_t size) const
    {
        if (size > m_max_body_bytes) {
            const std::size_t kib = m_max_body_bytes / 1024;
            throw ProtocolError("reply body over the " +
                                (kib % 1024 == 0 ? std::to_string(kib / 1024) + " MiB" : std::to_string(kib) + " KiB") +
                                " limit");
        }
    }

    // The next line of m_buffer from `offset` (CR LF or bare LF ended), reading more as needed;
    // `offset` moves past it.
    std::string next_line(std::size_t& offset, Clock::time_point deadline)
    {
        std::size_t next = 0;
        std::size_t end = std::string::npos;
        while ((end = line_end(m_buffer, offset, next)) == std::string::npos) {
            if (m_buffer.size() - offset > 1024) {
                throw ProtocolError("malformed chunk header");
            }
            if (!fill(m_buffer.size() + 1, deadline)) {
                truncated();
            }
        }
        std::string line = m_buffer.substr(offset, end - offset);
        offset = next;
        return line;
    }

    // The size a chunk header gives, in hex (any extension after it ignored).
    static std::size_t chunk_size(const std::string& size_text)
    {
        std::size_t size = 0;
        std::size_t digits = 0;
        for (const char c : size_text) {
            const int value = std::isdigit(static_cast<unsigned char>(c)) != 0 ? c - '0'
                              : (c >= 'a' && c <= 'f')                         ? c - 'a' + 10
                              : (c >= 'A' && c <= 'F')                         ? c - 'A' + 10
                                                                               : -1;
            if (value < 0) {
                break;
            }
            if (++digits > 8) {
                throw ProtocolError("chunk size too large");
            }
            size = size * 16 + static_cast<std::size_t>(value);
        }
        if (digits == 0) {
            throw ProtocolError("malformed chunk header");
        }
        return size;
    }

    std::string read_chunked(std::size_t offset, Clock::time_point deadline)
    {
        std::string body;
        for (;;) {
            const std::size_t size = chunk_size(next_line(offset, deadline));
            if (size == 0) {
                // Skip trailers up to the final empty line.
                while (!next_line(offset, deadline).empty()) {
                }
                m_buffer.erase(0, offset);
                return body;
            }
            check_size(body.size() + size);
            if (!fill(offset + size + 1, deadline)) {
                truncated();
            }
            grow(body, body.size() + size);
            body.append(m_buffer, offset, size);
            offset += size;
            if (!next_line(offset, deadline).empty()) {
                throw ProtocolError("malformed chunk: data longer than its size");
            }
            // Drop what was consumed, so the buffer holds one chunk rather than a second copy of
            // the body (and its chunk headers).
            m_buffer.erase(0, offset);
            offset = 0;
        }
    }

    // The body at `offset` in m_buffer, moved rather than copied: a second copy of a 32 MiB reply
    // would be resident while it is decoded. Bytes after it are not a reply to anything.
    std::string take_body(std::size_t offset, std::size_t size)
    {
        m_buffer.erase(0, offset);
        m_buffer.resize(size);
        std::string body = std::move(m_buffer);
        m_buffer = std::string();
        return body;
    }

    Stream& m_stream;
    std::string m_buffer;
    bool m_received_any = false;
    std::size_t m_max_body_bytes;
};

}  // namespace

ReadReply read_reply(Stream& stream, Clock::time_point deadline, std::size_t max_body_bytes)
{
    return ReplyReader(stream, std::min(max_body_bytes, k_max_reply_bytes)).read(deadline);
}

}  // namespace detail

}  // namespace volumecli
