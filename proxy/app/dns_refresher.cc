#include "proxy/app/dns_refresher.h"

#include <algorithm>

#include "proxy/log/logger.h"

namespace outrigger::app {

DnsRefresher::DnsRefresher(const Clock& clock, HostResolver& resolver, metrics::Metrics& metrics,
                           const std::shared_ptr<exchange::Snapshot>& current)
    : clock_(clock), resolver_(resolver), metrics_(metrics), current_(current) {}

Duration DnsRefresher::period(const config::Config& config) {
  Duration refresh = seconds(3600);
  for (const auto& u : config.upstreams) refresh = std::min(refresh, u.dns_refresh);
  return refresh;
}

void DnsRefresher::resolveUnresolved(const exchange::Snapshot& snapshot) {
  resolveEndpoints(snapshot, Pass::kStartup);
}

Duration DnsRefresher::schedule() {
  const Duration wait = period(*current_->config);
  next_refresh_ = clock_.now() + wait;
  return wait;
}

Duration DnsRefresher::refreshIfDue() {
  // A timer may fire a little before the reading its period was counted from says; the
  // rest of the period is then waited out rather than refreshing early.
  const MonoTime now = clock_.now();
  if (now < next_refresh_) return next_refresh_ - now;
  resolveEndpoints(*current_, Pass::kRefresh);
  return schedule();
}

void DnsRefresher::resolveEndpoints(const exchange::Snapshot& snapshot, Pass pass) {
  for (const auto& [name, upstream] : snapshot.upstreams) {
    for (size_t i = 0; i < upstream->endpointCount(); ++i) {
      const config::HostPort& e = upstream->endpoint(i);
      if (pass == Pass::kStartup) {
        if (upstream->resolved(i)) continue;
        std::string error;
        std::vector<io::SocketAddress> addresses = resolver_.resolveNow(e.host, e.port, &error);
        apply(*upstream, i, pass, error, std::move(addresses));
        continue;
      }
      // A numeric address never changes.
      if (io::SocketAddress::fromNumeric(e.host, e.port)) continue;
      resolver_.resolve(
          e.host, e.port,
          [this, keep = upstream, i](std::string error, std::vector<io::SocketAddress> addresses) {
            apply(*keep, i, Pass::kRefresh, error, std::move(addresses));
          });
    }
  }
}

void DnsRefresher::apply(upstream::Upstream& upstream, size_t endpoint, Pass pass,
                         const std::string& error, std::vector<io::SocketAddress> addresses) {
  if (!addresses.empty()) {
    upstream.setAddresses(endpoint, std::move(addresses));
    return;
  }
  const std::string& name = upstream.name();
  const std::string& text = upstream.endpoint(endpoint).text;
  if (pass == Pass::kStartup) {
    metrics_.countDnsFailure(name);
    log::logf(config::LogLevel::kWarn, "upstream %s: cannot resolve %s: %s (will retry)",
              name.c_str(), text.c_str(), error.c_str());
    return;
  }
  // Not for an upstream a reload removed meanwhile: its series are gone.
  if (current_->upstreams.count(name)) metrics_.countDnsFailure(name);
  log::logf(config::LogLevel::kWarn, "upstream %s: DNS refresh of %s failed: %s", name.c_str(),
            text.c_str(), error.c_str());
}

}  // namespace outrigger::app
