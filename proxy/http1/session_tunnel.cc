#include "proxy/http1/session_tunnel.h"

#include "proxy/http/upgrade.h"
#include "proxy/http1/http1_session.h"
#include "proxy/tunnel/tunnel_record.h"

namespace outrigger::http1 {

SessionTunnel::SessionTunnel(io::Loop& loop, Clock& clock, std::unique_ptr<io::TcpStream>& app,
                             std::string& app_early, std::string_view head_bytes,
                             exchange::TunnelHandoff& handoff, EndFn on_end)
    : loop_(loop),
      clock_(clock),
      app_(app),
      app_early_(app_early),
      handoff_(std::move(handoff)),
      on_end_(std::move(on_end)),
      begin_(loop, [this] { begin(); }) {
  // Nothing more is parsed as HTTP: what the app sends next belongs to the new protocol.
  app_->stopReading();
  std::string out = app_->takeWriteBuffer();
  out.append(head_bytes);
  app_->write(std::move(out));
  begin_.schedule();
}

void SessionTunnel::begin() {
  if (ended_) return;
  pipe_ =
      std::make_unique<tunnel::BytePipe>(loop_, clock_, std::move(app_), std::move(handoff_.stream),
                                         handoff_.idle, [this](const tunnel::TunnelReport& report) {
                                           ended_ = true;
                                           on_end_(report);
                                         });
  std::string early_up;
  early_up.swap(app_early_);
  pipe_->start(early_up, handoff_.early_bytes);
}

void SessionTunnel::stop() {
  if (ended_) return;
  if (pipe_) {
    pipe_->stop(tunnel::TunnelEndReason::kDrained);
    return;
  }
  ended_ = true;  // before it began: its upstream connection closes with this object
  on_end_(tunnel::TunnelReport{Duration::zero(), 0, 0, tunnel::TunnelEndReason::kDrained});
}

// Http1Session's side of the switch, kept here with the tunnel it makes.
bool Http1Session::startTunnel(http::ResponseHead& head, exchange::TunnelHandoff& handoff) {
  if (closed_ || !exchange_ || tunnel_) return false;
  exchange_done_ = true;  // no response events follow; the tunnel reports its end
  std::string head_bytes;
  http::appendSwitchingHead(head, head_bytes);
  tunnel_ = std::make_unique<SessionTunnel>(
      context_.loop, context_.clock, stream_, input_, head_bytes, handoff,
      [this](const tunnel::TunnelReport& report) { onTunnelEnd(report); });
  return true;
}

void Http1Session::onTunnelEnd(const tunnel::TunnelReport& report) {
  if (exchange_)
    exchange_->onTunnelClosed(tunnel::tunnelResultOf(report.reason), report.bytes_up,
                              report.bytes_down);
  close(false);  // both connections are closed already
}

}  // namespace outrigger::http1
