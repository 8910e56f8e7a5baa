#include "proxy/policy/bulkhead.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace outrigger::policy {
namespace {

// Enough for a typical queue without growing; a larger max_queue grows on demand, once.
constexpr uint32_t kInitialNodes = 64;
constexpr size_t kMinIndexSlots = 16;

[[noreturn]] void die(const char* what) {
  std::cerr << "Bulkhead: " << what << "\n";
  std::abort();
}

// Callers pick tickets (often sequential ids), so mix the bits before masking.
uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

}  // namespace

Bulkhead::Bulkhead(BulkheadConfig config) : config_(config) {
  const uint32_t initial = std::min(config_.max_queue, kInitialNodes);
  nodes_.reserve(initial);
  size_t slots = kMinIndexSlots;
  while (slots < 2 * static_cast<size_t>(initial)) slots *= 2;
  index_.assign(slots, Slot{});
}

// Why a fast release never strands a waiter. Every change to word_ is one atomic
// read-modify-write, so they happen in one order. A fast call acts only through a CAS whose
// expected value has no waiters. A ticket starts waiting only through the CAS in tryAdmit()
// that adds a waiter, made under the caller's lock, and that CAS expects the word to show
// every slot taken (or waiters already there). Take a fast release R and a newcomer N that
// found the bulkhead full:
//  - R's CAS comes first: the word changed under N, so N's CAS fails; N reads again, sees the
//    free slot with nobody waiting and takes it. N does not wait.
//  - N's CAS comes first: R's CAS fails, since its expected value had no waiters. R rereads,
//    sees a waiter and returns false, so its caller takes the lock, which N holds until its
//    ticket is queued (and the caller has registered how to wake it), and calls release(),
//    which hands the slot to the oldest waiter. The slot is never freed with a waiter queued.
// The same order keeps newcomers from jumping the queue: tryAdmitFast() admits only through a
// CAS that expects no waiters.
std::optional<Bulkhead::Admission> Bulkhead::tryAdmitFast() {
  uint64_t word = word_.load();
  for (;;) {
    if (waitingOf(word) != 0) return std::nullopt;
    if (activeOf(word) >= config_.max_concurrent) {
      if (config_.queue_timeout <= Duration::zero() || config_.max_queue == 0) {
        return Admission::kRejectedFull;
      }
      return std::nullopt;
    }
    if (word_.compare_exchange_weak(word, word + 1)) return Admission::kAdmitted;
  }
}

bool Bulkhead::tryReleaseFast() {
  uint64_t word = word_.load();
  for (;;) {
    if (waitingOf(word) != 0) return false;
    if (activeOf(word) == 0) die("release() without a held slot");
    if (word_.compare_exchange_weak(word, word - 1)) return true;
  }
}

Bulkhead::Admission Bulkhead::tryAdmit(Ticket ticket, MonoTime now) {
  moveTimedOut(now);
  // release() hands a freed slot straight to the oldest live waiter, so a free slot with
  // live waiters never lasts; admitting only with no waiters keeps newcomers from jumping the
  // queue. The waiter half of the word is waiting_.size: only the lock holder changes it.
  uint64_t word = word_.load();
  for (;;) {
    if (activeOf(word) < config_.max_concurrent && waitingOf(word) == 0) {
      if (word_.compare_exchange_weak(word, word + 1)) return Admission::kAdmitted;
      continue;
    }
    if (config_.queue_timeout <= Duration::zero() || waiting_.size >= config_.max_queue) {
      return Admission::kRejectedFull;
    }
    // Fails if a fast call freed or took a slot meanwhile: look again.
    if (word_.compare_exchange_weak(word, word + kOneWaiter)) break;
  }
  if (findNode(ticket) != kNone) die("ticket queued twice");
  // Every waiter gets the same timeout, so deadlines rise along the FIFO. Clamping to the
  // tail's deadline keeps that true when callers on other threads pass a slightly older
  // `now`, and lets moveTimedOut() stop at the first live waiter.
  MonoTime deadline = now + config_.queue_timeout;
  if (waiting_.tail != kNone) deadline = std::max(deadline, nodes_[waiting_.tail].deadline);
  const uint32_t node = allocNode(ticket, deadline);
  pushBack(waiting_, node);
  indexInsert(ticket, node);
  return Admission::kQueued;
}

std::optional<Bulkhead::Ticket> Bulkhead::release(MonoTime now) {
  if (activeOf(word_.load()) == 0) die("release() without a held slot");
  moveTimedOut(now);
  if (waiting_.head == kNone) {
    // Nobody waits, so fast calls may be changing the active half too: an atomic decrement.
    word_.fetch_sub(1);
    return std::nullopt;
  }
  // The slot passes from the releasing request to the oldest live waiter: the active count
  // is unchanged, one waiter fewer.
  word_.fetch_sub(kOneWaiter);
  return popFront(waiting_);
}

