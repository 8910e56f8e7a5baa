#pragma once
// The app's HTTP/1.1 connection once the upstream switched protocols (101), or a CONNECT's
// upstream connection is up (200): that head goes to the app, then both connections become
// a tunnel::BytePipe. The pipe starts on the
// next loop turn, once the exchange that asked for it has released its output holds.

#include <functional>
#include <memory>
#include <string>

#include "proxy/common/clock.h"
#include "proxy/exchange/tunnel_handoff.h"
#include "proxy/http/message.h"
#include "proxy/io/loop.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/tunnel/byte_pipe.h"

namespace outrigger::http1 {

class SessionTunnel {
 public:
  // Called once, when the tunnel ended, from inside one of its callbacks.
  using EndFn = std::function<void(const tunnel::TunnelReport&)>;

  // `app` and `app_early` (bytes the app sent behind its request) are the session's; the
  // tunnel takes them when it starts.
  SessionTunnel(io::Loop& loop, Clock& clock, std::unique_ptr<io::TcpStream>& app,
                std::string& app_early, std::string_view head_bytes,
                exchange::TunnelHandoff& handoff, EndFn on_end);
  // Ends it now (drain, or the session closing): reported as drained.
  void stop();

 private:
  void begin();

  io::Loop& loop_;
  Clock& clock_;
  std::unique_ptr<io::TcpStream>& app_;
  std::string& app_early_;
  exchange::TunnelHandoff handoff_;
  EndFn on_end_;
  std::unique_ptr<tunnel::BytePipe> pipe_;
  io::DeferredTask begin_;
  bool ended_ = false;
};

}  // namespace outrigger::http1
