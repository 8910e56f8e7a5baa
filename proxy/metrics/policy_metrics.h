#pragma once
// Metric families of the resilience policies (DESIGN §8), registered once on the shared
// registry, and per-upstream handles resolved when an upstream is built — never per request.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace outrigger::metrics {

// outrigger_fallbacks_total{kind,source}: a stale copy from this process's memory or from
// Redis (store: redis), or the static `fallback.response`.
enum class FallbackKind { kStale, kStatic, kStaleRedis };
enum class ShadowPolicy { kCircuitBreaker, kRateLimit, kBulkhead };

// Handles for one upstream. Thread-safe: prometheus-cpp counters and gauges are atomic.
struct UpstreamPolicyMetrics {
  prometheus::Counter& retries;
  prometheus::Counter& retry_budget_exhausted;
  prometheus::Gauge& breaker_state;  // 0 closed, 1 open, 2 half-open
  std::array<prometheus::Counter*, 3> breaker_transitions;  // by destination state
  prometheus::Gauge& bulkhead_active;
  prometheus::Gauge& bulkhead_queued;
  std::array<prometheus::Counter*, 3> fallbacks;  // by FallbackKind
  std::array<prometheus::Counter*, 3> shadow_rejections;  // by ShadowPolicy
  std::vector<prometheus::Gauge*> endpoint_ejected;       // by endpoint index
  prometheus::Counter& health_panic;  // requests balanced over all endpoints, none healthy
  std::vector<prometheus::Gauge*> endpoint_healthy;       // by endpoint index
  std::vector<std::string> endpoints;                     // the labels of the two above
};

class PolicyMetrics {
 public:
  explicit PolicyMetrics(prometheus::Registry& registry);
  // Created at config time; the address stays valid until remove() or prune(). A reload
  // that changes the upstream's endpoints gets a new object; the series shared by both
  // (all but the per-endpoint ones) are the same.
  UpstreamPolicyMetrics& upstream(const std::string& name, const std::vector<std::string>& endpoints);
  // Every series of the upstream goes. Only once no runtime of it is left.
  void remove(const std::string& name);
  // Keeps only the newest object of the upstream, and drops the series of endpoints it
  // no longer has. Only once no older runtime of it is left.
  void prune(const std::string& name);

 private:
  prometheus::Family<prometheus::Counter>& retries_;
  prometheus::Family<prometheus::Counter>& budget_exhausted_;
  prometheus::Family<prometheus::Gauge>& breaker_state_;
  prometheus::Family<prometheus::Counter>& breaker_transitions_;
  prometheus::Family<prometheus::Gauge>& bulkhead_active_;
  prometheus::Family<prometheus::Gauge>& bulkhead_queued_;
  prometheus::Family<prometheus::Gauge>& endpoint_ejected_;
  prometheus::Family<prometheus::Counter>& fallbacks_;
  prometheus::Family<prometheus::Counter>& shadow_rejections_;
  prometheus::Family<prometheus::Counter>& health_panic_;
  prometheus::Family<prometheus::Gauge>& endpoint_healthy_;
  std::mutex mutex_;
  // Per upstream, one object per distinct endpoint list still in use; the newest last.
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamPolicyMetrics>>> upstreams_;
};

}  // namespace outrigger::metrics