bool Bulkhead::cancel(Ticket ticket) {
  const uint32_t node = findNode(ticket);
  if (node == kNone) return false;
  if (!nodes_[node].timed_out) word_.fetch_sub(kOneWaiter);
  unlink(nodes_[node].timed_out ? timed_out_ : waiting_, node);
  indexErase(ticket);
  freeNode(node);
  return true;
}

void Bulkhead::expire(MonoTime now, std::vector<Ticket>& out) {
  moveTimedOut(now);
  while (timed_out_.head != kNone) out.push_back(popFront(timed_out_));
}

std::optional<MonoTime> Bulkhead::nextDeadline() const {
  // Timed-out waiters are older than every live one, so the earliest deadline is the head
  // of timed_out_ when it has one.
  if (timed_out_.head != kNone) return nodes_[timed_out_.head].deadline;
  if (waiting_.head != kNone) return nodes_[waiting_.head].deadline;
  return std::nullopt;
}

void Bulkhead::moveTimedOut(MonoTime now) {
  // Deadlines rise along waiting_, so the timed-out waiters are a prefix. Each waiter moves
  // at most once, which keeps this O(1) amortized.
  while (waiting_.head != kNone && nodes_[waiting_.head].deadline <= now) {
    const uint32_t node = waiting_.head;
    word_.fetch_sub(kOneWaiter);
    unlink(waiting_, node);
    nodes_[node].timed_out = true;
    pushBack(timed_out_, node);
  }
}

Bulkhead::Ticket Bulkhead::popFront(List& list) {
  const uint32_t node = list.head;
  const Ticket ticket = nodes_[node].ticket;
  unlink(list, node);
  indexErase(ticket);
  freeNode(node);
  return ticket;
}

uint32_t Bulkhead::allocNode(Ticket ticket, MonoTime deadline) {
  uint32_t node = free_head_;
  if (node != kNone) {
    free_head_ = nodes_[node].next;
  } else {
    if (nodes_.size() >= kNone) die("too many waiters");
    node = static_cast<uint32_t>(nodes_.size());
    nodes_.emplace_back();
  }
  nodes_[node] = Node{ticket, deadline, kNone, kNone, false};
  return node;
}

void Bulkhead::freeNode(uint32_t node) {
  nodes_[node].next = free_head_;
  free_head_ = node;
}

void Bulkhead::pushBack(List& list, uint32_t node) {
  nodes_[node].prev = list.tail;
  nodes_[node].next = kNone;
  if (list.tail != kNone) {
    nodes_[list.tail].next = node;
  } else {
    list.head = node;
  }
  list.tail = node;
  ++list.size;
}

void Bulkhead::unlink(List& list, uint32_t node) {
  Node& n = nodes_[node];
  if (n.prev != kNone) {
    nodes_[n.prev].next = n.next;
  } else {
    list.head = n.next;
  }
  if (n.next != kNone) {
    nodes_[n.next].prev = n.prev;
  } else {
    list.tail = n.prev;
  }
  n.prev = n.next = kNone;
  --list.size;
}

size_t Bulkhead::slotOf(Ticket ticket) const { return mix(ticket) & (index_.size() - 1); }

uint32_t Bulkhead::findNode(Ticket ticket) const {
  const size_t mask = index_.size() - 1;
  for (size_t i = slotOf(ticket); index_[i].node != kNone; i = (i + 1) & mask) {
    if (index_[i].ticket == ticket) return index_[i].node;
  }
  return kNone;
}

void Bulkhead::indexInsert(Ticket ticket, uint32_t node) {
  // Linear probing stays short while the table is at most half full.
  if (2 * (static_cast<size_t>(index_size_) + 1) > index_.size()) indexGrow();
  const size_t mask = index_.size() - 1;
  size_t i = slotOf(ticket);
  while (index_[i].node != kNone) i = (i + 1) & mask;
  index_[i] = Slot{ticket, node};
  ++index_size_;
}

void Bulkhead::indexErase(Ticket ticket) {
  const size_t mask = index_.size() - 1;
  size_t hole = slotOf(ticket);
  for (; index_[hole].ticket != ticket; hole = (hole + 1) & mask) {
    if (index_[hole].node == kNone) die("erasing an unknown ticket");
  }
  if (index_[hole].node == kNone) die("erasing an unknown ticket");
  // Backward-shift deletion: pull later entries of the probe run into the hole, so lookups
  // never need tombstones. An entry moves only if its home slot is not inside (hole, j].
  for (size_t j = (hole + 1) & mask; index_[j].node != kNone; j = (j + 1) & mask) {
    const size_t home = slotOf(index_[j].ticket);
    const bool home_between = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!home_between) {
      index_[hole] = index_[j];
      hole = j;
    }
  }
  index_[hole] = Slot{};
  --index_size_;
}

void Bulkhead::indexGrow() {
  std::vector<Slot> old(index_.size() * 2);
  old.swap(index_);
  const size_t mask = index_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.node == kNone) continue;
    size_t i = slotOf(slot.ticket);
    while (index_[i].node != kNone) i = (i + 1) & mask;
    index_[i] = slot;
  }
}

}  // namespace outrigger::policy
