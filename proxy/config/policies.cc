// Reads the resilience blocks of an upstream (DESIGN §6): profile, retry, circuit_breaker,
// bulkhead, rate_limit, outlier_detection, health_check, fallback and shadow. A profile is
// applied first, so every explicit key overrides it.

#include "proxy/config/policies.h"

#include <algorithm>
#include <array>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "proxy/common/units.h"
#include "proxy/config/fields.h"
#include "proxy/config/grpc_fallback.h"
#include "proxy/config/keys.h"
#include "proxy/config/suggest.h"
#include "proxy/http/grpc_status.h"
#include "proxy/policy/backoff.h"

namespace outrigger::config {
namespace {

constexpr int64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
constexpr Duration kPositive = Duration(1);

std::optional<double> readRatio(const ConfigNode& node, Diagnostics& diag) {
  if (!node.isScalar()) {
    diag.error(node, "expected a percentage like 50%, got " + node.describe());
    return std::nullopt;
  }
  auto ratio = parseRatio(node.scalar);
  if (!ratio.ok()) {
    diag.error(node, ratio.error().message);
    return std::nullopt;
  }
  return *ratio;
}

std::optional<double> readPositiveNumber(const ConfigNode& node, Diagnostics& diag) {
  char* end = nullptr;
  const double value = node.isScalar() ? std::strtod(node.scalar.c_str(), &end) : 0;
  if (!node.isScalar() || end == node.scalar.c_str() || *end != '\0' || !(value > 0)) {
    diag.error(node, "expected a number greater than 0, got " + node.describe());
    return std::nullopt;
  }
  return value;
}

void readBackoff(const ConfigNode& node, policy::BackoffConfig& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("upstreams.<name>.retry.backoff"), diag)) return;
  if (auto* n = node.find("initial"))
    assignIf(readDuration(*n, diag, Duration::zero()), out.initial);
  if (auto* n = node.find("max")) assignIf(readDuration(*n, diag, kPositive), out.max);
  if (auto* n = node.find("multiplier")) {
    auto m = readPositiveNumber(*n, diag);
    if (m && *m < 1)
      diag.error(*n, "must be at least 1, got " + n->describe());
    else
      assignIf(m, out.multiplier);
  }
  if (auto* n = node.find("jitter")) {
    constexpr std::string_view kJitter[] = {"full", "none"};
    if (auto i = readChoice(*n, diag, kJitter))
      out.jitter = *i == 0 ? policy::Jitter::kFull : policy::Jitter::kNone;
  }
  if (auto checked = policy::Backoff::create(out); !checked.ok())
    diag.error(node, checked.error().message);
}

void readBudget(const ConfigNode& node, RetryBudgetConfig& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("upstreams.<name>.retry.budget"), diag)) return;
  if (auto* n = node.find("ratio")) assignIf(readRatio(*n, diag), out.ratio);
  if (auto* n = node.find("min_per_second"))
    assignIf(readInteger(*n, diag, 0, kMaxU32), out.min_per_second);
  if (auto* n = node.find("window")) assignIf(readDuration(*n, diag, seconds(1)), out.window);
}

void readRetry(const ConfigNode& node, PolicyConfig& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("upstreams.<name>.retry"), diag)) return;
  RetryConfig retry = out.retry.value_or(defaultRetry());
  auto& p = retry.policy;
  if (auto* n = node.find("max_attempts")) assignIf(readInteger(*n, diag, 1, 100), p.max_attempts);
  if (auto* n = node.find("backoff")) readBackoff(*n, p.backoff, diag);
  if (auto* n = node.find("retry_on")) readRetryOn(*n, p.retry_on, diag);
  if (auto* n = node.find("methods")) {
    constexpr std::string_view kMethods[] = {"idempotent", "all"};
    if (auto i = readChoice(*n, diag, kMethods))
      p.methods = *i == 0 ? policy::RetryMethods::kIdempotent : policy::RetryMethods::kAll;
  }
  if (auto* n = node.find("max_body_bytes"))
    assignIf(readSize(*n, diag, 0, 64ULL * 1024 * 1024), p.max_body_bytes);
  if (auto* n = node.find("budget")) readBudget(*n, retry.budget, diag);
  if (auto* n = node.find("respect_retry_after"))
    assignIf(readBool(*n, diag), p.respect_retry_after);
  out.retry = retry;
}

