#include "proxy/app/redis_options.h"

namespace outrigger::app {

io::RedisClientOptions redisClientOptions(const config::RedisConfig& redis) {
  io::RedisClientOptions options;
  if (redis.tcp) {
    options.host = redis.tcp->host;
    options.port = redis.tcp->port;
  }
  options.unix_path = redis.unix_path;
  options.address = redis.address;
  options.username = redis.username;
  options.password = redis.password;
  options.database = redis.database;
  options.connect_timeout = redis.connect_timeout;
  options.command_timeout = redis.command_timeout;
  return options;
}

}  // namespace outrigger::app
