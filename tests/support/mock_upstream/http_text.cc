#include "http_text.h"

#include <charconv>
#include <utility>

namespace mock_upstream {

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 102:
      return "Processing";
    case 103:
      return "Early Hints";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 203:
      return "Non-Authoritative Information";
    case 204:
      return "No Content";
    case 205:
      return "Reset Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 418:
      return "I'm a teapot";
    case 421:
      return "Misdirected Request";
    case 422:
      return "Unprocessable Content";
    case 425:
      return "Too Early";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

void appendNumber(std::string& out, uint64_t value) {
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, result.ptr);
}

void appendHex(std::string& out, uint64_t value) {
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof(digits), value, 16);
  out.append(digits, result.ptr);
}

void appendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (byte < 0x20 || byte >= 0x7f) {
          // Non-ASCII bytes are escaped one by one: header bytes need not be valid UTF-8.
          out.append("\\u00");
          out.push_back(kHexDigits[byte >> 4]);
          out.push_back(kHexDigits[byte & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

ResponseHead::ResponseHead(int status, uint64_t connectionId, uint64_t requestId) {
  text_.reserve(256);
  text_.append("HTTP/1.1 ");
  appendNumber(text_, static_cast<uint64_t>(status));
  text_.push_back(' ');
  text_.append(reasonPhrase(status));
  text_.append("\r\nX-Mock-Connection: ");
  appendNumber(text_, connectionId);
  text_.append("\r\nX-Mock-Request: ");
  appendNumber(text_, requestId);
  text_.append(kCrlf);
}

ResponseHead& ResponseHead::header(std::string_view name, std::string_view value) {
  text_.append(name);
  text_.append(": ");
  text_.append(value);
  text_.append(kCrlf);
  return *this;
}

ResponseHead& ResponseHead::header(std::string_view name, uint64_t value) {
  text_.append(name);
  text_.append(": ");
  appendNumber(text_, value);
  text_.append(kCrlf);
  return *this;
}

ResponseHead& ResponseHead::rawHeaders(std::string_view lines) {
  text_.append(lines);
  return *this;
}

std::string ResponseHead::finish(Framing framing, uint64_t contentLength, Persistence persistence) {
  switch (framing) {
    case Framing::kContentLength:
      header("Content-Length", contentLength);
      break;
    case Framing::kChunked:
      header("Transfer-Encoding", "chunked");
      break;
    case Framing::kNone:
      break;
  }
  switch (persistence) {
    case Persistence::kKeepAliveDefault:
      break;
    case Persistence::kKeepAliveExplicit:
      header("Connection", "keep-alive");
      break;
    case Persistence::kClose:
      header("Connection", "close");
      break;
  }
  text_.append(kCrlf);
  return std::move(text_);
}

std::string chunkSizeLine(uint64_t size) {
  std::string line;
  appendHex(line, size);
  line.append(kCrlf);
  return line;
}

}  // namespace mock_upstream
