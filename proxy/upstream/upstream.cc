#include "proxy/upstream/upstream.h"

namespace outrigger::upstream {

Upstream::Upstream(config::UpstreamConfig config, metrics::UpstreamMetrics& metrics)
    : config_(std::move(config)),
      metrics_(metrics),
      addresses_(config_.endpoints.size()),
      cursor_(config_.endpoints.size(), 0) {
  // Numeric endpoints need no lookup.
  for (size_t i = 0; i < config_.endpoints.size(); ++i) {
    const auto& e = config_.endpoints[i];
    if (auto a = io::SocketAddress::fromNumeric(e.host, e.port)) addresses_[i].push_back(*a);
  }
}

std::optional<io::SocketAddress> Upstream::nextAddress(size_t i) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto& list = addresses_[i];
  if (list.empty()) return std::nullopt;
  return list[cursor_[i]++ % list.size()];
}

bool Upstream::resolved(size_t i) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !addresses_[i].empty();
}

void Upstream::setAddresses(size_t i, std::vector<io::SocketAddress> addresses) {
  if (addresses.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  addresses_[i] = std::move(addresses);
}

}  // namespace outrigger::upstream
