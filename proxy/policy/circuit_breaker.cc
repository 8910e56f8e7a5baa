#include "proxy/policy/circuit_breaker.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>

namespace outrigger::policy {
namespace {

// "10s", "500ms": how a reason names the window, as the user wrote it in the config.
std::string formatDuration(Duration d) {
  if (d % seconds(1) == Duration::zero()) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
  }
  return std::to_string(toMillis(d)) + "ms";
}

std::string formatPercent(uint64_t part, uint64_t whole) {
  return std::to_string(
             std::llround(100.0 * static_cast<double>(part) / static_cast<double>(whole))) +
         "%";
}

// A small tolerance so that "50%" of 20 calls trips at exactly 10, whatever the rounding of
// the configured ratio.
bool rateReached(uint64_t part, uint64_t whole, double rate) {
  return static_cast<double>(part) / static_cast<double>(whole) >= rate - 1e-9;
}

}  // namespace

std::string_view circuitBreakerConfigError(const CircuitBreakerConfig& config) {
  // Written as !(in range) so that NaN is rejected too.
  if (!(config.failure_rate >= 0 && config.failure_rate <= 1)) {
    return "failure_rate must be between 0% and 100%";
  }
  if (!(config.slow_call_rate >= 0 && config.slow_call_rate <= 1)) {
    return "slow_call rate must be between 0% and 100%";
  }
  if (config.slow_call_duration < Duration::zero()) return "slow_call duration must be positive";
  if (config.slow_call_rate > 0 && config.slow_call_duration == Duration::zero()) {
    return "slow_call rate needs a slow_call duration";
  }
  if (config.window <= Duration::zero()) return "window must be positive";
  if (config.open_for <= Duration::zero()) return "open_for must be positive";
  // With no probe the breaker could never leave half-open.
  if (config.half_open_probes == 0) return "half_open_probes must be at least 1";
  return {};
}

std::string_view breakerStateName(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  std::cerr << "breakerStateName: impossible state " << static_cast<int>(state) << "\n";
  std::abort();
}

CircuitBreaker::CircuitBreaker(CircuitBreakerConfig config, MonoTime now,
                               TransitionFn on_transition)
    : config_(config),
      start_(now),
      bucket_width_(std::max(config.window / static_cast<int64_t>(kWindowBuckets), Duration(1))),
      on_transition_(std::move(on_transition)),
      rates_on_(config.failure_rate > 0 || config.slow_call_rate > 0),
      zero_rate_trips_(rateReached(0, 1, config.failure_rate > 0 ? config.failure_rate : 1) ||
                       rateReached(0, 1, config.slow_call_rate > 0 ? config.slow_call_rate : 1)) {
  if (auto error = circuitBreakerConfigError(config_); !error.empty()) {
    // The config loader rejects these with a position; reaching here is a programming error.
    std::cerr << "CircuitBreaker: invalid config: " << error << "\n";
    std::abort();
  }
}

CircuitBreaker::Permit CircuitBreaker::tryAcquire(MonoTime now) {
  maybeHalfOpen(now);
  switch (state_.load()) {
    case BreakerState::kClosed:
      return {true, false, Duration::zero()};
    case BreakerState::kOpen:
      return {false, false, openRemaining(now)};
    case BreakerState::kHalfOpen:
      // Exactly half_open_probes calls go through per half-open period (an abandoned one is
      // replaced); the rest wait for the verdict rather than pile onto a recovering upstream.
      if (probes_admitted_ < config_.half_open_probes) {
        ++probes_admitted_;
        ++probes_in_flight_;
        return {true, true, Duration::zero()};
      }
      return {false, false, kHalfOpenRetryAfter};
  }
  std::cerr << "CircuitBreaker::tryAcquire: impossible state " << static_cast<int>(state_.load())
            << "\n";
  std::abort();
}

void CircuitBreaker::onSuccess(MonoTime now, Duration latency, bool probe) {
  if (probe) {
    // A slow probe is no evidence of recovery when slowness is what opened the breaker.
    bool slow = config_.slow_call_rate > 0 && latency >= config_.slow_call_duration;
    finishProbe(now, !slow, slow ? "probe was slow" : "");
    return;
  }
  if (recordSuccess(now, latency)) checkTriggers(now);
}

