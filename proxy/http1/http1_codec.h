#pragma once
// The HTTP/1.1 upstream codec of one upstream on one worker: makes its attempts and keeps
// the finished ones for reuse, so a busy worker allocates none per request. An attempt is
// never dropped inside its own callback (the exchange parks an ended one until a later
// turn, see Exchange::ended_attempt_), so a dropped attempt may be reused at once.

#include <memory>
#include <vector>

#include "proxy/exchange/spare_attempts.h"
#include "proxy/exchange/upstream_attempt.h"
#include "proxy/exchange/worker_context.h"
#include "proxy/http1/http1_attempt.h"
#include "proxy/io/loop.h"

namespace outrigger::http1 {

class Http1Codec final : public exchange::UpstreamCodec {
 public:
  Http1Codec(upstream::ConnectionPool& pool, Clock& clock);

  exchange::AttemptHandle newAttempt(exchange::AttemptEvents& events) override;
  void recycle(exchange::UpstreamAttempt* attempt) override;

  // For WorkerContext::make_codec.
  static std::unique_ptr<exchange::UpstreamCodec> make(exchange::WorkerUpstream& upstream,
                                                       io::Loop& loop, Clock& clock);

  // `protocol: auto`: who takes a new connection whose server picked h2 (AutoCodec). Unset,
  // every connection is spoken to in HTTP/1.1.
  void setForeignConnectionHandler(exchange::ForeignConnectionFn handler) {
    foreign_ = std::move(handler);
  }

 private:
  upstream::ConnectionPool& pool_;
  Clock& clock_;
  exchange::ForeignConnectionFn foreign_;
  exchange::SpareAttempts<Http1Attempt> attempts_;
};

}  // namespace outrigger::http1
