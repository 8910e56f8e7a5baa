#pragma once
// Opens the upstream connection of a tunnel (an L4 listener's connection, later CONNECT),
// behind the same admission as an exchange (DESIGN §4): rate limit, bulkhead (a bounded
// wait), then per connect the breaker's permit and an endpoint the balancer picks among the
// resolved, healthy, not ejected ones. A failed or timed-out connect counts against the
// breaker and outlier detection, and is tried again on another endpoint. The bulkhead slot
// stays held while the connector lives: its owner keeps it for the tunnel's life. The
// connection is made as the HTTP pool makes its own (Upstream::connect): over TLS, with the
// same verification, SNI and client certificate, when the upstream has a `tls:` block.

#include <memory>
#include <string>

#include "proxy/exchange/admission_guard.h"
#include "proxy/exchange/worker_context.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/io/timer.h"

namespace outrigger::tunnel {

enum class ConnectFailure {
  kRateLimited,
  kBulkheadFull,
  kBulkheadTimeout,
  kCircuitOpen,
  kNoHealthyEndpoint,
  kConnectFailed,
};
std::string_view connectFailureName(ConnectFailure failure);

class TunnelConnector final : public io::StreamHandler, public exchange::AdmissionGuard::Events {
 public:
  class Callbacks {
   public:
    virtual ~Callbacks() = default;
    // The connection, ready; the connector keeps holding the bulkhead slot.
    virtual void onTunnelConnected(std::unique_ptr<io::TcpStream> stream, size_t endpoint) = 0;
    virtual void onTunnelFailed(ConnectFailure failure, const std::string& detail) = 0;
  };

  // How the upstream connection is made. kUpstreamTransport: as the upstream says, over
  // TLS when it has a `tls:` block (a `protocol: tcp` listener: the app speaks plain bytes,
  // the upstream sees TLS). kPlainTcp: plain TCP whatever it says (CONNECT: the app's own
  // TLS runs end to end inside the tunnel).
  enum class Transport { kUpstreamTransport, kPlainTcp };

  TunnelConnector(exchange::WorkerContext& context,
                  std::shared_ptr<exchange::WorkerUpstream> upstream, Callbacks& callbacks,
                  Transport transport = Transport::kUpstreamTransport);
  ~TunnelConnector() override;
  TunnelConnector(const TunnelConnector&) = delete;
  TunnelConnector& operator=(const TunnelConnector&) = delete;

  // Starts; the callbacks come on later turns, never from inside this call.
  void start();
  const exchange::WorkerUpstream& upstream() const { return *upstream_; }

 private:
  enum class Phase { kIdle, kQueued, kConnecting, kDone };

  void onAdmissionGranted() override;
  void onStreamConnected(int error) override;
  void onStreamData(const char*, size_t) override {}
  void onStreamEnd(int) override {}

  void connect();
  int pickEndpoint(MonoTime now);
  void connectFailed(policy::AttemptOutcome outcome, std::string detail);
  void settle(policy::AttemptOutcome outcome);
  void fail(ConnectFailure failure, std::string detail);
  void onTimer();

  exchange::WorkerContext& context_;
  std::shared_ptr<exchange::WorkerUpstream> upstream_;
  upstream::UpstreamPolicies& policies_;
  Callbacks& callbacks_;
  const Transport transport_;
  exchange::AdmissionGuard admission_;
  Phase phase_ = Phase::kIdle;
  std::unique_ptr<io::TcpStream> stream_;
  int endpoint_ = -1;
  uint32_t tries_ = 0;
  uint32_t max_tries_ = 1;
  MonoTime attempt_started_{};
  io::Timer timer_;  // the bulkhead's queue_timeout, then each connect's timeout
  // A failure known at once is reported on the next turn.
  ConnectFailure pending_failure_ = ConnectFailure::kConnectFailed;
  std::string pending_detail_;
  io::DeferredTask report_failure_;
};

}  // namespace outrigger::tunnel