// Why a trip is never missed although successes are recorded without the lock. Every count
// is a seq_cst atomic, and every recorder counts before it reads: a success counts its call
// and then reads last_bad_epoch_ (and the window, if that is recent); a failure counts its
// call, then its failure, raises last_bad_epoch_ and then reads the window. Of two racing
// recorders, at least one therefore reads both counts (if the success's read comes first,
// the failure's reads come after the success's count), and that one sees the window the
// other missed and trips it if it should, as if the two calls had ended one after the
// other. A reader adds up failures and slow calls before calls, so it never sees a failure
// without its call, which would overstate the rate.
bool CircuitBreaker::recordSuccess(MonoTime now, Duration latency) {
  // Calls admitted before the breaker opened report about the upstream as it was; while
  // open or half-open only the probes decide.
  if (state_.load() != BreakerState::kClosed) return false;
  if (consecutive_failures_.load() != 0) consecutive_failures_.store(0);
  const int64_t slice = record(now, latency, /*failed=*/false);
  if (!rates_on_) return false;
  // No failure and no slow call in the window: the rates are zero, nothing to trip. This is
  // the common case, one load.
  if (!zero_rate_trips_ && last_bad_epoch_.load() <= slice - static_cast<int64_t>(kWindowBuckets)) {
    return false;
  }
  // A slow success can trip the slow-call rate, and a success can bring a window full of
  // failures up to minimum_requests.
  return ratesTrip(slice);
}

void CircuitBreaker::checkTriggers(MonoTime now) {
  if (state_.load() == BreakerState::kClosed) checkClosedTriggers(now);
}

void CircuitBreaker::onFailure(MonoTime now, Duration latency, bool probe) {
  if (probe) {
    finishProbe(now, false, "probe failed");
    return;
  }
  if (state_.load() != BreakerState::kClosed) return;  // see recordSuccess
  const uint32_t run = consecutive_failures_.fetch_add(1) + 1;
  record(now, latency, /*failed=*/true);
  // Closed -> Open on a run of consecutive failures.
  if (config_.failure_threshold > 0 && run >= config_.failure_threshold) {
    open(now, std::to_string(run) + " consecutive failures");
    return;
  }
  checkClosedTriggers(now);
}

void CircuitBreaker::onAbandoned(bool probe) {
  if (!probe || state_.load() != BreakerState::kHalfOpen || probes_in_flight_ == 0) return;
  // The slot goes back, so another caller becomes the probe.
  --probes_in_flight_;
  --probes_admitted_;
}

BreakerState CircuitBreaker::state(MonoTime now) {
  maybeHalfOpen(now);
  return state_.load();
}

Duration CircuitBreaker::openRemaining(MonoTime now) const {
  if (state_.load() != BreakerState::kOpen) return Duration::zero();
  return std::clamp(opened_at_ + config_.open_for - now, Duration::zero(), config_.open_for);
}

CircuitBreaker::Counters CircuitBreaker::windowCounts(MonoTime now) const {
  return countsUpTo(std::max(epochOf(now), newest_epoch_.load()));
}

CircuitBreaker::Counters CircuitBreaker::countsUpTo(int64_t newest) const {
  // Buckets more than a window old hold counts that have aged out (countWithin skips them).
  // Failures and slow calls first: see recordSuccess.
  Counters counters;
  for (size_t i = 0; i < kWindowBuckets; ++i) {
    counters.failures += failures_[i].countWithin(newest, kWindowBuckets);
    counters.slow += slow_[i].countWithin(newest, kWindowBuckets);
  }
  for (const SliceCount& calls : calls_) {
    counters.calls += calls.countWithin(newest, kWindowBuckets);
  }
  return counters;
}

void CircuitBreaker::finishProbe(MonoTime now, bool success, std::string_view why) {
  // A probe result outside half-open, or with no probe in flight, is a straggler from an
  // earlier half-open period that has already been decided.
  if (state_.load() != BreakerState::kHalfOpen || probes_in_flight_ == 0) return;
  --probes_in_flight_;
  if (!success) {
    // HalfOpen -> Open: the upstream has not recovered; wait a fresh open_for.
    open(now, why);
    return;
  }
  ++probes_succeeded_;
  if (probes_succeeded_ < config_.half_open_probes) return;
  // HalfOpen -> Closed: every probe succeeded. Start counting from scratch, so failures from
  // before the outage can't trip it again at once.
  resetCounts();
  std::string reason = config_.half_open_probes == 1
                           ? std::string("probe succeeded")
                           : std::to_string(config_.half_open_probes) + " probes succeeded";
  transition(BreakerState::kClosed, reason);
}

