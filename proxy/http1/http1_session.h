#pragma once
// One HTTP/1.1 connection from the app: the downstream codec. Parses requests and runs them
// one at a time through an Exchange, for which it is the DownstreamStream: pipelined
// requests wait, parsed but unanswered, until the one before them is done, so responses go
// back in order. It frames responses for HTTP/1.x (chunked, or until close for HTTP/1.0),
// owns the header and idle timeouts, and holds the keep-alive rule: the connection serves
// another request only if the app asked for keep-alive, no close or drain was asked, and
// the whole request was read.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "proxy/exchange/downstream_connection.h"
#include "proxy/exchange/downstream_stream.h"
#include "proxy/exchange/exchange.h"
#include "proxy/exchange/exchange_slot.h"
#include "proxy/exchange/worker_context.h"
#include "proxy/http/local_reply.h"
#include "proxy/http/parser.h"
#include "proxy/http1/connect_tunnel.h"
#include "proxy/http1/session_tunnel.h"
#include "proxy/io/loop.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/io/timer.h"

namespace outrigger::metrics {
struct UpstreamMetrics;
}  // namespace outrigger::metrics

namespace outrigger::http1 {

class Http1Session final : public io::StreamHandler,
                           public http::RequestHandler,
                           public exchange::DownstreamStream,
                           public exchange::DownstreamConnection {
 public:
  using ClosedFn = std::function<void(Http1Session&)>;
  Http1Session(exchange::WorkerContext& context, exchange::ListenerInfo listener,
               std::unique_ptr<io::TcpStream> stream, ClosedFn on_closed);
  ~Http1Session() override;

  void start() override;
  // Bytes the connection's first read brought, already taken off the socket (the protocol
  // sniffer read them); parsed as if just read. Call after start().
  void takeFirstBytes(std::string_view bytes);
  // Stop taking new requests: close now if idle, else after the current response.
  void closeWhenIdle() override;
  bool idle() const { return !exchange_ && !connect_ && input_.empty(); }
  const std::string& listenerName() const { return listener_.config->name; }

 private:
  // io::StreamHandler
  void onStreamData(const char* data, size_t len) override;
  std::pair<char*, size_t> readSpace() override;
  void onStreamEnd(int error) override;
  void onStreamDrained() override;

  // http::RequestHandler
  http::ParserAction onRequestHead(http::RequestHead& head) override;
  http::ParserAction onRequestBody(std::string_view chunk) override;
  void onRequestTrailers(http::Headers& trailers) override;
  http::ParserAction onRequestComplete() override;

  // exchange::DownstreamStream
  void sendResponseHead(http::ResponseHead& head) override;
  void sendResponseBody(std::string_view piece) override;
  void sendResponseTrailers(http::Headers& trailers) override;
  void endResponse() override;
  void abortResponse() override;
  void sendContinue() override;
  bool startTunnel(http::ResponseHead& head, exchange::TunnelHandoff& handoff) override;
  size_t queuedResponseBytes() const override { return stream_->queuedBytes(); }
  void resumeRequestBody() override { resume_body_.schedule(); }
  void holdOutput() override { stream_->cork(); }
  void releaseOutput() override { stream_->uncork(); }
  io::Timer& exchangeTimer() override { return timer_; }

  // Whether the connection may serve another request after this response.
  bool responseKeepsAlive() const;
  void resumeBody();
  void abortExchange();
  // The generation a new request runs on, with listener_ pointed at this connection's
  // listener in it: the newest one that still has that listener.
  std::shared_ptr<const exchange::Snapshot> generationForRequest();
  void parse(const char* data, size_t len);
  void parseBuffered();
  void replyToBadRequest(const http::ParseResult& result);
  // A local reply to a request refused before it had an exchange; the connection closes.
  // `request_id` is "" when no head was read.
  void replyWithoutExchange(http::LocalReason reason, std::string_view request_id = "");
  void finishExchange();
  void nextRequest();
  void updateReading();
  // Header or idle timeout `after` from now (the timer is re-armed lazily, see onTimer).
  void armTimer(Duration after);
  void onTimer();
  void armIdleTimer();
  void close(bool graceful);
  void onTunnelEnd(const tunnel::TunnelReport& report);
  // A CONNECT a connect: true route allows: true once its ConnectTunnel has started
  // (connect_tunnel.cc). False sends it to an exchange, which refuses it.
  bool startConnect(http::RequestHead& head,
                    const std::shared_ptr<const exchange::Snapshot>& generation);
  // Answers a CONNECT the session will not tunnel with a local reply, then closes.
  void refuseConnect(http::LocalReason reason, metrics::UpstreamMetrics& metrics,
                     std::string_view request_id);
  // A request begins: take a slot from the pool (if not holding one) and lend the parser
  // its head storage.
  void borrowSlot();
  // Gives the slot back once nothing needs it: no exchange, no request half-parsed, no
  // bytes waiting.
  void returnSlotIfIdle();
  // Destroys the exchange, if any (its slot stays borrowed).
  void endExchange();

  exchange::WorkerContext& context_;
  exchange::ListenerInfo listener_;                                // in the generation below
  std::shared_ptr<const exchange::Snapshot> listener_generation_;  // keeps listener_.config alive
  std::unique_ptr<io::TcpStream> stream_;
  ClosedFn on_closed_;
  std::string client_ip_;
  http::RequestParser parser_;
  // The connection's one timer: header timeout while a head arrives, idle timeout between
  // requests, the exchange's deadlines while one runs.
  io::Timer timer_;
  MonoTime timer_deadline_{};
  // Work for the next turn, since each is asked for inside the exchange's own call stack:
  // nothing allocated per request, and destroying the session cancels them.
  io::DeferredTask finish_exchange_;  // after endResponse()
  io::DeferredTask abort_exchange_;   // after abortResponse()
  io::DeferredTask resume_body_;      // after resumeRequestBody()
  // Borrowed from the worker's pool while a request is under way (the parser fills
  // slot_->buffers.parse_head meanwhile); the exchange runs in it.
  std::unique_ptr<exchange::ExchangeSlot> slot_;
  // The exchange in slot_, or null: one at a time per connection.
  exchange::Exchange* exchange_ = nullptr;
  std::string input_;  // bytes read but not parsed yet (parser paused)
  // Where the last read went when it was lent the head's store (readSpace()), else null.
  const char* read_in_place_ = nullptr;
  bool parser_paused_ = false;
  bool waiting_for_exchange_ = false;  // request complete, response not done yet
  bool head_in_progress_ = false;
  bool close_requested_ = false;
  bool kept_alive_ = false;  // a request before this one was served on the connection
  bool closed_ = false;
  bool body_refused_ = false;  // a malformed body was answered: the rest is not read
  bool exchange_done_ = false;
  bool keep_alive_ = false;
  bool counted_ = false;  // in outrigger_downstream_connections
  // How the response under way is framed to the app.
  bool head_request_ = false;         // the request under way is a HEAD
  bool response_no_body_ = false;     // HEAD
  bool chunk_to_client_ = false;      // chunked (an HTTP/1.1 app, a body of unknown length)
  bool response_keep_alive_ = false;  // what its head told the app
  http::Headers response_trailers_;   // sent with the last chunk
  // After a 101: the connection is a tunnel until it closes; the exchange stays (in its
  // kTunnel phase) to hold the bulkhead slot and record the tunnel.
  std::unique_ptr<SessionTunnel> tunnel_;
  // After a CONNECT a connect: true route allows: no exchange; the connection is the
  // tunnel's (its connect, then its pipe) until it closes.
  std::unique_ptr<ConnectTunnel> connect_;
};

}  // namespace outrigger::http1
