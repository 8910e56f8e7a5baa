// Reads a route's `timeouts:` and `retry:` and merges them over the upstream's.

#include "proxy/config/route_policy.h"

#include "proxy/common/units.h"
#include "proxy/config/fields.h"
#include "proxy/config/grpc_fallback.h"
#include "proxy/config/keys.h"
#include "proxy/config/policies.h"
#include "proxy/policy/backoff.h"

namespace outrigger::config {
namespace {

constexpr Duration kPositive = Duration(1);

void readTimeouts(const ConfigNode& node, RouteTimeouts& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("listeners[].routes[].timeouts"), diag)) return;
  if (auto* n = node.find("request")) out.request = readRequestTimeout(*n, diag);
  if (auto* n = node.find("per_try")) out.per_try = readDuration(*n, diag, kPositive);
  if (auto* n = node.find("read")) out.read = readDuration(*n, diag, kPositive);
  if (auto* n = node.find("write")) out.write = readDuration(*n, diag, kPositive);
}

void readBackoff(const ConfigNode& node, RetryOverrides& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("listeners[].routes[].retry.backoff"), diag)) return;
  if (auto* n = node.find("initial")) out.backoff_initial = readDuration(*n, diag);
  if (auto* n = node.find("max")) out.backoff_max = readDuration(*n, diag, kPositive);
  if (auto* n = node.find("multiplier")) {
    char* end = nullptr;
    const double m = n->isScalar() ? std::strtod(n->scalar.c_str(), &end) : 0;
    if (!n->isScalar() || end == n->scalar.c_str() || *end != '\0' || !(m >= 1))
      diag.error(*n, "expected a number of at least 1, got " + n->describe());
    else
      out.backoff_multiplier = m;
  }
  if (auto* n = node.find("jitter")) {
    constexpr std::string_view kJitter[] = {"full", "none"};
    if (auto i = readChoice(*n, diag, kJitter))
      out.backoff_jitter = *i == 0 ? policy::Jitter::kFull : policy::Jitter::kNone;
  }
}

void readRetry(const ConfigNode& node, RetryOverrides& out, Diagnostics& diag) {
  if (const ConfigNode* budget = node.isMap() ? node.find("budget") : nullptr) {
    diag.errorAtKey(*budget, node.path,
                    "the retry budget protects the upstream, so it is set on the upstream, not "
                    "on a route");
  }
  // `budget` is left out of the unknown-key check: the message above says more.
  constexpr auto kRetryKeys = keysAt("listeners[].routes[].retry");
  std::vector<std::string_view> allowed(kRetryKeys.begin(), kRetryKeys.end());
  allowed.push_back("budget");
  if (!checkMap(node, allowed, diag)) return;
  if (auto* n = node.find("max_attempts"))
    assignIf(readInteger(*n, diag, 1, 100), out.max_attempts);
  if (auto* n = node.find("backoff")) readBackoff(*n, out, diag);
  if (auto* n = node.find("retry_on")) {
    policy::RetryOn on;
    readRetryOn(*n, on, diag);
    out.retry_on = on;
  }
  if (auto* n = node.find("methods")) {
    constexpr std::string_view kMethods[] = {"idempotent", "all"};
    if (auto i = readChoice(*n, diag, kMethods))
      out.methods = *i == 0 ? policy::RetryMethods::kIdempotent : policy::RetryMethods::kAll;
  }
  if (auto* n = node.find("max_body_bytes"))
    assignIf(readSize(*n, diag, 0, 64ULL * 1024 * 1024), out.max_body_bytes);
  if (auto* n = node.find("respect_retry_after"))
    assignIf(readBool(*n, diag), out.respect_retry_after);
}

bool isOff(const ConfigNode& node) { return node.isScalar() && node.scalar == "off"; }

