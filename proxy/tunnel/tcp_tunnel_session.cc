#include "proxy/tunnel/tcp_tunnel_session.h"

#include <prometheus/gauge.h>

#include "proxy/metrics/metrics.h"
#include "proxy/tunnel/tunnel_record.h"

namespace outrigger::tunnel {

TcpTunnelSession::TcpTunnelSession(exchange::WorkerContext& context, std::string listener,
                                   std::shared_ptr<exchange::WorkerUpstream> upstream,
                                   std::unique_ptr<io::TcpStream> app,
                                   prometheus::Gauge* connections, ClosedFn closed)
    : context_(context),
      listener_(std::move(listener)),
      upstream_(upstream),
      app_(std::move(app)),
      connections_(connections),
      closed_(std::move(closed)),
      connector_(context, std::move(upstream), *this) {}

TcpTunnelSession::~TcpTunnelSession() {
  destroying_ = true;
  if (pipe_) pipe_->stop(TunnelEndReason::kDrained);  // nothing if it ended already
  if (counted_ && connections_ != nullptr) connections_->Decrement();
}

void TcpTunnelSession::start() {
  started_ = context_.clock.now();
  if (connections_ != nullptr) {
    connections_->Increment();
    counted_ = true;
  }
  // The app's bytes wait in the kernel until the upstream connection is there.
  connector_.start();
}

void TcpTunnelSession::closeWhenIdle() {
  if (pipe_ || done_) return;
  app_.reset();
  closed();
}

void TcpTunnelSession::onTunnelConnected(std::unique_ptr<io::TcpStream> stream, size_t endpoint) {
  endpoint_ = upstream_->upstream->endpoint(endpoint).text;
  upstream_->upstream->metrics().tunnelsActive(metrics::TunnelKind::kTcp).Increment();
  pipe_ =
      std::make_unique<BytePipe>(context_.loop, context_.clock, std::move(app_), std::move(stream),
                                 upstream_->upstream->config().timeouts.tunnel_idle,
                                 [this](const TunnelReport& report) { onPipeEnd(report); });
  pipe_->start();
}

void TcpTunnelSession::onTunnelFailed(ConnectFailure failure, const std::string& detail) {
  // Counted before the close, so an app that sees the close also finds it in /metrics.
  const TunnelLogFields fields{listener_, "TCP", "", "", upstream_->upstream->name(), "", 0};
  recordTunnelFailure(context_, upstream_->upstream->metrics(), metrics::TunnelKind::kTcp, failure,
                      detail, context_.clock.now() - started_, fields);
  // Closed at once: an app must not be left waiting on a connection nothing will serve.
  app_.reset();
  closed();
}

void TcpTunnelSession::onPipeEnd(const TunnelReport& report) {
  metrics::UpstreamMetrics& m = upstream_->upstream->metrics();
  m.tunnelsActive(metrics::TunnelKind::kTcp).Decrement();
  const TunnelLogFields fields{listener_, "TCP", "", "", upstream_->upstream->name(), endpoint_, 0};
  recordTunnelEnd(context_, m, metrics::TunnelKind::kTcp, report, fields);
  if (!destroying_) closed();
}

void TcpTunnelSession::closed() {
  if (done_) return;
  done_ = true;
  if (closed_) closed_(*this);
}

}  // namespace outrigger::tunnel
