#pragma once
// The bulkhead (DESIGN §4, §6): caps concurrent requests to an upstream and keeps a bounded
// FIFO of waiters with deadlines. Pure bookkeeping: the caller does the waiting, arms its own
// timer for nextDeadline() and wakes the tickets that release() grants.
//
// Counts are process-wide (DESIGN §3). tryAdmitFast(), tryReleaseFast(), active() and
// queued() are lock-free and may run on any thread at any time: while nobody waits, a request
// enters and leaves with one compare-and-swap. Every other call is the overloaded path: the
// caller serialises those under one lock of its own (the same lock for all of them), and
// calls tryAdmit / release there when the fast call said so.

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "proxy/common/clock.h"

namespace outrigger::policy {

struct BulkheadConfig {
  uint32_t max_concurrent = 0;
  uint32_t max_queue = 0;  // 0 = no waiting: a request that finds no free slot is rejected
  Duration queue_timeout{};

  friend bool operator==(const BulkheadConfig&, const BulkheadConfig&) = default;
};

class Bulkhead {
 public:
  using Ticket = uint64_t;  // chosen by the caller, unique among waiting tickets
  enum class Admission { kAdmitted, kQueued, kRejectedFull };

  explicit Bulkhead(BulkheadConfig config);

  // Lock-free. kAdmitted: the caller holds a slot. kRejectedFull: every slot is taken and
  // there is no queue to wait in. nullopt: the caller must take its lock and call tryAdmit
  // (every slot is taken, or tickets are waiting and the newcomer must not jump them).
  std::optional<Admission> tryAdmitFast();
  // Lock-free. True: the slot is freed. False: tickets may be waiting, so the caller must take
  // its lock and call release(), which may hand the slot to one of them.
  bool tryReleaseFast();

  // The locked path. kAdmitted: the ticket holds a slot until it leaves. kQueued: it waits in
  // FIFO order until release() grants it a slot or `now + queue_timeout` passes.
  // kRejectedFull: every slot is taken and max_queue tickets are already waiting (or
  // queue_timeout is not positive). A slot is never given to a newcomer while live tickets
  // are waiting.
  Admission tryAdmit(Ticket ticket, MonoTime now);

  // The locked path of leaving (when tryReleaseFast() said so): frees a slot held by an
  // admitted or granted request. If a ticket is waiting and its deadline is still ahead of
  // `now`, the slot passes to it and it is returned: the caller must wake it (it now holds a
  // slot). Tickets whose deadline passed are never granted; they stay for expire() to
  // report. Calling release() with no slot held aborts.
  std::optional<Ticket> release(MonoTime now);

  // Removes a waiting ticket (its client went away), including one whose deadline passed
  // but that expire() has not reported yet. False if the ticket is not waiting.
  bool cancel(Ticket ticket);

  // Appends the tickets whose deadline is at or before `now`, oldest first, to `out` (a
  // caller-owned vector, reused) and forgets them: they end with bulkhead_timeout.
  void expire(MonoTime now, std::vector<Ticket>& out);

  // The earliest deadline among waiting tickets, for the caller's timer. It may already have
  // passed (a timed-out ticket not yet collected by expire()).
  std::optional<MonoTime> nextDeadline() const;

  uint32_t active() const { return activeOf(word_.load()); }
  // Tickets that can still be granted a slot (those known to be past their deadline are
  // excluded, though expire() has yet to report them).
  uint32_t queued() const { return waitingOf(word_.load()); }
  const BulkheadConfig& config() const { return config_; }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;

  // word_ packs the slots held (low 32 bits) and the live waiters, waiting_.size (high 32
  // bits), so that "a slot is free and nobody waits" is checked and acted on in one CAS.
  // Only the lock holder changes the waiter half; the fast calls change the active half, and
  // only while the waiter half is zero. Why no wake-up is lost, see bulkhead.cc.
  static constexpr uint64_t kOneWaiter = uint64_t{1} << 32;
  static uint32_t activeOf(uint64_t word) { return static_cast<uint32_t>(word); }
  static uint32_t waitingOf(uint64_t word) { return static_cast<uint32_t>(word >> 32); }

  // Waiters live in a pool of nodes linked into two FIFO lists, and an open-addressing index
  // maps a ticket to its node, so every operation is O(1) amortized and nothing is allocated
  // per request once the pool has grown to the peak queue length.
  struct Node {
    Ticket ticket = 0;
    MonoTime deadline{};
    uint32_t prev = kNone;
    uint32_t next = kNone;
    bool timed_out = false;  // which list holds it: timed_out_ or waiting_
  };
  struct List {
    uint32_t head = kNone;
    uint32_t tail = kNone;
    uint32_t size = 0;
  };
  struct Slot {
    Ticket ticket = 0;
    uint32_t node = kNone;  // kNone = empty
  };

  void moveTimedOut(MonoTime now);
  uint32_t allocNode(Ticket ticket, MonoTime deadline);
  void freeNode(uint32_t node);
  void pushBack(List& list, uint32_t node);
  void unlink(List& list, uint32_t node);

  Ticket popFront(List& list);  // unlinks the head, frees its node and index entry

  size_t slotOf(Ticket ticket) const;
  uint32_t findNode(Ticket ticket) const;
  void indexInsert(Ticket ticket, uint32_t node);
  void indexErase(Ticket ticket);
  void indexGrow();

  BulkheadConfig config_;
  std::atomic<uint64_t> word_{0};
  std::vector<Node> nodes_;
  uint32_t free_head_ = kNone;  // free nodes, chained through Node::next
  List waiting_;                // deadline ahead: may be granted a slot
  List timed_out_;              // deadline passed: waiting for expire() to report them
  std::vector<Slot> index_;     // size is a power of two, at most half full
  uint32_t index_size_ = 0;     // tickets in the index = waiting_ + timed_out_
};

}  // namespace outrigger::policy
