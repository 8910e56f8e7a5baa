#pragma once
// One attempt as one HTTP/2 stream on a shared upstream connection (Http2Codec finds it
// one). It sends the forwarded request head as fields and the body as DATA, passes the
// response on as it comes, holds the stream's window shut while the app is behind, enforces
// the per-try, read and write deadlines, and ends with one AttemptResult. A stream the
// upstream refused unprocessed (REFUSED_STREAM, above a GOAWAY's last-stream-id) ends
// kRefused and retry_safe, whatever the method (RFC 9113 §8.7).

#include <cstddef>
#include <string>

#include "proxy/common/clock.h"
#include "proxy/exchange/upstream_attempt.h"
#include "proxy/http2/client_connection.h"

namespace outrigger::http2 {

class Http2Codec;

class Http2Attempt final : public exchange::UpstreamAttempt, public ClientStreamUser {
 public:
  Http2Attempt(Http2Codec& codec, Clock& clock) : codec_(codec), clock_(clock) {}
  ~Http2Attempt() override { cancel(); }
  Http2Attempt(const Http2Attempt&) = delete;
  Http2Attempt& operator=(const Http2Attempt&) = delete;

  void reset(exchange::AttemptEvents& events);
  size_t endpoint() const { return endpoint_; }

  // From the codec: a connection with room for this attempt's stream.
  void onConnection(ClientConnection& connection);
  // From the codec: no connection could be had.
  void onNoConnection(upstream::PoolFailure failure, const std::string& detail);
  // From the codec: nothing was sent, and the request may go again at once, elsewhere.
  void onRefused(const std::string& detail);

  // exchange::UpstreamAttempt
  void start(size_t endpoint, const exchange::AttemptRequest& request) override;
  void sendRequestBody(std::string_view piece) override;
  void endRequest() override;
  bool connected() const override { return connection_ != nullptr; }
  size_t queuedRequestBytes() const override;
  void pauseResponse() override { paused_ = true; }
  void resumeResponse() override;
  MonoTime nextDeadline() const override;
  void onTimer(MonoTime now) override;
  void cancel() override;

 private:
  // ClientStreamUser
  void onStreamHead(http::ResponseHead& head) override;
  void onStreamData(std::string_view chunk) override;
  void onStreamTrailers(http::Headers& trailers) override;
  void onStreamComplete() override;
  void onStreamFailed(StreamFailure failure, std::string_view why) override;
  void onStreamWritable() override;

  void buildHead(const ClientConnection& connection);
  exchange::AttemptResult failure(policy::AttemptOutcome outcome, http::LocalReason reason,
                                  std::string detail) const;
  // Ends the attempt: its stream is given up (reset unless it closed), then the exchange
  // hears `result`, as the last thing this attempt does.
  void end(exchange::AttemptResult result);
  void release();

  Http2Codec& codec_;
  Clock& clock_;
  exchange::AttemptEvents* events_ = nullptr;
  exchange::AttemptRequest request_;
  ClientConnection* connection_ = nullptr;
  StreamId stream_ = -1;
  http::RequestHead head_;  // the forwarded head; kept, so its capacity is reused
  size_t endpoint_ = 0;
  size_t unconsumed_ = 0;  // response bytes passed on while paused: consumed on resume
  int status_ = 0;
  bool running_ = false;
  bool waiting_ = false;  // in the codec's queue for a connection
  bool endpoint_counted_ = false;
  bool request_sent_ = false;
  bool streaming_ = false;   // the head went to the exchange, which passes it on
  bool discarding_ = false;  // a failure response the exchange retries
  bool paused_ = false;
  const config::TimeoutsConfig* timeouts_ = nullptr;
  MonoTime try_deadline_ = MonoTime::max();
  MonoTime last_activity_{};
};

}  // namespace outrigger::http2
