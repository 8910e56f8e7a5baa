#pragma once
// One request stream of an HTTP/2 app connection: the DownstreamStream its Exchange answers
// through. It owns the exchange's slot (borrowed from the worker's pool) and timer; the
// Http2Session that made it carries its response to the ServerSession and its request events
// to the exchange. Request body back-pressure: a chunk the exchange asks to pause after is
// not consume()d, so the app's window for the stream stays shut until resumeRequestBody().

#include <cstddef>
#include <memory>
#include <string_view>

#include "proxy/exchange/downstream_stream.h"
#include "proxy/exchange/exchange.h"
#include "proxy/exchange/exchange_slot.h"
#include "proxy/exchange/worker_context.h"
#include "proxy/http2/error_code.h"
#include "proxy/io/loop.h"
#include "proxy/io/timer.h"

namespace outrigger::http2 {

class ServerSession;

// What a stream needs of its connection.
class StreamConnection {
 public:
  virtual ~StreamConnection() = default;
  virtual ServerSession& codec() = 0;
  // Output was submitted: write it out (on this turn's end or the next).
  virtual void outputPending() = 0;
  // Bytes written to the socket and not yet taken by the kernel.
  virtual size_t socketQueuedBytes() const = 0;
};

class Http2Stream final : public exchange::DownstreamStream {
 public:
  Http2Stream(exchange::WorkerContext& context, StreamConnection& connection, StreamId id);
  ~Http2Stream() override;
  Http2Stream(const Http2Stream&) = delete;
  Http2Stream& operator=(const Http2Stream&) = delete;

  // The request head: runs the exchange in a slot from the pool. `head` is swapped out.
  void begin(http::RequestHead& head, std::shared_ptr<const exchange::Snapshot> generation,
             exchange::ListenerInfo listener, std::string_view client_ip);
  // Answers `reason` at once, without an exchange; the rest of the request is dropped.
  void refuse(http::LocalReason reason);
  void requestData(std::string_view chunk);
  void requestTrailers(http::Headers& trailers);
  void requestEnd();
  // The stream was reset, or the connection lost: the exchange hears the app is gone.
  void gone();
  // The codec can take more of the response / the socket drained.
  void writable();
  bool answered() const { return exchange_done_; }

  // exchange::DownstreamStream
  void sendResponseHead(http::ResponseHead& head) override;
  void sendResponseBody(std::string_view piece) override;
  void sendResponseTrailers(http::Headers& trailers) override;
  void endResponse() override;
  void abortResponse() override;
  void sendContinue() override;
  size_t queuedResponseBytes() const override;
  void resumeRequestBody() override { resume_body_.schedule(); }
  void holdOutput() override {}     // output leaves at the turn's end anyway
  void releaseOutput() override {}  // (Http2Session::outputPending)
  io::Timer& exchangeTimer() override { return timer_; }

 private:
  void resumeBody();
  void endExchange();

  exchange::WorkerContext& context_;
  StreamConnection& connection_;
  StreamId id_;
  io::Timer timer_;
  io::DeferredTask end_exchange_;  // after endResponse() / abortResponse()
  io::DeferredTask resume_body_;   // after resumeRequestBody()
  std::unique_ptr<exchange::ExchangeSlot> slot_;
  exchange::Exchange* exchange_ = nullptr;
  size_t unconsumed_ = 0;  // request body taken while paused: consume() on resume
  bool body_paused_ = false;
  bool request_complete_ = false;
  bool exchange_done_ = false;  // endResponse() or abortResponse() came
  bool gone_ = false;           // reset or lost: nothing more is submitted
  bool ended_ = false;          // END_STREAM submitted
  bool no_body_ = false;        // the response to a HEAD, or its head ended the stream
  http::Headers trailers_;
};

}  // namespace outrigger::http2
