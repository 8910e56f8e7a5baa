// Prints an upstream's resilience blocks with every key explicit, so the text loads back into
// the same values whatever profile or block defaults produced them.

#include "proxy/common/units.h"
#include "proxy/config/render_sections.h"
#include "proxy/http/grpc_status.h"

namespace outrigger::config {

std::vector<std::string> retryOnNames(const policy::RetryOn& on) {
  std::vector<std::string> names;
  if (on.connect_failed) names.emplace_back("connect_failed");
  if (on.reset) names.emplace_back("reset");
  if (on.timeout) names.emplace_back("timeout");
  for (size_t code = 0; code < on.statuses.size(); ++code) {
    if (on.statuses.test(code)) names.push_back(std::to_string(code));
  }
  for (size_t code = 0; code < on.grpc_statuses.size(); ++code) {
    if (on.grpc_statuses.test(code))
      names.emplace_back(http::grpcStatusName(static_cast<http::GrpcStatus>(code)));
  }
  return names;
}

namespace {

std::string number(uint64_t n) { return std::to_string(n); }

void renderRetry(ConfigWriter& out, const RetryConfig& retry) {
  const policy::RetryPolicyConfig& p = retry.policy;
  out.beginMap("retry");
  out.scalar("max_attempts", number(p.max_attempts));
  out.beginMap("backoff");
  out.scalar("initial", formatDuration(p.backoff.initial));
  out.scalar("max", formatDuration(p.backoff.max));
  out.scalar("multiplier", formatNumber(p.backoff.multiplier));
  out.scalar("jitter", p.backoff.jitter == policy::Jitter::kFull ? "full" : "none");
  out.endMap();
  out.normalisedList("retry_on", retryOnNames(p.retry_on));
  out.scalar("methods", p.methods == policy::RetryMethods::kAll ? "all" : "idempotent");
  out.scalar("max_body_bytes", formatSize(p.max_body_bytes));
  out.beginMap("budget");
  out.scalar("ratio", formatRatio(retry.budget.ratio));
  out.scalar("min_per_second", number(retry.budget.min_per_second));
  out.scalar("window", formatDuration(retry.budget.window));
  out.endMap();
  out.scalar("respect_retry_after", p.respect_retry_after ? "true" : "false");
  out.endMap();
}

void renderBreaker(ConfigWriter& out, const policy::CircuitBreakerConfig& b) {
  out.beginMap("circuit_breaker");
  out.scalar("failure_threshold", number(b.failure_threshold));
  out.scalar("failure_rate", formatRatio(b.failure_rate));
  out.scalar("window", formatDuration(b.window));
  out.scalar("minimum_requests", number(b.minimum_requests));
  // The loader needs both slow_call keys, and a zero duration means the trigger is off.
  if (b.slow_call_duration != Duration::zero()) {
    out.beginMap("slow_call");
    out.scalar("duration", formatDuration(b.slow_call_duration));
    out.scalar("rate", formatRatio(b.slow_call_rate));
    out.endMap();
  }
  out.scalar("open_for", formatDuration(b.open_for));
  out.scalar("half_open_probes", number(b.half_open_probes));
  out.endMap();
}

void renderBulkhead(ConfigWriter& out, const policy::BulkheadConfig& b) {
  out.beginMap("bulkhead");
  out.scalar("max_concurrent", number(b.max_concurrent));
  out.scalar("max_queue", number(b.max_queue));
  out.scalar("queue_timeout", formatDuration(b.queue_timeout));
  out.endMap();
}

void renderRateLimit(ConfigWriter& out, const RateLimitConfig& r) {
  out.beginMap("rate_limit");
  out.scalar("requests_per_second", formatNumber(r.requests_per_second));
  out.scalar("burst", formatNumber(r.burst));
  out.scalar("scope", rateLimitScopeName(r.scope));
  out.scalar("on_store_error", storeErrorModeName(r.on_store_error));
  out.endMap();
}

void renderOutlier(ConfigWriter& out, const policy::OutlierConfig& o) {
  out.beginMap("outlier_detection");
  out.scalar("consecutive_failures", number(o.consecutive_failures));
  out.scalar("base_ejection", formatDuration(o.base_ejection));
  out.scalar("max_ejection", formatDuration(o.max_ejection));
  out.scalar("max_ejected_percent", formatRatio(o.max_ejected_percent));
  out.endMap();
}

void renderHealthCheck(ConfigWriter& out, const HealthCheckConfig& h) {
  out.beginMap("health_check");
  out.scalar("type", healthCheckTypeName(h.type));
  if (h.type == HealthCheckType::kHttp) out.scalar("path", h.path);
  if (h.type == HealthCheckType::kGrpc) out.scalar("service", h.service);
  out.scalar("interval", formatDuration(h.interval));
  out.scalar("timeout", formatDuration(h.timeout));
  out.scalar("healthy_threshold", number(h.thresholds.healthy_threshold));
  out.scalar("unhealthy_threshold", number(h.thresholds.unhealthy_threshold));
  out.endMap();
}

void renderFallback(ConfigWriter& out, const FallbackConfig& f) {
  if (!f.stale_if_error && !f.response) return;
  out.beginMap("fallback");
  if (const auto& s = f.stale_if_error) {
    out.beginMap("stale_if_error");
    out.scalar("ttl", formatDuration(s->ttl));
    out.scalar("max_entries", number(s->max_entries));
    out.scalar("max_body_bytes", formatSize(s->max_body_bytes));
    out.scalar("store", staleStoreName(s->store));
    out.endMap();
  }
  if (const auto& r = f.response) {
    out.beginMap("response");
    out.scalar("status", number(static_cast<uint64_t>(r->status)));
    out.scalar("content_type", r->content_type);
    out.scalar("body", r->body);
    if (r->grpc_status) {
      out.scalar("grpc_status", std::string(http::grpcStatusName(*r->grpc_status)));
      out.scalar("grpc_message", r->grpc_message);
    }
    out.endMap();
  }
  out.endMap();
}

void renderShadow(ConfigWriter& out, const ShadowConfig& s) {
  std::vector<std::string> names;
  if (s.circuit_breaker) names.emplace_back("circuit_breaker");
  if (s.rate_limit) names.emplace_back("rate_limit");
  if (s.bulkhead) names.emplace_back("bulkhead");
  if (!names.empty()) out.normalisedList("shadow", names);
}

}  // namespace

void renderPolicies(ConfigWriter& out, const PolicyConfig& p) {
  // The name only: every value it set is printed explicitly below, and keeping it makes the
  // text load back into an equal PolicyConfig.
  if (!p.profile.empty()) out.scalar("profile", p.profile);
  if (p.retry) renderRetry(out, *p.retry);
  if (p.circuit_breaker) renderBreaker(out, *p.circuit_breaker);
  if (p.bulkhead) renderBulkhead(out, *p.bulkhead);
  if (p.rate_limit) renderRateLimit(out, *p.rate_limit);
  if (p.outlier_detection) renderOutlier(out, *p.outlier_detection);
  if (p.health_check) renderHealthCheck(out, *p.health_check);
  renderFallback(out, p.fallback);
  renderShadow(out, p.shadow);
}

}  // namespace outrigger::config
