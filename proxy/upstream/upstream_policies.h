#pragma once
// The process-wide resilience state of one upstream (DESIGN §3): rate limit, bulkhead,
// circuit breaker, retry budget, outlier detection and stale copies. Every worker shares it,
// and while nothing fails a request takes no lock that another worker takes: the token
// bucket and retry budget are atomics; the bulkhead admits and releases with one CAS while
// nobody waits; a closed breaker grants and counts successes lock-free; stale copies go
// into the storing worker's own shard. A policy's lock is taken only on its overloaded or
// failing path (bulkhead full or queued, a failure or a window that may trip the breaker,
// a half-open probe, an outlier being ejected, a stale lookup). The pure policies decide;
// this class applies shadow mode and keeps the metrics and log in step.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "proxy/common/clock.h"
#include "proxy/common/random.h"
#include "proxy/config/policy_schema.h"
#include "proxy/io/loop.h"
#include "proxy/metrics/policy_metrics.h"
#include "proxy/policy/bulkhead.h"
#include "proxy/policy/circuit_breaker.h"
#include "proxy/policy/global_rate_lease.h"
#include "proxy/policy/outcome.h"
#include "proxy/policy/outlier_detector.h"
#include "proxy/policy/retry_budget.h"
#include "proxy/policy/retry_policy.h"
#include "proxy/policy/shared_stale_copy.h"
#include "proxy/policy/stale_store.h"
#include "proxy/policy/token_bucket.h"

namespace outrigger::upstream {

class UpstreamPolicies {
 public:
  UpstreamPolicies(std::string upstream, const config::PolicyConfig& config, size_t endpoints,
                   MonoTime now, metrics::UpstreamPolicyMetrics& metrics);

  // Rate limit, local or global (leased tokens; never waits on Redis). Shadow mode counts a
  // would-be rejection and allows.
  struct RateDecision {
    bool allowed = true;
    Duration retry_after{};
  };
  RateDecision takeRateToken(MonoTime now);
  // The lease of a `scope: global` limit, for the main loop's leasing; null otherwise.
  policy::GlobalRateLease* globalRateLease() const { return global_rate_.get(); }

  // Bulkhead. When the ticket is queued, enterBulkhead calls `make_wake` (under its lock) for
  // the callback to run on `loop` once the ticket is granted a slot. Only a queued request
  // builds one: most are admitted at once, and building it allocates.
  enum class BulkheadAdmission { kAdmitted, kQueued, kFull, kOff };
  using Ticket = policy::Bulkhead::Ticket;
  using MakeWake = std::function<std::function<void()>()>;
  Ticket newTicket() { return next_ticket_.fetch_add(1) + 1; }
  BulkheadAdmission enterBulkhead(Ticket ticket, MonoTime now, io::Loop& loop,
                                  const MakeWake& make_wake);
  // False: enterBulkhead would answer kOff, so a caller can skip it.
  bool hasBulkhead() const { return bulkhead_.has_value(); }
  // A queued waiter gives up. false: it was granted a slot meanwhile and must leave it.
  bool abandonBulkhead(Ticket ticket);
  void leaveBulkhead(MonoTime now);
  Duration bulkheadQueueTimeout() const;

  // Circuit breaker: one permit per attempt.
  struct BreakerPermit {
    bool allowed = true;
    bool probe = false;
    bool held = false;  // a breaker exists and this permit must be recorded
    Duration retry_after{};
  };
  BreakerPermit acquireBreaker(MonoTime now);
  void recordBreaker(MonoTime now, const BreakerPermit& permit, policy::AttemptOutcome outcome,
                     Duration latency);

  // Retries. Without a retry block every request makes one attempt.
  const policy::RetryPolicy* retryPolicy() const { return retry_ ? &*retry_ : nullptr; }
  // The statuses that count as upstream failures for every policy (DESIGN §5): retry_on's,
  // or its default (502, 503, 504) without a retry block.
  const policy::RetryOn& failureStatuses() const { return failure_statuses_; }
  void recordRequest(MonoTime now);
  // `retry` is the request's retry policy: a route's own, or retryPolicy(); null = no
  // retries. Either way the retry is paid from this upstream's budget, which protects it.
  policy::RetryDecision decideRetry(const policy::RetryContext& context,
                                    const policy::RetryPolicy* retry, Random& random,
                                    MonoTime now);

