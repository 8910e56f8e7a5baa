#pragma once
// The per-field rules of RFC 9113 §8.2 shared by the header translation: which names are
// valid in HTTP/2, which fields are connection-specific, and how content-length is read.

#include <cstdint>
#include <string_view>

#include "proxy/http/message.h"

namespace outrigger::http2 {

struct ContentLength {
  bool present = false;
  uint64_t value = 0;
};

// Checks a block's fields one by one, in wire order, and reads content-length on the way.
class FieldScan {
 public:
  // An empty view if `field` may follow the ones before it, else why the block is malformed.
  std::string_view next(const http::HeaderView& field);

  ContentLength length;

 private:
  bool seen_regular_ = false;
};

// RFC 9113 §8.2.2: fields that only mean something to one HTTP/1 connection.
bool isConnectionSpecific(std::string_view lowercase_name);

// Appends `headers` (HTTP/1 names, any case) to `out` as HTTP/2 fields: names lowercased;
// Host, Content-Length, the connection-specific fields and those Connection names dropped;
// TE kept as "trailers" in a request when it lists that. Trailers also drop Trailer.
// `Sink` is an http::Headers or a FieldBlock.
template <typename Sink>
void appendRegularFields(const http::Headers& headers, bool is_request, Sink& out,
                         bool trailers = false);

}  // namespace outrigger::http2
