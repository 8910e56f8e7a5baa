#include "proxy/exchange/trace_headers.h"

namespace outrigger::exchange {
namespace {

constexpr std::string_view kTraceparent = "traceparent";
constexpr std::string_view kB3TraceId = "x-b3-traceid";
constexpr std::string_view kB3SpanId = "x-b3-spanid";
constexpr std::string_view kB3ParentSpanId = "x-b3-parentspanid";
constexpr std::string_view kB3Sampled = "x-b3-sampled";

}  // namespace

void TraceHeaders::begin(const config::TracingConfig& config, const http::Headers& headers,
                         Random& random) {
  mode_ = config.propagate;
  on_ = mode_ != config::TracePropagation::kNone;
  spans_ = 0;
  if (!on_) return;
  std::optional<http::TraceContext> incoming;
  if (const std::string_view* value = headers.get(kTraceparent))
    incoming = http::parseTraceparent(*value);
  if (!incoming)
    incoming =
        http::parseB3(headers.get(kB3TraceId), headers.get(kB3SpanId), headers.get(kB3Sampled));
  if (incoming) {
    trace_ = *incoming;
    return;
  }
  // Whole percentages decide without a draw at their ends: 0% never, 100% always.
  const bool sampled = config.sample_rate >= 1.0 ||
                       (config.sample_rate > 0.0 && random.uniform() < config.sample_rate);
  trace_ = http::startTrace(random, sampled);
}

void TraceHeaders::beforeAttempt(http::Headers& headers, Random& random) {
  if (!on_) return;
  http::newSpan(trace_, random);
  spans_++;
  if (mode_ == config::TracePropagation::kW3c) {
    const auto value = http::formatTraceparent(trace_);
    headers.set(kTraceparent, std::string_view(value.data(), value.size()));
    return;
  }
  headers.set(kB3TraceId, trace_.traceId());
  headers.set(kB3SpanId, trace_.spanId());
  headers.set(kB3Sampled, trace_.sampled() ? "1" : "0");
  if (trace_.has_parent)
    headers.set(kB3ParentSpanId, trace_.parentId());
  else
    headers.remove(kB3ParentSpanId);
}

}  // namespace outrigger::exchange
