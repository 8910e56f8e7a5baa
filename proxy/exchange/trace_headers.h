#pragma once
// One request's trace context on the way through (issue 20, item 7): read from the app's
// headers (traceparent, else x-b3-*) or started, then written anew before each upstream
// attempt with a span id of its own, so retries show as separate child spans. tracestate is
// never touched. The parsing and ids are http/trace_context's; this only reads and writes
// the request's headers, whatever protocol carries them.

#include <string_view>

#include "proxy/common/random.h"
#include "proxy/config/schema.h"
#include "proxy/http/message.h"
#include "proxy/http/trace_context.h"

namespace outrigger::exchange {

class TraceHeaders {
 public:
  // At the start of a request. With propagation off, nothing is read or written.
  void begin(const config::TracingConfig& config, const http::Headers& headers, Random& random);
  // Before each attempt: a new span id, written into the headers that go upstream.
  void beforeAttempt(http::Headers& headers, Random& random);

  // For the access log: empty with propagation off. span_id is the last attempt's, or empty
  // when no attempt was made.
  std::string_view traceId() const { return on_ ? trace_.traceId() : std::string_view(); }
  std::string_view spanId() const { return spans_ > 0 ? trace_.spanId() : std::string_view(); }

 private:
  config::TracePropagation mode_ = config::TracePropagation::kNone;
  bool on_ = false;
  uint32_t spans_ = 0;
  http::TraceContext trace_;
};

}  // namespace outrigger::exchange
