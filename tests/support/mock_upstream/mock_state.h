#pragma once

// Server-wide state that tests observe or steer: request counters, /intermittent call counts
// and the /health toggle.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mock_upstream {

class MockState {
 public:
  // Counts one request under its path (without the query). /__stats* is never counted.
  void countRequest(std::string_view path);
  void connectionOpened();
  void connectionClosed();

  // Returns the 1-based number of this call to /intermittent for `key`.
  uint64_t nextIntermittentCall(std::string_view key);

  // The next of a fixed pseudo-random sequence in [0, 100): /chaos draws one per call, so a
  // run's failures are random-looking but the same from one start to the next.
  uint64_t nextChaosDraw();

  bool healthy() const { return healthy_; }
  void setHealthy(bool healthy) { healthy_ = healthy; }

  // While non-zero, every ordinary request (not /__*, not /health) answers this status.
  int failStatus() const { return failStatus_; }
  void setFailStatus(int status) { failStatus_ = status; }

  // {"requests_total":N,"connections_total":C,"connections_open":O,"paths":{...}}
  std::string statsJson() const;
  // Zeroes every counter and forgets /intermittent keys. connections_open is a gauge of what is
  // open right now, so it is kept.
  void reset();

 private:
  uint64_t requestsTotal_ = 0;
  uint64_t connectionsTotal_ = 0;
  uint64_t connectionsOpen_ = 0;
  std::map<std::string, uint64_t, std::less<>> paths_;  // ordered: stable JSON for tests
  std::unordered_map<std::string, uint64_t> intermittentCalls_;
  uint64_t chaosState_ = 0x9e3779b97f4a7c15ULL;
  bool healthy_ = true;
  int failStatus_ = 0;
};

}  // namespace mock_upstream
