#include "proxy/http1/http1_codec.h"

#include <cstdio>
#include <cstdlib>

namespace outrigger::http1 {
namespace {
// Spare attempts kept past a burst; the rest are freed.
constexpr size_t kMaxSpare = 256;
}  // namespace

Http1Codec::Http1Codec(upstream::ConnectionPool& pool, Clock& clock) : pool_(pool), clock_(clock) {}

Http1Codec::~Http1Codec() {
  if (lent_ != 0) {
    // Every exchange holds its upstream, and so this codec, until its attempt is dropped.
    std::fprintf(stderr, "outrigger: Http1Codec destroyed with %zu attempts lent\n", lent_);
    std::abort();
  }
}

exchange::AttemptHandle Http1Codec::newAttempt(exchange::AttemptEvents& events) {
  std::unique_ptr<Http1Attempt> attempt;
  if (!spare_.empty()) {
    attempt = std::move(spare_.back());
    spare_.pop_back();
  } else {
    attempt = std::make_unique<Http1Attempt>(pool_, clock_);
  }
  attempt->reset(events);
  lent_++;
  return exchange::AttemptHandle(attempt.release(), exchange::AttemptRecycler{this});
}

void Http1Codec::recycle(exchange::UpstreamAttempt* attempt) {
  auto* http1 = static_cast<Http1Attempt*>(attempt);  // this codec made it
  http1->cancel();
  lent_--;
  if (spare_.size() < kMaxSpare) {
    spare_.emplace_back(http1);
  } else {
    delete http1;  // not inside its own callback, see the header
  }
}

std::unique_ptr<exchange::UpstreamCodec> Http1Codec::make(exchange::WorkerUpstream& upstream,
                                                          io::Loop&, Clock& clock) {
  return std::make_unique<Http1Codec>(upstream.pool, clock);
}

}  // namespace outrigger::http1
