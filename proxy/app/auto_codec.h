#pragma once
// The upstream codec of a `protocol: auto` upstream (TLS only) on one worker. Connections
// offer h2 then http/1.1 through ALPN; what the server picks on the first connection to an
// endpoint decides which codec, HTTP/2 or HTTP/1.1, carries that endpoint's attempts (no
// ALPN answer means HTTP/1.1, RFC 7301). That first connection is not wasted: an h2 one
// becomes the HTTP/2 codec's, an http/1.1 one goes idle for the first attempt. Attempts that
// start before the answer wait for it. When a later new connection hears the other answer,
// the codec that got it hands it over, its attempt is refused (sent again at once) and the
// endpoint follows the new answer. The exchange sees one attempt type.

#include <deque>
#include <memory>
#include <vector>

#include "proxy/app/auto_attempt.h"
#include "proxy/exchange/spare_attempts.h"
#include "proxy/exchange/upstream_attempt.h"
#include "proxy/exchange/worker_context.h"
#include "proxy/http1/http1_codec.h"
#include "proxy/http2/http2_codec.h"
#include "proxy/io/loop.h"
#include "proxy/upstream/pool_request.h"

namespace outrigger::app {

class AutoCodec final : public exchange::UpstreamCodec {
 public:
  AutoCodec(upstream::ConnectionPool& pool, io::Loop& loop, Clock& clock);

  exchange::AttemptHandle newAttempt(exchange::AttemptEvents& events) override;
  void recycle(exchange::UpstreamAttempt* attempt) override;

  // For WorkerContext::make_codec.
  static std::unique_ptr<exchange::UpstreamCodec> make(exchange::WorkerUpstream& upstream,
                                                       io::Loop& loop, Clock& clock);

  // For its attempts: the codec the endpoint's ALPN answer chose, or null before it came.
  exchange::UpstreamCodec* codecFor(size_t endpoint);
  // Waits for the endpoint's answer (a first connection is opened for it): the attempt hears
  // onProtocolKnown() or onNoConnection(), possibly from inside this call for the former.
  void awaitProtocol(AutoAttempt& attempt);
  void stopAwaiting(AutoAttempt& attempt);

 private:
  enum class Protocol { kUnknown, kHttp1, kHttp2 };
  // The first connection to one endpoint, opened to hear its ALPN answer.
  class Probe final : public upstream::PoolCallbacks {
   public:
    Probe(AutoCodec& codec, size_t endpoint) : codec_(codec), endpoint_(endpoint) {}
    upstream::PoolRequest request;

   private:
    void onPoolReady(upstream::PooledConnection& connection) override;
    void onPoolFailure(upstream::PoolFailure failure, const std::string& detail) override;
    AutoCodec& codec_;
    size_t endpoint_;
  };
  struct Endpoint {
    Protocol protocol = Protocol::kUnknown;
    std::unique_ptr<Probe> probe;  // while the answer is awaited
    std::deque<AutoAttempt*> waiting;
  };

  Endpoint& endpointOf(size_t index);
  void onAnswer(size_t endpoint, upstream::PooledConnection& connection);
  // A codec found the server's answer changed on a new connection, which it hands over.
  void onProtocolChanged(size_t endpoint, Protocol now, upstream::PooledConnection& connection);
  void onProbeFailed(size_t endpoint, upstream::PoolFailure failure, const std::string& detail);
  // Takes the waiting attempts out first: one may end, and start again here, at once.
  std::deque<AutoAttempt*> takeWaiting(size_t endpoint);

  upstream::ConnectionPool& pool_;
  io::Loop& loop_;
  http1::Http1Codec http1_;
  http2::Http2Codec http2_;
  std::deque<Endpoint> endpoints_;  // a deque: growing it moves none
  exchange::SpareAttempts<AutoAttempt> attempts_;
};

}  // namespace outrigger::app
