#pragma once
// One attempt of a `protocol: auto` upstream: once the endpoint's ALPN answer is known it
// is an attempt of the HTTP/1.1 or the HTTP/2 codec, and every call goes to that one, whose
// events reach the exchange directly. Before that it only waits (AutoCodec).

#include <string>

#include "proxy/exchange/upstream_attempt.h"
#include "proxy/upstream/pool_request.h"

namespace outrigger::app {

class AutoCodec;

class AutoAttempt final : public exchange::UpstreamAttempt {
 public:
  explicit AutoAttempt(AutoCodec& codec) : codec_(codec) {}

  void reset(exchange::AttemptEvents& events);
  // Gives the inner attempt back to its codec (the exchange dropped this one).
  void release();
  size_t endpoint() const { return endpoint_; }

  // From AutoCodec: the endpoint's protocol is known, or its first connection failed.
  void onProtocolKnown();
  void onNoConnection(upstream::PoolFailure failure, const std::string& detail);

  // exchange::UpstreamAttempt
  void start(size_t endpoint, const exchange::AttemptRequest& request) override;
  void sendRequestBody(std::string_view piece) override;
  void endRequest() override;
  bool connected() const override;
  size_t queuedRequestBytes() const override;
  void pauseResponse() override;
  void resumeResponse() override;
  MonoTime nextDeadline() const override;
  void onTimer(MonoTime now) override;
  void cancel() override;

 private:
  AutoCodec& codec_;
  exchange::AttemptEvents* events_ = nullptr;
  exchange::AttemptRequest request_;
  size_t endpoint_ = 0;
  bool awaiting_ = false;
  exchange::AttemptHandle inner_;
};

}  // namespace outrigger::app
