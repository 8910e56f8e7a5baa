#pragma once
// Decides whether calls to one upstream may go ahead, from the failures and slow calls it has
// seen (closed / open / half-open). It only decides; the caller enforces the decision.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>

#include "proxy/common/clock.h"
#include "proxy/policy/slice_count.h"

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

// The breaker is shared by all workers. isClosed(), recordSuccess() and windowCounts() are
// lock-free and may run on any thread at any time: while the breaker is closed and nothing
// fails, a call is admitted and recorded without a lock. Every other call (and
// checkTriggers() when recordSuccess() asks for it) is made under one lock the caller holds;
// only those change the state.
class CircuitBreaker {
 public:
  // Called synchronously on every state change, under the caller's lock: it should only log
  // or count, and must not call back into the breaker.
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

  // Every allowed call ends in exactly one of these three (or recordSuccess, below).
  void onSuccess(MonoTime now, Duration latency, bool probe);
  void onFailure(MonoTime now, Duration latency, bool probe);
  // The call ended without a verdict (the client went away, or an outcome that doesn't count
  // against the upstream): frees its probe slot and records nothing.
  void onAbandoned(bool probe);

  // Lock-free: a call that was not a probe succeeded (onSuccess without the lock). True: the
  // window may now trip the breaker (a slow call, or failures in the window and this call
  // makes it reach minimum_requests), so the caller takes its lock and calls
  // checkTriggers(now). Why a trip is never missed when a failure races it: circuit_breaker.cc.
  bool recordSuccess(MonoTime now, Duration latency);
  void checkTriggers(MonoTime now);  // under the lock: Closed -> Open if the window says so

  // Lock-free. Closed never ends by itself (only a call under the lock opens it), so a true
  // answer holds until such a call: a permit may be granted without tryAcquire().
  bool isClosed() const { return state_.load() == BreakerState::kClosed; }

  BreakerState state(MonoTime now);            // applies the lazy Open -> HalfOpen transition
  Duration openRemaining(MonoTime now) const;  // zero unless open

  struct Counters {
    uint64_t calls = 0;
    uint64_t failures = 0;
    uint64_t slow = 0;
  };
  Counters windowCounts(MonoTime now) const;  // for /upstreams

 private:
  void finishProbe(MonoTime now, bool success, std::string_view why);
  // Counts a call in the window (lock-free) and returns the slice it counted in.
  int64_t record(MonoTime now, Duration latency, bool failed);
  // Whether the rates over the window ending at `slice` open the breaker (lock-free).
  bool ratesTrip(int64_t slice) const;
  void checkClosedTriggers(MonoTime now);
  void maybeHalfOpen(MonoTime now);
  void transition(BreakerState to, std::string_view why);
  void open(MonoTime now, std::string_view why);
  void resetCounts();
  int64_t epochOf(MonoTime now) const;
  int64_t sliceOf(MonoTime now);  // epochOf(now), never older than newest_epoch_
  Counters countsUpTo(int64_t newest) const;

  const CircuitBreakerConfig config_;
  const MonoTime start_;         // epoch 0 of the window buckets
  const Duration bucket_width_;  // window / kWindowBuckets
  TransitionFn on_transition_;
  // Some rate trigger is on, and a window with no failure and no slow call could trip it
  // (a rate configured as 0 within the rounding tolerance).
  bool rates_on_ = false;
  bool zero_rate_trips_ = false;

  // Written only under the caller's lock; read without it by isClosed() and recordSuccess().
  std::atomic<BreakerState> state_{BreakerState::kClosed};
  std::atomic<uint32_t> consecutive_failures_{0};  // closed only; a success resets it
  // The window: bucket i counts the calls of slice (epoch) e with e % kWindowBuckets == i.
  std::array<SliceCount, kWindowBuckets> calls_{};
  std::array<SliceCount, kWindowBuckets> failures_{};
  std::array<SliceCount, kWindowBuckets> slow_{};
  std::atomic<int64_t> newest_epoch_{0};  // never goes back, so a stale `now` lands in it
  // The newest epoch in which a failure or a slow call was counted: while it is out of the
  // window, a success cannot trip a rate and recordSuccess() need not add the window up.
  std::atomic<int64_t> last_bad_epoch_{kNoBadEpoch};
  static constexpr int64_t kNoBadEpoch = INT64_MIN / 2;

  MonoTime opened_at_{};           // open only
  uint32_t probes_admitted_ = 0;   // half-open: permits handed out and not abandoned
  uint32_t probes_in_flight_ = 0;  // half-open: admitted and not yet finished
  uint32_t probes_succeeded_ = 0;  // half-open
};

}  // namespace outrigger::policy
