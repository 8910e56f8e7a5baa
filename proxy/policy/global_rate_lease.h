#pragma once
// One replica's share of a fleet-wide rate limit (rate_limit.scope: global). The fleet's
// bucket lives in Redis; this replica leases tokens from it ahead of need and spends them
// here, so the request path never waits on Redis. Pure: whoever talks to Redis asks
// leaseToRequest() what to ask for and reports back with onLeaseGranted / onStoreError.
//
// Threads: tryTake runs on every worker and is lock-free (atomics only). Every other
// method runs on the one thread that drives the leasing.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "proxy/common/clock.h"
#include "proxy/policy/token_bucket.h"

namespace outrigger::policy {

// What a global limit does while Redis is slow or down, once its leased tokens are spent.
enum class StoreFallback {
  kLocal,  // a local bucket of limit / last known fleet size
  kAllow,
  kDeny,
};

struct GlobalRateLeaseConfig {
  double requests_per_second = 1;
  double burst = 1;
  StoreFallback on_store_error = StoreFallback::kLocal;
};

class GlobalRateLease {
 public:
  // A lease covers this long at the replica's own recent rate. Longer leases mean fewer
  // Redis commands but more tokens idle on a replica; at 2s a replica renews about once a
  // second under load (see kStarvedInterval), about 10 commands per 1,000 requests for a
  // fleet of three at 300/s.
  static constexpr Duration kLeasePeriod = seconds(2);
  // Renew once the tokens left would last less than this at the recent rate.
  static constexpr Duration kRenewAhead = milliseconds(500);
  // The shortest time between two lease requests while Redis grants what is asked.
  static constexpr Duration kMinInterval = milliseconds(250);
  // After a lease granted less than asked, the fleet's bucket is contended: asking sooner
  // would only take what refilled since, in more commands. The bucket in Redis holds at
  // least this long's worth (fleetCapacity), so nothing refilled in between is lost.
  static constexpr Duration kStarvedInterval = seconds(1);
  // An idle replica still announces itself this often, so the fleet size stays known.
  static constexpr Duration kHeartbeat = seconds(2);
  // Unspent tokens are dropped after this: a replica that went quiet must not come back
  // with an old lease on top of the fleet's current one.
  static constexpr Duration kLeaseLifetime = seconds(4);
  // The announcement's expiry in Redis: three missed heartbeats.
  static constexpr Duration kReplicaTtl = seconds(6);
  // How fast the rate estimate follows the replica's traffic.
  static constexpr Duration kRateWindow = seconds(1);

  GlobalRateLease(GlobalRateLeaseConfig config, MonoTime now);

  // The fleet bucket's size in tokens: the configured burst, but at least kStarvedInterval
  // of the limit (see there).
  double fleetCapacity() const;
  const GlobalRateLeaseConfig& config() const { return config_; }

  // Request path (any worker, lock-free).
  struct Decision {
    bool allowed;
    Duration retry_after;  // when !allowed
  };
  Decision tryTake(MonoTime now);

  // Leasing side (one thread). The tokens to ask Redis for now, or nullopt when no request
  // is due; 0 is a heartbeat that only announces the replica. Every request returned must
  // be answered with onLeaseGranted or onStoreError before the next is returned.
  std::optional<uint64_t> leaseToRequest(MonoTime now);
  // Redis granted `granted` of the tokens asked, and `fleet_size` replicas are announced.
  void onLeaseGranted(uint64_t granted, uint32_t fleet_size, MonoTime now);
  // The request failed, timed out, or Redis is unreachable: fall back (on_store_error)
  // until a lease is granted again.
  void onStoreError(MonoTime now);

  struct Status {
    bool store_ok;           // false while the fallback applies
    uint32_t fleet_size;     // last seen, at least 1
    uint64_t lease;          // tokens granted by the last lease
    int64_t tokens_left;     // of the leased tokens
    double rate_per_second;  // this replica's recent demand
  };
  Status status() const;  // any thread

 private:
  void sampleDemand(MonoTime now);
  Duration retryAfterWhileLeasing() const;
  TokenBucket* fallbackBucketFor(uint32_t fleet_size, MonoTime now);

  GlobalRateLeaseConfig config_;

  // Shared with the request path.
  std::atomic<int64_t> tokens_{0};
  std::atomic<uint64_t> attempts_{0};  // every tryTake, admitted or not
  std::atomic<bool> store_ok_{false};  // false until the first lease, and while Redis fails
  std::atomic<TokenBucket*> fallback_{nullptr};  // points into fallback_buckets_
  std::atomic<uint32_t> fleet_size_{1};
  std::atomic<uint64_t> last_lease_{0};
  std::atomic<double> demand_{0};

  // Leasing side only.
  // One bucket per fleet size seen, kept for the lease's life so the request path can
  // hold a pointer to it without a lock; a fleet has few distinct sizes.
  std::map<uint32_t, std::unique_ptr<TokenBucket>> fallback_buckets_;
  uint64_t attempts_sampled_ = 0;
  MonoTime sampled_at_;
  bool in_flight_ = false;
  bool asked_once_ = false;
  bool short_grant_ = false;  // the last lease granted less than asked
  uint64_t asked_ = 0;
  MonoTime asked_at_{};
  MonoTime lease_expires_{};
};

}  // namespace outrigger::policy
