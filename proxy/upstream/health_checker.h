#pragma once
// Active health checks of one upstream's endpoints (DESIGN §6 health_check), run on the
// main loop: every interval one probe per endpoint on a fresh connection: an HTTP GET in the
// upstream's protocol (HTTP/1.1 here; HTTP/2 through the ProbeCodecFactory the app hands
// in), gRPC's health call (type: grpc, over HTTP/2), or just the connect (type: tcp). The
// verdicts go to the Upstream's healthy flags, which every worker's load balancer reads.

#include <memory>
#include <string>
#include <vector>

#include "proxy/config/policy_schema.h"
#include "proxy/io/loop.h"
#include "proxy/io/timer.h"
#include "proxy/policy/health_state.h"
#include "proxy/upstream/probe_codec.h"
#include "proxy/upstream/upstream.h"

namespace outrigger::upstream {

class HealthChecker {
 public:
  // `upstream` must have a health_check block. `http2` makes the codec of a probe spoken in
  // HTTP/2 (null: such probes fail, saying so).
  HealthChecker(io::Loop& loop, std::shared_ptr<Upstream> upstream, ProbeCodecFactory http2 = {});
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
  const ProbeCodecFactory http2_;
  policy::HealthState state_;
  std::vector<std::unique_ptr<Probe>> probes_;
  std::unique_ptr<io::Timer> round_timer_;
};

}  // namespace outrigger::upstream
