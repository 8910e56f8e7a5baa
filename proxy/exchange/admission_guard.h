#pragma once
// What one request holds of its upstream's shared limits (DESIGN §4): a bulkhead slot or a
// place in the bulkhead's queue, and the circuit breaker's permit for the attempt under
// way. It gives back whatever it still holds when it is destroyed, so that no path out of
// an exchange can leak a slot, a queue place or a half-open probe.

#include <cstdint>
#include <utility>
#include <vector>

#include "proxy/common/clock.h"
#include "proxy/io/loop.h"
#include "proxy/policy/outcome.h"
#include "proxy/upstream/upstream_policies.h"

namespace outrigger::exchange {

class AdmissionGuard;

// The requests of one worker that wait in a bulkhead queue. A grant is posted to the
// worker's loop from whichever thread freed the slot; by then the request may have gone,
// so the grant finds it here by ticket rather than through a pointer it kept.
class QueuedAdmissions {
 public:
  void add(upstream::UpstreamPolicies::Ticket ticket, AdmissionGuard* guard);
  void remove(upstream::UpstreamPolicies::Ticket ticket);
  // Runs on the worker's loop: wakes the request holding `ticket`, if it still waits.
  void grant(upstream::UpstreamPolicies::Ticket ticket);

 private:
  std::vector<std::pair<upstream::UpstreamPolicies::Ticket, AdmissionGuard*>> waiting_;
};

class AdmissionGuard {
 public:
  // Told when a queued request got its slot.
  class Events {
   public:
    virtual ~Events() = default;
    virtual void onAdmissionGranted() = 0;
  };

  enum class Entry { kAdmitted, kQueued, kRateLimited, kBulkheadFull };
  struct EntryResult {
    Entry entry = Entry::kAdmitted;
    Duration retry_after{};  // for kRateLimited
  };

  AdmissionGuard(io::Loop& loop, Clock& clock, QueuedAdmissions& queued, Events& events)
      : loop_(loop), clock_(clock), queued_admissions_(queued), events_(events) {}
  ~AdmissionGuard() { release(); }
  AdmissionGuard(const AdmissionGuard&) = delete;
  AdmissionGuard& operator=(const AdmissionGuard&) = delete;

  // The rate limit, then the bulkhead. kQueued: Events::onAdmissionGranted() follows on a
  // later turn once a slot is free, unless the guard is released first.
  EntryResult enter(upstream::UpstreamPolicies& policies, MonoTime now);
  bool queued() const { return queued_; }

  // The breaker's permit for one attempt; check .allowed.
  const upstream::UpstreamPolicies::BreakerPermit& acquirePermit(MonoTime now);
  // Records the attempt's outcome with the breaker and gives the permit back.
  void settlePermit(MonoTime now, policy::AttemptOutcome outcome, Duration latency);

  // Gives back the slot, the queue place and an unsettled permit (as cancelled). Inline:
  // most requests hold nothing by the time they end.
  void release() {
    if (queued_ || holds_slot_ || permit_.held) releaseHeld();
  }

 private:
  friend class QueuedAdmissions;
  void onGranted();
  void releaseHeld();

  io::Loop& loop_;
  Clock& clock_;
  QueuedAdmissions& queued_admissions_;
  Events& events_;
  upstream::UpstreamPolicies* policies_ = nullptr;
  upstream::UpstreamPolicies::Ticket ticket_ = 0;
  bool queued_ = false;      // in the bulkhead's wait queue
  bool holds_slot_ = false;  // holds a bulkhead slot
  upstream::UpstreamPolicies::BreakerPermit permit_;
};

}  // namespace outrigger::exchange
