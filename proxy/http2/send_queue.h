#pragma once
// The outbound side of one HTTP/2 stream: body bytes the caller submitted that nghttp2 has
// not framed yet, whether the body is complete, and the trailers to send after it. Pure;
// the session's data source drains it as the peer's flow-control window allows.

#include <cstddef>
#include <string>
#include <string_view>

#include "proxy/http/message.h"

namespace outrigger::http2 {

class SendQueue {
 public:
  explicit SendQueue(size_t high_water) : high_water_(high_water) {}

  // Appends body bytes; false once the body was ended.
  bool append(std::string_view chunk);
  // No more body; `trailers` (already HTTP/2 fields), if any, follow it.
  bool end();
  bool endWithTrailers(http::Headers trailers);

  // Copies up to `room` bytes into `out`; returns how many.
  size_t take(char* out, size_t room);

  size_t pending() const { return bytes_.size() - offset_; }
  bool ended() const { return ended_; }
  bool hasTrailers() const { return has_trailers_; }
  http::Headers& trailers() { return trailers_; }
  // More is queued than the caller should add to: it should pause its source.
  bool blocked() const { return pending() >= high_water_; }

  // Empty again, for another stream; the buffers keep their capacity.
  void reset();

  // nghttp2 was told there is nothing to send yet; it must be resumed when there is.
  bool deferred = false;
  // blocked() was reported to the caller, who waits to hear it cleared.
  bool blocked_reported = false;

 private:
  std::string bytes_;
  size_t offset_ = 0;
  size_t high_water_;
  bool ended_ = false;
  bool has_trailers_ = false;
  http::Headers trailers_;
};

}  // namespace outrigger::http2
