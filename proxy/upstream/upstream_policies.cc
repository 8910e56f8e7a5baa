#include "proxy/upstream/upstream_policies.h"

#include <cstdio>
#include <cstdlib>

#include "proxy/config/policies.h"
#include "proxy/log/logger.h"

namespace outrigger::upstream {
namespace {

double stateValue(policy::BreakerState state) {
  switch (state) {
    case policy::BreakerState::kClosed:
      return 0;
    case policy::BreakerState::kOpen:
      return 1;
    case policy::BreakerState::kHalfOpen:
      return 2;
  }
  return 0;
}

policy::GlobalRateLeaseConfig globalLeaseConfig(const config::RateLimitConfig& r) {
  policy::StoreFallback fallback = policy::StoreFallback::kLocal;
  if (r.on_store_error == config::StoreErrorMode::kAllow) fallback = policy::StoreFallback::kAllow;
  if (r.on_store_error == config::StoreErrorMode::kDeny) fallback = policy::StoreFallback::kDeny;
  return {r.requests_per_second, r.burst, fallback};
}

}  // namespace

UpstreamPolicies::UpstreamPolicies(std::string upstream, const config::PolicyConfig& config,
                                   size_t endpoints, MonoTime now,
                                   metrics::UpstreamPolicyMetrics& metrics)
    : upstream_(std::move(upstream)), config_(config), metrics_(metrics), endpoints_(endpoints) {
  // After a reload that changed the upstream, the series are shared with the runtime it
  // replaces: show this one's fresh state.
  metrics_.breaker_state.Set(0);
  metrics_.bulkhead_active.Set(0);
  metrics_.bulkhead_queued.Set(0);
  for (auto* g : metrics_.endpoint_ejected) g->Set(0);
  for (auto* g : metrics_.endpoint_healthy) g->Set(1);  // a new runtime starts all healthy
  if (config.rate_limit && config.rate_limit->scope == config::RateLimitScope::kGlobal) {
    global_rate_ =
        std::make_unique<policy::GlobalRateLease>(globalLeaseConfig(*config.rate_limit), now);
  } else if (config.rate_limit) {
    bucket_.emplace(config.rate_limit->requests_per_second, config.rate_limit->burst, now);
  }
  if (config.bulkhead) bulkhead_.emplace(*config.bulkhead);
  if (config.circuit_breaker) {
    breaker_.emplace(
        *config.circuit_breaker, now,
        [this](policy::BreakerState from, policy::BreakerState to, std::string_view why) {
          publish(metrics_.breaker_state, stateValue(to));
          metrics_.breaker_transitions[static_cast<size_t>(stateValue(to))]->Increment();
          log::logf(config::LogLevel::kWarn, "upstream %s: circuit breaker %s -> %s (%.*s)",
                    upstream_.c_str(), std::string(policy::breakerStateName(from)).c_str(),
                    std::string(policy::breakerStateName(to)).c_str(), static_cast<int>(why.size()),
                    why.data());
        });
  }
  // The failure statuses are retry_on's, whether or not retries are on (DESIGN §5): an
  // upstream with a breaker and no retry block still sees its 503s as failures.
  failure_statuses_ =
      config.retry ? config.retry->policy.retry_on : config::defaultRetry().policy.retry_on;
  // A 4xx in retry_on is retried, but is the request's answer, not the upstream failing: it
  // never counts for the breaker or outlier detection (DESIGN §5).
  for (size_t status = 400; status < 500; ++status) failure_statuses_.statuses.reset(status);
  // Likewise the gRPC codes that stand for a 4xx (invalid_argument, resource_exhausted...).
  for (size_t code = 0; code < http::kGrpcStatusCount; ++code) {
    if (http::grpcStatusBlamesRequest(static_cast<http::GrpcStatus>(code)))
      failure_statuses_.grpc_statuses.reset(code);
  }
  if (config.retry) {
    auto created = policy::RetryPolicy::create(config.retry->policy);
    if (!created.ok()) {
      // The config validator checks every retry block first: this cannot happen.
      std::fprintf(stderr, "outrigger: upstream %s: impossible retry policy: %s\n",
                   upstream_.c_str(), created.error().message.c_str());
      std::abort();
    }
    retry_.emplace(std::move(*created));
  }
  const config::RetryBudgetConfig budget =
      config.retry ? config.retry->budget : config::defaultRetry().budget;
  budget_.emplace(budget.ratio, budget.min_per_second, budget.window, now);
  if (config.fallback.stale_if_error)
    stale_.emplace(config.fallback.stale_if_error->max_entries,
                   config.fallback.stale_if_error->ttl);
  if (config.fallback.stale_if_error &&
      config.fallback.stale_if_error->store == config::StaleStoreKind::kRedis)
    shared_stale_throttle_.emplace(config.fallback.stale_if_error->ttl / 4,
                                   config.fallback.stale_if_error->max_entries);
  if (config.outlier_detection) {
    endpoint_at_rest_ = std::make_unique<std::atomic<bool>[]>(endpoints);
    for (size_t i = 0; i < endpoints; ++i) endpoint_at_rest_[i].store(true);
    outlier_.emplace(
        *config.outlier_detection, endpoints,
        [this](size_t endpoint, bool ejected, Duration for_how_long) {
          if (ejected) {
            ejected_endpoints_.fetch_add(1, std::memory_order_relaxed);
          } else {
            ejected_endpoints_.fetch_sub(1, std::memory_order_relaxed);
          }
          publish(*metrics_.endpoint_ejected[endpoint], ejected ? 1 : 0);
          if (ejected)
            log::logf(config::LogLevel::kWarn, "upstream %s: endpoint %zu ejected for %lld ms",
                      upstream_.c_str(), endpoint, static_cast<long long>(toMillis(for_how_long)));
        });
  }
}

UpstreamPolicies::RateDecision UpstreamPolicies::takeRateToken(MonoTime now) {
  RateDecision d;
  if (global_rate_) {
    const policy::GlobalRateLease::Decision g = global_rate_->tryTake(now);  // lock-free
    d = {g.allowed, g.retry_after};
  } else if (bucket_) {
    const policy::TokenBucket::Decision b = bucket_->tryTake(now);  // lock-free
    d = {b.allowed, b.retry_after};
  }
  if (d.allowed) return {};
  if (config_.shadow.rate_limit) {
    metrics_.shadow_rejections[static_cast<size_t>(metrics::ShadowPolicy::kRateLimit)]->Increment();
    return {};
  }
  return {false, d.retry_after};
}

UpstreamPolicies::BulkheadAdmission UpstreamPolicies::enterBulkhead(Ticket ticket, MonoTime now,
                                                                    io::Loop& loop,
                                                                    const MakeWake& make_wake) {
  if (!bulkhead_) return BulkheadAdmission::kOff;
  if (config_.shadow.bulkhead && bulkhead_->active() >= bulkhead_->config().max_concurrent) {
    // Shadow mode: neither queue nor reject, only count, and go on without a slot.
    metrics_.shadow_rejections[static_cast<size_t>(metrics::ShadowPolicy::kBulkhead)]->Increment();
    return BulkheadAdmission::kOff;
  }
  // A free slot and nobody waiting: one CAS, no lock.
  if (auto fast = bulkhead_->tryAdmitFast()) {
    if (*fast == policy::Bulkhead::Admission::kRejectedFull) return BulkheadAdmission::kFull;
    publishBulkheadActive();
    return BulkheadAdmission::kAdmitted;
  }
  std::lock_guard<std::mutex> lock(bulkhead_mutex_);
  switch (bulkhead_->tryAdmit(ticket, now)) {
    case policy::Bulkhead::Admission::kAdmitted:
      publishBulkheadActive();
      return BulkheadAdmission::kAdmitted;
    case policy::Bulkhead::Admission::kQueued:
      // Registered before the lock goes: a release that finds this ticket waiting has to take
      // the lock first (see Bulkhead), so it always finds the wake.
      waiters_[ticket] = Waiter{&loop, make_wake()};
      publish(metrics_.bulkhead_queued, bulkhead_->queued());
      return BulkheadAdmission::kQueued;
    case policy::Bulkhead::Admission::kRejectedFull:
      break;
  }
  return BulkheadAdmission::kFull;
}

bool UpstreamPolicies::abandonBulkhead(Ticket ticket) {
  std::lock_guard<std::mutex> lock(bulkhead_mutex_);
  waiters_.erase(ticket);
  const bool cancelled = bulkhead_->cancel(ticket);
  publish(metrics_.bulkhead_queued, bulkhead_->queued());
  return cancelled;
}

void UpstreamPolicies::leaveBulkhead(MonoTime now) {
  if (!bulkhead_) return;
  if (bulkhead_->tryReleaseFast()) {
    publishBulkheadActive();
    return;
  }
  std::lock_guard<std::mutex> lock(bulkhead_mutex_);
  std::optional<Ticket> granted = bulkhead_->release(now);
  if (granted) {
    auto it = waiters_.find(*granted);
    if (it != waiters_.end()) {
      // The waiter may live on another worker: wake it on its own loop.
      it->second.loop->post(std::move(it->second.wake));
      waiters_.erase(it);
    }
  }
  publishBulkheadActive();
  publish(metrics_.bulkhead_queued, bulkhead_->queued());
}

void UpstreamPolicies::publishBulkheadActive() {
  // Fast admits and releases on other workers publish concurrently, and their Set() calls
  // may land in any order. Setting again until the count read back matches what was set
  // makes the last Set() of all carry the final count: a change after this thread's check
  // is followed by that thread's own Set().
  if (retired_.load(std::memory_order_relaxed)) return;
  uint32_t active = bulkhead_->active();
  for (;;) {
    metrics_.bulkhead_active.Set(active);
    const uint32_t now_active = bulkhead_->active();
    if (now_active == active) return;
    active = now_active;
  }
}

Duration UpstreamPolicies::bulkheadQueueTimeout() const {
  return config_.bulkhead ? config_.bulkhead->queue_timeout : Duration::zero();
}

UpstreamPolicies::BreakerPermit UpstreamPolicies::acquireBreaker(MonoTime now) {
  if (!breaker_) return {};
  // While closed, tryAcquire grants every permit and changes nothing: no lock.
  if (breaker_->isClosed()) return {true, false, true, {}};
  policy::CircuitBreaker::Permit p;
  {
    std::lock_guard<std::mutex> lock(breaker_mutex_);
    p = breaker_->tryAcquire(now);
  }
  if (p.allowed) return {true, p.probe, true, {}};
  if (config_.shadow.circuit_breaker) {
    metrics_.shadow_rejections[static_cast<size_t>(metrics::ShadowPolicy::kCircuitBreaker)]
        ->Increment();
    return {true, false, false, {}};  // let it through unrecorded: the breaker stays honest
  }
  return {false, false, false, p.retry_after};
}

void UpstreamPolicies::recordBreaker(MonoTime now, const BreakerPermit& permit,
                                     policy::AttemptOutcome outcome, Duration latency) {
  if (!breaker_ || !permit.held) return;
  if (!permit.probe) {
    // Without the lock: a success is counted lock-free, and the lock is taken only when the
    // window might now trip the breaker; an abandoned call that was no probe records nothing.
    if (policy::isAbandoned(outcome)) return;
    if (!policy::isUpstreamFailure(outcome)) {
      if (breaker_->recordSuccess(now, latency)) {
        std::lock_guard<std::mutex> lock(breaker_mutex_);
        breaker_->checkTriggers(now);
      }
      return;
    }
  }
  std::lock_guard<std::mutex> lock(breaker_mutex_);
  if (policy::isAbandoned(outcome)) {
    breaker_->onAbandoned(permit.probe);
  } else if (policy::isUpstreamFailure(outcome)) {
    breaker_->onFailure(now, latency, permit.probe);
  } else {
    breaker_->onSuccess(now, latency, permit.probe);
  }
}

void UpstreamPolicies::recordRequest(MonoTime now) {
  if (budget_) budget_->recordRequest(now);  // lock-free
}

policy::RetryDecision UpstreamPolicies::decideRetry(const policy::RetryContext& context,
                                                    const policy::RetryPolicy* retry,
                                                    Random& random, MonoTime now) {
  if (retry == nullptr) return {policy::RetryVerdict::kAttemptsExhausted, Duration::zero()};
  const policy::RetryDecision decision = retry->decide(context, *budget_, random, now);
  if (decision.verdict == policy::RetryVerdict::kRetry) metrics_.retries.Increment();
  if (decision.verdict == policy::RetryVerdict::kBudgetExhausted)
    metrics_.retry_budget_exhausted.Increment();
  return decision;
}

uint64_t UpstreamPolicies::staleMaxBodyBytes() const {
  return config_.fallback.stale_if_error ? config_.fallback.stale_if_error->max_body_bytes : 0;
}

void UpstreamPolicies::storeStale(const std::string& key, policy::StaleEntry& entry) {
  if (!stale_) return;
  stale_->put(policy::StaleStore::threadShard(), key, entry);  // this worker's shard
}

std::optional<policy::StaleEntry> UpstreamPolicies::findStale(const std::string& key,
                                                              MonoTime now) {
  if (!stale_) return std::nullopt;
  return stale_->get(policy::StaleStore::threadShard(), key, now);
}

bool UpstreamPolicies::sharedStaleWriteDue(const std::string& redis_key, MonoTime now) {
  if (!shared_stale_throttle_) return false;
  std::lock_guard<std::mutex> lock(shared_stale_mutex_);
  return shared_stale_throttle_->due(redis_key, now);
}

void UpstreamPolicies::recordEndpoint(size_t endpoint, policy::AttemptOutcome outcome,
                                      MonoTime now) {
  if (!outlier_ || policy::isAbandoned(outcome)) return;
  const bool failed = policy::isUpstreamFailure(outcome);
  if (!failed && endpoint < endpoints_ &&
      endpoint_at_rest_[endpoint].load(std::memory_order_relaxed)) {
    return;
  }
  std::lock_guard<std::mutex> lock(outlier_mutex_);
  if (failed) {
    outlier_->onFailure(endpoint, now);
  } else {
    outlier_->onSuccess(endpoint, now);
  }
  endpoint_at_rest_[endpoint].store(outlier_->atRest(endpoint), std::memory_order_relaxed);
}

bool UpstreamPolicies::endpointEjected(size_t endpoint, MonoTime now) {
  if (!outlier_ || ejected_endpoints_.load(std::memory_order_relaxed) == 0) return false;
  std::lock_guard<std::mutex> lock(outlier_mutex_);
  return outlier_->isEjected(endpoint, now);  // a return leaves it not yet at rest
}

UpstreamPolicies::Status UpstreamPolicies::status(MonoTime now) {
  Status status;
  if (breaker_) {
    std::lock_guard<std::mutex> lock(breaker_mutex_);
    status.breaker = Status::Breaker{breaker_->state(now), breaker_->openRemaining(now),
                                     breaker_->windowCounts(now)};
  }
  if (bulkhead_) {
    // Atomic reads, without the lock: the admin page never holds up the request path.
    status.bulkhead =
        Status::Bulkhead{bulkhead_->active(), bulkhead_->queued(),
                         bulkhead_->config().max_concurrent, bulkhead_->config().max_queue};
  }
  if (bucket_) {
    const auto& rate = *config_.rate_limit;
    status.rate_limit = Status::RateLimit{bucket_->available(now), rate.requests_per_second,
                                          rate.burst, std::nullopt};
  }
  if (global_rate_) {
    const auto& rate = *config_.rate_limit;
    const policy::GlobalRateLease::Status g = global_rate_->status();
    status.rate_limit = Status::RateLimit{static_cast<double>(g.tokens_left),
                                          rate.requests_per_second, rate.burst, g};
  }
  if (outlier_) {
    std::lock_guard<std::mutex> lock(outlier_mutex_);
    for (size_t i = 0; i < endpoints_; ++i) {
      status.ejected_remaining.push_back(outlier_->ejectedRemaining(i, now));
    }
  }
  if (stale_) status.stale_entries = stale_->size();
  return status;
}

}  // namespace outrigger::upstream
