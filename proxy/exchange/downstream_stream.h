#pragma once
// The app's side of one exchange, as the exchange sees it (DESIGN §2): the response goes
// out through it, with back-pressure and an abort. The HTTP/1.1 session implements it for
// its one exchange at a time; an HTTP/2 session implements it once per stream. Request
// events come the other way, as calls on the Exchange.

#include <cstddef>
#include <string_view>

#include "proxy/exchange/tunnel_handoff.h"
#include "proxy/http/message.h"
#include "proxy/io/timer.h"

namespace outrigger::exchange {

class DownstreamStream {
 public:
  virtual ~DownstreamStream() = default;

  // The response head; head.framing says whether a body follows (kNone: it does not). The
  // stream frames the body for its own protocol and may change the head to do so.
  virtual void sendResponseHead(http::ResponseHead& head) = 0;
  virtual void sendResponseBody(std::string_view piece) = 0;
  // Trailer fields after the body, before endResponse() (gRPC's grpc-status comes this
  // way). A stream that cannot carry them (HTTP/1.x without chunked framing) drops them.
  virtual void sendResponseTrailers(http::Headers& trailers) = 0;
  // The response is complete. The exchange is finished: the stream destroys it on a later
  // loop turn, never from inside this call.
  virtual void endResponse() = 0;
  // The response cannot be completed: the app must not take a cut body for a whole one
  // (HTTP/1.1 closes the connection, HTTP/2 resets the stream). Also after a head only.
  virtual void abortResponse() = 0;
  // The upstream switched protocols: the stream sends `head` (the 101) and turns the app's
  // connection and handoff's into a tunnel, then tells Exchange::onTunnelClosed when it
  // ends. False when its protocol cannot (HTTP/2): the exchange cuts the request.
  virtual bool startTunnel(http::ResponseHead& /*head*/, TunnelHandoff& /*handoff*/) {
    return false;
  }
  // "100 Continue": the app may send the request body now.
  virtual void sendContinue() = 0;

  // Response bytes queued for the app and not yet taken. Above a high-water mark the
  // exchange stops reading the upstream until Exchange::onDownstreamDrained().
  virtual size_t queuedResponseBytes() const = 0;
  // The exchange asked for a pause in the request body (Exchange::onRequestBody returned
  // false) and can take more now.
  virtual void resumeRequestBody() = 0;
  // Writes made between these leave together, after the exchange has recorded its result.
  virtual void holdOutput() = 0;
  virtual void releaseOutput() = 0;

  // The exchange's one timer, armed with fireWithin(); the stream calls
  // Exchange::onTimer() when it fires.
  virtual io::Timer& exchangeTimer() = 0;
};

// Holds a stream's output for a scope.
class OutputHold {
 public:
  explicit OutputHold(DownstreamStream& stream) : stream_(stream) { stream_.holdOutput(); }
  ~OutputHold() { stream_.releaseOutput(); }
  OutputHold(const OutputHold&) = delete;
  OutputHold& operator=(const OutputHold&) = delete;

 private:
  DownstreamStream& stream_;
};

}  // namespace outrigger::exchange
