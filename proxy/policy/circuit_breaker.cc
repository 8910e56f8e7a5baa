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
      on_transition_(std::move(on_transition)) {
  if (auto error = circuitBreakerConfigError(config_); !error.empty()) {
    // The config loader rejects these with a position; reaching here is a programming error.
    std::cerr << "CircuitBreaker: invalid config: " << error << "\n";
    std::abort();
  }
}

CircuitBreaker::Permit CircuitBreaker::tryAcquire(MonoTime now) {
  maybeHalfOpen(now);
  switch (state_) {
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
  std::cerr << "CircuitBreaker::tryAcquire: impossible state " << static_cast<int>(state_) << "\n";
  std::abort();
}

void CircuitBreaker::onSuccess(MonoTime now, Duration latency, bool probe) {
  if (probe) {
    // A slow probe is no evidence of recovery when slowness is what opened the breaker.
    bool slow = config_.slow_call_rate > 0 && latency >= config_.slow_call_duration;
    finishProbe(now, !slow, slow ? "probe was slow" : "");
    return;
  }
  // Calls admitted before the breaker opened report about the upstream as it was; while
  // open or half-open only the probes decide.
  if (state_ != BreakerState::kClosed) return;
  consecutive_failures_ = 0;
  record(now, latency, /*failed=*/false);
  checkClosedTriggers(now);  // a slow success can still trip the slow-call rate
}

void CircuitBreaker::onFailure(MonoTime now, Duration latency, bool probe) {
  if (probe) {
    finishProbe(now, false, "probe failed");
    return;
  }
  if (state_ != BreakerState::kClosed) return;  // see onSuccess
  ++consecutive_failures_;
  record(now, latency, /*failed=*/true);
  checkClosedTriggers(now);
}

void CircuitBreaker::onAbandoned(bool probe) {
  if (!probe || state_ != BreakerState::kHalfOpen || probes_in_flight_ == 0) return;
  // The slot goes back, so another caller becomes the probe.
  --probes_in_flight_;
  --probes_admitted_;
}

BreakerState CircuitBreaker::state(MonoTime now) {
  maybeHalfOpen(now);
  return state_;
}

Duration CircuitBreaker::openRemaining(MonoTime now) const {
  if (state_ != BreakerState::kOpen) return Duration::zero();
  return std::clamp(opened_at_ + config_.open_for - now, Duration::zero(), config_.open_for);
}

CircuitBreaker::Counters CircuitBreaker::windowCounts(MonoTime now) const {
  return countsUpTo(std::max(epochOf(now), newest_epoch_));
}

CircuitBreaker::Counters CircuitBreaker::countsUpTo(int64_t newest) const {
  Counters counters;
  for (const Bucket& bucket : buckets_) {
    // Buckets more than a window old hold counts that have aged out.
    if (bucket.epoch < 0 || bucket.epoch <= newest - static_cast<int64_t>(kWindowBuckets)) {
      continue;
    }
    counters.calls += bucket.calls;
    counters.failures += bucket.failures;
    counters.slow += bucket.slow;
  }
  return counters;
}

void CircuitBreaker::finishProbe(MonoTime now, bool success, std::string_view why) {
  // A probe result outside half-open, or with no probe in flight, is a straggler from an
  // earlier half-open period that has already been decided.
  if (state_ != BreakerState::kHalfOpen || probes_in_flight_ == 0) return;
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

void CircuitBreaker::record(MonoTime now, Duration latency, bool failed) {
  const int64_t epoch = epochOf(now);
  if (epoch > newest_epoch_) {
    // The window slid (at most once per bucket width): its sums are added up afresh.
    newest_epoch_ = epoch;
    newest_window_ = countsUpTo(newest_epoch_);
  }
  Bucket& bucket = buckets_[static_cast<size_t>(newest_epoch_) % kWindowBuckets];
  if (bucket.epoch != newest_epoch_) bucket = Bucket{.epoch = newest_epoch_};
  ++bucket.calls;
  ++newest_window_.calls;
  if (failed) {
    ++bucket.failures;
    ++newest_window_.failures;
  }
  // Slow counts whatever the verdict: a timeout is both a failure and slow.
  if (config_.slow_call_duration > Duration::zero() && latency >= config_.slow_call_duration) {
    ++bucket.slow;
    ++newest_window_.slow;
  }
}

void CircuitBreaker::checkClosedTriggers(MonoTime now) {
  // Closed -> Open on a run of consecutive failures.
  if (config_.failure_threshold > 0 && consecutive_failures_ >= config_.failure_threshold) {
    open(now, std::to_string(consecutive_failures_) + " consecutive failures");
    return;
  }
  if (config_.failure_rate <= 0 && config_.slow_call_rate <= 0) return;
  // Called right after record(now): the window ends at newest_epoch_, whose sums it kept.
  const Counters counts = newest_window_;
  // Below minimum_requests a couple of unlucky calls would look like a 100% failure rate.
  if (counts.calls == 0 || counts.calls < config_.minimum_requests) return;
  // The reasons are built only when the breaker opens: this runs on every call.
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
  if (state_ != BreakerState::kOpen || now - opened_at_ < config_.open_for) return;
  probes_admitted_ = 0;
  probes_in_flight_ = 0;
  probes_succeeded_ = 0;
  transition(BreakerState::kHalfOpen, "open_for elapsed");
}

void CircuitBreaker::open(MonoTime now, std::string_view why) {
  opened_at_ = now;
  consecutive_failures_ = 0;
  probes_admitted_ = 0;
  probes_in_flight_ = 0;
  probes_succeeded_ = 0;
  transition(BreakerState::kOpen, why);
}

void CircuitBreaker::transition(BreakerState to, std::string_view why) {
  BreakerState from = state_;
  state_ = to;
  if (on_transition_) on_transition_(from, to, why);
}

void CircuitBreaker::resetCounts() {
  consecutive_failures_ = 0;
  buckets_.fill(Bucket{});
  newest_window_ = {};
}

int64_t CircuitBreaker::epochOf(MonoTime now) const {
  if (now <= start_) return 0;
  return (now - start_) / bucket_width_;
}

}  // namespace outrigger::policy
