#include "proxy/app/global_rate_leasing.h"

#include <string_view>

#include "proxy/app/redis_options.h"
#include "proxy/log/logger.h"

namespace outrigger::app {
namespace {

// How often the leases are asked whether a request is due. Their own intervals (250ms and
// up) decide how often Redis is called; this only bounds how late a renewal can start.
constexpr Duration kTick = milliseconds(20);

// KEYS: bucket, fleet. ARGV: rate per second, capacity, tokens of a new bucket, tokens
// wanted, replica id, replica ttl (ms). Returns {granted, fleet size}. Refills with Redis's
// own clock (TIME), so the replicas' clocks never matter.
constexpr std::string_view kLeaseScript = R"lua(
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local want = tonumber(ARGV[4])
local ttl = tonumber(ARGV[6])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = tonumber(ARGV[3])
  at = now
end
if now > at then tokens = math.min(capacity, tokens + (now - at) * rate / 1000) end
local grant = math.min(want, math.floor(tokens))
if grant < 0 then grant = 0 end
tokens = tokens - grant
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 60000)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('PEXPIRE', KEYS[2], ttl * 2)
return {grant, redis.call('ZCARD', KEYS[2])}
)lua";

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

}  // namespace

const io::RedisScript& GlobalRateLeasing::leaseScript() {
  static const io::RedisScript script{std::string(kLeaseScript)};
  return script;
}

GlobalRateLeasing::GlobalRateLeasing(io::Loop& loop, metrics::StoreMetrics& metrics,
                                     std::string replica_id)
    : loop_(loop), metrics_(metrics), replica_id_(std::move(replica_id)) {}

GlobalRateLeasing::~GlobalRateLeasing() {
  for (auto& [name, entry] : entries_) metrics_.removeFleetSize(name);
}

void GlobalRateLeasing::sync(const config::Config& config, const exchange::Snapshot& snapshot) {
  if (config.redis != redis_) replaceClient(config.redis);
  std::map<std::string, Entry> next;
  for (const auto& [name, upstream] : snapshot.upstreams) {
    policy::GlobalRateLease* lease = upstream->policies().globalRateLease();
    if (lease == nullptr || !redis_) continue;
    auto old = entries_.find(name);
    if (old != entries_.end() && old->second.lease == lease) {
      next[name] = std::move(old->second);  // kept by the reload: same lease, same tokens
      continue;
    }
    Entry& e = next[name];
    e.upstream = upstream;
    e.lease = lease;
    // One hash tag per upstream: both keys land on the same Redis Cluster slot.
    const std::string tag = redis_->key_prefix + "{" + name + "}:rate_limit:";
    e.bucket_key = tag + "bucket";
    e.fleet_key = tag + "fleet";
    metrics_.fleetSize(name).Set(1);
  }
  for (auto& [name, entry] : entries_) {
    if (!next.contains(name)) metrics_.removeFleetSize(name);
  }
  entries_ = std::move(next);
  if (entries_.empty()) {
    tick_timer_.reset();
  } else if (!tick_timer_) {
    tick_timer_ = std::make_unique<io::Timer>(loop_, [this] { tick(); });
    tick_timer_->start(Duration::zero());
  }
}

void GlobalRateLeasing::replaceClient(const std::optional<config::RedisConfig>& redis) {
  // Requests in flight on the old connection get no answer: the leases stop waiting for them.
  const MonoTime now = io::LoopClock().now();
  for (auto& [name, entry] : entries_) {
    if (entry.request_id != 0) entry.lease->onStoreError(now);
    entry.request_id = 0;
  }
  client_.reset();
  redis_ = redis;
  metrics_.setConfigured(redis.has_value());
  metrics_.setUp(false);
  if (!redis) return;
  io::RedisClientOptions options = redisClientOptions(*redis);
  io::RedisClient::Observer observer;
  observer.on_command = [this](std::string_view command, std::string_view result, Duration took) {
    metrics_.countCommand(command, result, took);
  };
  observer.on_state = [this](bool up) { metrics_.setUp(up); };
  client_ = std::make_unique<io::RedisClient>(loop_, std::move(options), std::move(observer));
  client_->start();
  log::logf(config::LogLevel::kInfo, "redis %s: connecting (replica %s)", redis->address.c_str(),
            replica_id_.c_str());
}

void GlobalRateLeasing::tick() {
  const MonoTime now = io::LoopClock().now();
  const bool connected = client_ && client_->state().connected;
  for (auto& [name, entry] : entries_) {
    // Without a connection there is nothing to wait for: the fallback applies at once, not
    // at the next renewal.
    if (!connected) entry.lease->onStoreError(now);
    const std::optional<uint64_t> want = entry.lease->leaseToRequest(now);
    if (!want) continue;
    if (!connected) {
      entry.lease->onStoreError(now);
      continue;
    }
    requestLease(name, entry, *want);
  }
  if (tick_timer_) tick_timer_->start(kTick);
}

void GlobalRateLeasing::requestLease(const std::string& name, Entry& entry, uint64_t want) {
  const policy::GlobalRateLease& lease = *entry.lease;
  const uint64_t id = ++next_request_id_;
  entry.request_id = id;
  const std::vector<std::string> args = {
      number(lease.config().requests_per_second),
      number(lease.fleetCapacity()),
      number(lease.config().burst),
      std::to_string(want),
      replica_id_,
      std::to_string(toMillis(policy::GlobalRateLease::kReplicaTtl))};
  leaseScript().run(
      *client_, {entry.bucket_key, entry.fleet_key}, args,
      [this, name, id](const io::RedisReply& reply) { onLeaseReply(name, id, reply); });
}

void GlobalRateLeasing::onLeaseReply(const std::string& name, uint64_t request_id,
                                     const io::RedisReply& reply) {
  const auto it = entries_.find(name);
  if (it == entries_.end() || it->second.request_id != request_id) return;  // reloaded away
  Entry& entry = it->second;
  entry.request_id = 0;
  const MonoTime now = io::LoopClock().now();
  const bool well_formed = reply.kind == io::RedisReply::Kind::kArray &&
                           reply.elements.size() == 2 &&
                           reply.elements[0].kind == io::RedisReply::Kind::kInteger &&
                           reply.elements[1].kind == io::RedisReply::Kind::kInteger;
  if (!well_formed) {
    if (reply.kind == io::RedisReply::Kind::kError && reply.text != entry.last_script_error) {
      // An ACL without EVAL, a full Redis (OOM), a read-only replica: Redis answers, but
      // no lease can be had. Said once, not on every renewal.
      log::logf(config::LogLevel::kWarn, "upstream %s: global rate limit script failed: %s",
                name.c_str(), reply.text.c_str());
      entry.last_script_error = reply.text;
    }
    entry.lease->onStoreError(now);
    return;
  }
  const auto granted = static_cast<uint64_t>(std::max<int64_t>(0, reply.elements[0].integer));
  const auto fleet = static_cast<uint32_t>(std::max<int64_t>(1, reply.elements[1].integer));
  entry.last_script_error.clear();
  entry.lease->onLeaseGranted(granted, fleet, now);
  metrics_.fleetSize(name).Set(fleet);
}

std::optional<StoreStatus> GlobalRateLeasing::storeStatus() const {
  if (!client_) return std::nullopt;
  return StoreStatus{client_->options().address, client_->state().connected,
                     client_->state().last_error};
}

}  // namespace outrigger::app
