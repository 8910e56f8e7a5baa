#pragma once
// Exponential backoff between retry attempts (DESIGN §6 retry.backoff). Parameters are
// checked once, when it is built; jitter draws from an injected Random (linkerd2-proxy).

#include <cstdint>

#include "proxy/common/clock.h"
#include "proxy/common/random.h"
#include "proxy/common/result.h"

namespace outrigger::policy {

enum class Jitter {
  kFull,  // uniform in [0, ceiling]: spreads clients that failed together (AWS "full jitter")
  kNone,  // exactly the ceiling; for tests and single clients
};

// The defaults are the DESIGN §6 example, so a default-built config is valid.
struct BackoffConfig {
  Duration initial = milliseconds(25);
  Duration max = seconds(1);
  double multiplier = 2.0;
  Jitter jitter = Jitter::kFull;

  friend bool operator==(const BackoffConfig&, const BackoffConfig&) = default;
};

// Immutable once built; safe to share between threads as long as each passes its own Random.
class Backoff {
 public:
  // Requires initial >= 0, max > 0, max >= initial and a finite multiplier >= 1; otherwise
  // returns Error{kind "invalid_backoff", source kConfig} naming the bad field.
  static Result<Backoff> create(BackoffConfig config);

  // The wait before the retry with this index: 0 is the wait before the second attempt.
  // ceiling = min(max, initial * multiplier^retry_index), computed without overflow for any
  // index; full jitter draws uniformly from [0, ceiling] (whole nanoseconds). initial 0 means
  // every wait is 0: retries go at once, as HAProxy's and linkerd2-proxy's do, and only the
  // retry budget limits them.
  Duration delay(uint32_t retry_index, Random& random) const;

  // The ceiling alone, before jitter.
  Duration ceiling(uint32_t retry_index) const;

  const BackoffConfig& config() const { return config_; }

 private:
  explicit Backoff(BackoffConfig config) : config_(config) {}

  BackoffConfig config_;
};

}  // namespace outrigger::policy
