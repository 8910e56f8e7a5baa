#include "proxy/http1/http1_codec.h"

#include <memory>

namespace outrigger::http1 {

Http1Codec::Http1Codec(upstream::ConnectionPool& pool, Clock& clock)
    : pool_(pool), clock_(clock), attempts_("Http1Codec") {}

exchange::AttemptHandle Http1Codec::newAttempt(exchange::AttemptEvents& events) {
  return attempts_.lend(*this, events,
                        [&] { return std::make_unique<Http1Attempt>(pool_, clock_, foreign_); });
}

void Http1Codec::recycle(exchange::UpstreamAttempt* attempt) {
  auto* http1 = static_cast<Http1Attempt*>(attempt);  // this codec made it
  http1->cancel();
  attempts_.takeBack(http1);
}

std::unique_ptr<exchange::UpstreamCodec> Http1Codec::make(exchange::WorkerUpstream& upstream,
                                                          io::Loop&, Clock& clock) {
  return std::make_unique<Http1Codec>(upstream.pool, clock);
}

}  // namespace outrigger::http1
