#pragma once
// Leases tokens for every `rate_limit.scope: global` upstream from the fleet's bucket in
// Redis, and keeps the Redis connection of the `redis:` block.
//
// It runs on the main thread's loop. The request path only reads the leases' atomics, so
// the loop that talks to Redis is free to choose: the main loop is idle between admin
// requests, DNS refreshes and health checks, so a slow Redis delays nothing that serves the
// app, and one connection per process (rather than one per worker) keeps Redis's command
// rate independent of `workers:`, which the per-1,000-requests budget needs.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "proxy/app/upstreams_json.h"
#include "proxy/config/schema.h"
#include "proxy/exchange/snapshot.h"
#include "proxy/io/loop.h"
#include "proxy/io/redis_client.h"
#include "proxy/io/redis_script.h"
#include "proxy/io/timer.h"
#include "proxy/metrics/store_metrics.h"

namespace outrigger::app {

class GlobalRateLeasing {
 public:
  // `replica_id` names this process in the fleet's announcements; unique per process.
  GlobalRateLeasing(io::Loop& loop, metrics::StoreMetrics& metrics, std::string replica_id);
  ~GlobalRateLeasing();

  // After each new generation (start, reload): connects to, reconnects to or disconnects
  // from `config.redis`, and leases for the snapshot's global limits. Never blocks, and a
  // lease kept from the previous generation keeps its tokens.
  void sync(const config::Config& config, const exchange::Snapshot& snapshot);

  // For GET /upstreams; null without a `redis:` block.
  std::optional<StoreStatus> storeStatus() const;

  // Why the lease needs the script's arithmetic; exposed for tests and docs.
  static const io::RedisScript& leaseScript();

 private:
  struct Entry {
    std::shared_ptr<upstream::Upstream> upstream;  // keeps the lease alive
    policy::GlobalRateLease* lease = nullptr;
    std::string bucket_key;
    std::string fleet_key;
    uint64_t request_id = 0;        // of the request in flight, 0 for none
    std::string last_script_error;  // logged once until it changes, not on every renewal
  };

  void tick();
  void requestLease(const std::string& name, Entry& entry, uint64_t want);
  void onLeaseReply(const std::string& name, uint64_t request_id, const io::RedisReply& reply);
  void replaceClient(const std::optional<config::RedisConfig>& redis);

  io::Loop& loop_;
  metrics::StoreMetrics& metrics_;
  std::string replica_id_;
  std::optional<config::RedisConfig> redis_;
  std::unique_ptr<io::RedisClient> client_;
  std::map<std::string, Entry> entries_;  // by upstream name
  std::unique_ptr<io::Timer> tick_timer_;
  uint64_t next_request_id_ = 0;
};

}  // namespace outrigger::app
