#pragma once

// Text helpers for building HTTP/1.1 responses and JSON bodies without a formatting library.

#include <cstdint>
#include <string>
#include <string_view>

namespace mock_upstream {

std::string_view reasonPhrase(int status);

void appendNumber(std::string& out, uint64_t value);
void appendHex(std::string& out, uint64_t value);
// Appends `text` as a quoted JSON string.
void appendJsonString(std::string& out, std::string_view text);

// How the body after the head is delimited.
enum class Framing {
  kContentLength,  // Content-Length: n
  kChunked,        // Transfer-Encoding: chunked
  kNone,           // neither header: 1xx/204/304, or a body that ends when the connection closes
};

// Whether the head announces that the connection stays open after this response.
enum class Persistence {
  kKeepAliveDefault,   // HTTP/1.1 keep-alive: no Connection header
  kKeepAliveExplicit,  // HTTP/1.0 client that asked for keep-alive
  kClose,
};

// Builds a response head. Every head carries X-Mock-Connection and X-Mock-Request so tests can
// see which connection and which request produced it.
class ResponseHead {
 public:
  ResponseHead(int status, uint64_t connectionId, uint64_t requestId);

  ResponseHead& header(std::string_view name, std::string_view value);
  ResponseHead& header(std::string_view name, uint64_t value);
  // Appends preformatted "Name: value\r\n" lines.
  ResponseHead& rawHeaders(std::string_view lines);

  // Ends the head and hands its text over; the builder is spent afterwards.
  std::string finish(Framing framing, uint64_t contentLength, Persistence persistence);

 private:
  std::string text_;
};

// Formats the size line of one chunk ("1a\r\n").
std::string chunkSizeLine(uint64_t size);

inline constexpr std::string_view kCrlf = "\r\n";
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace mock_upstream
