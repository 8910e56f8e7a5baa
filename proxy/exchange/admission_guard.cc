#include "proxy/exchange/admission_guard.h"

#include <algorithm>

namespace outrigger::exchange {

void QueuedAdmissions::add(upstream::UpstreamPolicies::Ticket ticket, AdmissionGuard* guard) {
  waiting_.emplace_back(ticket, guard);
}

void QueuedAdmissions::remove(upstream::UpstreamPolicies::Ticket ticket) {
  std::erase_if(waiting_, [ticket](const auto& w) { return w.first == ticket; });
}

void QueuedAdmissions::grant(upstream::UpstreamPolicies::Ticket ticket) {
  auto found = std::find_if(waiting_.begin(), waiting_.end(),
                            [ticket](const auto& w) { return w.first == ticket; });
  // Gone: the request gave up meanwhile, and handed the slot straight back (release()).
  if (found == waiting_.end()) return;
  AdmissionGuard* guard = found->second;
  waiting_.erase(found);
  guard->onGranted();
}

AdmissionGuard::EntryResult AdmissionGuard::enter(upstream::UpstreamPolicies& policies,
                                                  MonoTime now) {
  policies_ = &policies;
  const auto rate = policies.takeRateToken(now);
  if (!rate.allowed) return {Entry::kRateLimited, rate.retry_after};
  if (!policies.hasBulkhead()) return {Entry::kAdmitted, {}};
  ticket_ = policies.newTicket();
  // Captures a pointer and the ticket only, so it fits in std::function without allocating.
  const upstream::UpstreamPolicies::MakeWake make_wake = [this]() -> std::function<void()> {
    return [queued = &queued_admissions_, ticket = ticket_] { queued->grant(ticket); };
  };
  switch (policies.enterBulkhead(ticket_, now, loop_, make_wake)) {
    case upstream::UpstreamPolicies::BulkheadAdmission::kAdmitted:
      holds_slot_ = true;
      return {Entry::kAdmitted, {}};
    case upstream::UpstreamPolicies::BulkheadAdmission::kOff:
      return {Entry::kAdmitted, {}};
    case upstream::UpstreamPolicies::BulkheadAdmission::kFull:
      return {Entry::kBulkheadFull, {}};
    case upstream::UpstreamPolicies::BulkheadAdmission::kQueued:
      queued_ = true;
      queued_admissions_.add(ticket_, this);
      return {Entry::kQueued, {}};
  }
  return {Entry::kAdmitted, {}};
}

void AdmissionGuard::onGranted() {
  if (!queued_) return;
  queued_ = false;
  holds_slot_ = true;
  events_.onAdmissionGranted();
}

const upstream::UpstreamPolicies::BreakerPermit& AdmissionGuard::acquirePermit(MonoTime now) {
  permit_ = policies_->acquireBreaker(now);
  return permit_;
}

void AdmissionGuard::settlePermit(MonoTime now, policy::AttemptOutcome outcome, Duration latency) {
  if (policies_ == nullptr) return;
  policies_->recordBreaker(now, permit_, outcome, latency);
  permit_ = {};
}

void AdmissionGuard::releaseHeld() {
  const MonoTime now = clock_.now();
  if (queued_) {
    queued_ = false;
    queued_admissions_.remove(ticket_);
    // false: a slot was granted while we gave up (its wake is on its way); hand it back.
    if (!policies_->abandonBulkhead(ticket_)) policies_->leaveBulkhead(now);
  }
  if (holds_slot_) {
    holds_slot_ = false;
    policies_->leaveBulkhead(now);
  }
  if (permit_.held) {
    policies_->recordBreaker(now, permit_, policy::AttemptOutcome::kCancelled, Duration::zero());
    permit_ = {};
  }
}

}  // namespace outrigger::exchange
