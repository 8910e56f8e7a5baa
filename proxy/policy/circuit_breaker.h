#pragma once
// Decides whether calls to one upstream may go ahead, from the failures and slow calls it has
// seen (closed / open / half-open). It only decides; the caller enforces the decision.

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>

#include "proxy/common/clock.h"

namespace outrigger::policy {

struct CircuitBreakerConfig {
  uint32_t failure_threshold = 0;  // consecutive failures that open it; 0 = this trigger off
  double failure_rate = 0;         // 0 = off; else 0<r<=1: open when failures/calls over `window`
                                   // >= r ...
  Duration window = seconds(10);
  uint32_t minimum_requests = 20;  // ... once the window holds at least this many calls
  Duration slow_call_duration = Duration::zero();  // 0 = slow-call trigger off
  double slow_call_rate = 0;  // open when slow calls/calls over window >= rate (same minimum)
  Duration open_for = seconds(30);
  uint32_t half_open_probes = 1;

  friend bool operator==(const CircuitBreakerConfig&, const CircuitBreakerConfig&) = default;
};

// Empty when `config` is usable, else what is wrong with it ("half_open_probes must be at
// least 1"). The config loader reports this; the CircuitBreaker constructor aborts on it.
std::string_view circuitBreakerConfigError(const CircuitBreakerConfig& config);

enum class BreakerState { kClosed, kOpen, kHalfOpen };

std::string_view breakerStateName(BreakerState state);  // "closed", "open", "half_open"

// Not thread-safe: the breaker is shared by all workers, so the caller holds a short critical
// section around every call, including state() and windowCounts().
class CircuitBreaker {
 public:
  // Called synchronously on every state change, inside the caller's critical section: it
  // should only log or count, and must not call back into the breaker.
  using TransitionFn =
      std::function<void(BreakerState from, BreakerState to, std::string_view why)>;

  // While half-open with every probe slot taken, rejected callers are told to come back this
  // soon: the probes will have settled the state by then, one way or the other.
  static constexpr Duration kHalfOpenRetryAfter = seconds(1);
  // The sliding window is a ring of this many buckets, so it covers between 9/10 of `window`
  // and all of it.
  static constexpr size_t kWindowBuckets = 10;

  CircuitBreaker(CircuitBreakerConfig config, MonoTime now, TransitionFn on_transition = {});

  struct Permit {
    bool allowed;
    bool probe;            // pass back to onSuccess / onFailure / onAbandoned
    Duration retry_after;  // only when !allowed: time left open (the caller rounds it up to
                           // whole seconds for Retry-After)
  };
  Permit tryAcquire(MonoTime now);

  // Every allowed call ends in exactly one of these three.
  void onSuccess(MonoTime now, Duration latency, bool probe);
  void onFailure(MonoTime now, Duration latency, bool probe);
  // The call ended without a verdict (the client went away, or an outcome that doesn't count
  // against the upstream): frees its probe slot and records nothing.
  void onAbandoned(bool probe);

  BreakerState state(MonoTime now);            // applies the lazy Open -> HalfOpen transition
  Duration openRemaining(MonoTime now) const;  // zero unless open

  struct Counters {
    uint64_t calls = 0;
    uint64_t failures = 0;
    uint64_t slow = 0;
  };
  Counters windowCounts(MonoTime now) const;  // for /upstreams

 private:
  struct Bucket {
    int64_t epoch = -1;  // which window/10 slice of time since start_ it counts; -1 = unused
    uint32_t calls = 0;
    uint32_t failures = 0;
    uint32_t slow = 0;
  };

  void finishProbe(MonoTime now, bool success, std::string_view why);
  void record(MonoTime now, Duration latency, bool failed);
  void checkClosedTriggers(MonoTime now);
  void maybeHalfOpen(MonoTime now);
  void transition(BreakerState to, std::string_view why);
  void open(MonoTime now, std::string_view why);
  void resetCounts();
  int64_t epochOf(MonoTime now) const;
  Counters countsUpTo(int64_t newest) const;

  const CircuitBreakerConfig config_;
  const MonoTime start_;         // epoch 0 of the window buckets
  const Duration bucket_width_;  // window / kWindowBuckets
  TransitionFn on_transition_;

  BreakerState state_ = BreakerState::kClosed;
  uint32_t consecutive_failures_ = 0;  // closed only
  std::array<Bucket, kWindowBuckets> buckets_{};
  int64_t newest_epoch_ = 0;       // never goes back, so a slightly stale `now` lands in it
  // The sums of buckets_ over the window that ends at newest_epoch_: kept by record(), so
  // that checking the rates after each call does not add up the ring again.
  Counters newest_window_{};
  MonoTime opened_at_{};           // open only
  uint32_t probes_admitted_ = 0;   // half-open: permits handed out and not abandoned
  uint32_t probes_in_flight_ = 0;  // half-open: admitted and not yet finished
  uint32_t probes_succeeded_ = 0;  // half-open
};

}  // namespace outrigger::policy