int64_t CircuitBreaker::record(MonoTime now, Duration latency, bool failed) {
  const int64_t slice = sliceOf(now);
  const size_t bucket = static_cast<size_t>(slice) % kWindowBuckets;
  // The call before its verdict: see recordSuccess.
  calls_[bucket].increment(slice);
  if (failed) failures_[bucket].increment(slice);
  // Slow counts whatever the verdict: a timeout is both a failure and slow.
  const bool slow =
      config_.slow_call_duration > Duration::zero() && latency >= config_.slow_call_duration;
  if (slow) slow_[bucket].increment(slice);
  if (failed || slow) {
    int64_t last = last_bad_epoch_.load();
    while (last < slice && !last_bad_epoch_.compare_exchange_weak(last, slice)) {
    }
  }
  return slice;
}

bool CircuitBreaker::ratesTrip(int64_t slice) const {
  const Counters counts = countsUpTo(slice);
  // Below minimum_requests a couple of unlucky calls would look like a 100% failure rate.
  if (counts.calls == 0 || counts.calls < config_.minimum_requests) return false;
  return (config_.failure_rate > 0 &&
          rateReached(counts.failures, counts.calls, config_.failure_rate)) ||
         (config_.slow_call_rate > 0 &&
          rateReached(counts.slow, counts.calls, config_.slow_call_rate));
}

void CircuitBreaker::checkClosedTriggers(MonoTime now) {
  if (config_.failure_rate <= 0 && config_.slow_call_rate <= 0) return;
  // Right after a record(now): the window ends at the newest slice.
  const Counters counts = countsUpTo(sliceOf(now));
  // Below minimum_requests a couple of unlucky calls would look like a 100% failure rate.
  if (counts.calls == 0 || counts.calls < config_.minimum_requests) return;
  // The reasons are built only when the breaker opens: this runs on every failure.
  // Closed -> Open when the failure rate over the window reaches failure_rate.
  if (config_.failure_rate > 0 &&
      rateReached(counts.failures, counts.calls, config_.failure_rate)) {
    open(now, "failure rate " + formatPercent(counts.failures, counts.calls) + " over " +
                  formatDuration(config_.window));
    return;
  }
  // Closed -> Open when the slow-call rate over the window reaches slow_call_rate.
  if (config_.slow_call_rate > 0 &&
      rateReached(counts.slow, counts.calls, config_.slow_call_rate)) {
    open(now, "slow call rate " + formatPercent(counts.slow, counts.calls) + " over " +
                  formatDuration(config_.window));
  }
}

void CircuitBreaker::maybeHalfOpen(MonoTime now) {
  // Open -> HalfOpen when open_for has elapsed. Lazy, so the breaker needs no timer: the next
  // caller to look moves it on.
  if (state_.load() != BreakerState::kOpen || now - opened_at_ < config_.open_for) return;
  probes_admitted_ = 0;
  probes_in_flight_ = 0;
  probes_succeeded_ = 0;
  transition(BreakerState::kHalfOpen, "open_for elapsed");
}

void CircuitBreaker::open(MonoTime now, std::string_view why) {
  opened_at_ = now;
  consecutive_failures_.store(0);
  probes_admitted_ = 0;
  probes_in_flight_ = 0;
  probes_succeeded_ = 0;
  transition(BreakerState::kOpen, why);
}

void CircuitBreaker::transition(BreakerState to, std::string_view why) {
  const BreakerState from = state_.load();
  state_.store(to);
  if (on_transition_) on_transition_(from, to, why);
}

void CircuitBreaker::resetCounts() {
  consecutive_failures_.store(0);
  for (size_t i = 0; i < kWindowBuckets; ++i) {
    calls_[i].reset();
    failures_[i].reset();
    slow_[i].reset();
  }
  last_bad_epoch_.store(kNoBadEpoch);
}

int64_t CircuitBreaker::epochOf(MonoTime now) const {
  if (now <= start_) return 0;
  return (now - start_) / bucket_width_;
}

int64_t CircuitBreaker::sliceOf(MonoTime now) {
  const int64_t epoch = epochOf(now);
  int64_t newest = newest_epoch_.load();
  // Written once per bucket width; every other call only reads it.
  while (epoch > newest && !newest_epoch_.compare_exchange_weak(newest, epoch)) {
  }
  return std::max(epoch, newest);
}

}  // namespace outrigger::policy
