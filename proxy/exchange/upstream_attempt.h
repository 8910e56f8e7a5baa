#pragma once
// One try of a request against one endpoint, made by the upstream's codec (DESIGN §2). The
// attempt waits for a pooled connection, sends the request, parses the response, enforces
// the per-try, read and write deadlines, decides whether its connection can be reused, and
// ends with one AttemptResult. The exchange never sees the protocol behind it.

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "proxy/common/clock.h"
#include "proxy/config/schema.h"
#include "proxy/exchange/attempt_result.h"
#include "proxy/exchange/route_rewrite.h"
#include "proxy/exchange/tunnel_handoff.h"
#include "proxy/http/header_rules.h"
#include "proxy/http/message.h"

namespace outrigger::upstream {
class PooledConnection;
}  // namespace outrigger::upstream

namespace outrigger::exchange {

// What the attempt sends: the app's request as it is (it stays intact for another attempt).
struct AttemptRequest {
  const http::RequestHead* head = nullptr;
  std::string_view request_id;
  std::string_view client_ip;
  bool preserve_host = false;  // send the app's Host instead of the endpoint's authority
  // The request's trailer fields, sent with the end of the body; empty when it has none.
  const http::Headers* trailers = nullptr;
  // The route's changes to the request (path, Host, headers), or null when it makes none:
  // forwardedRequest() hands them to the head writer. The variables are for its values.
  const config::RouteRewrite* rewrite = nullptr;
  RewriteVariables variables;
  std::string_view path;  // head->path() when the exchange found it already, else empty
  // The timeouts this attempt enforces (per_try, read, write): the route's merged over the
  // upstream's when the route sets any, else null for the upstream's own.
  const config::TimeoutsConfig* timeouts = nullptr;
};

// What an attempt forwards, whatever its wire form: the app's head, and how it is forwarded
// to `endpoint_authority` ("host:port"; a host_rewrite replaces it), with the route's changes
// (forward.edits, per thread, their capacity reused) that the head writer applies as it
// writes, so each attempt, a retry too, sends the same rewritten head. Valid until the
// thread's next call.
struct ForwardedRequest {
  const http::RequestHead* head = nullptr;
  http::ForwardContext forward;
};
ForwardedRequest forwardedRequest(const AttemptRequest& request,
                                  std::string_view endpoint_authority);

enum class ResponseVerdict {
  kPassThrough,  // stream it to the app
  kDiscard,      // a failure that will be retried: read it through, then end
};

// Implemented by the exchange. The attempt calls these from its own I/O callbacks, never
// from inside a call the exchange made into it.
class AttemptEvents {
 public:
  virtual ~AttemptEvents() = default;
  // A connection is ready and the head is on its way: send the body pieces held so far.
  virtual void onAttemptConnected() = 0;
  // The final response head (the codec consumes 1xx responses itself).
  virtual ResponseVerdict onAttemptResponseHead(http::ResponseHead& head) = 0;
  virtual void onAttemptResponseBody(std::string_view piece) = 0;
  // The response's trailer fields, after its body and before it ends.
  virtual void onAttemptResponseTrailers(http::Headers& trailers) = 0;
  // The attempt is over: a whole response, or why not. Called once, as the attempt's last
  // act; the exchange may release the attempt from inside it.
  virtual void onAttemptEnded(AttemptResult& result) = 0;
  // The upstream switched protocols (a 101) as the request asked (AttemptRequest's head has
  // `upgrade` set). Called instead of onAttemptEnded, as the attempt's last act: its
  // connection left the pool and goes with `handoff`.
  virtual void onAttemptSwitched(http::ResponseHead& head, TunnelHandoff& handoff) = 0;
  // The upstream took the request body queued so far: the app may send more.
  virtual void onAttemptRequestDrained() = 0;
  // Around each read from the upstream: what one read produces for the app (head, body
  // pieces, the end) leaves together, once the exchange has recorded it. Always paired,
  // even when the attempt ends in between.
  virtual void onAttemptReadBegin() = 0;
  virtual void onAttemptReadEnd() = 0;
};

class UpstreamAttempt {
 public:
  virtual ~UpstreamAttempt() = default;
  // Starts the attempt on `endpoint` of the upstream the codec was made for. It may call
  // onAttemptConnected() from inside (an idle pooled connection), never onAttemptEnded().
  virtual void start(size_t endpoint, const AttemptRequest& request) = 0;
  // Request body, once onAttemptConnected() has been called.
  virtual void sendRequestBody(std::string_view piece) = 0;
  // The whole request body was sent; AttemptRequest::trailers go with its end.
  virtual void endRequest() = 0;
  virtual bool connected() const = 0;
  virtual size_t queuedRequestBytes() const = 0;
  // Back-pressure from the app: stop and restart reading the response.
  virtual void pauseResponse() = 0;
  virtual void resumeResponse() = 0;
  // The earliest of its deadlines (MonoTime::max() for none); the exchange arms its timer
  // with it and calls onTimer() when it fires.
  virtual MonoTime nextDeadline() const = 0;
  virtual void onTimer(MonoTime now) = 0;
  // Abandons the attempt: no event follows, and the connection it holds is closed.
  virtual void cancel() = 0;
};

class UpstreamCodec;

// For a `protocol: auto` upstream: a new connection whose ALPN answer picked the protocol the
// codec that got it does not speak (the server changed). The handler takes the connection
// over; the codec's attempt is refused, so the exchange sends it again at once.
using ForeignConnectionFn = std::function<void(size_t endpoint, upstream::PooledConnection&)>;

// Gives a dropped attempt back to its codec, which reuses it only once the loop turn that
// dropped it is over (the process-wide lifetime rule, see io::Loop::deleteLater): an attempt
// may be dropped from inside its own callback.
struct AttemptRecycler {
  UpstreamCodec* codec = nullptr;
  void operator()(UpstreamAttempt* attempt) const;
};
using AttemptHandle = std::unique_ptr<UpstreamAttempt, AttemptRecycler>;

// Makes the attempts of one upstream on one worker, for one protocol (HTTP/1.1 today).
class UpstreamCodec {
 public:
  virtual ~UpstreamCodec() = default;
  virtual AttemptHandle newAttempt(AttemptEvents& events) = 0;
  // Takes back a dropped attempt; an attempt still running is cancelled.
  virtual void recycle(UpstreamAttempt* attempt) = 0;
};

inline void AttemptRecycler::operator()(UpstreamAttempt* attempt) const { codec->recycle(attempt); }

}  // namespace outrigger::exchange
