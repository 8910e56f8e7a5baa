#pragma once
// Telling an HTTP/2 connection with prior knowledge (h2c) from an HTTP/1.1 one on the same
// port, by its first bytes (RFC 9113 §3.4). Pure; no nghttp2.

#include <string_view>

namespace outrigger::http2 {

// The 24 bytes every HTTP/2 client connection starts with.
inline constexpr std::string_view kClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class PrefaceMatch {
  kHttp2,     // the bytes start with the whole preface
  kNeedMore,  // the bytes are a proper prefix of it: read more before deciding
  kNotHttp2,  // they differ from it: HTTP/1.x (or garbage for the HTTP/1 parser to refuse)
};

// What the first bytes read on a connection say. An empty read needs more.
PrefaceMatch matchClientPreface(std::string_view first_bytes);

}  // namespace outrigger::http2
