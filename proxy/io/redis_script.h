#pragma once
// A Lua script run with EVALSHA, falling back to EVAL (which also loads it) when Redis does
// not know it yet: after a restart, a failover or SCRIPT FLUSH.

#include <string>
#include <vector>

#include "proxy/io/redis_client.h"

namespace outrigger::io {

class RedisScript {
 public:
  explicit RedisScript(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }  // lowercase hex

  // `done` gets the script's reply. The script must outlive the call.
  void run(RedisClient& client, const std::vector<std::string>& keys,
           const std::vector<std::string>& args, RedisClient::Callback done) const;

 private:
  std::string source_;
  std::string sha1_;
};

}  // namespace outrigger::io
