#pragma once
// The rate limit (DESIGN §6 rate_limit): a token bucket that refills at a steady rate and
// holds at most `burst` tokens; one request takes one token.
//
// Thread-safe without a lock: the bucket is shared by every worker of the process (DESIGN
// §3), and its whole state is one atomic instant, updated by compare-and-swap. A `now` read a
// little earlier than another caller's is tolerated.

#include <atomic>
#include <cstdint>

#include "proxy/common/clock.h"

namespace outrigger::policy {

class TokenBucket {
 public:
  // Starts full. Requires rate_per_second > 0 and burst >= 1 (the config validator ensures
  // both); anything else aborts.
  TokenBucket(double rate_per_second, double burst, MonoTime now);

  struct Decision {
    bool allowed;
    Duration retry_after;  // when !allowed: time until one token is available; else zero
  };

  // Takes one token if one is available.
  Decision tryTake(MonoTime now);

  // Tokens in the bucket at `now` (fractional), for the admin state page.
  double available(MonoTime now) const;

 private:
  // Kept in integer nanoseconds (the GCRA form of a token bucket) rather than as a floating
  // token count, so refills are exact and a caller that waits `retry_after` always finds a
  // token. The only rounding is the token interval to whole nanoseconds.
  static int64_t debtAt(int64_t full_at_ns, MonoTime now);

  int64_t token_interval_ns_;  // time to refill one token
  int64_t capacity_ns_;        // burst * token_interval_ns_: debt at which the bucket is empty
  std::atomic<int64_t> full_at_ns_;  // when the bucket is full again; <= now means full
};

}  // namespace outrigger::policy
