#pragma once
// A CONNECT a connect: true route allows, on the app's HTTP/1.1 connection. The tunnel goes
// to an endpoint of the route's upstream (never to the authority the app named), opened by
// a tunnel::TunnelConnector with the same admission as a `protocol: tcp` connection. Once
// that connection is up the app gets `200 Connection Established` and both connections
// become a byte pipe (SessionTunnel); the bulkhead slot is held until the tunnel closes. A
// connect that fails is answered with the usual local reply (502 connect_failed, 503
// circuit_open, ...). Metrics kind="connect", and one access log line at the end. The
// tunnel is plain TCP even to a `tls:` upstream: the app's TLS runs end to end inside it.
// During the drain, a CONNECT on a kept-alive connection gets 503 draining instead.

#include <functional>
#include <memory>
#include <string>

#include "proxy/exchange/downstream_stream.h"
#include "proxy/exchange/worker_context.h"
#include "proxy/http1/session_tunnel.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/tunnel/tunnel_connector.h"

namespace outrigger::http1 {

class ConnectTunnel final : public tunnel::TunnelConnector::Callbacks {
 public:
  // What the access log line names.
  struct Request {
    std::string listener;
    std::string target;  // the authority, e.g. "api.stripe.com:443"
    std::string request_id;
  };
  // Called once the tunnel has ended (both connections are closed), from inside one of its
  // callbacks. Not called after a failed connect: its reply ends the app's connection.
  using EndFn = std::function<void()>;

  // `app` and `app_early` (bytes the app sent behind its CONNECT) are the session's; the
  // pipe takes them when it starts. `reply_to` answers a failed connect.
  ConnectTunnel(exchange::WorkerContext& context,
                std::shared_ptr<exchange::WorkerUpstream> upstream, Request request,
                std::unique_ptr<io::TcpStream>& app, std::string& app_early,
                exchange::DownstreamStream& reply_to, EndFn on_end);
  ~ConnectTunnel() override;
  ConnectTunnel(const ConnectTunnel&) = delete;
  ConnectTunnel& operator=(const ConnectTunnel&) = delete;

  void start();
  // Ends it now (drain, or the app's connection closing): an open tunnel is counted as
  // drained; a connect under way is dropped.
  void stop();

 private:
  void onTunnelConnected(std::unique_ptr<io::TcpStream> stream, size_t endpoint) override;
  void onTunnelFailed(tunnel::ConnectFailure failure, const std::string& detail) override;
  void onPipeEnd(const tunnel::TunnelReport& report);

  exchange::WorkerContext& context_;
  std::shared_ptr<exchange::WorkerUpstream> upstream_;
  Request request_;
  std::unique_ptr<io::TcpStream>& app_;
  std::string& app_early_;
  exchange::DownstreamStream& reply_to_;
  EndFn on_end_;
  MonoTime started_{};
  std::string endpoint_;
  // Holds the bulkhead slot while the tunnel is open; dropped by stop() before it is.
  std::unique_ptr<tunnel::TunnelConnector> connector_;
  std::unique_ptr<SessionTunnel> pipe_;
  bool stopped_ = false;
};

}  // namespace outrigger::http1