void readBreaker(const ConfigNode& node, PolicyConfig& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("upstreams.<name>.circuit_breaker"), diag)) return;
  policy::CircuitBreakerConfig b = out.circuit_breaker.value_or(defaultBreaker());
  if (auto* n = node.find("failure_threshold"))
    assignIf(readInteger(*n, diag, 0, kMaxU32), b.failure_threshold);
  if (auto* n = node.find("failure_rate")) assignIf(readRatio(*n, diag), b.failure_rate);
  if (auto* n = node.find("window")) assignIf(readDuration(*n, diag, seconds(1)), b.window);
  if (auto* n = node.find("minimum_requests"))
    assignIf(readInteger(*n, diag, 1, kMaxU32), b.minimum_requests);
  if (auto* n = node.find("slow_call");
      n && checkMap(*n, keysAt("upstreams.<name>.circuit_breaker.slow_call"), diag)) {
    if (auto* d = requireKey(*n, "duration", diag))
      assignIf(readDuration(*d, diag, kPositive), b.slow_call_duration);
    if (auto* r = requireKey(*n, "rate", diag)) assignIf(readRatio(*r, diag), b.slow_call_rate);
  }
  if (auto* n = node.find("open_for")) assignIf(readDuration(*n, diag, kPositive), b.open_for);
  if (auto* n = node.find("half_open_probes"))
    assignIf(readInteger(*n, diag, 1, 1000), b.half_open_probes);
  if (b.failure_threshold == 0 && b.failure_rate == 0 && b.slow_call_duration == Duration::zero())
    diag.error(node,
               "nothing can open this breaker: set failure_threshold, failure_rate or slow_call");
  else if (auto problem = policy::circuitBreakerConfigError(b); !problem.empty())
    diag.error(node, std::string(problem));
  out.circuit_breaker = b;
}

void readBulkhead(const ConfigNode& node, PolicyConfig& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("upstreams.<name>.bulkhead"), diag)) return;
  policy::BulkheadConfig b = out.bulkhead.value_or(defaultBulkhead());
  if (auto* n = node.find("max_concurrent"))
    assignIf(readInteger(*n, diag, 1, kMaxU32), b.max_concurrent);
  if (auto* n = node.find("max_queue")) assignIf(readInteger(*n, diag, 0, kMaxU32), b.max_queue);
  if (auto* n = node.find("queue_timeout"))
    assignIf(readDuration(*n, diag, kPositive), b.queue_timeout);
  out.bulkhead = b;
}

void readRateLimit(const ConfigNode& node, PolicyConfig& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("upstreams.<name>.rate_limit"), diag)) return;
  RateLimitConfig r = out.rate_limit.value_or(RateLimitConfig{});
  if (auto* n = requireKey(node, "requests_per_second", diag))
    assignIf(readPositiveNumber(*n, diag), r.requests_per_second);
  r.burst = std::max(1.0, r.requests_per_second);  // one second's worth unless given
  if (auto* n = node.find("burst")) {
    auto burst = readPositiveNumber(*n, diag);
    if (burst && *burst < 1)
      diag.error(*n, "must be at least 1, got " + n->describe());
    else
      assignIf(burst, r.burst);
  }
  if (auto* n = node.find("scope")) {
    constexpr std::string_view kScopes[] = {"local", "global"};
    if (auto i = readChoice(*n, diag, kScopes))
      r.scope = *i == 0 ? RateLimitScope::kLocal : RateLimitScope::kGlobal;
  }
  if (auto* n = node.find("on_store_error")) {
    constexpr std::string_view kModes[] = {"local", "allow", "deny"};
    constexpr StoreErrorMode kValues[] = {StoreErrorMode::kLocal, StoreErrorMode::kAllow,
                                          StoreErrorMode::kDeny};
    if (auto i = readChoice(*n, diag, kModes)) r.on_store_error = kValues[*i];
  }
  out.rate_limit = r;
}

