#pragma once
// An upstream connection that switched protocols (a 101 to an Upgrade the route allows),
// on its way from the upstream attempt to the app's side, which makes it a tunnel.

#include <memory>
#include <string>

#include "proxy/common/clock.h"
#include "proxy/io/tcp_stream.h"

namespace outrigger::exchange {

struct TunnelHandoff {
  std::unique_ptr<io::TcpStream> stream;  // out of the pool for good; not reading
  std::string early_bytes;                // what the upstream sent right behind its 101
  Duration idle{};                        // the upstream's timeouts.tunnel_idle
};

}  // namespace outrigger::exchange
