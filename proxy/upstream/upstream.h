#pragma once
// The process-wide runtime of one configured upstream: its endpoints and their latest
// resolved addresses. Shared by every worker; the per-worker pools connect through it.

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "proxy/config/schema.h"
#include "proxy/io/socket_address.h"
#include "proxy/upstream/upstream_policies.h"
#include "proxy/upstream/upstream_tls.h"

namespace outrigger::metrics {
struct UpstreamMetrics;
}

namespace outrigger::upstream {

class Upstream {
 public:
  // `tls` is required when the config has a `tls:` block (UpstreamTls::load builds it).
  Upstream(config::UpstreamConfig config, metrics::UpstreamMetrics& metrics,
           metrics::UpstreamPolicyMetrics& policy_metrics, MonoTime now,
           std::unique_ptr<UpstreamTls> tls = nullptr);

  const config::UpstreamConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  size_t endpointCount() const { return config_.endpoints.size(); }
  const config::HostPort& endpoint(size_t i) const { return config_.endpoints[i]; }
  metrics::UpstreamMetrics& metrics() const { return metrics_; }
  UpstreamPolicies& policies() const { return *policies_; }
  UpstreamTls* tls() const { return tls_.get(); }  // null for plain HTTP

  // What a new connection carries: HTTP (the pool, an HTTP health check) offers the
  // upstream's protocol in ALPN; a byte stream (an L4 tunnel, a TCP check) offers none.
  enum class Carries { kHttp, kBytes };
  // Starts `stream` connecting to endpoint i at `address`, the one way every connection to
  // an upstream is made: through TLS when it has a `tls:` block (the current context, so
  // its trust store and client certificate; SNI and the name verified from `tls.sni` or
  // the endpoint's host), plain TCP otherwise. onStreamConnected reports once the
  // handshake is done too. Returns the TLS generation it used, 0 for plain TCP.
  uint64_t connect(io::TcpStream& stream, size_t i, const io::SocketAddress& address,
                   Carries carries = Carries::kHttp) const;

  // The address to open a connection to endpoint i: rotates among its resolved
  // addresses. nullopt while the endpoint is unresolved. Taken per new connection only.
  std::optional<io::SocketAddress> nextAddress(size_t i) const;
  bool resolved(size_t i) const;
  // Active health checking (main thread) marks endpoints; all start healthy. When none is
  // healthy, balancing ignores health ("panic"): a checking mistake must not be an outage.
  bool healthy(size_t i) const { return healthy_[i].load(std::memory_order_relaxed); }
  void setHealthy(size_t i, bool healthy);
  bool panic() const { return panic_.load(std::memory_order_relaxed); }

  // From the DNS refresher (main thread). An empty list keeps the previous addresses:
  // a failed lookup must not take a working endpoint away.
  void setAddresses(size_t i, std::vector<io::SocketAddress> addresses);

  // Pool connections to endpoint i, over every worker, by state: for GET /upstreams.
  struct ConnectionCounts {
    std::atomic<int32_t> connecting{0};
    std::atomic<int32_t> idle{0};
    std::atomic<int32_t> active{0};
    std::atomic<int32_t> streams{0};  // HTTP/2 streams open on the active connections
  };
  ConnectionCounts& connections(size_t i) const { return connections_[i]; }

 private:
  config::UpstreamConfig config_;
  metrics::UpstreamMetrics& metrics_;
  std::unique_ptr<UpstreamPolicies> policies_;
  std::unique_ptr<UpstreamTls> tls_;
  mutable std::mutex mutex_;
  std::vector<std::vector<io::SocketAddress>> addresses_;
  mutable std::vector<size_t> cursor_;
  // Read on every request by the load balancer, so kept lock-free.
  std::unique_ptr<std::atomic<bool>[]> resolved_;
  std::unique_ptr<std::atomic<bool>[]> healthy_;
  std::atomic<bool> panic_{false};
  std::unique_ptr<ConnectionCounts[]> connections_;
};

}  // namespace outrigger::upstream