void readFallback(const ConfigNode& node, RouteFallback& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("listeners[].routes[].fallback"), diag)) return;
  if (const ConfigNode* n = node.find("stale_if_error")) {
    if (isOff(*n))
      out.stale_off = true;
    else
      diag.error(*n,
                 "stale copies are kept per upstream: a route can only turn them off "
                 "(stale_if_error: off); set them on the upstream, got " +
                     n->describe());
  }
  const ConfigNode* n = node.find("response");
  if (n == nullptr) return;
  if (isOff(*n)) {
    out.response_off = true;
    return;
  }
  if (!checkMap(*n, keysAt("listeners[].routes[].fallback.response"), diag)) return;
  // Read and checked as the upstream's is; only the keys written go over the upstream's.
  StaticResponseConfig written;
  readStaticResponse(*n, written, diag);
  if (n->find("status")) out.status = written.status;
  if (n->find("content_type")) out.content_type = written.content_type;
  if (n->find("body")) out.body = written.body;
  if (n->find("grpc_status")) out.grpc_status = written.grpc_status;
  if (n->find("grpc_message")) out.grpc_message = written.grpc_message;
}

// The merged values must still make sense: reported at the route's block, naming the upstream
// whose value the route's key clashes with.
void checkMerged(const ConfigNode& route, const UpstreamConfig& upstream, const RouteConfig& out,
                 Diagnostics& diag) {
  const ConfigNode* timeouts = route.find("timeouts");
  if (timeouts != nullptr && !out.timeouts.empty()) {
    const TimeoutsConfig t = effectiveTimeouts(upstream.timeouts, out.timeouts);
    if (t.per_try > Duration::zero() && t.request != kNoRequestTimeout && t.per_try > t.request)
      diag.error(*timeouts, "per_try (" + formatDuration(t.per_try) +
                                ") must not be longer than request (" + formatDuration(t.request) +
                                ") once merged over upstream '" + upstream.name + "'");
  }
  const FallbackConfig fallback = effectiveFallback(upstream.policies.fallback, out.fallback);
  if (fallback.response) checkGrpcRouteFallback(route, out, upstream, *fallback.response, diag);
  const ConfigNode* retry = route.find("retry");
  if (retry == nullptr || !out.retry) return;
  const policy::RetryPolicyConfig merged = effectiveRetry(upstream.policies, *out.retry);
  if (auto checked = policy::Backoff::create(merged.backoff); !checked.ok())
    diag.error(*retry,
               checked.error().message + " once merged over upstream '" + upstream.name + "'");
}

}  // namespace

void readRoutePolicy(const ConfigNode& route, std::span<const UpstreamConfig* const> upstreams,
                     RouteConfig& out, Diagnostics& diag) {
  const ConfigNode* timeouts = route.find("timeouts");
  const ConfigNode* retry = route.find("retry");
  const ConfigNode* fallback = route.find("fallback");
  for (const ConfigNode* n : {timeouts, retry, fallback}) {
    if (n != nullptr && out.direct_response)
      diag.errorAtKey(*n, route.path,
                      "a route with direct_response makes no upstream request, so '" + n->key +
                          "' would do nothing");
  }
  if (timeouts != nullptr) readTimeouts(*timeouts, out.timeouts, diag);
  if (retry != nullptr) {
    out.retry.emplace();
    readRetry(*retry, *out.retry, diag);
  }
  if (fallback != nullptr) readFallback(*fallback, out.fallback, diag);
  for (const UpstreamConfig* upstream : upstreams) checkMerged(route, *upstream, out, diag);
}

TimeoutsConfig effectiveTimeouts(const TimeoutsConfig& upstream, const RouteTimeouts& route) {
  TimeoutsConfig t = upstream;
  assignIf(route.request, t.request);
  assignIf(route.per_try, t.per_try);
  assignIf(route.read, t.read);
  assignIf(route.write, t.write);
  return t;
}

