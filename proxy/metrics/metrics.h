#pragma once
// The process-wide metric registry (DESIGN §8): every family is registered once, and each
// upstream gets a struct of cached series handles when it is configured, so the request path
// never looks a series up (CONVENTIONS §9).
//
// Thread safety: the request path takes no lock. Counter and Gauge are lock-free (an
// std::atomic<double> updated by CAS); the duration histogram is our own DurationHistogram,
// because prometheus-cpp's Histogram::Observe locks a mutex that every worker would share.
// Family::Add/Remove and Registry::Collect lock their own mutexes, at config time, on a
// series' first use and on scrapes. The maps in Metrics are guarded by mutex_ and are touched
// only at config time.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "proxy/common/clock.h"
#include "proxy/http/grpc_status.h"
#include "proxy/http/local_reply.h"
#include "proxy/metrics/duration_histogram.h"
#include "proxy/metrics/process_collector.h"
#include "proxy/policy/outcome.h"

namespace outrigger::metrics {

// The families behind the per-upstream handles. They live in Metrics' registry.
struct UpstreamFamilies {
  prometheus::Family<prometheus::Counter>& requests;
  DurationHistogramFamily& duration;
  prometheus::Family<prometheus::Counter>& attempts;
  prometheus::Family<prometheus::Counter>& local_replies;
  prometheus::Family<prometheus::Gauge>& pool_connections;
  prometheus::Family<prometheus::Counter>& tls_handshakes;
  prometheus::Family<prometheus::Counter>& grpc_responses;
  prometheus::Family<prometheus::Gauge>& tunnels_active;
  prometheus::Family<prometheus::Counter>& tunnel_bytes;
  prometheus::Family<prometheus::Counter>& tunnels;
};

// What a tunnel carries: outrigger_tunnels_active{kind} and outrigger_tunnels_total{kind}.
enum class TunnelKind { kWebSocket, kConnect, kTcp };
inline constexpr size_t kTunnelKindCount = 3;
// How a tunnel ended, or why it never opened: outrigger_tunnels_total{result}.
enum class TunnelResult {
  kClosed,
  kIdleTimeout,
  kAppReset,
  kUpstreamReset,
  kDrained,
  kRateLimited,
  kBulkheadFull,
  kBulkheadTimeout,
  kCircuitOpen,
  kNoHealthyEndpoint,
  kConnectFailed,
};
inline constexpr size_t kTunnelResultCount = 11;
std::string_view tunnelKindName(TunnelKind kind);
std::string_view tunnelResultName(TunnelResult result);

// How a TLS handshake with an upstream ended: outrigger_tls_handshakes_total{outcome}.
enum class TlsHandshakeOutcome { kNew, kResumed, kVerifyFailed, kFailed };
inline constexpr size_t kTlsHandshakeOutcomeCount = 4;

// Upper bounds of outrigger_request_duration_seconds, from 0.5ms to 30s.
const std::vector<double>& durationBuckets();

// Cached series of one upstream, created by Metrics when the upstream is configured. Every
// method is safe from any worker thread and allocates only on the first use of a label value.
struct UpstreamMetrics {
 private:
  // Declared first so that it is built before the pool gauge references, which may bind to
  // it: it backs them for noUpstream(), whose pool series are never exported.
  std::array<prometheus::Gauge, 3> detached_pool_;

 public:
  UpstreamMetrics(const UpstreamMetrics&) = delete;
  UpstreamMetrics& operator=(const UpstreamMetrics&) = delete;

  // outrigger_requests_total{code} and outrigger_request_duration_seconds.
  void countRequest(int status_code, Duration elapsed);
  // outrigger_upstream_attempts_total{outcome}.
  void countAttempt(policy::AttemptOutcome outcome);
  // outrigger_local_replies_total{reason}.
  void countLocalReply(http::LocalReason reason);
  // outrigger_grpc_responses_total{grpc_status}: the gRPC status a gRPC call was answered
  // with, the upstream's or a local reply's. Created on first use: most upstreams are not gRPC.
  void countGrpcResponse(http::GrpcStatus status);
  // outrigger_tls_handshakes_total{outcome}. Only TLS upstreams have these series;
  // exposeTlsHandshakes() creates them at 0.
  void countTlsHandshake(TlsHandshakeOutcome outcome);
  void exposeTlsHandshakes();
  // outrigger_tunnels_active{kind}; the tunnel's owner adds 1 when it opens and 1 less when
  // it ends.
  prometheus::Gauge& tunnelsActive(TunnelKind kind);
  // Tunnels of `kind` open now, read without creating the series: for GET /upstreams.
  int64_t tunnelsOpen(TunnelKind kind) const;
  // outrigger_tunnel_bytes_total{direction="up"|"down"}: up is from the app to the upstream.
  void countTunnelBytes(uint64_t up, uint64_t down);
  // outrigger_tunnels_total{kind,result}: once per tunnel, when it ends or fails to open.
  void countTunnel(TunnelKind kind, TunnelResult result);

  const std::string& name() const { return name_; }

  // outrigger_pool_connections{state}; the pool sets these.
  prometheus::Gauge& pool_active;
  prometheus::Gauge& pool_idle;
  prometheus::Gauge& pool_connecting;

 private:
  friend class Metrics;

  static constexpr int kMinCode = 100;
  static constexpr int kMaxCode = 599;

