#include "proxy/cli/effective_policy.h"

#include "proxy/common/units.h"
#include "proxy/config/config_writer.h"
#include "proxy/http/grpc_status.h"
#include "proxy/policy/retry_policy.h"

namespace outrigger::cli {
namespace {

using config::formatNumber;

constexpr size_t kMaxShownText = 40;

// Collects rows, looking up each key's source and hiding secret values.
class Rows {
 public:
  Rows(const config::ConfigProvenance& provenance, const std::string& upstream)
      : provenance_(provenance),
        sources_(provenance.sourcesOf(upstream)),
        path_("upstreams." + upstream) {}

  void add(const std::string& key, std::string value) {
    addRedacted(key, isSecret(key) ? std::string(config::kRedacted) : std::move(value));
  }
  // For a value whose secret parts the caller has already replaced.
  void addRedacted(const std::string& key, std::string value) {
    rows_.push_back(PolicyRow{key, std::move(value), sources_.sourceOf(key).label()});
  }
  bool isSecret(const std::string& key) const {
    return provenance_.containsSecret(path_ + "." + key);
  }
  void duration(const std::string& key, Duration d) { add(key, formatDuration(d)); }
  void count(const std::string& key, uint64_t n) { add(key, std::to_string(n)); }
  void section() { rows_.push_back(PolicyRow{}); }
  std::vector<PolicyRow> take() { return std::move(rows_); }

 private:
  const config::ConfigProvenance& provenance_;
  const config::UpstreamSources& sources_;
  std::string path_;
  std::vector<PolicyRow> rows_;
};

// Quoted, on one line and shortened: a fallback body can be long.
std::string shownText(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, kMaxShownText)) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else
      out += c;
  }
  if (text.size() > kMaxShownText) out += "...";
  return "'" + out + "'";
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string retryOnText(const policy::RetryOn& on) {
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
  return names.empty() ? "none" : joined(names);
}

std::string enforced(std::string value, bool shadowed) {
  return shadowed ? value + " (shadow: counted, not enforced)" : value;
}

void addEndpointsAndTimeouts(Rows& rows, const config::UpstreamConfig& u) {
  std::vector<std::string> endpoints;
  for (size_t i = 0; i < u.endpoints.size(); ++i) {
    const bool secret = rows.isSecret("endpoints[" + std::to_string(i) + "]");
    endpoints.push_back(secret ? std::string(config::kRedacted) : u.endpoints[i].text);
  }
  rows.addRedacted("endpoints", joined(endpoints));
  rows.add("load_balancing", u.load_balancing == config::LoadBalancing::kLeastRequest
                                 ? "least_request"
                                 : "round_robin");
  rows.duration("dns_refresh", u.dns_refresh);
  rows.section();
  const config::TimeoutsConfig& t = u.timeouts;
  rows.duration("timeouts.connect", t.connect);
  rows.duration("timeouts.write", t.write);
  rows.duration("timeouts.read", t.read);
  rows.duration("timeouts.pool", t.pool);
  if (t.per_try == Duration::zero()) {
    rows.add("timeouts.per_try", "not set");
  } else {
    rows.duration("timeouts.per_try", t.per_try);
  }
  if (t.request == config::kNoRequestTimeout) {
    rows.add("timeouts.request", "none");
  } else {
    rows.duration("timeouts.request", t.request);
  }
  rows.add("limits.max_response_head", formatSize(u.limits.max_response_head));
  rows.add("limits.response_buffer", formatSize(u.limits.response_buffer));
}

