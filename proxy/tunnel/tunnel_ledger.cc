#include "proxy/tunnel/tunnel_ledger.h"

namespace outrigger::tunnel {

std::string_view tunnelEndName(TunnelEndReason reason) {
  switch (reason) {
    case TunnelEndReason::kClosed:
      return "closed";
    case TunnelEndReason::kIdleTimeout:
      return "idle_timeout";
    case TunnelEndReason::kAppReset:
      return "app_reset";
    case TunnelEndReason::kUpstreamReset:
      return "upstream_reset";
    case TunnelEndReason::kDrained:
      return "drained";
  }
  return "closed";
}

bool TunnelLedger::finishSending(Direction d) {
  finished_[index(d)] = true;
  return finished_[0] && finished_[1];
}

std::optional<TunnelReport> TunnelLedger::end(TunnelEndReason reason, MonoTime now) {
  if (ended_) return std::nullopt;
  ended_ = true;
  return TunnelReport{now - started_, bytes_[0], bytes_[1], reason};
}

}  // namespace outrigger::tunnel
