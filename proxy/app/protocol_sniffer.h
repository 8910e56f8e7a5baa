#pragma once
// The first bytes of an app connection, before it has a session: an HTTP listener serves
// HTTP/1.1 and h2c with prior knowledge on one port (issue 17), told apart by the HTTP/2
// client preface. The sniffer reads until the bytes say which, then hands the socket and
// what it read to `decided`. A connection that stays silent past limits.header_timeout is
// closed, as an HTTP/1.1 one would be. It is counted in outrigger_downstream_connections
// meanwhile, so that limits.max_connections sees it.

#include <functional>
#include <memory>
#include <string>

#include "proxy/common/clock.h"
#include "proxy/exchange/downstream_connection.h"
#include "proxy/io/loop.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/io/timer.h"

namespace prometheus {
class Gauge;
}  // namespace prometheus

namespace outrigger::app {

enum class AppProtocol { kHttp1, kHttp2 };

class ProtocolSniffer final : public io::StreamHandler, public exchange::DownstreamConnection {
 public:
  // Called once, from a read: the protocol, the socket and the bytes read so far. Called
  // with a null stream when the connection ended (or timed out) before it said.
  using DecidedFn = std::function<void(ProtocolSniffer&, AppProtocol,
                                       std::unique_ptr<io::TcpStream>, std::string first_bytes)>;
  ProtocolSniffer(io::Loop& loop, std::unique_ptr<io::TcpStream> stream, Duration timeout,
                  prometheus::Gauge* connections, DecidedFn decided);
  ~ProtocolSniffer() override;
  ProtocolSniffer(const ProtocolSniffer&) = delete;
  ProtocolSniffer& operator=(const ProtocolSniffer&) = delete;

  void start() override;
  // Nothing was asked of it yet: it closes at once.
  void closeWhenIdle() override { give(AppProtocol::kHttp1, /*keep=*/false); }

 private:
  void onStreamData(const char* data, size_t len) override;
  void onStreamEnd(int /*error*/) override { give(AppProtocol::kHttp1, /*keep=*/false); }
  void give(AppProtocol protocol, bool keep);

  std::unique_ptr<io::TcpStream> stream_;
  Duration timeout_;
  prometheus::Gauge* connections_;
  bool counted_ = false;
  DecidedFn decided_;
  io::Timer timer_;
  std::string first_;
};

}  // namespace outrigger::app