void addRetry(Rows& rows, const std::optional<config::RetryConfig>& retry) {
  rows.section();
  if (!retry) {
    rows.add("retry", "off (one attempt)");
    return;
  }
  const policy::RetryPolicyConfig& p = retry->policy;
  rows.count("retry.max_attempts", p.max_attempts);
  rows.duration("retry.backoff.initial", p.backoff.initial);
  rows.duration("retry.backoff.max", p.backoff.max);
  rows.add("retry.backoff.multiplier", formatNumber(p.backoff.multiplier));
  rows.add("retry.backoff.jitter", p.backoff.jitter == policy::Jitter::kFull ? "full" : "none");
  rows.add("retry.retry_on", retryOnText(p.retry_on));
  rows.add("retry.methods", p.methods == policy::RetryMethods::kAll ? "all" : "idempotent");
  rows.add("retry.max_body_bytes", formatSize(p.max_body_bytes));
  rows.add("retry.budget.ratio", formatRatio(retry->budget.ratio));
  rows.count("retry.budget.min_per_second", retry->budget.min_per_second);
  rows.duration("retry.budget.window", retry->budget.window);
  rows.add("retry.respect_retry_after", p.respect_retry_after ? "true" : "false");
}

void addBreaker(Rows& rows, const config::PolicyConfig& p) {
  rows.section();
  const auto& b = p.circuit_breaker;
  if (!b) {
    rows.add("circuit_breaker", "off");
    return;
  }
  const bool shadow = p.shadow.circuit_breaker;
  rows.add("circuit_breaker.failure_threshold",
           enforced(b->failure_threshold == 0 ? "0 (off)" : std::to_string(b->failure_threshold),
                    shadow));
  rows.add("circuit_breaker.failure_rate",
           b->failure_rate == 0 ? "off" : formatRatio(b->failure_rate));
  rows.duration("circuit_breaker.window", b->window);
  rows.count("circuit_breaker.minimum_requests", b->minimum_requests);
  if (b->slow_call_duration == Duration::zero()) {
    rows.add("circuit_breaker.slow_call", "off");
  } else {
    rows.duration("circuit_breaker.slow_call.duration", b->slow_call_duration);
    rows.add("circuit_breaker.slow_call.rate", formatRatio(b->slow_call_rate));
  }
  rows.duration("circuit_breaker.open_for", b->open_for);
  rows.count("circuit_breaker.half_open_probes", b->half_open_probes);
}

void addBulkheadAndRateLimit(Rows& rows, const config::PolicyConfig& p) {
  rows.section();
  if (const auto& b = p.bulkhead) {
    rows.add("bulkhead.max_concurrent",
             enforced(std::to_string(b->max_concurrent), p.shadow.bulkhead));
    rows.count("bulkhead.max_queue", b->max_queue);
    rows.duration("bulkhead.queue_timeout", b->queue_timeout);
  } else {
    rows.add("bulkhead", "off");
  }
  rows.section();
  if (const auto& r = p.rate_limit) {
    rows.add("rate_limit.requests_per_second",
             enforced(formatNumber(r->requests_per_second), p.shadow.rate_limit));
    rows.add("rate_limit.burst", formatNumber(r->burst));
    rows.add("rate_limit.scope", config::rateLimitScopeName(r->scope));
    if (r->scope == config::RateLimitScope::kGlobal)
      rows.add("rate_limit.on_store_error", config::storeErrorModeName(r->on_store_error));
  } else {
    rows.add("rate_limit", "off");
  }
}

void addFallback(Rows& rows, const config::FallbackConfig& f) {
  rows.section();
  if (!f.stale_if_error && !f.response) {
    rows.add("fallback", "off");
    return;
  }
  if (const auto& s = f.stale_if_error) {
    rows.duration("fallback.stale_if_error.ttl", s->ttl);
    rows.count("fallback.stale_if_error.max_entries", s->max_entries);
    rows.add("fallback.stale_if_error.max_body_bytes", formatSize(s->max_body_bytes));
    rows.add("fallback.stale_if_error.store", config::staleStoreName(s->store));
  } else {
    rows.add("fallback.stale_if_error", "off");
  }
  if (const auto& r = f.response) {
    rows.count("fallback.response.status", static_cast<uint64_t>(r->status));
    rows.add("fallback.response.content_type", r->content_type);
    rows.add("fallback.response.body", shownText(r->body));
    if (r->grpc_status) {
      rows.add("fallback.response.grpc_status", std::string(http::grpcStatusName(*r->grpc_status)));
      rows.add("fallback.response.grpc_message", shownText(r->grpc_message));
    }
  } else {
    rows.add("fallback.response", "off");
  }
}

