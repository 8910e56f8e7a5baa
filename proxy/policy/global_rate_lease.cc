#include "proxy/policy/global_rate_lease.h"

#include <algorithm>
#include <cmath>

namespace outrigger::policy {
namespace {

double secondsOf(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

GlobalRateLease::GlobalRateLease(GlobalRateLeaseConfig config, MonoTime now)
    : config_(config), sampled_at_(now) {
  // Until Redis says otherwise, assume this replica may need the whole limit: the first
  // lease then covers a replica that starts under load, and later ones follow its real rate.
  demand_.store(config_.requests_per_second, std::memory_order_relaxed);
  // Until the first lease, the replica knows nothing of Redis: it behaves as if Redis were
  // down (a replica of a fleet of one), rather than reject while the first lease is asked.
  store_ok_.store(false, std::memory_order_relaxed);
  if (config_.on_store_error == StoreFallback::kLocal)
    fallback_.store(fallbackBucketFor(1, now), std::memory_order_relaxed);
}

double GlobalRateLease::fleetCapacity() const {
  return std::max(config_.burst, config_.requests_per_second * secondsOf(kStarvedInterval));
}

GlobalRateLease::Decision GlobalRateLease::tryTake(MonoTime now) {
  attempts_.fetch_add(1, std::memory_order_relaxed);
  // Leased tokens first, also while Redis is down: the fleet's bucket granted them.
  int64_t left = tokens_.load(std::memory_order_relaxed);
  while (left > 0) {
    if (tokens_.compare_exchange_weak(left, left - 1, std::memory_order_relaxed))
      return {true, Duration::zero()};
  }
  if (store_ok_.load(std::memory_order_acquire)) return {false, retryAfterWhileLeasing()};
  switch (config_.on_store_error) {
    case StoreFallback::kAllow:
      return {true, Duration::zero()};
    case StoreFallback::kDeny:
      return {false, seconds(1)};
    case StoreFallback::kLocal:
      break;
  }
  TokenBucket* bucket = fallback_.load(std::memory_order_acquire);
  if (bucket == nullptr) return {true, Duration::zero()};  // onStoreError always sets one
  const TokenBucket::Decision d = bucket->tryTake(now);
  return {d.allowed, d.retry_after};
}

Duration GlobalRateLease::retryAfterWhileLeasing() const {
  // About when this replica's share of the fleet's refill is back: fleet / limit seconds.
  const double fleet = fleet_size_.load(std::memory_order_relaxed);
  const double wait = std::clamp(fleet / config_.requests_per_second, 0.001, 1.0);
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(wait));
}

void GlobalRateLease::sampleDemand(MonoTime now) {
  const Duration elapsed = now - sampled_at_;
  if (elapsed <= Duration::zero()) return;
  const uint64_t attempts = attempts_.load(std::memory_order_relaxed);
  const double rate = static_cast<double>(attempts - attempts_sampled_) / secondsOf(elapsed);
  // An exponential average over about kRateWindow, however unevenly it is sampled.
  const double weight = std::min(1.0, secondsOf(elapsed) / secondsOf(kRateWindow));
  const double demand = demand_.load(std::memory_order_relaxed);
  demand_.store(demand + (rate - demand) * weight, std::memory_order_relaxed);
  attempts_sampled_ = attempts;
  sampled_at_ = now;
}

std::optional<uint64_t> GlobalRateLease::leaseToRequest(MonoTime now) {
  sampleDemand(now);
  if (now >= lease_expires_ && asked_once_) tokens_.store(0, std::memory_order_relaxed);
  if (in_flight_) return std::nullopt;
  const double demand = demand_.load(std::memory_order_relaxed);
  // Demand under half a token per lease period rounds to nothing: an idle replica holds no
  // tokens and only announces itself.
  const auto want = static_cast<uint64_t>(
      std::llround(std::min(demand * secondsOf(kLeasePeriod), fleetCapacity())));
  const Duration since = now - asked_at_;
  bool due = !asked_once_ || since >= kHeartbeat;
  if (!due && want > 0) {
    const double left = static_cast<double>(tokens_.load(std::memory_order_relaxed));
    const bool running_low = left < demand * secondsOf(kRenewAhead);
    const bool store_ok = store_ok_.load(std::memory_order_relaxed);
    // While Redis is down the client reconnects on its own backoff; asking at the normal
    // pace finds out soon after it is back.
    const Duration interval = short_grant_ && store_ok ? kStarvedInterval : kMinInterval;
    due = running_low && since >= interval;
  }
  if (!due) return std::nullopt;
  asked_ = want;
  asked_at_ = now;
  asked_once_ = true;
  in_flight_ = true;
  return asked_;
}

void GlobalRateLease::onLeaseGranted(uint64_t granted, uint32_t fleet_size, MonoTime now) {
  in_flight_ = false;
  short_grant_ = granted < asked_;
  fleet_size_.store(std::max<uint32_t>(1, fleet_size), std::memory_order_relaxed);
  last_lease_.store(granted, std::memory_order_relaxed);
  if (granted > 0) {
    tokens_.fetch_add(static_cast<int64_t>(granted), std::memory_order_relaxed);
    lease_expires_ = now + kLeaseLifetime;
  }
  store_ok_.store(true, std::memory_order_release);
}

void GlobalRateLease::onStoreError(MonoTime now) {
  in_flight_ = false;
  if (!store_ok_.load(std::memory_order_relaxed)) return;
  if (config_.on_store_error == StoreFallback::kLocal) {
    fallback_.store(fallbackBucketFor(fleet_size_.load(std::memory_order_relaxed), now),
                    std::memory_order_release);
  }
  store_ok_.store(false, std::memory_order_release);
}

TokenBucket* GlobalRateLease::fallbackBucketFor(uint32_t fleet_size, MonoTime now) {
  std::unique_ptr<TokenBucket>& bucket = fallback_buckets_[fleet_size];
  if (!bucket) {
    const double share = 1.0 / std::max<uint32_t>(1, fleet_size);
    bucket = std::make_unique<TokenBucket>(config_.requests_per_second * share,
                                           std::max(1.0, config_.burst * share), now);
  }
  return bucket.get();
}

GlobalRateLease::Status GlobalRateLease::status() const {
  return Status{store_ok_.load(std::memory_order_relaxed),
                fleet_size_.load(std::memory_order_relaxed),
                last_lease_.load(std::memory_order_relaxed),
                tokens_.load(std::memory_order_relaxed), demand_.load(std::memory_order_relaxed)};
}

}  // namespace outrigger::policy
