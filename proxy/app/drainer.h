#pragma once
// Decides the sidecar drain of DESIGN §7: after SIGTERM (or POST /drain) keep serving the
// app until it has been quiet for drain.grace, or until drain.timeout; a second signal
// exits at once. It only decides; App turns /ready to 503, polls and stops the workers.

#include <cstddef>
#include <cstdint>

#include "proxy/common/clock.h"
#include "proxy/config/schema.h"

namespace outrigger::app {

// What the workers report at one check: connections open now, and connections accepted
// since start (a connection that came and went between two checks still breaks the quiet).
struct DrainActivity {
  size_t connections = 0;
  uint64_t accepted = 0;
};

class Drainer {
 public:
  // What a SIGTERM or SIGINT asks for.
  enum class SignalAction { kBeginDrain, kAlreadyDraining, kExitNow };

  struct Decision {
    enum class Kind {
      kKeepServing,  // check again after `wait`
      kDrained,      // quiet for grace: stop the workers, giving them `wait` to finish
      kTimedOut,     // drain.timeout passed: stop the workers now, closing what is open
    };
    Kind kind;
    Duration wait;
    Duration quiet_for;  // how long the app has been quiet, for the log
  };

  // How often a drain looks at the workers while the app is still busy.
  static constexpr Duration kPoll = milliseconds(50);

  explicit Drainer(const Clock& clock) : clock_(clock) {}

  // Only a second signal exits at once: POST /drain followed by the kubelet's SIGTERM is
  // one drain, not two.
  SignalAction onSignal();
  // Draining or already stopping: /ready is 503 and reloads are refused.
  bool active() const { return state_ != State::kServing; }
  // The drain is over and the workers are stopping: file changes no longer matter.
  bool stopping() const { return state_ == State::kStopping; }

  void begin(const config::DrainConfig& limits, DrainActivity activity);
  // Called at begin() and then after each Decision::wait; a kDrained or kTimedOut decision
  // is final.
  Decision check(DrainActivity activity);

 private:
  // kServing -> kDraining on begin(); kDraining -> kStopping once check() says stop.
  enum class State { kServing, kDraining, kStopping };

  const Clock& clock_;
  State state_ = State::kServing;
  bool signalled_ = false;  // SIGTERM or SIGINT seen
  config::DrainConfig limits_;
  MonoTime started_{};
  MonoTime quiet_since_{};
  uint64_t accepted_seen_ = 0;
};

}  // namespace outrigger::app
