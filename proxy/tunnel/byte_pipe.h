#pragma once
// A tunnel's data path, protocol-neutral: two connections, bytes copied both ways. Back-
// pressure: a side stops being read while the other side has more than kHighWaterBytes
// queued, and is read again once that has gone out. Half-close is passed through: an EOF
// from one side becomes a FIN to the other, and the pipe ends once both sides have sent
// theirs. timeouts.tunnel_idle is its only timer. The end is reported once.

#include <functional>
#include <memory>
#include <string_view>

#include "proxy/common/clock.h"
#include "proxy/io/loop.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/io/timer.h"
#include "proxy/tunnel/tunnel_ledger.h"

namespace outrigger::tunnel {

class BytePipe {
 public:
  // Above this many bytes queued for one side, the other side is not read.
  static constexpr size_t kHighWaterBytes = 64 * 1024;

  // Called once, when the pipe ended, from inside one of its callbacks (or from stop()):
  // both connections are closed by then. The owner frees the pipe on a later turn.
  using EndFn = std::function<void(const TunnelReport&)>;

  BytePipe(io::Loop& loop, Clock& clock, std::unique_ptr<io::TcpStream> app,
           std::unique_ptr<io::TcpStream> upstream, Duration idle, EndFn on_end);
  ~BytePipe();  // closes what is still open at once; reports nothing
  BytePipe(const BytePipe&) = delete;
  BytePipe& operator=(const BytePipe&) = delete;

  // Starts both ways. `to_upstream` / `to_app`: bytes read from one side before the pipe
  // took over (what an app sent right behind its handshake), written first.
  void start(std::string_view to_upstream = {}, std::string_view to_app = {});
  // Ends it now (drain): both connections close, and the end is reported with `reason`.
  void stop(TunnelEndReason reason);

  const TunnelLedger& ledger() const { return ledger_; }

 private:
  // One connection of the pipe; what is read from it goes the `sends` way.
  struct Side final : io::StreamHandler {
    Side(BytePipe& owner, Direction direction, std::unique_ptr<io::TcpStream> connection)
        : pipe(owner), sends(direction), stream(std::move(connection)) {}
    void onStreamData(const char* data, size_t len) override { pipe.onData(*this, data, len); }
    void onStreamEnd(int error) override { pipe.onEnd(*this, error); }
    void onStreamDrained() override { pipe.onDrained(*this); }

    BytePipe& pipe;
    Direction sends;
    std::unique_ptr<io::TcpStream> stream;
    bool paused = false;  // not read: the other side has too much queued
  };

  Side& other(const Side& side) { return &side == &app_ ? upstream_ : app_; }
  void onData(Side& from, const char* data, size_t len);
  void onEnd(Side& side, int error);
  void onDrained(Side& drained);
  void onIdleTimer();
  void finish(TunnelEndReason reason, bool graceful);

  Clock& clock_;
  Side app_;
  Side upstream_;
  TunnelLedger ledger_;
  Duration idle_;
  EndFn on_end_;
  io::Timer idle_timer_;
};

}  // namespace outrigger::tunnel