void readOutlier(const ConfigNode& node, PolicyConfig& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("upstreams.<name>.outlier_detection"), diag)) return;
  policy::OutlierConfig o = out.outlier_detection.value_or(policy::OutlierConfig{});
  if (auto* n = node.find("consecutive_failures"))
    assignIf(readInteger(*n, diag, 1, kMaxU32), o.consecutive_failures);
  if (auto* n = node.find("base_ejection"))
    assignIf(readDuration(*n, diag, kPositive), o.base_ejection);
  if (auto* n = node.find("max_ejection"))
    assignIf(readDuration(*n, diag, kPositive), o.max_ejection);
  if (auto* n = node.find("max_ejected_percent"))
    assignIf(readRatio(*n, diag), o.max_ejected_percent);
  if (auto problem = policy::outlierConfigError(o); !problem.empty())
    diag.error(node, std::string(problem));
  out.outlier_detection = o;
}

void readStaleIfError(const ConfigNode& node, PolicyConfig& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("upstreams.<name>.fallback.stale_if_error"), diag)) return;
  StaleIfErrorConfig stale;
  if (auto* n = node.find("ttl")) assignIf(readDuration(*n, diag, kPositive), stale.ttl);
  if (auto* n = node.find("max_entries"))
    assignIf(readInteger(*n, diag, 1, 1000000), stale.max_entries);
  if (auto* n = node.find("max_body_bytes"))
    assignIf(readSize(*n, diag, 0, 64ULL * 1024 * 1024), stale.max_body_bytes);
  if (auto* n = node.find("store")) {
    constexpr std::string_view kStores[] = {"memory", "redis"};
    if (auto i = readChoice(*n, diag, kStores))
      stale.store = *i == 0 ? StaleStoreKind::kMemory : StaleStoreKind::kRedis;
  }
  out.fallback.stale_if_error = stale;
}

void readHealthCheck(const ConfigNode& node, PolicyConfig& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("upstreams.<name>.health_check"), diag)) return;
  HealthCheckConfig h = out.health_check.value_or(HealthCheckConfig{});
  constexpr std::string_view kTypeNames[] = {"http", "tcp", "grpc"};
  constexpr std::array kTypeValues = {HealthCheckType::kHttp, HealthCheckType::kTcp,
                                      HealthCheckType::kGrpc};
  const ConfigNode* type = node.find("type");
  if (type != nullptr) {
    if (auto i = readChoice(*type, diag, kTypeNames)) {
      h.type = kTypeValues[*i];
      h.type_written = true;
    }
  }
  if (auto* n = node.find("path")) {
    if (type == nullptr) {
      h.type = HealthCheckType::kHttp;  // a path is an HTTP check's
      h.type_written = true;
    } else if (h.type != HealthCheckType::kHttp) {
      diag.error(*n, h.type == HealthCheckType::kTcp
                         ? "applies only to type: http; a tcp check only connects"
                         : "applies only to type: http; a grpc check calls "
                           "/grpc.health.v1.Health/Check (name the service with `service`)");
    }
    auto path = readString(*n, diag);
    const auto unsafe = [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; };
    if (path && !path->starts_with('/')) {
      diag.error(*n, "must start with '/', got " + n->describe());
    } else if (path && std::any_of(path->begin(), path->end(), unsafe)) {
      // It goes into the request line as it is.
      diag.error(*n, "must not contain spaces or control characters, got " + n->describe());
    } else {
      assignIf(path, h.path);
    }
  }
  if (auto* n = node.find("service")) {
    if (h.type != HealthCheckType::kGrpc)
      diag.error(*n, "applies only to type: grpc (the gRPC service whose health is asked)");
    assignIf(readString(*n, diag), h.service);
  }
  const ConfigNode* interval_node = node.find("interval");
  const auto interval =
      interval_node ? readDuration(*interval_node, diag, kPositive) : std::nullopt;
  assignIf(interval, h.interval);
  if (const ConfigNode* n = node.find("timeout")) {
    const auto timeout = readDuration(*n, diag, kPositive);
    assignIf(timeout, h.timeout);
    // A probe must end before the next one to the same endpoint starts.
    if (timeout && (interval || interval_node == nullptr) && h.timeout > h.interval) {
      diag.error(*n, "must not be longer than interval (" + formatDuration(h.interval) + "), got " +
                         n->describe());
    }
  } else {
    h.timeout = std::min(h.timeout, h.interval);  // the 1s default must not break `interval: 500ms`
  }
  using Thresholds = policy::HealthCheckThresholds;
  const std::pair<std::string_view, uint32_t Thresholds::*> thresholds[] = {
      {"healthy_threshold", &Thresholds::healthy_threshold},
      {"unhealthy_threshold", &Thresholds::unhealthy_threshold}};
  for (const auto& [key, field] : thresholds) {
    const ConfigNode* n = node.find(key);
    const auto value = n ? readInteger(*n, diag, 0, kMaxU32) : std::nullopt;
    if (!value) continue;
    Thresholds candidate = h.thresholds;
    candidate.*field = static_cast<uint32_t>(*value);
    // h.thresholds is valid before this key, so a problem is this key's.
    if (auto problem = policy::healthCheckThresholdsError(candidate); !problem.empty())
      diag.error(*n, std::string(problem));
    else
      h.thresholds = candidate;
  }
  out.health_check = h;
}

