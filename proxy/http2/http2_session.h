#pragma once
// One HTTP/2 app connection (h2c with prior knowledge): the socket, the ServerSession codec,
// and an Http2Stream, with its own Exchange, per request stream. Bytes read go into the
// codec; what it has to write is taken at the end of each read and of each turn in which a
// stream submitted something. Drain: GOAWAY NO_ERROR, then close once the streams it let
// through are done. A connection with no stream open for limits.idle_timeout is closed the
// same way.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proxy/exchange/downstream_connection.h"
#include "proxy/exchange/exchange.h"
#include "proxy/exchange/worker_context.h"
#include "proxy/http2/http2_stream.h"
#include "proxy/http2/server_session.h"
#include "proxy/io/loop.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/io/timer.h"

namespace outrigger::http2 {

// listeners[].http2 and limits.max_request_head, as the codec takes them.
ServerLimits serverLimitsFor(const config::ListenerConfig& listener);

class Http2Session final : public ServerSession::Handler,
                           public StreamConnection,
                           public exchange::DownstreamConnection {
 public:
  using ClosedFn = std::function<void(Http2Session&)>;
  // `first_bytes`: what was read before the session took the socket (the preface, at least).
  Http2Session(exchange::WorkerContext& context, exchange::ListenerInfo listener,
               std::unique_ptr<io::TcpStream> stream, std::string first_bytes, ClosedFn on_closed);
  ~Http2Session() override;

  void start() override;
  void closeWhenIdle() override;

 private:
  // The socket's events (its handler's names clash with the codec's Handler).
  class SocketEvents final : public io::StreamHandler {
   public:
    explicit SocketEvents(Http2Session& session) : session_(session) {}
    void onStreamData(const char* data, size_t len) override {
      if (len > 0) session_.feed(std::string_view(data, len));
    }
    void onStreamEnd(int error) override { session_.onSocketEnd(error); }
    void onStreamDrained() override { session_.onSocketDrained(); }

   private:
    Http2Session& session_;
  };
  void onSocketEnd(int error);
  void onSocketDrained();

  // ServerSession::Handler
  void onStreamHead(StreamId id, http::RequestHead& head) override;
  void onStreamData(StreamId id, std::string_view chunk) override;
  void onStreamTrailers(StreamId id, http::Headers& trailers) override;
  void onStreamEnd(StreamId id) override;
  void onStreamClosed(StreamId id) override;
  void onStreamReset(StreamId id, ErrorCode code) override;
  void onStreamWritable(StreamId id) override;
  void onStreamRejected(StreamId id, http::LocalReason reason) override;

  // StreamConnection
  ServerSession& codec() override { return codec_; }
  void outputPending() override;
  size_t socketQueuedBytes() const override { return stream_ ? stream_->queuedBytes() : 0; }

  void feed(std::string_view bytes);
  // Writes what the codec has for the app, unless the socket is backed up; closes once the
  // codec is finished.
  void flush();
  Http2Stream* find(StreamId id);
  // The stream is over for the codec: it is destroyed on the next turn.
  void retire(StreamId id);
  std::shared_ptr<const exchange::Snapshot> generationForRequest();
  // Applies limits.headers_with_underscores; false: the request is refused (400).
  bool underscoresAllowed(http::RequestHead& head);
  void onIdleTimer();
  void close(bool graceful);

  SocketEvents socket_events_{*this};
  exchange::WorkerContext& context_;
  exchange::ListenerInfo listener_;
  std::shared_ptr<const exchange::Snapshot> listener_generation_;  // keeps listener_.config
  std::unique_ptr<io::TcpStream> stream_;
  std::string first_bytes_;
  ClosedFn on_closed_;
  std::string client_ip_;
  ServerSession codec_;
  std::map<StreamId, std::unique_ptr<Http2Stream>> streams_;
  std::vector<std::unique_ptr<Http2Stream>> retired_;
  io::DeferredTask reap_;   // destroys retired_ streams
  io::DeferredTask flush_;  // after a stream submitted output
  io::Timer idle_timer_;
  bool going_away_ = false;
  bool closed_ = false;
  bool counted_ = false;  // in outrigger_downstream_connections
};

}  // namespace outrigger::http2
