#include "proxy/http/serializer.h"

#include <charconv>
#include <cstdint>
#include <cstring>

#include "proxy/http/header_rules.h"

namespace outrigger::http {
namespace {

template <typename Int>
void appendNumber(Int value, std::string& out, int base = 10) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, base);
  (void)ec;  // 24 chars hold any 64-bit integer in base 10 or 16
  out.append(buf, end);
}

void appendHeaders(const Headers& headers, std::string& out) {
  size_t bytes = 0;
  for (const HeaderView& h : headers) bytes += h.name.size() + h.value.size() + 4;
  out.reserve(out.size() + bytes);
  for (const HeaderView& h : headers) appendField(h.name, h.value, out);
}

void appendContentLength(uint64_t length, std::string& out) {
  out.append("Content-Length: ");
  appendNumber(length, out);
  out.append("\r\n");
}

constexpr std::string_view kChunkedHeader = "Transfer-Encoding: chunked\r\n";

// RFC 9110 §8.6 / §6.4.1: 1xx and 204 carry no framing at all; 304 may carry the
// Content-Length of the representation it stands for.
void appendResponseFraming(const ResponseHead& head, std::string& out) {
  const bool interim_or_no_content = head.status / 100 == 1 || head.status == 204;
  if (interim_or_no_content) return;
  switch (head.framing) {
    case BodyFraming::kContentLength:
      appendContentLength(head.content_length, out);
      return;
    case BodyFraming::kChunked:
      if (head.status != 304) out.append(kChunkedHeader);
      return;
    case BodyFraming::kNone:
      // Without it an HTTP/1.x client would read until close.
      if (head.status != 304) appendContentLength(0, out);
      return;
    case BodyFraming::kUntilClose:
      return;
  }
}

}  // namespace

void appendField(std::string_view name, std::string_view value, std::string& out) {
  // One copy of the whole line into room made once, rather than four appends that each
  // check the capacity.
  const size_t at = out.size();
  out.resize(at + name.size() + value.size() + 4);
  char* p = out.data() + at;
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  // An empty value may be a default view, whose data() is null: memcpy must not see it.
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p = '\n';
}

void appendRequestFraming(const RequestHead& head, std::string& out) {
  if (head.framing == BodyFraming::kContentLength) {
    appendContentLength(head.content_length, out);
  } else if (head.framing == BodyFraming::kChunked) {
    out.append(kChunkedHeader);
  }
}

void appendRequestHead(const RequestHead& head, std::string& out) {
  out.append(head.method).append(" ").append(head.target).append(" HTTP/1.1\r\n");
  appendHeaders(head.headers, out);
  appendRequestFraming(head, out);
  out.append("\r\n");
}

void appendResponseHead(const ResponseHead& head, std::string& out) {
  out.append(head.version_minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ");
  appendNumber(head.status, out);
  out.append(" ").append(head.reason.empty() ? reasonPhrase(head.status) : head.reason);
  out.append("\r\n");
  appendHeaders(head.headers, out);
  appendResponseFraming(head, out);
  // A Connection header the caller put in the list already says it; don't repeat it.
  const std::string_view* connection = head.headers.get("Connection");
  if (!head.keep_alive) {
    if (connection == nullptr || !equalsIgnoreCase(*connection, "close")) {
      out.append("Connection: close\r\n");
    }
  } else if (head.version_minor == 0 && connection == nullptr) {
    // An HTTP/1.0 client closes after the response unless told otherwise.
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

void appendChunkHeader(size_t size, std::string& out) {
  appendNumber(size, out, 16);
  out.append("\r\n");
}

void appendLastChunk(const Headers& trailers, std::string& out) {
  out.append("0\r\n");
  for (const HeaderView& h : trailers) {
    if (isHopByHopName(h.name) || equalsIgnoreCase(h.name, "content-length") ||
        equalsIgnoreCase(h.name, "trailer") || equalsIgnoreCase(h.name, "host"))
      continue;
    appendField(h.name, h.value, out);
  }
  out.append("\r\n");
}

}  // namespace outrigger::http
