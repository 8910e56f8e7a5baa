#pragma once

// The endpoints whose whole answer is known once the request is complete. Pure functions over
// the request and MockState; the connection decides framing and writes the bytes.

#include <cstdint>
#include <string>
#include <string_view>

#include "mock_state.h"
#include "request.h"
#include "routes.h"

namespace mock_upstream {

struct Reply {
  int status = 200;
  int interimStatus = 0;  // /status/1xx: this 1xx goes out first, then the final reply
  std::string_view contentType = "text/plain";
  std::string headers;          // extra "Name: value\r\n" lines
  std::string body;             // owned body; when empty, staticBody is sent
  std::string_view staticBody;  // literal with static storage
  bool bodyless = false;        // 204 and 304: neither a body nor Content-Length
  std::string trailers;         // "Name: value\r\n" lines: the body goes chunked, with these

  std::string_view bodyView() const { return body.empty() ? staticBody : std::string_view(body); }
};

Reply simpleReply(const Request& request, const Route& route, MockState& state,
                  uint64_t connectionId);
// {"bytes":N,"checksum":"<16 hex digits of FNV-1a 64>"}
Reply uploadReply(uint64_t bytes, uint64_t checksum);
Reply delayReply(uint64_t ms);
// /chaos when the call is not reset: 503 "chaos failure" or 200 "hello".
Reply chaosReply(bool failed);
// The extra header lines of an /echo answer (everything except framing).
std::string echoHeaders(const Request& request);

inline constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
inline constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

inline uint64_t fnv1a(uint64_t hash, std::string_view bytes) {
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  return hash;
}

}  // namespace mock_upstream
