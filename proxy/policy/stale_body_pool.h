#pragma once
// Spare body buffers for the stale copies one worker keeps (fallback.stale_if_error). Keeping
// a copy of every cacheable response would allocate its body each time; filling the buffer of
// the copy it displaced from the cache instead allocates nothing once the cache is warm. (Its
// headers need no pool: they are taken from the response, and the response's head gets the
// displaced copy's byte store in exchange, see takeHeadersExcept.) One per
// worker: no lock.

#include <cstddef>
#include <string>
#include <vector>

namespace outrigger::policy {

class StaleBodyPool {
 public:
  // At most this many spares are kept ...
  static constexpr size_t kMaxSpares = 8;
  // ... and a buffer larger than this is let go rather than kept for reuse.
  static constexpr size_t kMaxSpareBytes = 64 * 1024;

  // Swaps a spare buffer, emptied, into `body` (left as it is when there is none).
  void lend(std::string& body);
  // Keeps `body`'s buffer for a later lend(), within the bounds above; `body` is left empty.
  void keep(std::string& body);

  size_t spares() const { return spares_.size(); }

 private:
  std::vector<std::string> spares_;
};

}  // namespace outrigger::policy