void readFallback(const ConfigNode& node, PolicyConfig& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("upstreams.<name>.fallback"), diag)) return;
  if (auto* n = node.find("stale_if_error")) readStaleIfError(*n, out, diag);
  const ConfigNode* n = node.find("response");
  if (n == nullptr || !checkMap(*n, keysAt("upstreams.<name>.fallback.response"), diag)) return;
  StaticResponseConfig r;
  readStaticResponse(*n, r, diag);
  out.fallback.response = r;
}

void readShadow(const ConfigNode& node, PolicyConfig& out, Diagnostics& diag) {
  if (!checkList(node, diag)) return;
  constexpr std::string_view kShadowable[] = {"circuit_breaker", "rate_limit", "bulkhead"};
  out.shadow = {};
  for (const ConfigNode& item : node.children) {
    auto i = readChoice(item, diag, kShadowable);
    if (!i) continue;
    if (*i == 0) out.shadow.circuit_breaker = true;
    if (*i == 1) out.shadow.rate_limit = true;
    if (*i == 2) out.shadow.bulkhead = true;
  }
}

// The names retry_on takes, for "did you mean": the outcomes and the gRPC codes but OK.
std::span<const std::string_view> retryOnNameCandidates() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> all = {"connect_failed", "reset", "timeout"};
    for (size_t code = 1; code < http::kGrpcStatusCount; ++code)
      all.push_back(http::grpcStatusName(static_cast<http::GrpcStatus>(code)));
    return all;
  }();
  return names;
}

}  // namespace

void readRetryOn(const ConfigNode& node, policy::RetryOn& out, Diagnostics& diag) {
  if (!checkList(node, diag)) return;
  out = {};
  for (const ConfigNode& item : node.children) {
    const std::string& v = item.scalar;
    if (v == "connect_failed") {
      out.connect_failed = true;
    } else if (v == "reset") {
      out.reset = true;
    } else if (v == "timeout") {
      out.timeout = true;
    } else if (auto grpc = http::grpcStatusFromName(v); grpc && *grpc != http::GrpcStatus::kOk) {
      out.grpc_statuses.set(static_cast<size_t>(*grpc));
    } else if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) {
      diag.error(item,
                 "expected connect_failed, reset, timeout, a 4xx or 5xx status or a gRPC status "
                 "name (unavailable, deadline_exceeded...), got " +
                     item.describe() + didYouMean(v, retryOnNameCandidates()));
    } else if (auto code = readInteger(item, diag, 100, 599)) {
      // A 4xx is retried only when listed (429, or one the upstream is known to answer
      // while it recovers); it never counts as the upstream's failure (DESIGN §5).
      if (*code < 400)
        diag.error(item, "only 4xx and 5xx statuses can be retried, got " + item.describe());
      else
        out.statuses.set(static_cast<size_t>(*code));
    }
  }
}

void readPolicies(const ConfigNode& block, UpstreamConfig& out, Diagnostics& diag) {
  PolicyConfig& p = out.policies;
  if (auto* n = block.find("retry")) readRetry(*n, p, diag);
  if (auto* n = block.find("circuit_breaker")) readBreaker(*n, p, diag);
  if (auto* n = block.find("bulkhead")) readBulkhead(*n, p, diag);
  if (auto* n = block.find("rate_limit")) readRateLimit(*n, p, diag);
  if (auto* n = block.find("outlier_detection")) readOutlier(*n, p, diag);
  if (auto* n = block.find("health_check")) readHealthCheck(*n, p, diag);
  if (auto* n = block.find("fallback")) readFallback(*n, p, diag);
  if (auto* n = block.find("shadow")) readShadow(*n, p, diag);
}

}  // namespace outrigger::config