void addEndpointHealth(Rows& rows, const config::PolicyConfig& p) {
  rows.section();
  if (const auto& o = p.outlier_detection) {
    rows.count("outlier_detection.consecutive_failures", o->consecutive_failures);
    rows.duration("outlier_detection.base_ejection", o->base_ejection);
    rows.duration("outlier_detection.max_ejection", o->max_ejection);
    rows.add("outlier_detection.max_ejected_percent", formatRatio(o->max_ejected_percent));
  } else {
    rows.add("outlier_detection", "off");
  }
  rows.section();
  if (const auto& h = p.health_check) {
    rows.add("health_check.type", config::healthCheckTypeName(h->type));
    if (h->type == config::HealthCheckType::kHttp) rows.add("health_check.path", h->path);
    if (h->type == config::HealthCheckType::kGrpc) rows.add("health_check.service", h->service);
    rows.duration("health_check.interval", h->interval);
    rows.duration("health_check.timeout", h->timeout);
    rows.count("health_check.healthy_threshold", h->thresholds.healthy_threshold);
    rows.count("health_check.unhealthy_threshold", h->thresholds.unhealthy_threshold);
  } else {
    rows.add("health_check", "off");
  }
}

void addPoolAndShadow(Rows& rows, const config::UpstreamConfig& u) {
  rows.section();
  rows.count("pool.max_connections", u.pool.max_connections);
  rows.count("pool.max_idle", u.pool.max_idle);
  rows.duration("pool.idle_timeout", u.pool.idle_timeout);
  const uint32_t max_requests = u.pool.max_requests_per_connection;
  rows.add("pool.max_requests_per_connection",
           max_requests == 0 ? "0 (unlimited)" : std::to_string(max_requests));
  const config::ShadowConfig& s = u.policies.shadow;
  std::vector<std::string> shadowed;
  if (s.circuit_breaker) shadowed.emplace_back("circuit_breaker");
  if (s.rate_limit) shadowed.emplace_back("rate_limit");
  if (s.bulkhead) shadowed.emplace_back("bulkhead");
  rows.section();
  rows.add("shadow", shadowed.empty() ? "none" : joined(shadowed));
}

}  // namespace

std::vector<PolicyRow> effectivePolicyRows(const config::UpstreamConfig& upstream,
                                           const config::ConfigProvenance& provenance) {
  Rows rows(provenance, upstream.name);
  if (!upstream.policies.profile.empty()) rows.add("profile", upstream.policies.profile);
  addEndpointsAndTimeouts(rows, upstream);
  addRetry(rows, upstream.policies.retry);
  addBreaker(rows, upstream.policies);
  addBulkheadAndRateLimit(rows, upstream.policies);
  addFallback(rows, upstream.policies.fallback);
  addEndpointHealth(rows, upstream.policies);
  addPoolAndShadow(rows, upstream);
  return rows.take();
}

std::string attemptsFor(const config::UpstreamConfig& upstream, std::string_view method) {
  const auto& retry = upstream.policies.retry;
  if (!retry) return "1 (no retry block)";
  if (retry->policy.max_attempts <= 1) return "1 (retry.max_attempts is 1)";
  const std::string up_to = "up to " + std::to_string(retry->policy.max_attempts);
  const std::string m(method);
  if (retry->policy.methods == policy::RetryMethods::kAll) {
    return up_to + " (retry.methods is all)";
  }
  if (policy::isIdempotentRequest(method, false)) return up_to + " (" + m + " is idempotent)";
  const std::string why =
      " (" + m + " is not idempotent; an Idempotency-Key header makes it retryable)";
  // A failed connect is retried for any method: nothing was sent (DESIGN §6).
  if (retry->policy.retry_on.connect_failed)
    return "1, or " + up_to + " when connecting fails" + why;
  return "1" + why;
}

}  // namespace outrigger::cli
