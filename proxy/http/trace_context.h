#pragma once
// W3C Trace Context (https://www.w3.org/TR/trace-context/) and B3 (x-b3-*) for one request:
// parses what the app sent, starts a trace when it sent none, and gives each upstream attempt
// its own span id. Pure and allocation-free: ids are kept as the lower-case hex that goes
// on the wire and into the access log.

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

#include "proxy/common/random.h"
#include "proxy/http/message.h"

namespace outrigger::http {

struct TraceContext {
  std::array<char, 32> trace_id{};   // 16 bytes, lower-case hex, not all zero
  std::array<char, 16> parent_id{};  // the caller's span: 8 bytes, hex; zero when we started
  std::array<char, 16> span_id{};    // the current attempt's span: what the upstream sees
  uint8_t flags = 0;                 // bit 0: sampled
  bool has_parent = false;           // the app sent a span id

  bool sampled() const { return (flags & 1) != 0; }
  std::string_view traceId() const { return {trace_id.data(), trace_id.size()}; }
  std::string_view spanId() const { return {span_id.data(), span_id.size()}; }
  std::string_view parentId() const { return {parent_id.data(), parent_id.size()}; }
};

// A `traceparent` value, or nullopt when it is invalid: a version that is not two lower-case
// hex digits or is "ff", a version 00 value that is not exactly 55 characters, a later
// version whose 55th character is not the end or '-', upper-case hex, or an all-zero trace id
// or parent id. The parent id becomes parent_id; span_id is left for newSpan().
std::optional<TraceContext> parseTraceparent(std::string_view value);

// The x-b3-* headers: x-b3-traceid (16 or 32 hex digits; 16 are padded on the left with
// zeros), x-b3-spanid (16), x-b3-sampled ("1"/"true" or "0"/"false"; absent: not sampled,
// as w3c has no "defer"). Case-insensitive hex, as B3 writers differ; stored lower-case.
std::optional<TraceContext> parseB3(const std::string_view* trace_id,
                                    const std::string_view* span_id,
                                    const std::string_view* sampled);

// A new trace: a random trace id, no parent, sampled as asked.
TraceContext startTrace(Random& random, bool sampled);

// A new span id for the next attempt (never all zero).
void newSpan(TraceContext& trace, Random& random);

// "00-<trace id>-<span id>-<flags>": 55 characters.
inline constexpr size_t kTraceparentSize = 55;
std::array<char, kTraceparentSize> formatTraceparent(const TraceContext& trace);

}  // namespace outrigger::http
