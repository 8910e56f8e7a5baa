#pragma once
// A Redis reply as plain data, so nothing outside io/ sees a hiredis type. A failure to get
// a reply at all (not connected, timed out, connection lost) is a kFailed reply.

#include <cstdint>
#include <string>
#include <vector>

namespace outrigger::io {

struct RedisReply {
  enum class Kind { kFailed, kError, kStatus, kString, kInteger, kArray, kNil };

  Kind kind = Kind::kFailed;
  std::string text;  // error, status or string; why it failed for kFailed
  int64_t integer = 0;
  std::vector<RedisReply> elements;
  bool timed_out = false;  // kFailed because timeouts.command passed

  bool failed() const { return kind == Kind::kFailed || kind == Kind::kError; }
};

}  // namespace outrigger::io
