#include "proxy/metrics/metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <utility>

#ifndef OUTRIGGER_VERSION
#define OUTRIGGER_VERSION "dev"
#endif

namespace outrigger::metrics {
namespace {

template <typename T>
prometheus::Family<T>& registerFamily(prometheus::detail::Builder<T> builder,
                                      prometheus::Registry& registry, const char* name,
                                      const char* help) {
  return builder.Name(name).Help(help).Register(registry);
}

UpstreamFamilies registerUpstreamFamilies(prometheus::Registry& registry,
                                          DurationHistogramFamily& durations) {
  return UpstreamFamilies{
      registerFamily(prometheus::BuildCounter(), registry, "outrigger_requests_total",
                     "Requests answered, by upstream and response status code."),
      durations,
      registerFamily(prometheus::BuildCounter(), registry, "outrigger_upstream_attempts_total",
                     "Attempts sent to an upstream, by classified outcome."),
      registerFamily(prometheus::BuildCounter(), registry, "outrigger_local_replies_total",
                     "Replies that outrigger generated itself, by reason."),
      registerFamily(prometheus::BuildGauge(), registry, "outrigger_pool_connections",
                     "Upstream connections in the pools of all workers, by state."),
      registerFamily(prometheus::BuildCounter(), registry, "outrigger_tls_handshakes_total",
                     "TLS handshakes with an upstream: new, resumed (a cached session), "
                     "verify_failed (the certificate was refused) or failed."),
      registerFamily(prometheus::BuildCounter(), registry, "outrigger_grpc_responses_total",
                     "gRPC calls answered, by upstream and gRPC status name (ok, unavailable, "
                     "...): the upstream's status or that of outrigger's own reply."),
      registerFamily(prometheus::BuildGauge(), registry, "outrigger_tunnels_active",
                     "Open tunnels (websocket after a 101, connect, tcp listener), by kind."),
      registerFamily(prometheus::BuildCounter(), registry, "outrigger_tunnel_bytes_total",
                     "Bytes carried by ended tunnels; up is from the app to the upstream."),
      registerFamily(prometheus::BuildCounter(), registry, "outrigger_tunnels_total",
                     "Tunnels by kind and result: how they ended (closed, idle_timeout, "
                     "app_reset, upstream_reset, drained) or why they never opened."),
  };
}

// Loads a lazily filled slot, creating its series on the first use.
template <typename T, typename MakeLabels, typename... Args>
T& resolve(std::atomic<T*>& slot, prometheus::Family<T>& family, MakeLabels make_labels,
           Args&&... args) {
  T* series = slot.load(std::memory_order_acquire);
  if (series == nullptr) {
    // Two workers may both get here for the same labels; Family::Add hands both the same
    // series, so storing it twice is harmless.
    series = &family.Add(make_labels(), std::forward<Args>(args)...);
    slot.store(series, std::memory_order_release);
  }
  return *series;
}

template <typename T, size_t N>
void removeAll(prometheus::Family<T>& family, std::array<std::atomic<T*>, N>& slots) {
  for (auto& slot : slots) {
    if (T* series = slot.exchange(nullptr)) family.Remove(series);
  }
}

[[noreturn]] void abortOnIndex(const char* what, size_t index) {
  std::cerr << "metrics: impossible " << what << " " << index << "\n";
  std::abort();
}

}  // namespace

const std::vector<double>& durationBuckets() {
  static const std::vector<double> kBuckets = {
      .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30};
  return kBuckets;
}

// ---- UpstreamMetrics ----

UpstreamMetrics::UpstreamMetrics(UpstreamFamilies& families, std::string name, bool exported)
    : pool_active(poolGauge(families, name, exported, "active", detached_pool_[0])),
      pool_idle(poolGauge(families, name, exported, "idle", detached_pool_[1])),
      pool_connecting(poolGauge(families, name, exported, "connecting", detached_pool_[2])),
      families_(families),
      name_(std::move(name)),
      exported_(exported) {
  if (!exported_) return;
  // Series that exist from the start read 0 instead of being absent, so rate() and alerts
  // see the first increment. Rare status codes are created when first seen.
  for (int code : {200, 404, 502, 503, 504}) codeCounter(code);
  durationHistogram();
  for (size_t i = 0; i < policy::kAttemptOutcomeCount; ++i) {
    attemptCounter(static_cast<policy::AttemptOutcome>(i));
  }
  for (size_t i = 0; i < http::kLocalReasonCount; ++i) {
    localReplyCounter(static_cast<http::LocalReason>(i));
  }
}

prometheus::Gauge& UpstreamMetrics::poolGauge(UpstreamFamilies& families, const std::string& name,
                                              bool exported, const char* state,
                                              prometheus::Gauge& detached) {
  if (!exported) return detached;
  return families.pool_connections.Add({{"upstream", name}, {"state", state}});
}

void UpstreamMetrics::countRequest(int status_code, Duration elapsed) {
  codeCounter(status_code).Increment();
  durationHistogram().observe(elapsed);
}

void UpstreamMetrics::countAttempt(policy::AttemptOutcome outcome) {
  attemptCounter(outcome).Increment();
}

void UpstreamMetrics::countLocalReply(http::LocalReason reason) {
  localReplyCounter(reason).Increment();
}

void UpstreamMetrics::countTlsHandshake(TlsHandshakeOutcome outcome) {
  tlsHandshakeCounter(outcome).Increment();
}

void UpstreamMetrics::exposeTlsHandshakes() {
  if (!exported_) return;
  for (size_t i = 0; i < kTlsHandshakeOutcomeCount; ++i) {
    tlsHandshakeCounter(static_cast<TlsHandshakeOutcome>(i));
  }
}

prometheus::Counter& UpstreamMetrics::tlsHandshakeCounter(TlsHandshakeOutcome outcome) {
  static constexpr const char* kNames[kTlsHandshakeOutcomeCount] = {"new", "resumed",
                                                                    "verify_failed", "failed"};
  const auto index = static_cast<size_t>(outcome);
  if (index >= tls_handshakes_.size()) abortOnIndex("TLS handshake outcome", index);
  return resolve(tls_handshakes_[index], families_.tls_handshakes, [&] {
    return prometheus::Labels{{"upstream", name_}, {"outcome", kNames[index]}};
  });
}

prometheus::Counter& UpstreamMetrics::codeCounter(int status_code) {
  const bool in_range = status_code >= kMinCode && status_code <= kMaxCode;
  auto& slot = in_range ? codes_[static_cast<size_t>(status_code - kMinCode)] : other_code_;
  return resolve(slot, families_.requests, [&] {
    return prometheus::Labels{{"upstream", name_},
                              {"code", in_range ? std::to_string(status_code) : "other"}};
  });
}

DurationHistogram& UpstreamMetrics::durationHistogram() {
  DurationHistogram* series = duration_.load(std::memory_order_acquire);
  if (series == nullptr) {
    // As in resolve(): a second worker racing here gets the same series from add().
    series = &families_.duration.add(name_);
    duration_.store(series, std::memory_order_release);
  }
  return *series;
}

prometheus::Counter& UpstreamMetrics::attemptCounter(policy::AttemptOutcome outcome) {
  const auto index = static_cast<size_t>(outcome);
  if (index >= attempts_.size()) abortOnIndex("attempt outcome", index);
  return resolve(attempts_[index], families_.attempts, [&] {
    return prometheus::Labels{{"upstream", name_},
                              {"outcome", std::string(policy::outcomeName(outcome))}};
  });
}

prometheus::Counter& UpstreamMetrics::localReplyCounter(http::LocalReason reason) {
  const auto index = static_cast<size_t>(reason);
  if (index >= local_replies_.size()) abortOnIndex("local reply reason", index);
  return resolve(local_replies_[index], families_.local_replies, [&] {
    return prometheus::Labels{{"upstream", name_},
                              {"reason", std::string(http::reasonName(reason))}};
  });
}

std::string_view tunnelKindName(TunnelKind kind) {
  static constexpr std::string_view kNames[kTunnelKindCount] = {"websocket", "connect", "tcp"};
  return kNames[static_cast<size_t>(kind)];
}

std::string_view tunnelResultName(TunnelResult result) {
  static constexpr std::string_view kNames[kTunnelResultCount] = {
      "closed",        "idle_timeout",     "app_reset",           "upstream_reset",
      "drained",       "rate_limited",     "bulkhead_full",       "bulkhead_timeout",
      "circuit_open",  "no_healthy_endpoint", "connect_failed"};
  return kNames[static_cast<size_t>(result)];
}

prometheus::Gauge& UpstreamMetrics::tunnelsActive(TunnelKind kind) {
  const auto index = static_cast<size_t>(kind);
  if (index >= tunnels_active_.size()) abortOnIndex("tunnel kind", index);
  return resolve(tunnels_active_[index], families_.tunnels_active, [&] {
    return prometheus::Labels{{"upstream", name_}, {"kind", std::string(tunnelKindName(kind))}};
  });
}

int64_t UpstreamMetrics::tunnelsOpen(TunnelKind kind) const {
  const auto index = static_cast<size_t>(kind);
  if (index >= tunnels_active_.size()) abortOnIndex("tunnel kind", index);
  const prometheus::Gauge* gauge = tunnels_active_[index].load(std::memory_order_acquire);
  return gauge == nullptr ? 0 : static_cast<int64_t>(gauge->Value());
}

void UpstreamMetrics::countTunnelBytes(uint64_t up, uint64_t down) {
  constexpr const char* kDirections[] = {"up", "down"};
  const uint64_t bytes[] = {up, down};
  for (size_t i = 0; i < 2; ++i) {
    resolve(tunnel_bytes_[i], families_.tunnel_bytes, [&] {
      return prometheus::Labels{{"upstream", name_}, {"direction", kDirections[i]}};
    }).Increment(static_cast<double>(bytes[i]));
  }
}

void UpstreamMetrics::countTunnel(TunnelKind kind, TunnelResult result) {
  const size_t index =
      static_cast<size_t>(kind) * kTunnelResultCount + static_cast<size_t>(result);
  if (index >= tunnels_.size()) abortOnIndex("tunnel result", index);
  resolve(tunnels_[index], families_.tunnels, [&] {
    return prometheus::Labels{{"upstream", name_},
                              {"kind", std::string(tunnelKindName(kind))},
                              {"result", std::string(tunnelResultName(result))}};
  }).Increment();
}

void UpstreamMetrics::removeSeries() {
  removeAll(families_.requests, codes_);
  if (auto* series = other_code_.exchange(nullptr)) families_.requests.Remove(series);
  if (duration_.exchange(nullptr) != nullptr) families_.duration.remove(name_);
  removeAll(families_.attempts, attempts_);
  removeAll(families_.local_replies, local_replies_);
  removeAll(families_.tls_handshakes, tls_handshakes_);
  removeAll(families_.grpc_responses, grpc_responses_);
  removeAll(families_.tunnels_active, tunnels_active_);
  removeAll(families_.tunnel_bytes, tunnel_bytes_);
  removeAll(families_.tunnels, tunnels_);
  if (exported_) {
    families_.pool_connections.Remove(&pool_active);
    families_.pool_connections.Remove(&pool_idle);
    families_.pool_connections.Remove(&pool_connecting);
  }
}

void UpstreamMetrics::countGrpcResponse(http::GrpcStatus status) {
  grpcResponseCounter(status).Increment();
}

prometheus::Counter& UpstreamMetrics::grpcResponseCounter(http::GrpcStatus status) {
  const auto index = static_cast<size_t>(status);
  if (index >= grpc_responses_.size()) abortOnIndex("gRPC status", index);
  return resolve(grpc_responses_[index], families_.grpc_responses, [&] {
    return prometheus::Labels{{"upstream", name_},
                              {"grpc_status", std::string(http::grpcStatusName(status))}};
  });
}

// ---- Metrics ----

Metrics::Metrics()
    : durations_("outrigger_request_duration_seconds",
                 "Time to serve a request, from its head arriving to the end of the response.",
                 durationBuckets()),
      families_(registerUpstreamFamilies(registry_, durations_)),
      downstream_(registerFamily(prometheus::BuildGauge(), registry_,
                                 "outrigger_downstream_connections",
                                 "Open connections from the application, by listener and protocol "
                                 "(http1, http2, tcp).")),
      headers_dropped_(registerFamily(prometheus::BuildCounter(), registry_,
                                      "outrigger_request_headers_dropped_total",
                                      "Request header lines dropped before forwarding, by "
                                      "listener and reason (underscore: a name with '_').")),
      trailers_dropped_(registerFamily(prometheus::BuildCounter(), registry_,
                                       "outrigger_trailers_dropped_total",
                                       "Response trailer sections dropped because the app's "
                                       "HTTP/1.x response could not carry them (not chunked), "
                                       "by listener.")),
      dns_failures_(registerFamily(prometheus::BuildCounter(), registry_,
                                   "outrigger_dns_failures_total",
                                   "Failed lookups of an upstream's endpoint names; the other "
                                   "endpoints keep serving.")),
      no_upstream_(new UpstreamMetrics(families_, "", /*exported=*/false)) {
  auto& reloads = registerFamily(prometheus::BuildCounter(), registry_,
                                 "outrigger_config_reloads_total",
                                 "Configuration reloads, by result (success or failure).");
  reload_success_ = &reloads.Add({{"result", "success"}});
  reload_failure_ = &reloads.Add({{"result", "failure"}});
  generation_ = &registerFamily(prometheus::BuildGauge(), registry_, "outrigger_config_generation",
                                "The configuration generation serving new requests: 1 at "
                                "start, one more per applied reload.")
                     .Add({});
  generation_->Set(1);
  draining_ = &registerFamily(prometheus::BuildGauge(), registry_, "outrigger_draining",
                              "1 while draining for shutdown (/ready answers 503), else 0.")
                   .Add({});
  registerFamily(prometheus::BuildGauge(), registry_, "outrigger_build_info",
                 "Build information; the value is always 1.")
      .Add({{"version", OUTRIGGER_VERSION}})
      .Set(1);
}

Metrics::~Metrics() = default;

UpstreamMetrics& Metrics::upstream(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& entry = upstreams_[name];
  if (!entry) entry.reset(new UpstreamMetrics(families_, name, /*exported=*/true));
  return *entry;
}

void Metrics::countDnsFailure(const std::string& upstream) {
  dns_failures_.Add({{"upstream", upstream}}).Increment();
}

void Metrics::removeUpstream(const std::string& name) {
  const prometheus::Labels labels{{"upstream", name}};
  if (dns_failures_.Has(labels)) dns_failures_.Remove(&dns_failures_.Add(labels));
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = upstreams_.find(name);
  if (it == upstreams_.end()) return;
  it->second->removeSeries();
  upstreams_.erase(it);
}

namespace {
constexpr std::string_view kAppProtocols[] = {"http1", "http2", "tcp"};
}  // namespace

prometheus::Gauge& Metrics::downstreamConnections(const std::string& listener,
                                                  std::string_view protocol) {
  return downstream_.Add({{"listener", listener}, {"protocol", std::string(protocol)}});
}

double Metrics::downstreamConnectionCount(const std::string& listener) {
  double open = 0;
  for (std::string_view protocol : kAppProtocols) {
    const prometheus::Labels labels{{"listener", listener}, {"protocol", std::string(protocol)}};
    if (downstream_.Has(labels)) open += downstream_.Add(labels).Value();
  }
  return open;
}

prometheus::Counter& Metrics::underscoreHeadersDropped(const std::string& listener) {
  return headers_dropped_.Add({{"listener", listener}, {"reason", "underscore"}});
}

prometheus::Counter& Metrics::trailersDropped(const std::string& listener) {
  return trailers_dropped_.Add({{"listener", listener}});
}

void Metrics::removeListener(const std::string& listener) {
  for (std::string_view protocol : kAppProtocols) {
    const prometheus::Labels by_protocol{{"listener", listener}, {"protocol", std::string(protocol)}};
    if (downstream_.Has(by_protocol)) downstream_.Remove(&downstream_.Add(by_protocol));
  }
  prometheus::Labels labels{{"listener", listener}};
  if (trailers_dropped_.Has(labels)) trailers_dropped_.Remove(&trailers_dropped_.Add(labels));
  labels.emplace("reason", "underscore");
  if (headers_dropped_.Has(labels)) headers_dropped_.Remove(&headers_dropped_.Add(labels));
}

std::string Metrics::serialize() const {
  std::vector<prometheus::MetricFamily> families = registry_.Collect();
  // The duration histogram goes right after outrigger_requests_total, where a registered
  // family would be.
  auto after_requests = std::find_if(families.begin(), families.end(), [](const auto& family) {
    return family.name == "outrigger_requests_total";
  });
  if (after_requests != families.end()) ++after_requests;
  std::vector<prometheus::MetricFamily> durations = durations_.Collect();
  families.insert(after_requests, std::make_move_iterator(durations.begin()),
                  std::make_move_iterator(durations.end()));
  std::vector<prometheus::MetricFamily> process = process_.Collect();
  families.insert(families.end(), std::make_move_iterator(process.begin()),
                  std::make_move_iterator(process.end()));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace outrigger::metrics
