#pragma once
// One connection from the app. Parses requests and runs them one at a time through an
// Exchange: pipelined requests wait, parsed but unanswered, until the one before them is
// done, so responses go back in order. Owns the header and idle timeouts.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "proxy/exchange/exchange.h"
#include "proxy/exchange/exchange_slot.h"
#include "proxy/exchange/worker_context.h"
#include "proxy/http/parser.h"
#include "proxy/io/loop.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/io/timer.h"

namespace outrigger::exchange {

class DownstreamSession final : public io::StreamHandler,
                                public http::RequestHandler,
                                public ExchangeOwner {
 public:
  using ClosedFn = std::function<void(DownstreamSession&)>;
  DownstreamSession(WorkerContext& context, ListenerInfo listener,
                    std::unique_ptr<io::TcpStream> stream, ClosedFn on_closed);
  ~DownstreamSession() override;

  void start();
  // Stop taking new requests: close now if idle, else after the current response.
  void closeWhenIdle();
  bool idle() const { return !exchange_ && input_.empty(); }
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
  http::ParserAction onRequestComplete() override;

  // ExchangeOwner
  io::TcpStream& clientStream() override { return *stream_; }
  io::Timer& exchangeTimer() override { return timer_; }
  void onExchangeDone(bool keep_alive) override;
  void onExchangeAborted() override;
  void resumeRequestBody() override;

  // The generation a new request runs on, with listener_ pointed at this connection's
  // listener in it: the newest one that still has that listener.
  std::shared_ptr<const Snapshot> generationForRequest();
  void parse(const char* data, size_t len);
  void parseBuffered();
  void replyToBadRequest(const http::ParseResult& result);
  void finishExchange();
  void nextRequest();
  void updateReading();
  // Header or idle timeout `after` from now (the timer is re-armed lazily, see onTimer).
  void armTimer(Duration after);
  void onTimer();
  void armIdleTimer();
  void close(bool graceful);
  // A request begins: take a slot from the pool (if not holding one) and lend the parser
  // its head storage.
  void borrowSlot();
  // Gives the slot back once nothing needs it: no exchange, no request half-parsed, no
  // bytes waiting.
  void returnSlotIfIdle();
  // Destroys the exchange, if any (its slot stays borrowed).
  void endExchange();

  WorkerContext& context_;
  ListenerInfo listener_;                                // in the generation below
  std::shared_ptr<const Snapshot> listener_generation_;  // keeps listener_.config alive
  std::unique_ptr<io::TcpStream> stream_;
  ClosedFn on_closed_;
  std::string client_ip_;
  http::RequestParser parser_;
  // The connection's one timer: header timeout while a head arrives, idle timeout between
  // requests, the exchange's deadlines while one runs.
  io::Timer timer_;
  MonoTime timer_deadline_{};
  // finishExchange() on the next turn after onExchangeDone, with nothing allocated per request.
  io::DeferredTask finish_exchange_;
  // Borrowed from the worker's pool while a request is under way (the parser fills
  // slot_->buffers.parse_head meanwhile); the exchange runs in it.
  std::unique_ptr<ExchangeSlot> slot_;
  // The exchange in slot_, or null: one at a time per connection.
  Exchange* exchange_ = nullptr;
  std::string input_;  // bytes read but not parsed yet (parser paused)
  // Where the last read went when it was lent the head's store (readSpace()), else null.
  const char* read_in_place_ = nullptr;
  bool parser_paused_ = false;
  bool waiting_for_exchange_ = false;  // request complete, response not done yet
  bool head_in_progress_ = false;
  bool close_requested_ = false;
  bool closed_ = false;
  bool body_refused_ = false;  // a malformed body was answered: the rest is not read
  bool exchange_done_ = false;
  bool keep_alive_ = false;
  bool counted_ = false;         // in outrigger_downstream_connections
  std::shared_ptr<bool> alive_;  // deferred work checks it: the session may be gone by then
};

}  // namespace outrigger::exchange
