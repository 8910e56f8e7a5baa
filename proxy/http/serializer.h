#pragma once
// Writes HTTP/1.1 heads and chunk framing into caller-owned buffers. The framing header
// (Content-Length or Transfer-Encoding) is written from head.framing, never copied from
// the header list: the header rules have already removed those.

#include <string>
#include <string_view>

#include "proxy/http/message.h"

namespace outrigger::http {

// "METHOD target HTTP/1.1\r\n" + headers + framing header + "\r\n".
void appendRequestHead(const RequestHead& head, std::string& out);
// "name: value\r\n"
void appendField(std::string_view name, std::string_view value, std::string& out);
// The framing header head.framing calls for (Content-Length or Transfer-Encoding), if any.
void appendRequestFraming(const RequestHead& head, std::string& out);
// "HTTP/1.1 status reason\r\n" + headers + framing header + "\r\n". For HTTP/1.0
// clients pass version_minor 0 in head; kUntilClose writes no framing header.
void appendResponseHead(const ResponseHead& head, std::string& out);
// "<hex size>\r\n"
void appendChunkHeader(size_t size, std::string& out);
// The last chunk of a chunked body with its trailer fields: "0\r\n" + fields + "\r\n".
// Framing and hop-by-hop fields are left out (RFC 9110 §6.5.1).
void appendLastChunk(const Headers& trailers, std::string& out);

inline constexpr std::string_view kChunkEnd = "\r\n";        // after each chunk's data
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";  // end of a chunked body
inline constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace outrigger::http