policy::RetryPolicyConfig effectiveRetry(const PolicyConfig& upstream,
                                         const RetryOverrides& route) {
  policy::RetryPolicyConfig p = upstream.retry.value_or(defaultRetry()).policy;
  assignIf(route.max_attempts, p.max_attempts);
  assignIf(route.backoff_initial, p.backoff.initial);
  assignIf(route.backoff_max, p.backoff.max);
  assignIf(route.backoff_multiplier, p.backoff.multiplier);
  assignIf(route.backoff_jitter, p.backoff.jitter);
  assignIf(route.retry_on, p.retry_on);
  assignIf(route.methods, p.methods);
  assignIf(route.max_body_bytes, p.max_body_bytes);
  assignIf(route.respect_retry_after, p.respect_retry_after);
  return p;
}

FallbackConfig effectiveFallback(const FallbackConfig& upstream, const RouteFallback& route) {
  FallbackConfig f = upstream;
  if (route.stale_off) f.stale_if_error.reset();
  if (route.response_off) {
    f.response.reset();
  } else if (route.grpc_status) {
    StaticResponseConfig r;  // the gRPC form, whole: nothing of the upstream's HTTP form fits
    r.status = 200;
    r.content_type = route.content_type.value_or(std::string(kGrpcContentType));
    r.grpc_status = route.grpc_status;
    r.grpc_message = route.grpc_message.value_or("");
    f.response = r;
  } else if (route.response_keys()) {
    // HTTP keys go over the upstream's HTTP form, or else over the built-in response.
    const bool http_form = f.response && !f.response->grpc_status;
    StaticResponseConfig r = http_form ? *f.response : StaticResponseConfig{};
    assignIf(route.status, r.status);
    assignIf(route.content_type, r.content_type);
    assignIf(route.body, r.body);
    f.response = r;
  }
  return f;
}

UpstreamConfig effectiveUpstream(const UpstreamConfig& upstream, const RouteConfig& route) {
  UpstreamConfig u = upstream;
  u.timeouts = effectiveTimeouts(upstream.timeouts, route.timeouts);
  if (route.retry) {
    RetryConfig retry = upstream.policies.retry.value_or(defaultRetry());
    retry.policy = effectiveRetry(upstream.policies, *route.retry);
    u.policies.retry = retry;
  }
  u.policies.fallback = effectiveFallback(upstream.policies.fallback, route.fallback);
  return u;
}

std::vector<std::string> routeOverrideKeys(const RouteConfig& route) {
  std::vector<std::string> keys;
  const auto add = [&keys](bool set, const char* key) {
    if (set) keys.emplace_back(key);
  };
  const RouteTimeouts& t = route.timeouts;
  add(t.read.has_value(), "timeouts.read");
  add(t.write.has_value(), "timeouts.write");
  add(t.per_try.has_value(), "timeouts.per_try");
  add(t.request.has_value(), "timeouts.request");
  const RouteFallback& f = route.fallback;
  add(f.stale_off, "fallback.stale_if_error");
  add(f.response_off, "fallback.response");
  add(f.status.has_value(), "fallback.response.status");
  add(f.content_type.has_value(), "fallback.response.content_type");
  add(f.body.has_value(), "fallback.response.body");
  add(f.grpc_status.has_value(), "fallback.response.grpc_status");
  add(f.grpc_message.has_value(), "fallback.response.grpc_message");
  if (!route.retry) return keys;
  const RetryOverrides& r = *route.retry;
  add(r.max_attempts.has_value(), "retry.max_attempts");
  add(r.backoff_initial.has_value(), "retry.backoff.initial");
  add(r.backoff_max.has_value(), "retry.backoff.max");
  add(r.backoff_multiplier.has_value(), "retry.backoff.multiplier");
  add(r.backoff_jitter.has_value(), "retry.backoff.jitter");
  add(r.retry_on.has_value(), "retry.retry_on");
  add(r.methods.has_value(), "retry.methods");
  add(r.max_body_bytes.has_value(), "retry.max_body_bytes");
  add(r.respect_retry_after.has_value(), "retry.respect_retry_after");
  return keys;
}

}  // namespace outrigger::config
