// The built-in profiles of DESIGN §6, exactly as its table gives them, and the values a
// policy block takes when it is present but sparse.

#include <algorithm>
#include <array>
#include <iterator>

#include "proxy/config/fields.h"
#include "proxy/config/policies.h"
#include "proxy/http/grpc_status.h"

namespace outrigger::config {
namespace {

struct Profile {
  std::string_view name;
  Duration connect, read, write, pool;
  uint32_t max_attempts;
  Duration backoff_initial, backoff_max;
  double multiplier;
  uint32_t breaker_failures;
  Duration open_for;
  uint32_t bulkhead_concurrent;
  Duration queue_timeout;
};

constexpr std::array<Profile, 3> kProfiles = {{
    {"fast-microservice", seconds(2), seconds(5), seconds(5), seconds(1), 2, milliseconds(500),
     seconds(10), 2.0, 3, seconds(10), 100, seconds(5)},
    {"high-latency", seconds(30), seconds(120), seconds(60), seconds(15), 5, seconds(2),
     seconds(300), 2.0, 10, seconds(120), 20, seconds(60)},
    {"batch", seconds(10), seconds(300), seconds(120), seconds(30), 10, seconds(5), seconds(600),
     1.5, 15, seconds(180), 5, seconds(120)},
}};

constexpr std::string_view kProfileNames[] = {"fast-microservice", "high-latency", "batch"};

// Every field applyProfile writes. A test checks that a profile changes nothing else.
constexpr std::string_view kProfileKeyPaths[] = {
    "timeouts.connect",
    "timeouts.read",
    "timeouts.write",
    "timeouts.pool",
    "retry",
    "retry.max_attempts",
    "retry.backoff.initial",
    "retry.backoff.max",
    "retry.backoff.multiplier",
    "circuit_breaker",
    "circuit_breaker.failure_threshold",
    "circuit_breaker.open_for",
    "bulkhead",
    "bulkhead.max_concurrent",
    "bulkhead.max_queue",
    "bulkhead.queue_timeout",
};

}  // namespace

RetryConfig defaultRetry() {
  RetryConfig r;
  r.policy.max_attempts = 3;
  r.policy.backoff = {milliseconds(25), seconds(1), 2.0, policy::Jitter::kFull};
  r.policy.retry_on.connect_failed = true;
  r.policy.retry_on.reset = true;
  r.policy.retry_on.timeout = true;
  for (size_t code : {502, 503, 504}) r.policy.retry_on.statuses.set(code);
  // gRPC's 503: the one code gRPC documents as transient and safe to try again.
  r.policy.retry_on.grpc_statuses.set(static_cast<size_t>(http::GrpcStatus::kUnavailable));
  return r;
}

policy::CircuitBreakerConfig defaultBreaker() {
  policy::CircuitBreakerConfig b;
  b.failure_threshold = 5;
  b.open_for = seconds(30);
  return b;
}

policy::BulkheadConfig defaultBulkhead() { return {100, 0, seconds(1)}; }

bool isProfileName(std::string_view name) {
  return std::find(std::begin(kProfileNames), std::end(kProfileNames), name) !=
         std::end(kProfileNames);
}

std::span<const std::string_view> profileKeyPaths() { return kProfileKeyPaths; }

void applyProfile(const ConfigNode& node, UpstreamConfig& out, Diagnostics& diag) {
  auto index = readChoice(node, diag, kProfileNames);
  if (!index) return;
  const Profile& p = kProfiles[*index];
  out.policies.profile = std::string(p.name);
  out.timeouts.connect = p.connect;
  out.timeouts.read = p.read;
  out.timeouts.write = p.write;
  out.timeouts.pool = p.pool;
  RetryConfig retry = defaultRetry();
  retry.policy.max_attempts = p.max_attempts;
  retry.policy.backoff.initial = p.backoff_initial;
  retry.policy.backoff.max = p.backoff_max;
  retry.policy.backoff.multiplier = p.multiplier;
  out.policies.retry = retry;
  policy::CircuitBreakerConfig breaker = defaultBreaker();
  breaker.failure_threshold = p.breaker_failures;
  breaker.open_for = p.open_for;
  out.policies.circuit_breaker = breaker;
  out.policies.bulkhead = policy::BulkheadConfig{p.bulkhead_concurrent, 100, p.queue_timeout};
}

}  // namespace outrigger::config
