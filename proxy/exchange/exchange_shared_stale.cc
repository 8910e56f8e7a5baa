// Exchange: stale copies shared by the fleet through Redis (fallback.stale_if_error.store:
// redis). A good response is written in the background after it completed, at most once per
// ttl / 4 per key in this process; on final failure, with no copy in this process, the copy
// is asked for, and waited for no longer than redis.timeouts.command and the request's
// deadline. Redis slow, down or without a copy: the request ends as it would have without.
#include <algorithm>

#include "proxy/exchange/exchange.h"
#include "proxy/policy/shared_stale_copy.h"

namespace outrigger::exchange {

bool Exchange::sharesStaleCopies() const {
  const auto& stale = policies_->config().fallback.stale_if_error;
  return stale_eligible_ && stale && stale->store == config::StaleStoreKind::kRedis &&
         context_.stale_redis != nullptr && snapshot_->config->redis.has_value();
}

void Exchange::shareStaleCopy(const std::string& request_key) {
  if (!sharesStaleCopies()) return;
  const policy::StaleEntry* copy = stale_.completed(status_);
  if (copy == nullptr ||
      !policy::maySharedKeep(request_.headers.has("authorization"), copy->headers))
    return;
  std::string redis_key = policy::sharedStaleKey(snapshot_->config->redis->key_prefix,
                                                 upstream_->upstream->name(), request_key);
  if (!policies_->sharedStaleWriteDue(redis_key, context_.clock.now())) return;
  std::string record;
  policy::encodeSharedCopy(request_key, *copy, wallClockMicros() / 1000, record);
  const Duration ttl = policies_->config().fallback.stale_if_error->ttl;
  // Nobody waits for the reply: a failed write only means the fleet has no copy yet.
  context_.stale_redis->command({"SET", std::move(redis_key), std::move(record), "PX",
                                 std::to_string(std::max<int64_t>(1, toMillis(ttl)))},
                                [](const io::RedisReply&) {});
}

bool Exchange::fetchSharedStale(http::LocalReason reason, int retry_after_seconds) {
  if (!sharesStaleCopies() || !context_.stale_redis->state().connected) return false;
  std::string request_key;
  staleKey(host_, request_.target, request_key);
  std::string redis_key = policy::sharedStaleKey(snapshot_->config->redis->key_prefix,
                                                 upstream_->upstream->name(), request_key);
  phase_ = Phase::kFetchingStale;
  stale_fetch_reason_ = reason;
  stale_fetch_retry_after_ = retry_after_seconds;
  stale_fetch_deadline_ =
      std::min(request_deadline_, context_.clock.now() + snapshot_->config->redis->command_timeout);
  stale_fetch_token_ = std::make_shared<char>(0);
  std::weak_ptr<char> alive = stale_fetch_token_;
  context_.stale_redis->command({"GET", std::move(redis_key)},
                                [this, alive](const io::RedisReply& reply) {
                                  if (!alive.expired()) onSharedStaleFetched(reply);
                                });
  armTimer();
  return true;
}

void Exchange::onSharedStaleFetched(const io::RedisReply& reply) {
  if (phase_ != Phase::kFetchingStale) return;  // gave up, or the app went away
  std::optional<policy::SharedCopy> copy;
  if (reply.kind == io::RedisReply::Kind::kString) {
    std::string request_key;
    staleKey(host_, request_.target, request_key);
    copy = policy::decodeSharedCopy(reply.text, request_key);
  }
  if (!copy) {
    giveUpSharedStale();
    return;
  }
  phase_ = Phase::kAttempting;  // as it was when the request failed
  const Duration age = milliseconds(wallClockMicros() / 1000 - copy->stored_wall_ms);
  sendStaleCopy(copy->entry, age, stale_fetch_reason_, metrics::FallbackKind::kStaleRedis);
}

void Exchange::giveUpSharedStale() {
  phase_ = Phase::kAttempting;
  stale_fetch_deadline_ = MonoTime::max();
  stale_fetch_token_.reset();  // a reply still to come is dropped
  fallBackPastStale(stale_fetch_reason_, stale_fetch_retry_after_);
}

}  // namespace outrigger::exchange
