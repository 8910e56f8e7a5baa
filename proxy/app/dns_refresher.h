#pragma once
// Keeps the addresses of upstream endpoints named by host names current (dns_refresh):
// resolves new endpoints before they serve, and re-resolves named ones in the background
// every refresh period. A failed lookup keeps the previous addresses and counts in
// outrigger_dns_failures_total.

#include <memory>
#include <string>
#include <vector>

#include "proxy/app/host_resolver.h"
#include "proxy/common/clock.h"
#include "proxy/exchange/snapshot.h"
#include "proxy/metrics/metrics.h"

namespace outrigger::app {

class DnsRefresher {
 public:
  // `current` is the serving generation, which reloads replace: a refresh walks the one
  // current when it runs. All three must outlive the refresher and its pending lookups.
  DnsRefresher(const Clock& clock, HostResolver& resolver, metrics::Metrics& metrics,
               const std::shared_ptr<exchange::Snapshot>& current);

  // Start-up and reload: resolves, blocking, every endpoint of `snapshot` that has no
  // address yet (those of new upstreams), so their first requests find one.
  void resolveUnresolved(const exchange::Snapshot& snapshot);
  // Starts the refresh period afresh from now (at start, and after a reload, which may
  // change it). Returns the time until the next refresh is due.
  Duration schedule();
  // On the refresh timer: if the refresh is due, starts a background lookup of every named
  // endpoint of the current generation and starts the next period. Returns the time until
  // the next refresh is due.
  Duration refreshIfDue();

  // The shortest dns_refresh of `config`'s upstreams, at most an hour.
  static Duration period(const config::Config& config);

 private:
  enum class Pass {
    kStartup,  // endpoints with no address yet, looked up now
    kRefresh,  // endpoints named by a host name, looked up in the background
  };
  void resolveEndpoints(const exchange::Snapshot& snapshot, Pass pass);
  void apply(upstream::Upstream& upstream, size_t endpoint, Pass pass, const std::string& error,
             std::vector<io::SocketAddress> addresses);

  const Clock& clock_;
  HostResolver& resolver_;
  metrics::Metrics& metrics_;
  const std::shared_ptr<exchange::Snapshot>& current_;
  MonoTime next_refresh_{};
};

}  // namespace outrigger::app
