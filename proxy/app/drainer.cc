#include "proxy/app/drainer.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace outrigger::app {

Drainer::SignalAction Drainer::onSignal() {
  if (signalled_) return SignalAction::kExitNow;
  signalled_ = true;
  return active() ? SignalAction::kAlreadyDraining : SignalAction::kBeginDrain;
}

void Drainer::begin(const config::DrainConfig& limits, DrainActivity activity) {
  if (state_ != State::kServing) {  // App checks active() first
    std::cerr << "Drainer: begin() while already draining\n";
    std::abort();
  }
  state_ = State::kDraining;
  limits_ = limits;
  started_ = clock_.now();
  quiet_since_ = started_;
  accepted_seen_ = activity.accepted;
}

Drainer::Decision Drainer::check(DrainActivity activity) {
  if (state_ != State::kDraining) {  // a stop decision is final
    std::cerr << "Drainer: check() while not draining\n";
    std::abort();
  }
  const MonoTime now = clock_.now();
  if (activity.connections > 0 || activity.accepted != accepted_seen_) quiet_since_ = now;
  accepted_seen_ = activity.accepted;
  const Duration elapsed = now - started_;
  const Duration quiet_for = now - quiet_since_;
  if (quiet_for >= limits_.grace) {
    state_ = State::kStopping;
    // The workers get what is left of the timeout to finish.
    return {Decision::Kind::kDrained, std::max(limits_.timeout - elapsed, Duration::zero()),
            quiet_for};
  }
  if (elapsed >= limits_.timeout) {
    state_ = State::kStopping;
    return {Decision::Kind::kTimedOut, Duration::zero(), quiet_for};
  }
  return {Decision::Kind::kKeepServing, std::min(kPoll, limits_.timeout - elapsed), quiet_for};
}

}  // namespace outrigger::app
