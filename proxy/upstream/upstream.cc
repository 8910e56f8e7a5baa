#include "proxy/upstream/upstream.h"

#include <cstdlib>
#include <iostream>

#include "proxy/metrics/metrics.h"

namespace outrigger::upstream {

Upstream::Upstream(config::UpstreamConfig config, metrics::UpstreamMetrics& metrics,
                   metrics::UpstreamPolicyMetrics& policy_metrics, MonoTime now,
                   std::unique_ptr<UpstreamTls> tls)
    : config_(std::move(config)),
      metrics_(metrics),
      policies_(std::make_unique<UpstreamPolicies>(config_.name, config_.policies,
                                                   config_.endpoints.size(), now,
                                                   policy_metrics)),
      tls_(std::move(tls)),
      addresses_(config_.endpoints.size()),
      cursor_(config_.endpoints.size(), 0),
      resolved_(new std::atomic<bool>[config_.endpoints.size()]),
      healthy_(new std::atomic<bool>[config_.endpoints.size()]),
      connections_(new ConnectionCounts[config_.endpoints.size()]) {
  if (config_.tls.has_value() != (tls_ != nullptr)) {
    std::cerr << "Upstream " << config_.name << ": TLS runtime does not match its config\n";
    std::abort();
  }
  if (tls_) metrics_.exposeTlsHandshakes();
  for (size_t i = 0; i < config_.endpoints.size(); ++i) healthy_[i].store(true);
  // Numeric endpoints need no lookup.
  for (size_t i = 0; i < config_.endpoints.size(); ++i) {
    const auto& e = config_.endpoints[i];
    auto numeric = io::SocketAddress::fromNumeric(e.host, e.port);
    if (numeric) addresses_[i].push_back(*numeric);
    resolved_[i].store(numeric.has_value());
  }
}

std::optional<io::SocketAddress> Upstream::nextAddress(size_t i) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto& list = addresses_[i];
  if (list.empty()) return std::nullopt;
  return list[cursor_[i]++ % list.size()];
}

bool Upstream::resolved(size_t i) const { return resolved_[i].load(std::memory_order_relaxed); }

void Upstream::setHealthy(size_t i, bool healthy) {
  healthy_[i].store(healthy);
  bool any = false;
  for (size_t e = 0; e < config_.endpoints.size(); ++e) any |= healthy_[e].load();
  panic_.store(!any);
}

void Upstream::setAddresses(size_t i, std::vector<io::SocketAddress> addresses) {
  if (addresses.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  addresses_[i] = std::move(addresses);
  resolved_[i].store(true);
}

uint64_t Upstream::connect(io::TcpStream& stream, size_t i, const io::SocketAddress& address,
                           Carries carries) const {
  if (tls_ == nullptr) {
    stream.connect(address);
    return 0;
  }
  const uint64_t generation = tls_->generation();
  io::TlsConnect options = tls_->connectOptions(endpoint(i));
  options.alpn = carries == Carries::kHttp;
  stream.connectTls(address, std::move(options));
  return generation;
}

}  // namespace outrigger::upstream
