#pragma once
// The options of a Redis connection, from the `redis:` block: the same for the main loop's
// connection (global rate limits) and each worker's (shared stale copies).

#include "proxy/config/schema.h"
#include "proxy/io/redis_client.h"

namespace outrigger::app {

io::RedisClientOptions redisClientOptions(const config::RedisConfig& redis);

}  // namespace outrigger::app
