#pragma once
// The attempts an upstream codec lends to exchanges, and the finished ones it keeps for
// reuse, so a busy worker allocates none per request. An attempt is never dropped inside its
// own callback (the exchange parks an ended one until a later turn), so one taken back may be
// lent again at once. Every codec (HTTP/1.1, HTTP/2, auto) keeps its attempts in one of these.

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "proxy/exchange/upstream_attempt.h"

namespace outrigger::exchange {

template <typename Attempt>
class SpareAttempts {
 public:
  explicit SpareAttempts(const char* codec_name) : codec_name_(codec_name) {}
  ~SpareAttempts() {
    if (lent_ != 0) {
      // Every exchange holds its upstream, and so the codec, until its attempt is dropped.
      std::fprintf(stderr, "outrigger: %s destroyed with %zu attempts lent\n", codec_name_, lent_);
      std::abort();
    }
  }
  SpareAttempts(const SpareAttempts&) = delete;
  SpareAttempts& operator=(const SpareAttempts&) = delete;

  // A spare attempt, or one `make()` returns; reset for `events` and lent to the caller, who
  // gives it back to `codec` by dropping the handle.
  template <typename Make>
  AttemptHandle lend(UpstreamCodec& codec, AttemptEvents& events, Make make) {
    std::unique_ptr<Attempt> attempt;
    if (!spare_.empty()) {
      attempt = std::move(spare_.back());
      spare_.pop_back();
    } else {
      attempt = make();
    }
    attempt->reset(events);
    lent_++;
    return AttemptHandle(attempt.release(), AttemptRecycler{&codec});
  }

  // An attempt the codec lent and has stopped: kept for reuse, or freed past a burst.
  void takeBack(Attempt* attempt) {
    lent_--;
    if (spare_.size() < kMaxSpare) {
      spare_.emplace_back(attempt);
    } else {
      delete attempt;
    }
  }

 private:
  static constexpr size_t kMaxSpare = 256;  // spare attempts kept past a burst

  const char* codec_name_;
  std::vector<std::unique_ptr<Attempt>> spare_;
  size_t lent_ = 0;
};

}  // namespace outrigger::exchange
