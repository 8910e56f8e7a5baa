#include "proxy/tunnel/tunnel_connector.h"

#include <algorithm>

#include "proxy/metrics/metrics.h"

namespace outrigger::tunnel {

std::string_view connectFailureName(ConnectFailure failure) {
  switch (failure) {
    case ConnectFailure::kRateLimited:
      return "rate_limited";
    case ConnectFailure::kBulkheadFull:
      return "bulkhead_full";
    case ConnectFailure::kBulkheadTimeout:
      return "bulkhead_timeout";
    case ConnectFailure::kCircuitOpen:
      return "circuit_open";
    case ConnectFailure::kNoHealthyEndpoint:
      return "no_healthy_endpoint";
    case ConnectFailure::kConnectFailed:
      return "connect_failed";
  }
  return "connect_failed";
}

TunnelConnector::TunnelConnector(exchange::WorkerContext& context,
                                 std::shared_ptr<exchange::WorkerUpstream> upstream,
                                 Callbacks& callbacks, Transport transport)
    : context_(context),
      upstream_(std::move(upstream)),
      policies_(upstream_->upstream->policies()),
      callbacks_(callbacks),
      transport_(transport),
      admission_(context.loop, context.clock, context.queued_admissions, *this),
      timer_(context.loop, [this] { onTimer(); }),
      report_failure_(context.loop, [this] {
        phase_ = Phase::kDone;
        callbacks_.onTunnelFailed(pending_failure_, pending_detail_);
      }) {
  // One connect, and a retry on another endpoint; a retry block allows more.
  const policy::RetryPolicy* retry = policies_.retryPolicy();
  const uint32_t wanted = std::max<uint32_t>(2, retry ? retry->config().max_attempts : 1);
  max_tries_ =
      std::clamp<uint32_t>(static_cast<uint32_t>(upstream_->upstream->endpointCount()), 1, wanted);
}

TunnelConnector::~TunnelConnector() {
  // An unsettled connect is cancelled, never counted (the guard gives the permit back).
  if (stream_) stream_->setHandler(nullptr);
}

void TunnelConnector::start() {
  const MonoTime now = context_.clock.now();
  const exchange::AdmissionGuard::EntryResult entry = admission_.enter(policies_, now);
  switch (entry.entry) {
    case exchange::AdmissionGuard::Entry::kAdmitted:
      connect();
      return;
    case exchange::AdmissionGuard::Entry::kRateLimited:
      fail(ConnectFailure::kRateLimited, "rate limit");
      return;
    case exchange::AdmissionGuard::Entry::kBulkheadFull:
      fail(ConnectFailure::kBulkheadFull, "bulkhead full");
      return;
    case exchange::AdmissionGuard::Entry::kQueued:
      phase_ = Phase::kQueued;
      timer_.start(policies_.bulkheadQueueTimeout());
      return;
  }
}

void TunnelConnector::onAdmissionGranted() {
  if (phase_ != Phase::kQueued) return;
  timer_.stop();
  connect();
}

void TunnelConnector::connect() {
  const MonoTime now = context_.clock.now();
  const auto& permit = admission_.acquirePermit(now);
  if (!permit.allowed) {
    fail(ConnectFailure::kCircuitOpen, "circuit breaker open");
    return;
  }
  const int pick = pickEndpoint(now);
  if (pick < 0) {
    fail(ConnectFailure::kNoHealthyEndpoint, "no endpoint is resolved, healthy and not ejected");
    return;
  }
  tries_++;
  endpoint_ = pick;
  attempt_started_ = now;
  phase_ = Phase::kConnecting;
  const std::optional<io::SocketAddress> address =
      upstream_->upstream->nextAddress(static_cast<size_t>(pick));
  stream_ = std::make_unique<io::TcpStream>(context_.loop);
  stream_->setHandler(this);
  // An unresolved address fails like a refused connect, on a later turn.
  const io::SocketAddress to = address ? *address : io::SocketAddress{};
  if (transport_ == Transport::kPlainTcp) {
    stream_->connect(to);
  } else {
    upstream_->upstream->connect(*stream_, static_cast<size_t>(pick), to,
                                 upstream::Upstream::Carries::kBytes);
    // A tcp listener's plain connection reads from the start: its watcher then changes once
    // when the connect completes, instead of being dropped and added again for the first
    // read (one epoll_ctl fewer per connection). Nothing is read before the pipe takes over:
    // the connect's own event ends that loop turn, and the pipe starts inside its callback.
    if (!stream_->isTls()) stream_->startReading();
  }
  // The TLS handshake, if any, counts inside it, as for the pool's connections.
  timer_.start(upstream_->upstream->config().timeouts.connect);
}

int TunnelConnector::pickEndpoint(MonoTime now) {
  const upstream::Upstream& shared = *upstream_->upstream;
  thread_local std::vector<upstream::EndpointLoad> loads;
  loads.clear();
  const bool panic = shared.panic();
  for (size_t i = 0; i < shared.endpointCount(); ++i) {
    const bool available =
        shared.resolved(i) && (panic || shared.healthy(i)) && !policies_.endpointEjected(i, now);
    loads.push_back({upstream_->pool.activeRequests(i), available});
  }
  return upstream_->balancer.pick(loads, endpoint_);  // a retry prefers another endpoint
}

void TunnelConnector::onStreamConnected(int error) {
  if (phase_ != Phase::kConnecting) return;
  timer_.stop();
  if (stream_->isTls())
    upstream::countTlsHandshake(upstream_->upstream->metrics(), *stream_, error);
  if (error != 0) {
    connectFailed(policy::AttemptOutcome::kConnectFailed,
                  upstream_->upstream->endpoint(static_cast<size_t>(endpoint_)).text + ": " +
                      upstream::connectFailure(*stream_, error));
    return;
  }
  settle(policy::AttemptOutcome::kSuccess);
  phase_ = Phase::kDone;
  stream_->setHandler(nullptr);
  callbacks_.onTunnelConnected(std::move(stream_), static_cast<size_t>(endpoint_));
}

void TunnelConnector::settle(policy::AttemptOutcome outcome) {
  const MonoTime now = context_.clock.now();
  upstream_->upstream->metrics().countAttempt(outcome);
  admission_.settlePermit(now, outcome, now - attempt_started_);
  policies_.recordEndpoint(static_cast<size_t>(endpoint_), outcome, now);
}

void TunnelConnector::connectFailed(policy::AttemptOutcome outcome, std::string detail) {
  settle(outcome);
  stream_.reset();
  if (tries_ < max_tries_) {
    connect();
    return;
  }
  phase_ = Phase::kDone;
  callbacks_.onTunnelFailed(ConnectFailure::kConnectFailed, detail);
}

void TunnelConnector::fail(ConnectFailure failure, std::string detail) {
  admission_.release();
  phase_ = Phase::kDone;
  pending_failure_ = failure;
  pending_detail_ = std::move(detail);
  report_failure_.schedule();
}

void TunnelConnector::onTimer() {
  if (phase_ == Phase::kQueued) {
    phase_ = Phase::kDone;
    admission_.release();
    callbacks_.onTunnelFailed(ConnectFailure::kBulkheadTimeout,
                              "no bulkhead slot within queue_timeout");
    return;
  }
  if (phase_ == Phase::kConnecting) {
    connectFailed(
        policy::AttemptOutcome::kConnectFailed,
        upstream_->upstream->endpoint(static_cast<size_t>(endpoint_)).text + ": connect timeout");
  }
}

}  // namespace outrigger::tunnel
