#include "proxy/tunnel/tunnel_record.h"

#include "proxy/log/access_log.h"

namespace outrigger::tunnel {
namespace {

void writeLine(exchange::WorkerContext& context, const TunnelLogFields& fields,
               std::string_view reason, std::string_view error, Duration elapsed, uint64_t up,
               uint64_t down) {
  if (context.access_log == nullptr) return;
  log::AccessLogEntry entry;
  entry.request_id = fields.request_id;
  entry.listener = fields.listener;
  entry.method = fields.method;
  entry.path = fields.path;
  entry.upstream = fields.upstream;
  entry.endpoint = fields.endpoint;
  entry.status = fields.status;
  entry.reason = reason;
  entry.error = error;
  entry.attempts = fields.endpoint.empty() ? 0 : 1;
  entry.duration_ms = toSeconds(elapsed) * 1000.0;
  entry.bytes_in = up;
  entry.bytes_out = down;
  context.access_log->write(entry);
}

}  // namespace

metrics::TunnelResult tunnelResultOf(TunnelEndReason reason) {
  switch (reason) {
    case TunnelEndReason::kClosed:
      return metrics::TunnelResult::kClosed;
    case TunnelEndReason::kIdleTimeout:
      return metrics::TunnelResult::kIdleTimeout;
    case TunnelEndReason::kAppReset:
      return metrics::TunnelResult::kAppReset;
    case TunnelEndReason::kUpstreamReset:
      return metrics::TunnelResult::kUpstreamReset;
    case TunnelEndReason::kDrained:
      return metrics::TunnelResult::kDrained;
  }
  return metrics::TunnelResult::kClosed;
}

metrics::TunnelResult tunnelResultOf(ConnectFailure failure) {
  switch (failure) {
    case ConnectFailure::kRateLimited:
      return metrics::TunnelResult::kRateLimited;
    case ConnectFailure::kBulkheadFull:
      return metrics::TunnelResult::kBulkheadFull;
    case ConnectFailure::kBulkheadTimeout:
      return metrics::TunnelResult::kBulkheadTimeout;
    case ConnectFailure::kCircuitOpen:
      return metrics::TunnelResult::kCircuitOpen;
    case ConnectFailure::kNoHealthyEndpoint:
      return metrics::TunnelResult::kNoHealthyEndpoint;
    case ConnectFailure::kConnectFailed:
      return metrics::TunnelResult::kConnectFailed;
  }
  return metrics::TunnelResult::kConnectFailed;
}

void recordTunnelEnd(exchange::WorkerContext& context, metrics::UpstreamMetrics& metrics,
                     metrics::TunnelKind kind, const TunnelReport& report,
                     const TunnelLogFields& fields) {
  const metrics::TunnelResult result = tunnelResultOf(report.reason);
  metrics.countTunnel(kind, result);
  metrics.countTunnelBytes(report.bytes_up, report.bytes_down);
  writeLine(context, fields, metrics::tunnelResultName(result), "", report.duration,
            report.bytes_up, report.bytes_down);
}

void recordTunnelFailure(exchange::WorkerContext& context, metrics::UpstreamMetrics& metrics,
                         metrics::TunnelKind kind, ConnectFailure failure, std::string_view detail,
                         Duration elapsed, const TunnelLogFields& fields) {
  const metrics::TunnelResult result = tunnelResultOf(failure);
  metrics.countTunnel(kind, result);
  writeLine(context, fields, metrics::tunnelResultName(result), detail, elapsed, 0, 0);
}

}  // namespace outrigger::tunnel
