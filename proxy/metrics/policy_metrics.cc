#include "proxy/metrics/policy_metrics.h"

#include <set>

namespace outrigger::metrics {
namespace {

template <typename T>
prometheus::Family<T>& family(prometheus::Registry& registry, const char* name, const char* help);

template <>
prometheus::Family<prometheus::Counter>& family(prometheus::Registry& registry, const char* name,
                                                const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

template <>
prometheus::Family<prometheus::Gauge>& family(prometheus::Registry& registry, const char* name,
                                              const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}

}  // namespace

PolicyMetrics::PolicyMetrics(prometheus::Registry& registry)
    : retries_(family<prometheus::Counter>(registry, "outrigger_retries_total",
                                           "Retry attempts started, after the first attempt.")),
      budget_exhausted_(family<prometheus::Counter>(
          registry, "outrigger_retry_budget_exhausted_total",
          "Retries refused because the retry budget was spent; the last failure was returned.")),
      breaker_state_(family<prometheus::Gauge>(
          registry, "outrigger_circuit_breaker_state",
          "Circuit breaker state: 0 closed, 1 open, 2 half-open.")),
      breaker_transitions_(family<prometheus::Counter>(
          registry, "outrigger_circuit_breaker_transitions_total",
          "Circuit breaker state changes, by the state entered.")),
      bulkhead_active_(family<prometheus::Gauge>(registry, "outrigger_bulkhead_active",
                                                 "Requests holding a bulkhead slot.")),
      bulkhead_queued_(family<prometheus::Gauge>(registry, "outrigger_bulkhead_queued",
                                                 "Requests waiting for a bulkhead slot.")),
      endpoint_ejected_(family<prometheus::Gauge>(
          registry, "outrigger_endpoint_ejected",
          "1 while outlier detection has ejected the endpoint, else 0.")),
      fallbacks_(family<prometheus::Counter>(
          registry, "outrigger_fallbacks_total",
          "Failures answered with a fallback, by kind (stale, static) and source (memory, "
          "redis, response).")),
      shadow_rejections_(family<prometheus::Counter>(
          registry, "outrigger_shadow_rejections_total",
          "Requests a policy in shadow mode would have rejected.")),
      health_panic_(family<prometheus::Counter>(
          registry, "outrigger_health_panic_total",
          "Requests sent to any endpoint because health checks found none healthy.")),
      endpoint_healthy_(family<prometheus::Gauge>(
          registry, "outrigger_endpoint_healthy",
          "1 while active health checks find the endpoint healthy, else 0.")) {}

UpstreamPolicyMetrics& PolicyMetrics::upstream(const std::string& name,
                                               const std::vector<std::string>& endpoints) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& generations = upstreams_[name];
  if (!generations.empty() && generations.back()->endpoints == endpoints) {
    return *generations.back();
  }
  std::unique_ptr<UpstreamPolicyMetrics> slot;
  const prometheus::Labels labels{{"upstream", name}};
  auto with = [&name](const char* key, const std::string& value) {
    return prometheus::Labels{{"upstream", name}, {key, value}};
  };
  auto fallback = [&name](const char* kind, const char* source) {
    return prometheus::Labels{{"upstream", name}, {"kind", kind}, {"source", source}};
  };
  slot.reset(new UpstreamPolicyMetrics{
      retries_.Add(labels),
      budget_exhausted_.Add(labels),
      breaker_state_.Add(labels),
      {&breaker_transitions_.Add(with("to", "closed")), &breaker_transitions_.Add(with("to", "open")),
       &breaker_transitions_.Add(with("to", "half_open"))},
      bulkhead_active_.Add(labels),
      bulkhead_queued_.Add(labels),
      {&fallbacks_.Add(fallback("stale", "memory")),
       &fallbacks_.Add(fallback("static", "response")),
       &fallbacks_.Add(fallback("stale", "redis"))},
      {&shadow_rejections_.Add(with("policy", "circuit_breaker")),
       &shadow_rejections_.Add(with("policy", "rate_limit")),
       &shadow_rejections_.Add(with("policy", "bulkhead"))},
      {},
      health_panic_.Add(labels),
      {},
      endpoints});
  for (const auto& endpoint : endpoints) {
    slot->endpoint_ejected.push_back(&endpoint_ejected_.Add(with("endpoint", endpoint)));
    slot->endpoint_healthy.push_back(&endpoint_healthy_.Add(with("endpoint", endpoint)));
    slot->endpoint_healthy.back()->Set(1);
  }
  generations.push_back(std::move(slot));
  return *generations.back();
}

void PolicyMetrics::remove(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = upstreams_.find(name);
  if (it == upstreams_.end()) return;
  // Every generation shares the per-upstream series; remove them once.
  UpstreamPolicyMetrics& m = *it->second.back();
  retries_.Remove(&m.retries);
  budget_exhausted_.Remove(&m.retry_budget_exhausted);
  breaker_state_.Remove(&m.breaker_state);
  for (auto* c : m.breaker_transitions) breaker_transitions_.Remove(c);
  bulkhead_active_.Remove(&m.bulkhead_active);
  bulkhead_queued_.Remove(&m.bulkhead_queued);
  for (auto* c : m.fallbacks) fallbacks_.Remove(c);
  for (auto* c : m.shadow_rejections) shadow_rejections_.Remove(c);
  health_panic_.Remove(&m.health_panic);
  std::set<prometheus::Gauge*> endpoint_series;
  for (const auto& generation : it->second) {
    endpoint_series.insert(generation->endpoint_ejected.begin(), generation->endpoint_ejected.end());
    for (auto* g : generation->endpoint_healthy) endpoint_series.insert(g);
  }
  for (auto* g : endpoint_series) {
    endpoint_ejected_.Remove(g);
    endpoint_healthy_.Remove(g);
  }
  upstreams_.erase(it);
}

void PolicyMetrics::prune(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = upstreams_.find(name);
  if (it == upstreams_.end() || it->second.size() < 2) return;
  auto& generations = it->second;
  const UpstreamPolicyMetrics& newest = *generations.back();
  std::set<prometheus::Gauge*> kept(newest.endpoint_ejected.begin(), newest.endpoint_ejected.end());
  kept.insert(newest.endpoint_healthy.begin(), newest.endpoint_healthy.end());
  std::set<prometheus::Gauge*> dropped;
  for (size_t i = 0; i + 1 < generations.size(); ++i) {
    for (auto* g : generations[i]->endpoint_ejected) {
      if (!kept.count(g)) dropped.insert(g);
    }
    for (auto* g : generations[i]->endpoint_healthy) {
      if (!kept.count(g)) dropped.insert(g);
    }
  }
  for (auto* g : dropped) {
    endpoint_ejected_.Remove(g);
    endpoint_healthy_.Remove(g);
  }
  generations.erase(generations.begin(), generations.end() - 1);
}

}  // namespace outrigger::metrics
