#pragma once
// The bookkeeping of one tunnel, with no I/O: bytes each way, the last activity (for
// timeouts.tunnel_idle), which side has finished sending (half-close), and its end, reported
// once. BytePipe feeds it from its streams' callbacks.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "proxy/common/clock.h"

namespace outrigger::tunnel {

// kUp: from the app to the upstream; kDown: back.
enum class Direction { kUp = 0, kDown = 1 };

enum class TunnelEndReason {
  kClosed,         // both sides finished sending (an orderly end)
  kIdleTimeout,    // no byte either way for timeouts.tunnel_idle
  kAppReset,       // the app's connection failed or was reset
  kUpstreamReset,  // the upstream's connection failed or was reset
  kDrained,        // cut at the drain timeout
};
std::string_view tunnelEndName(TunnelEndReason reason);

struct TunnelReport {
  Duration duration{};
  uint64_t bytes_up = 0;
  uint64_t bytes_down = 0;
  TunnelEndReason reason = TunnelEndReason::kClosed;
};

class TunnelLedger {
 public:
  TunnelLedger(MonoTime started, Duration idle) : started_(started), last_(started), idle_(idle) {}

  void addBytes(Direction d, uint64_t n, MonoTime now) {
    bytes_[index(d)] += n;
    last_ = now;
  }
  uint64_t bytes(Direction d) const { return bytes_[index(d)]; }

  // The side sending in `d` sent its end (EOF). True once both have: the tunnel is done.
  bool finishSending(Direction d);
  bool finished(Direction d) const { return finished_[index(d)]; }

  MonoTime idleDeadline() const { return last_ + idle_; }
  bool idleExpired(MonoTime now) const { return now >= idleDeadline(); }

  // The tunnel's end, the first time only; nullopt afterwards.
  std::optional<TunnelReport> end(TunnelEndReason reason, MonoTime now);
  bool ended() const { return ended_; }

 private:
  static size_t index(Direction d) { return static_cast<size_t>(d); }

  MonoTime started_;
  MonoTime last_;
  Duration idle_;
  std::array<uint64_t, 2> bytes_{};
  std::array<bool, 2> finished_{};
  bool ended_ = false;
};

}  // namespace outrigger::tunnel
