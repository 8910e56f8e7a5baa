#include "proxy/tunnel/byte_pipe.h"

namespace outrigger::tunnel {

BytePipe::BytePipe(io::Loop& loop, Clock& clock, std::unique_ptr<io::TcpStream> app,
                   std::unique_ptr<io::TcpStream> upstream, Duration idle, EndFn on_end)
    : clock_(clock),
      app_(*this, Direction::kUp, std::move(app)),
      upstream_(*this, Direction::kDown, std::move(upstream)),
      ledger_(clock.now(), idle),
      idle_(idle),
      on_end_(std::move(on_end)),
      idle_timer_(loop, [this] { onIdleTimer(); }) {}

BytePipe::~BytePipe() = default;  // the streams' destruction closes them at once

void BytePipe::start(std::string_view to_upstream, std::string_view to_app) {
  app_.stream->setHandler(&app_);
  upstream_.stream->setHandler(&upstream_);
  const MonoTime now = clock_.now();
  if (!to_upstream.empty()) {
    ledger_.addBytes(Direction::kUp, to_upstream.size(), now);
    upstream_.stream->write(to_upstream);
  }
  if (!to_app.empty()) {
    ledger_.addBytes(Direction::kDown, to_app.size(), now);
    app_.stream->write(to_app);
  }
  app_.stream->startReading();
  upstream_.stream->startReading();
  idle_timer_.start(idle_);
}

void BytePipe::stop(TunnelEndReason reason) { finish(reason, /*graceful=*/true); }

void BytePipe::onData(Side& from, const char* data, size_t len) {
  if (len == 0 || ledger_.ended()) return;
  ledger_.addBytes(from.sends, len, clock_.now());
  Side& to = other(from);
  to.stream->write(std::string_view(data, len));
  if (to.stream->queuedBytes() <= kHighWaterBytes) return;
  // Resumed by onDrained once `to` has written what it holds.
  from.stream->stopReading();
  from.paused = true;
}

void BytePipe::onDrained(Side& drained) {
  Side& reader = other(drained);
  if (!reader.paused || ledger_.ended()) return;
  reader.paused = false;
  if (!ledger_.finished(reader.sends)) reader.stream->startReading();
}

void BytePipe::onEnd(Side& side, int error) {
  if (ledger_.ended()) return;
  if (error != 0) {
    // A reset (or a failed write) on one side resets the other: the peer must not take a
    // cut stream for a finished one.
    other(side).stream->setResetOnClose();
    finish(&side == &app_ ? TunnelEndReason::kAppReset : TunnelEndReason::kUpstreamReset,
           /*graceful=*/false);
    return;
  }
  // An EOF: the other side gets a FIN once what it has queued is written, and may still
  // answer (half-close).
  const bool both = ledger_.finishSending(side.sends);
  if (both) {
    finish(TunnelEndReason::kClosed, /*graceful=*/true);
    return;
  }
  other(side).stream->shutdownWrite();
}

void BytePipe::onIdleTimer() {
  const MonoTime now = clock_.now();
  if (ledger_.idleExpired(now)) {
    finish(TunnelEndReason::kIdleTimeout, /*graceful=*/true);
    return;
  }
  // Bytes moved since it was armed: sleep until the deadline they pushed back.
  idle_timer_.start(ledger_.idleDeadline() - now);
}

void BytePipe::finish(TunnelEndReason reason, bool graceful) {
  const std::optional<TunnelReport> report = ledger_.end(reason, clock_.now());
  if (!report) return;
  idle_timer_.stop();
  // Graceful: what is queued still goes out before each connection closes.
  io::TcpStream::close(std::move(app_.stream), graceful);
  io::TcpStream::close(std::move(upstream_.stream), graceful);
  if (on_end_) on_end_(*report);
}

}  // namespace outrigger::tunnel
