#pragma once
// Active health checks of one upstream's endpoints (DESIGN §6 health_check), run on the
// main loop: every interval one probe per endpoint on a fresh connection, an HTTP GET or
// (type: tcp) just the connect. The verdicts go to
// the Upstream's healthy flags, which every worker's load balancer reads.

#include <memory>
#include <string>
#include <vector>

#include "proxy/config/policy_schema.h"
#include "proxy/io/loop.h"
#include "proxy/io/timer.h"
#include "proxy/policy/health_state.h"
#include "proxy/upstream/upstream.h"

namespace outrigger::upstream {

class HealthChecker {
 public:
  // `upstream` must have a health_check block.
  HealthChecker(io::Loop& loop, std::shared_ptr<Upstream> upstream);
  ~HealthChecker();  // stop()
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // The first round runs on the next loop turn, then one every interval.
  void start();
  // Abandons the probes in flight and closes every handle; no callback runs after this.
  void stop();

  const Upstream& upstream() const { return *upstream_; }

 private:
  class Probe;  // one endpoint's checks; at most one in flight at a time

  void runRound();
  void onProbeResult(size_t endpoint, bool success, const std::string& detail);

  io::Loop& loop_;
  std::shared_ptr<Upstream> upstream_;
  const config::HealthCheckConfig config_;
  policy::HealthState state_;
  std::vector<std::unique_ptr<Probe>> probes_;
  std::unique_ptr<io::Timer> round_timer_;
};

}  // namespace outrigger::upstream