  // `exported` is false only for Metrics::noUpstream(): it pre-creates nothing and its pool
  // gauges are detached, so an upstream-less request doesn't invent empty pool series.
  UpstreamMetrics(UpstreamFamilies& families, std::string name, bool exported);

  // Runs before families_ and name_ are built (the references are declared before them), so it
  // only uses its arguments.
  static prometheus::Gauge& poolGauge(UpstreamFamilies& families, const std::string& name,
                                      bool exported, const char* state,
                                      prometheus::Gauge& detached);
  prometheus::Counter& codeCounter(int status_code);
  DurationHistogram& durationHistogram();
  prometheus::Counter& attemptCounter(policy::AttemptOutcome outcome);
  prometheus::Counter& localReplyCounter(http::LocalReason reason);
  prometheus::Counter& tlsHandshakeCounter(TlsHandshakeOutcome outcome);
  prometheus::Counter& grpcResponseCounter(http::GrpcStatus status);
  // Removes every series this object created from its families. Only when no thread can
  // still use this object: a concurrent lazy creation would re-add a series.
  void removeSeries();

  UpstreamFamilies& families_;
  const std::string name_;
  const bool exported_;

  // Filled lazily on first use; concurrent first uses from two workers are harmless because
  // Family::Add returns the existing series for the same labels.
  std::array<std::atomic<prometheus::Counter*>, kMaxCode - kMinCode + 1> codes_{};
  std::atomic<prometheus::Counter*> other_code_{nullptr};  // status outside 100..599
  std::atomic<DurationHistogram*> duration_{nullptr};
  std::array<std::atomic<prometheus::Counter*>, policy::kAttemptOutcomeCount> attempts_{};
  std::array<std::atomic<prometheus::Counter*>, http::kLocalReasonCount> local_replies_{};
  std::array<std::atomic<prometheus::Counter*>, kTlsHandshakeOutcomeCount> tls_handshakes_{};
  std::array<std::atomic<prometheus::Counter*>, http::kGrpcStatusCount> grpc_responses_{};
  std::array<std::atomic<prometheus::Gauge*>, kTunnelKindCount> tunnels_active_{};
  std::array<std::atomic<prometheus::Counter*>, 2> tunnel_bytes_{};
  std::array<std::atomic<prometheus::Counter*>, kTunnelKindCount * kTunnelResultCount> tunnels_{};
};

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Creates the upstream's series on the first call (config time) and returns the same
  // object, at a stable address, until removeUpstream(name).
  UpstreamMetrics& upstream(const std::string& name);
  // Series for requests that matched no upstream (label upstream="").
  UpstreamMetrics& noUpstream() { return *no_upstream_; }
  // Drops the upstream's series from every family and destroys its UpstreamMetrics. Call it
  // only after the last snapshot that references the upstream has drained.
  void removeUpstream(const std::string& name);

  // outrigger_downstream_connections{listener}; the same gauge for the same listener.
  // outrigger_downstream_connections{listener,protocol}: protocol is http1, http2 or tcp.
  prometheus::Gauge& downstreamConnections(const std::string& listener,
                                           std::string_view protocol = "http1");
  // Open connections of `listener`, every protocol together.
  double downstreamConnectionCount(const std::string& listener);
  // outrigger_request_headers_dropped_total{listener,reason="underscore"}: header lines
  // dropped for an underscore in their name (limits.headers_with_underscores: drop).
  prometheus::Counter& underscoreHeadersDropped(const std::string& listener);
  // outrigger_trailers_dropped_total{listener}: response trailer sections dropped because the
  // app's HTTP/1.x response was not chunked (Content-Length framing, HTTP/1.0).
  prometheus::Counter& trailersDropped(const std::string& listener);
  void removeListener(const std::string& listener);

  // The Prometheus text exposition (format 0.0.4) of every family, plus process metrics.
  std::string serialize() const;

  // outrigger_dns_failures_total{upstream}: a lookup of one of its endpoint names failed.
  // Main thread only (the lookups run there).
  void countDnsFailure(const std::string& upstream);

  // outrigger_config_reloads_total{result}, outrigger_config_generation, outrigger_draining.
  void countReload(bool applied) { (applied ? reload_success_ : reload_failure_)->Increment(); }
  void setGeneration(uint64_t generation) { generation_->Set(static_cast<double>(generation)); }
  void setDraining(bool draining) { draining_->Set(draining ? 1 : 0); }

  // For families that other modules register once at startup.
  prometheus::Registry& registry() { return registry_; }

 private:
  prometheus::Registry registry_;  // first: the families below live inside it
  DurationHistogramFamily durations_;  // outside registry_; serialize() places it
  UpstreamFamilies families_;
  prometheus::Family<prometheus::Gauge>& downstream_;
  prometheus::Family<prometheus::Counter>& headers_dropped_;
  prometheus::Family<prometheus::Counter>& trailers_dropped_;
  prometheus::Family<prometheus::Counter>& dns_failures_;
  ProcessCollector process_;
  prometheus::Counter* reload_success_;
  prometheus::Counter* reload_failure_;
  prometheus::Gauge* generation_;
  prometheus::Gauge* draining_;

  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<UpstreamMetrics>> upstreams_;
  std::unique_ptr<UpstreamMetrics> no_upstream_;
};

}  // namespace outrigger::metrics