  // Stale copies for fallback.stale_if_error.
  bool staleEnabled() const { return stale_.has_value(); }
  uint64_t staleMaxBodyBytes() const;
  // Swaps `entry` in; it is left holding the entry it displaced (see StaleCache::put). Takes
  // only the calling worker's shard lock; findStale may look into other workers' shards.
  void storeStale(const std::string& key, policy::StaleEntry& entry);
  std::optional<policy::StaleEntry> findStale(const std::string& key, MonoTime now);
  // store: redis: whether this process is due to write the copy under `redis_key` again (at
  // most once per ttl / 4, over all workers). Takes a lock of its own.
  bool sharedStaleWriteDue(const std::string& redis_key, MonoTime now);

  // Outlier detection.
  void recordEndpoint(size_t endpoint, policy::AttemptOutcome outcome, MonoTime now);
  bool endpointEjected(size_t endpoint, MonoTime now);

  const config::PolicyConfig& config() const { return config_; }
  metrics::UpstreamPolicyMetrics& metrics() { return metrics_; }

  // A consistent-enough picture of every policy, for GET /upstreams. Each policy is read
  // under its own lock, or atomically; a policy that is not configured is absent.
  struct Status {
    struct Breaker {
      policy::BreakerState state;
      Duration open_remaining;
      policy::CircuitBreaker::Counters window;
    };
    struct Bulkhead {
      uint32_t active, queued, max_concurrent, max_queue;
    };
    struct RateLimit {
      double tokens, requests_per_second, burst;
      std::optional<policy::GlobalRateLease::Status> global;  // scope: global only
    };
    std::optional<Breaker> breaker;
    std::optional<Bulkhead> bulkhead;
    std::optional<RateLimit> rate_limit;
    std::vector<Duration> ejected_remaining;  // per endpoint; empty without outlier_detection
    size_t stale_entries = 0;
  };
  Status status(MonoTime now);

  // A reload replaced this runtime: the requests it still carries keep counting, but its
  // gauges (breaker state, bulkhead use, ejections) now belong to its successor.
  void retire() { retired_.store(true, std::memory_order_relaxed); }

 private:
  struct Waiter {
    io::Loop* loop;
    std::function<void()> wake;
  };

  std::string upstream_;
  config::PolicyConfig config_;
  metrics::UpstreamPolicyMetrics& metrics_;
  size_t endpoints_;
  std::atomic<bool> retired_{false};

  void publish(prometheus::Gauge& gauge, double value) {
    if (!retired_.load(std::memory_order_relaxed)) gauge.Set(value);
  }
  void publishBulkheadActive();

  std::optional<policy::TokenBucket> bucket_;  // lock-free; scope: local
  std::unique_ptr<policy::GlobalRateLease> global_rate_;  // lock-free; scope: global

  // Taken only on the overloaded path: when every slot is taken or tickets wait (Bulkhead).
  std::mutex bulkhead_mutex_;
  std::optional<policy::Bulkhead> bulkhead_;
  std::unordered_map<Ticket, Waiter> waiters_;
  std::atomic<uint64_t> next_ticket_{0};

  // Taken for failures, probes and while not closed; a closed breaker grants permits and
  // counts successes without it (CircuitBreaker).
  std::mutex breaker_mutex_;
  std::optional<policy::CircuitBreaker> breaker_;

  policy::RetryOn failure_statuses_;
  std::optional<policy::RetryPolicy> retry_;
  // Lock-free. Always built: a route may bring retries to an upstream with no retry block,
  // and then the block's default budget guards the upstream.
  std::optional<policy::RetryBudget> budget_;

  std::optional<policy::StaleStore> stale_;  // a shard and a lock per worker
  std::mutex shared_stale_mutex_;
  std::optional<policy::RewriteThrottle> shared_stale_throttle_;  // store: redis only

  std::mutex outlier_mutex_;
  std::optional<policy::OutlierDetector> outlier_;
  // Written under outlier_mutex_, read without it. With no endpoint ejected, nothing is due to
  // return, so endpointEjected answers false at once; a success on an endpoint at rest
  // (OutlierDetector::atRest) changes nothing, so recordEndpoint skips it. A reader racing a
  // writer sees the state just before the other worker's result, as it would with the lock.
  std::atomic<size_t> ejected_endpoints_{0};
  std::unique_ptr<std::atomic<bool>[]> endpoint_at_rest_;
};

}  // namespace outrigger::upstream
