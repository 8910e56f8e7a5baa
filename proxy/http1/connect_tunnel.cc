#include "proxy/http1/connect_tunnel.h"

#include <prometheus/gauge.h>

#include "proxy/exchange/responder.h"
#include "proxy/http/header_rules.h"
#include "proxy/http1/http1_session.h"
#include "proxy/metrics/metrics.h"
#include "proxy/tunnel/tunnel_record.h"

namespace outrigger::http1 {
namespace {

constexpr std::string_view kEstablished = "HTTP/1.1 200 Connection Established\r\n\r\n";

http::LocalReason replyReason(tunnel::ConnectFailure failure) {
  switch (failure) {
    case tunnel::ConnectFailure::kRateLimited:
      return http::LocalReason::kRateLimited;
    case tunnel::ConnectFailure::kBulkheadFull:
      return http::LocalReason::kBulkheadFull;
    case tunnel::ConnectFailure::kBulkheadTimeout:
      return http::LocalReason::kBulkheadTimeout;
    case tunnel::ConnectFailure::kCircuitOpen:
      return http::LocalReason::kCircuitOpen;
    case tunnel::ConnectFailure::kNoHealthyEndpoint:
      return http::LocalReason::kNoHealthyEndpoint;
    case tunnel::ConnectFailure::kConnectFailed:
      return http::LocalReason::kConnectFailed;
  }
  return http::LocalReason::kConnectFailed;
}

}  // namespace

ConnectTunnel::ConnectTunnel(exchange::WorkerContext& context,
                             std::shared_ptr<exchange::WorkerUpstream> upstream, Request request,
                             std::unique_ptr<io::TcpStream>& app, std::string& app_early,
                             exchange::DownstreamStream& reply_to, EndFn on_end)
    : context_(context),
      upstream_(upstream),
      request_(std::move(request)),
      app_(app),
      app_early_(app_early),
      reply_to_(reply_to),
      on_end_(std::move(on_end)),
      // The app's TLS runs end to end: an upstream's `tls:` block is not for its tunnels.
      connector_(std::make_unique<tunnel::TunnelConnector>(
          context, std::move(upstream), *this, tunnel::TunnelConnector::Transport::kPlainTcp)) {}

ConnectTunnel::~ConnectTunnel() {
  on_end_ = nullptr;  // its owner is going away
  stop();
}

void ConnectTunnel::start() {
  started_ = context_.clock.now();
  // What the app sends before our 200 waits in the kernel (or app_early_).
  app_->stopReading();
  connector_->start();
}

void ConnectTunnel::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (pipe_) {
    pipe_->stop();  // reported through onPipeEnd, as drained
    return;
  }
  connector_.reset();  // a connect under way is cancelled, never counted
}

void ConnectTunnel::onTunnelConnected(std::unique_ptr<io::TcpStream> stream, size_t endpoint) {
  if (stopped_) return;
  endpoint_ = upstream_->upstream->endpoint(endpoint).text;
  metrics::UpstreamMetrics& m = upstream_->upstream->metrics();
  m.tunnelsActive(metrics::TunnelKind::kConnect).Increment();
  m.countRequest(200, context_.clock.now() - started_);
  exchange::TunnelHandoff handoff{std::move(stream), "",
                                  upstream_->upstream->config().timeouts.tunnel_idle};
  pipe_ = std::make_unique<SessionTunnel>(
      context_.loop, context_.clock, app_, app_early_, kEstablished, handoff,
      [this](const tunnel::TunnelReport& report) { onPipeEnd(report); });
}

void ConnectTunnel::onTunnelFailed(tunnel::ConnectFailure failure, const std::string& detail) {
  if (stopped_) return;
  const http::LocalReason reason = replyReason(failure);
  const exchange::SentReply sent = exchange::sendLocalReply(
      reply_to_, reason, {upstream_->upstream->name(), request_.request_id, 0});
  metrics::UpstreamMetrics& m = upstream_->upstream->metrics();
  m.countLocalReply(reason);
  m.countRequest(sent.status, context_.clock.now() - started_);
  const tunnel::TunnelLogFields fields{
      request_.listener,           "CONNECT", request_.target, request_.request_id,
      upstream_->upstream->name(), "",        sent.status};
  tunnel::recordTunnelFailure(context_, m, metrics::TunnelKind::kConnect, failure, detail,
                              context_.clock.now() - started_, fields);
}

void ConnectTunnel::onPipeEnd(const tunnel::TunnelReport& report) {
  metrics::UpstreamMetrics& m = upstream_->upstream->metrics();
  m.tunnelsActive(metrics::TunnelKind::kConnect).Decrement();
  const tunnel::TunnelLogFields fields{request_.listener,
                                       "CONNECT",
                                       request_.target,
                                       request_.request_id,
                                       upstream_->upstream->name(),
                                       endpoint_,
                                       200};
  tunnel::recordTunnelEnd(context_, m, metrics::TunnelKind::kConnect, report, fields);
  stopped_ = true;
  if (on_end_) on_end_();
}

// Http1Session's side: a CONNECT a connect: true route allows becomes a ConnectTunnel
// instead of an exchange. Any other CONNECT goes on to the exchange, which refuses it.
bool Http1Session::startConnect(http::RequestHead& head,
                                const std::shared_ptr<const exchange::Snapshot>& generation) {
  const routing::Router& router = *generation->routers[listener_.index];
  const config::RouteConfig* route =
      router.matchConnect(http::connectAuthorityHost(head.target), &head.headers);
  if (route == nullptr) return false;
  const routing::RouteTarget& target = router.pickTarget(route, context_.random);
  auto found = generation->upstreams.find(target.upstream);
  if (found == generation->upstreams.end()) return false;  // the validator rules it out
  ConnectTunnel::Request request{listener_.config->name, head.target, ""};
  http::assignRequestId(head, context_.random, request.request_id);
  if (close_requested_ || (context_.draining && kept_alive_)) {
    // As every response on this connection during the drain, the answer asks the app to
    // reconnect (Connection: close); a tunnel would hold the connection open instead.
    refuseConnect(http::LocalReason::kDraining, found->second->metrics(), request.request_id);
    return true;
  }
  timer_.stop();  // the tunnel's own timers from here: connect, then tunnel_idle
  connect_ = std::make_unique<ConnectTunnel>(context_, context_.upstreamFor(found->second),
                                             std::move(request), stream_, input_, *this,
                                             [this] { close(false); });
  connect_->start();
  return true;
}

void Http1Session::refuseConnect(http::LocalReason reason, metrics::UpstreamMetrics& metrics,
                                 std::string_view request_id) {
  body_refused_ = true;  // nothing more is read: the connection closes after the reply
  stream_->stopReading();
  response_no_body_ = chunk_to_client_ = false;
  const exchange::SentReply sent =
      exchange::sendLocalReply(*this, reason, {metrics.name(), request_id, 0});
  metrics.countLocalReply(reason);
  metrics.countRequest(sent.status, Duration::zero());
}

}  // namespace outrigger::http1
