#pragma once
// The per-upstream resilience settings of DESIGN §6 (retry, circuit_breaker, bulkhead,
// rate_limit, outlier_detection, health_check, fallback, shadow). Each optional block is
// "off" when absent. The pure policies' own config structs are reused as they are.

#include <cstdint>
#include <optional>
#include <string>

#include "proxy/common/clock.h"
#include "proxy/http/grpc_status.h"
#include "proxy/policy/bulkhead.h"
#include "proxy/policy/circuit_breaker.h"
#include "proxy/policy/health_state.h"
#include "proxy/policy/outlier_detector.h"
#include "proxy/policy/retry_policy.h"

namespace outrigger::config {

struct RetryBudgetConfig {
  double ratio = 0.2;
  uint32_t min_per_second = 10;
  Duration window = seconds(10);

  friend bool operator==(const RetryBudgetConfig&, const RetryBudgetConfig&) = default;
};

struct RetryConfig {
  policy::RetryPolicyConfig policy;
  RetryBudgetConfig budget;

  friend bool operator==(const RetryConfig&, const RetryConfig&) = default;
};

// scope: local = this process alone; global = the sum of every replica sharing the `redis:`
// block and the upstream name (leases from a bucket kept in Redis).
enum class RateLimitScope { kLocal, kGlobal };
// What a global limit does while Redis is slow or down: a local bucket of limit / last known
// fleet size, admit everything, or reject everything.
enum class StoreErrorMode { kLocal, kAllow, kDeny };

// The names the file uses, for --print-config, /config and explain.
inline const char* rateLimitScopeName(RateLimitScope s) {
  return s == RateLimitScope::kGlobal ? "global" : "local";
}
inline const char* storeErrorModeName(StoreErrorMode m) {
  switch (m) {
    case StoreErrorMode::kLocal: return "local";
    case StoreErrorMode::kAllow: return "allow";
    case StoreErrorMode::kDeny: return "deny";
  }
  return "local";
}

struct RateLimitConfig {
  double requests_per_second = 0;
  double burst = 1;
  RateLimitScope scope = RateLimitScope::kLocal;
  StoreErrorMode on_store_error = StoreErrorMode::kLocal;

  friend bool operator==(const RateLimitConfig&, const RateLimitConfig&) = default;
};

// How an endpoint is checked: http sends GET path (in the upstream's protocol, HTTP/1.1 or
// HTTP/2) and wants a 2xx; tcp wants a connection (and the TLS handshake, for a `tls:`
// upstream), for upstreams that do not speak HTTP; grpc calls grpc.health.v1.Health/Check
// over HTTP/2 and wants SERVING.
enum class HealthCheckType { kHttp, kTcp, kGrpc };

inline const char* healthCheckTypeName(HealthCheckType t) {
  switch (t) {
    case HealthCheckType::kTcp:
      return "tcp";
    case HealthCheckType::kGrpc:
      return "grpc";
    case HealthCheckType::kHttp:
      break;
  }
  return "http";
}

struct HealthCheckConfig {
  HealthCheckType type = HealthCheckType::kHttp;
  // `type` (or `path`, which means http) was written. Otherwise the loader picks tcp for an
  // upstream only protocol: tcp listeners use, http for any other.
  bool type_written = false;
  std::string path = "/health";  // type: http
  std::string service;           // type: grpc; "" asks about the server as a whole
  Duration interval = seconds(10);
  Duration timeout = seconds(1);
  policy::HealthCheckThresholds thresholds;

  // type_written is how the type was chosen, not a setting: a rendered config (which writes
  // the type) is equal to the one it came from.
  friend bool operator==(const HealthCheckConfig& a, const HealthCheckConfig& b) {
    return a.type == b.type && a.path == b.path && a.service == b.service &&
           a.interval == b.interval &&
           a.timeout == b.timeout && a.thresholds == b.thresholds;
  }
};

// Where stale copies are kept: this process's memory, or Redis shared by the fleet.
enum class StaleStoreKind { kMemory, kRedis };

inline const char* staleStoreName(StaleStoreKind k) {
  return k == StaleStoreKind::kRedis ? "redis" : "memory";
}

struct StaleIfErrorConfig {
  Duration ttl = seconds(60);
  uint32_t max_entries = 1000;
  uint64_t max_body_bytes = 1024 * 1024;
  StaleStoreKind store = StaleStoreKind::kMemory;

  friend bool operator==(const StaleIfErrorConfig&, const StaleIfErrorConfig&) = default;
};

struct StaticResponseConfig {
  int status = 503;
  std::string content_type = "application/json";
  std::string body;
  // Set: the gRPC form, the one a gRPC client reads (HTTP 200 trailers-only: grpc-status and
  // grpc-message in the head, no body). It answers gRPC requests only; an HTTP form answers
  // the others only (gRPC requests get their local reply instead).
  std::optional<http::GrpcStatus> grpc_status;
  std::string grpc_message;

  friend bool operator==(const StaticResponseConfig&, const StaticResponseConfig&) = default;
};

struct FallbackConfig {
  std::optional<StaleIfErrorConfig> stale_if_error;
  std::optional<StaticResponseConfig> response;

  friend bool operator==(const FallbackConfig&, const FallbackConfig&) = default;
};

// Policies listed in `shadow:` are evaluated and counted but never reject.
struct ShadowConfig {
  bool circuit_breaker = false;
  bool rate_limit = false;
  bool bulkhead = false;

  friend bool operator==(const ShadowConfig&, const ShadowConfig&) = default;
};

struct PolicyConfig {
  std::string profile;  // the built-in profile applied, "" for none (for /config and explain)
  std::optional<RetryConfig> retry;
  std::optional<policy::CircuitBreakerConfig> circuit_breaker;
  std::optional<policy::BulkheadConfig> bulkhead;
  std::optional<RateLimitConfig> rate_limit;
  std::optional<policy::OutlierConfig> outlier_detection;
  std::optional<HealthCheckConfig> health_check;
  FallbackConfig fallback;
  ShadowConfig shadow;

  friend bool operator==(const PolicyConfig&, const PolicyConfig&) = default;
};

}  // namespace outrigger::config
