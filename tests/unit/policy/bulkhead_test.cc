#include "proxy/policy/bulkhead.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <vector>

#include "proxy/common/random.h"

namespace outrigger::policy {
namespace {

using Admission = Bulkhead::Admission;
using Ticket = Bulkhead::Ticket;

BulkheadConfig config(uint32_t max_concurrent, uint32_t max_queue,
                      Duration queue_timeout = seconds(1)) {
  return BulkheadConfig{max_concurrent, max_queue, queue_timeout};
}

TEST(BulkheadTest, AdmitsUpToMaxConcurrentThenQueuesThenRejects) {
  ManualClock clock;
  Bulkhead bulkhead(config(2, 2));
  EXPECT_EQ(bulkhead.tryAdmit(1, clock.now()), Admission::kAdmitted);
  EXPECT_EQ(bulkhead.tryAdmit(2, clock.now()), Admission::kAdmitted);
  EXPECT_EQ(bulkhead.active(), 2u);
  EXPECT_EQ(bulkhead.nextDeadline(), std::nullopt);

  EXPECT_EQ(bulkhead.tryAdmit(3, clock.now()), Admission::kQueued);
  EXPECT_EQ(bulkhead.nextDeadline(), clock.now() + seconds(1));
  EXPECT_EQ(bulkhead.tryAdmit(4, clock.now()), Admission::kQueued);
  EXPECT_EQ(bulkhead.queued(), 2u);

  EXPECT_EQ(bulkhead.tryAdmit(5, clock.now()), Admission::kRejectedFull);
  EXPECT_EQ(bulkhead.active(), 2u);
  EXPECT_EQ(bulkhead.queued(), 2u);
}

TEST(BulkheadTest, NoQueueMeansRejectAtOnce) {
  ManualClock clock;
  Bulkhead bulkhead(config(1, 0));
  EXPECT_EQ(bulkhead.tryAdmit(1, clock.now()), Admission::kAdmitted);
  EXPECT_EQ(bulkhead.tryAdmit(2, clock.now()), Admission::kRejectedFull);
  EXPECT_EQ(bulkhead.queued(), 0u);

  // A queue without a positive timeout cannot be waited in either.
  Bulkhead no_timeout(config(1, 10, Duration::zero()));
  EXPECT_EQ(no_timeout.tryAdmit(1, clock.now()), Admission::kAdmitted);
  EXPECT_EQ(no_timeout.tryAdmit(2, clock.now()), Admission::kRejectedFull);
}

TEST(BulkheadTest, ReleaseGrantsTheSlotToWaitersInFifoOrder) {
  ManualClock clock;
  Bulkhead bulkhead(config(1, 3));
  ASSERT_EQ(bulkhead.tryAdmit(10, clock.now()), Admission::kAdmitted);
  for (Ticket t : {11, 12, 13}) ASSERT_EQ(bulkhead.tryAdmit(t, clock.now()), Admission::kQueued);

  clock.advance(milliseconds(10));
  EXPECT_EQ(bulkhead.release(clock.now()), Ticket{11});
  EXPECT_EQ(bulkhead.active(), 1u);  // the slot passed from 10 to 11
  EXPECT_EQ(bulkhead.queued(), 2u);
  EXPECT_EQ(bulkhead.release(clock.now()), Ticket{12});
  EXPECT_EQ(bulkhead.release(clock.now()), Ticket{13});
  EXPECT_EQ(bulkhead.queued(), 0u);
  EXPECT_EQ(bulkhead.release(clock.now()), std::nullopt);
  EXPECT_EQ(bulkhead.active(), 0u);
}

TEST(BulkheadTest, ANewcomerNeverTakesASlotAheadOfAWaiter) {
  ManualClock clock;
  Bulkhead bulkhead(config(1, 5));
  ASSERT_EQ(bulkhead.tryAdmit(1, clock.now()), Admission::kAdmitted);
  ASSERT_EQ(bulkhead.tryAdmit(2, clock.now()), Admission::kQueued);
  ASSERT_EQ(bulkhead.tryAdmit(3, clock.now()), Admission::kQueued);
  EXPECT_EQ(bulkhead.release(clock.now()), Ticket{2});
  EXPECT_EQ(bulkhead.tryAdmit(4, clock.now()), Admission::kQueued);
  EXPECT_EQ(bulkhead.release(clock.now()), Ticket{3});
  EXPECT_EQ(bulkhead.release(clock.now()), Ticket{4});
}

TEST(BulkheadTest, CancelRemovesOnlyAWaitingTicket) {
  ManualClock clock;
  Bulkhead bulkhead(config(1, 3));
  ASSERT_EQ(bulkhead.tryAdmit(1, clock.now()), Admission::kAdmitted);
  for (Ticket t : {2, 3, 4}) ASSERT_EQ(bulkhead.tryAdmit(t, clock.now()), Admission::kQueued);

  EXPECT_TRUE(bulkhead.cancel(3));
  EXPECT_EQ(bulkhead.queued(), 2u);
  EXPECT_FALSE(bulkhead.cancel(3));   // already gone
  EXPECT_FALSE(bulkhead.cancel(1));   // admitted, not waiting
  EXPECT_FALSE(bulkhead.cancel(99));  // never seen
  // The freed queue place can be taken again.
  EXPECT_EQ(bulkhead.tryAdmit(5, clock.now()), Admission::kQueued);

  EXPECT_EQ(bulkhead.release(clock.now()), Ticket{2});
  EXPECT_EQ(bulkhead.release(clock.now()), Ticket{4});
  EXPECT_EQ(bulkhead.release(clock.now()), Ticket{5});
  EXPECT_EQ(bulkhead.release(clock.now()), std::nullopt);
}

TEST(BulkheadTest, ExpireReturnsTimedOutTicketsInOrder) {
  ManualClock clock;
  const MonoTime start = clock.now();
  Bulkhead bulkhead(config(1, 3));
  ASSERT_EQ(bulkhead.tryAdmit(1, clock.now()), Admission::kAdmitted);
  for (Ticket t : {2, 3, 4}) {
    ASSERT_EQ(bulkhead.tryAdmit(t, clock.now()), Admission::kQueued);
    clock.advance(milliseconds(100));
  }
  EXPECT_EQ(bulkhead.nextDeadline(), start + seconds(1));

  std::vector<Ticket> out = {77};  // expire() appends, it does not clear
  clock.set(start + seconds(1) - milliseconds(1));
  bulkhead.expire(clock.now(), out);
  EXPECT_EQ(out, (std::vector<Ticket>{77}));

  clock.set(start + milliseconds(1100));  // exactly the deadline of ticket 3
  bulkhead.expire(clock.now(), out);
  EXPECT_EQ(out, (std::vector<Ticket>{77, 2, 3}));
  EXPECT_EQ(bulkhead.queued(), 1u);
  EXPECT_EQ(bulkhead.nextDeadline(), start + milliseconds(1200));
  EXPECT_FALSE(bulkhead.cancel(2));  // reported, so forgotten

  out.clear();
  clock.advance(seconds(10));
  bulkhead.expire(clock.now(), out);
  EXPECT_EQ(out, (std::vector<Ticket>{4}));
  EXPECT_EQ(bulkhead.nextDeadline(), std::nullopt);
  EXPECT_EQ(bulkhead.active(), 1u);  // expiry never touches held slots
}

TEST(BulkheadTest, ReleaseNeverGrantsATimedOutTicket) {
  ManualClock clock;
  const MonoTime start = clock.now();
  Bulkhead bulkhead(config(1, 3));
  ASSERT_EQ(bulkhead.tryAdmit(1, clock.now()), Admission::kAdmitted);
  ASSERT_EQ(bulkhead.tryAdmit(2, clock.now()), Admission::kQueued);
  clock.advance(milliseconds(500));
  ASSERT_EQ(bulkhead.tryAdmit(3, clock.now()), Admission::kQueued);

  // Ticket 2's deadline passed but the caller's timer has not fired yet.
  clock.set(start + seconds(1));
  EXPECT_EQ(bulkhead.release(clock.now()), Ticket{3});
  EXPECT_EQ(bulkhead.queued(), 0u);
  EXPECT_EQ(bulkhead.nextDeadline(), start + seconds(1));  // 2 still waits to be reported

  clock.set(start + milliseconds(1500));
  EXPECT_EQ(bulkhead.release(clock.now()), std::nullopt);  // 3's deadline passed too, but it
  EXPECT_EQ(bulkhead.active(), 0u);                        // held a slot, so no one is waiting

  std::vector<Ticket> out;
  bulkhead.expire(clock.now(), out);
  EXPECT_EQ(out, (std::vector<Ticket>{2}));
}

TEST(BulkheadTest, ATimedOutTicketCanBeCancelledBeforeItIsReported) {
  ManualClock clock;
  Bulkhead bulkhead(config(1, 2));
  ASSERT_EQ(bulkhead.tryAdmit(1, clock.now()), Admission::kAdmitted);
  ASSERT_EQ(bulkhead.tryAdmit(2, clock.now()), Admission::kQueued);
  clock.advance(seconds(2));
  EXPECT_EQ(bulkhead.release(clock.now()), std::nullopt);  // moves 2 to timed out
  EXPECT_TRUE(bulkhead.cancel(2));
  std::vector<Ticket> out;
  bulkhead.expire(clock.now(), out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(bulkhead.nextDeadline(), std::nullopt);
}

TEST(BulkheadTest, TimedOutWaitersDoNotHoldQueuePlaces) {
  ManualClock clock;
  Bulkhead bulkhead(config(1, 1));
  ASSERT_EQ(bulkhead.tryAdmit(1, clock.now()), Admission::kAdmitted);
  ASSERT_EQ(bulkhead.tryAdmit(2, clock.now()), Admission::kQueued);
  EXPECT_EQ(bulkhead.tryAdmit(3, clock.now()), Admission::kRejectedFull);
  clock.advance(seconds(1));
  EXPECT_EQ(bulkhead.tryAdmit(3, clock.now()), Admission::kQueued);
  std::vector<Ticket> out;
  bulkhead.expire(clock.now(), out);
  EXPECT_EQ(out, (std::vector<Ticket>{2}));
  EXPECT_EQ(bulkhead.release(clock.now()), Ticket{3});
}

TEST(BulkheadTest, DeadlinesStayOrderedWhenAnotherThreadPassesAnOlderNow) {
  ManualClock clock;
  Bulkhead bulkhead(config(1, 2));
  ASSERT_EQ(bulkhead.tryAdmit(1, clock.now()), Admission::kAdmitted);
  ASSERT_EQ(bulkhead.tryAdmit(2, clock.now()), Admission::kQueued);
  ASSERT_EQ(bulkhead.tryAdmit(3, clock.now() - milliseconds(1)), Admission::kQueued);
  std::vector<Ticket> out;
  bulkhead.expire(clock.now() + seconds(1) - milliseconds(1), out);
  EXPECT_TRUE(out.empty());
  bulkhead.expire(clock.now() + seconds(1), out);
  EXPECT_EQ(out, (std::vector<Ticket>{2, 3}));
}

TEST(BulkheadTest, CountsReturnToZeroAfterEverythingIsReleased) {
  ManualClock clock;
  Bulkhead bulkhead(config(3, 100));
  std::vector<Ticket> holding;
  for (Ticket t = 1; t <= 103; ++t) {
    const Admission a = bulkhead.tryAdmit(t, clock.now());
    ASSERT_NE(a, Admission::kRejectedFull) << t;
    if (a == Admission::kAdmitted) holding.push_back(t);
  }
  EXPECT_EQ(bulkhead.active(), 3u);
  EXPECT_EQ(bulkhead.queued(), 100u);
  for (Ticket t = 10; t <= 103; t += 10) ASSERT_TRUE(bulkhead.cancel(t));
  size_t granted = 0;
  while (!holding.empty()) {
    holding.pop_back();
    if (std::optional<Ticket> next = bulkhead.release(clock.now())) {
      holding.push_back(*next);
      ++granted;
    }
  }
  EXPECT_EQ(granted, 90u);
  EXPECT_EQ(bulkhead.active(), 0u);
  EXPECT_EQ(bulkhead.queued(), 0u);
  EXPECT_EQ(bulkhead.nextDeadline(), std::nullopt);
}

// A plain reference model: a deque scanned linearly. The bulkhead must agree with it on
// every call through a long random mix of operations, which exercises node reuse, index
// growth and backward-shift deletion.
struct ModelBulkhead {
  struct Waiter {
    Ticket ticket;
    MonoTime deadline;
  };
  BulkheadConfig config;
  uint32_t active = 0;
  std::deque<Waiter> waiting;

  Admission tryAdmit(Ticket t, MonoTime now) {
    const auto live = std::count_if(waiting.begin(), waiting.end(),
                                    [&](const Waiter& w) { return w.deadline > now; });
    if (active < config.max_concurrent && live == 0) {
      ++active;
      return Admission::kAdmitted;
    }
    if (static_cast<uint32_t>(live) >= config.max_queue) return Admission::kRejectedFull;
    waiting.push_back({t, now + config.queue_timeout});
    return Admission::kQueued;
  }
  std::optional<Ticket> release(MonoTime now) {
    for (auto it = waiting.begin(); it != waiting.end(); ++it) {
      if (it->deadline > now) {
        const Ticket t = it->ticket;
        waiting.erase(it);
        return t;
      }
    }
    --active;
    return std::nullopt;
  }
  bool cancel(Ticket t) {
    auto it = std::find_if(waiting.begin(), waiting.end(),
                           [&](const Waiter& w) { return w.ticket == t; });
    if (it == waiting.end()) return false;
    waiting.erase(it);
    return true;
  }
  void expire(MonoTime now, std::vector<Ticket>& out) {
    while (!waiting.empty() && waiting.front().deadline <= now) {
      out.push_back(waiting.front().ticket);
      waiting.pop_front();
    }
  }
};

TEST(BulkheadTest, AgreesWithAReferenceModelOverARandomWorkload) {
  const BulkheadConfig cfg = config(8, 300, milliseconds(50));
  Bulkhead bulkhead(cfg);
  ModelBulkhead model{cfg, 0, {}};
  FastRandom random(42);
  ManualClock clock;
  Ticket next_ticket = 1;
  std::vector<Ticket> out;
  std::vector<Ticket> model_out;
  size_t queued = 0, granted = 0, expired = 0, cancelled = 0;
  uint32_t max_queued = 0;
  for (int step = 0; step < 200000; ++step) {
    clock.advance(std::chrono::microseconds(random.below(200)));
    const MonoTime now = clock.now();
    const uint64_t op = random.below(100);
    if (op < 50) {
      // Large, spread-out tickets so that the index sees collisions and wrap-around.
      const Ticket t = (next_ticket++) * 0x10001ULL;
      const Admission a = bulkhead.tryAdmit(t, now);
      ASSERT_EQ(a, model.tryAdmit(t, now)) << "step " << step;
      queued += a == Admission::kQueued;
    } else if (op < 80 && model.active > 0) {
      const std::optional<Ticket> next = bulkhead.release(now);
      ASSERT_EQ(next, model.release(now)) << "step " << step;
      granted += next.has_value();
    } else if (op < 90) {
      const Ticket t = random.below(next_ticket + 1) * 0x10001ULL;
      const bool removed = bulkhead.cancel(t);
      ASSERT_EQ(removed, model.cancel(t)) << "step " << step;
      cancelled += removed;
    } else {
      out.clear();
      model_out.clear();
      bulkhead.expire(now, out);
      model.expire(now, model_out);
      ASSERT_EQ(out, model_out) << "step " << step;
      expired += out.size();
    }
    ASSERT_EQ(bulkhead.active(), model.active) << "step " << step;
    max_queued = std::max(max_queued, bulkhead.queued());
  }
  // The workload reached every path, and queues long enough to grow the index.
  EXPECT_GT(queued, 10000u);
  EXPECT_GT(granted, 1000u);
  EXPECT_GT(expired, 1000u);
  EXPECT_GT(cancelled, 100u);
  EXPECT_GT(max_queued, 100u);
}

TEST(BulkheadDeathTest, ReleaseWithoutAHeldSlotAborts) {
  Bulkhead bulkhead(config(1, 1));
  EXPECT_DEATH(bulkhead.release(MonoTime{}), "release\\(\\) without a held slot");
}

}  // namespace
}  // namespace outrigger::policy
