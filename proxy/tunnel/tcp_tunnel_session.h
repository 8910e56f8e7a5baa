#pragma once
// One connection to a `protocol: tcp` listener: it waits for the listener's upstream to
// admit it and a connection to one of its endpoints (TunnelConnector), then pipes bytes
// both ways (BytePipe) until either side is done. When no endpoint can be had, the app's
// connection is closed at once. The bulkhead slot is held for the tunnel's life.

#include <functional>
#include <memory>
#include <string>

#include "proxy/exchange/downstream_connection.h"
#include "proxy/exchange/worker_context.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/tunnel/byte_pipe.h"
#include "proxy/tunnel/tunnel_connector.h"

namespace prometheus {
class Gauge;
}  // namespace prometheus

namespace outrigger::tunnel {

class TcpTunnelSession final : public exchange::DownstreamConnection,
                               public TunnelConnector::Callbacks {
 public:
  // Called once, when both connections are closed, from inside one of its callbacks: the
  // owner frees the session on a later turn.
  using ClosedFn = std::function<void(TcpTunnelSession&)>;

  TcpTunnelSession(exchange::WorkerContext& context, std::string listener,
                   std::shared_ptr<exchange::WorkerUpstream> upstream,
                   std::unique_ptr<io::TcpStream> app, prometheus::Gauge* connections,
                   ClosedFn closed);
  // An open tunnel destroyed (the drain timeout passed) is counted as drained.
  ~TcpTunnelSession() override;
  TcpTunnelSession(const TcpTunnelSession&) = delete;
  TcpTunnelSession& operator=(const TcpTunnelSession&) = delete;

  void start() override;
  // A connection still waiting for its upstream closes now; an open tunnel runs on (reload
  // leaves it alone; the drain cuts it at drain.timeout).
  void closeWhenIdle() override;

 private:
  void onTunnelConnected(std::unique_ptr<io::TcpStream> stream, size_t endpoint) override;
  void onTunnelFailed(ConnectFailure failure, const std::string& detail) override;
  void onPipeEnd(const TunnelReport& report);
  void closed();

  exchange::WorkerContext& context_;
  std::string listener_;
  std::shared_ptr<exchange::WorkerUpstream> upstream_;
  std::unique_ptr<io::TcpStream> app_;
  prometheus::Gauge* connections_;
  ClosedFn closed_;
  MonoTime started_{};
  std::string endpoint_;
  TunnelConnector connector_;  // holds the bulkhead slot while the tunnel is open
  std::unique_ptr<BytePipe> pipe_;
  bool counted_ = false;     // in outrigger_downstream_connections
  bool destroying_ = false;  // ended by the destructor: nobody is told
  bool done_ = false;
};

}  // namespace outrigger::tunnel
