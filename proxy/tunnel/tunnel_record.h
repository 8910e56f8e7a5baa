#pragma once
// What a tunnel leaves behind when it ends or fails to open: outrigger_tunnels_total,
// outrigger_tunnel_bytes_total and one access log line with its duration and bytes.

#include <string>
#include <string_view>

#include "proxy/exchange/worker_context.h"
#include "proxy/metrics/metrics.h"
#include "proxy/tunnel/tunnel_connector.h"
#include "proxy/tunnel/tunnel_ledger.h"

namespace outrigger::tunnel {

metrics::TunnelResult tunnelResultOf(TunnelEndReason reason);
metrics::TunnelResult tunnelResultOf(ConnectFailure failure);

// The access log fields a tunnel's owner knows.
struct TunnelLogFields {
  std::string_view listener;
  std::string_view method;  // "TCP" for an L4 listener's connection; the request's otherwise
  std::string_view path;
  std::string_view request_id;
  std::string_view upstream;
  std::string_view endpoint;
  int status = 0;  // 101 for a WebSocket, 0 for a raw connection
};

void recordTunnelEnd(exchange::WorkerContext& context, metrics::UpstreamMetrics& metrics,
                     metrics::TunnelKind kind, const TunnelReport& report,
                     const TunnelLogFields& fields);
void recordTunnelFailure(exchange::WorkerContext& context, metrics::UpstreamMetrics& metrics,
                         metrics::TunnelKind kind, ConnectFailure failure, std::string_view detail,
                         Duration elapsed, const TunnelLogFields& fields);

}  // namespace outrigger::tunnel
