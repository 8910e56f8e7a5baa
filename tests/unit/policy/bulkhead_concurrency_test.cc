// The bulkhead's lock-free fast path (tryAdmitFast / tryReleaseFast) and how it meets the
// locked, overloaded path: single-threaded transitions first, then real threads.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "proxy/policy/bulkhead.h"

namespace outrigger::policy {
namespace {

using Admission = Bulkhead::Admission;
using Ticket = Bulkhead::Ticket;

BulkheadConfig config(uint32_t max_concurrent, uint32_t max_queue,
                      Duration queue_timeout = seconds(1)) {
  return BulkheadConfig{max_concurrent, max_queue, queue_timeout};
}

TEST(BulkheadFastPathTest, AdmitsAndReleasesWhileASlotIsFreeAndNobodyWaits) {
  Bulkhead bulkhead(config(2, 1));
  EXPECT_EQ(bulkhead.tryAdmitFast(), Admission::kAdmitted);
  EXPECT_EQ(bulkhead.tryAdmitFast(), Admission::kAdmitted);
  EXPECT_EQ(bulkhead.active(), 2u);
  // Full, with a queue to wait in: the caller has to take the locked path.
  EXPECT_EQ(bulkhead.tryAdmitFast(), std::nullopt);
  EXPECT_TRUE(bulkhead.tryReleaseFast());
  EXPECT_EQ(bulkhead.active(), 1u);
  EXPECT_EQ(bulkhead.tryAdmitFast(), Admission::kAdmitted);
}

TEST(BulkheadFastPathTest, FullWithNoQueueRejectsWithoutTheLock) {
  Bulkhead bulkhead(config(1, 0));
  EXPECT_EQ(bulkhead.tryAdmitFast(), Admission::kAdmitted);
  EXPECT_EQ(bulkhead.tryAdmitFast(), Admission::kRejectedFull);
  Bulkhead no_timeout(config(1, 5, Duration::zero()));
  EXPECT_EQ(no_timeout.tryAdmitFast(), Admission::kAdmitted);
  EXPECT_EQ(no_timeout.tryAdmitFast(), Admission::kRejectedFull);
}

TEST(BulkheadFastPathTest, AWaiterTurnsBothFastCallsAwayAndGetsTheSlot) {
  ManualClock clock;
  Bulkhead bulkhead(config(1, 2));
  ASSERT_EQ(bulkhead.tryAdmitFast(), Admission::kAdmitted);
  ASSERT_EQ(bulkhead.tryAdmit(7, clock.now()), Admission::kQueued);
  EXPECT_EQ(bulkhead.queued(), 1u);
  // A newcomer may not jump the waiter, and the slot may not simply be freed.
  EXPECT_EQ(bulkhead.tryAdmitFast(), std::nullopt);
  EXPECT_FALSE(bulkhead.tryReleaseFast());
  EXPECT_EQ(bulkhead.active(), 1u);
  // The locked release hands the slot over.
  EXPECT_EQ(bulkhead.release(clock.now()), Ticket{7});
  EXPECT_EQ(bulkhead.active(), 1u);
  EXPECT_EQ(bulkhead.queued(), 0u);
  // With nobody waiting any more, the fast path is open again.
  EXPECT_TRUE(bulkhead.tryReleaseFast());
  EXPECT_EQ(bulkhead.tryAdmitFast(), Admission::kAdmitted);
}

TEST(BulkheadFastPathTest, TheFastPathReopensOnceTheWaitersAreGone) {
  ManualClock clock;
  Bulkhead bulkhead(config(1, 2));
  ASSERT_EQ(bulkhead.tryAdmitFast(), Admission::kAdmitted);
  ASSERT_EQ(bulkhead.tryAdmit(1, clock.now()), Admission::kQueued);
  ASSERT_EQ(bulkhead.tryAdmit(2, clock.now()), Admission::kQueued);
  EXPECT_TRUE(bulkhead.cancel(1));
  EXPECT_FALSE(bulkhead.tryReleaseFast());  // ticket 2 still waits
  // Ticket 2's deadline passes: the next locked call notices and stops counting it.
  clock.advance(seconds(1));
  EXPECT_EQ(bulkhead.release(clock.now()), std::nullopt);
  EXPECT_EQ(bulkhead.queued(), 0u);
  EXPECT_EQ(bulkhead.active(), 0u);
  EXPECT_EQ(bulkhead.tryAdmitFast(), Admission::kAdmitted);
  EXPECT_TRUE(bulkhead.tryReleaseFast());
  std::vector<Ticket> expired;
  bulkhead.expire(clock.now(), expired);
  EXPECT_EQ(expired, std::vector<Ticket>{2});
}

TEST(BulkheadFastPathDeathTest, AFastReleaseWithoutAHeldSlotAborts) {
  Bulkhead bulkhead(config(1, 1));
  EXPECT_DEATH(bulkhead.tryReleaseFast(), "release\\(\\) without a held slot");
}

// The race the fast path must win: a fast release against a newcomer that found the bulkhead
// full and is queueing under the lock. Each thread admits (fast, else locked), holds its slot
// briefly and leaves (fast, else locked, waking the ticket it grants), the way
// UpstreamPolicies drives the bulkhead. A queued ticket whose wake-up were lost would wait
// until the bounded spin gives up, so the test fails rather than hangs. The manual clock
// never moves, so no ticket times out: every queued ticket must be granted.
TEST(BulkheadConcurrencyTest, FastReleasesNeverStrandAQueuedTicket) {
  constexpr uint32_t kMaxConcurrent = 2;
  constexpr int kThreads = 4;
  constexpr int kRounds = 20000;
  const MonoTime now{};
  Bulkhead bulkhead(config(kMaxConcurrent, 64, seconds(60)));
  std::mutex lock;  // the caller's lock, as UpstreamPolicies::bulkhead_mutex_
  std::unordered_map<Ticket, std::shared_ptr<std::atomic<bool>>> wakes;  // under `lock`
  std::atomic<uint32_t> holders{0};
  std::atomic<uint32_t> most_holders{0};
  std::atomic<uint64_t> queued{0}, granted{0}, fast_admits{0}, fast_releases{0};
  std::atomic<bool> stranded{false};

  auto leave = [&] {
    if (bulkhead.tryReleaseFast()) {
      ++fast_releases;
      return;
    }
    std::lock_guard<std::mutex> guard(lock);
    if (std::optional<Ticket> next = bulkhead.release(now)) {
      auto it = wakes.find(*next);
      ASSERT_NE(it, wakes.end()) << "granted a ticket nobody registered";
      it->second->store(true);
      wakes.erase(it);
      ++granted;
    }
  };
  auto work = [&](int thread) {
    for (int round = 0; round < kRounds && !stranded; ++round) {
      const Ticket ticket = static_cast<Ticket>(thread) * kRounds + round + 1;
      std::optional<Admission> admission = bulkhead.tryAdmitFast();
      std::shared_ptr<std::atomic<bool>> wake;
      if (admission) {
        ++fast_admits;
      } else {
        std::lock_guard<std::mutex> guard(lock);
        admission = bulkhead.tryAdmit(ticket, now);
        if (*admission == Admission::kQueued) {
          wake = std::make_shared<std::atomic<bool>>(false);
          wakes.emplace(ticket, wake);
        }
      }
      if (*admission == Admission::kRejectedFull) continue;
      if (*admission == Admission::kQueued) {
        ++queued;
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!wake->load()) {
          if (std::chrono::steady_clock::now() > give_up) {
            stranded = true;
            return;
          }
          std::this_thread::yield();
        }
      }
      const uint32_t now_holding = holders.fetch_add(1) + 1;
      uint32_t most = most_holders.load();
      while (now_holding > most && !most_holders.compare_exchange_weak(most, now_holding)) {
      }
      if (round % 3 == 0) std::this_thread::yield();  // hold the slot a moment
      holders.fetch_sub(1);
      leave();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(work, t);
  for (auto& thread : threads) thread.join();

  ASSERT_FALSE(stranded) << "a queued ticket was never granted its slot";
  EXPECT_LE(most_holders.load(), kMaxConcurrent);
  EXPECT_EQ(granted.load(), queued.load());
  EXPECT_EQ(bulkhead.active(), 0u);
  EXPECT_EQ(bulkhead.queued(), 0u);
  EXPECT_TRUE(wakes.empty());
  // Both paths ran, and met: otherwise the race above was never tried.
  EXPECT_GT(fast_admits.load(), 0u);
  EXPECT_GT(fast_releases.load(), 0u);
  EXPECT_GT(queued.load(), 0u);
}

// Without a queue, concurrent fast admits never hand out more slots than there are.
TEST(BulkheadConcurrencyTest, ConcurrentFastAdmitsNeverExceedMaxConcurrent) {
  constexpr uint32_t kMaxConcurrent = 3;
  Bulkhead bulkhead(config(kMaxConcurrent, 0));
  std::atomic<uint32_t> holders{0}, most_holders{0};
  std::atomic<uint64_t> admitted{0}, rejected{0};
  auto work = [&] {
    for (int round = 0; round < 50000; ++round) {
      const std::optional<Admission> admission = bulkhead.tryAdmitFast();
      ASSERT_TRUE(admission.has_value()) << "no queue: the fast path always decides";
      if (*admission == Admission::kRejectedFull) {
        ++rejected;
        continue;
      }
      ++admitted;
      const uint32_t now_holding = holders.fetch_add(1) + 1;
      uint32_t most = most_holders.load();
      while (now_holding > most && !most_holders.compare_exchange_weak(most, now_holding)) {
      }
      holders.fetch_sub(1);
      ASSERT_TRUE(bulkhead.tryReleaseFast());
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(work);
  for (auto& thread : threads) thread.join();
  EXPECT_LE(most_holders.load(), kMaxConcurrent);
  EXPECT_EQ(admitted.load() + rejected.load(), 4u * 50000u);
  EXPECT_EQ(bulkhead.active(), 0u);
}

}  // namespace
}  // namespace outrigger::policy
