#pragma once
// Keeps a copy of a good response for fallback.stale_if_error while it streams to the app:
// the headers as sent, and the body up to the upstream's stale max_body_bytes. Stored once
// the response completed; a response cut short or too large is never stored.

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/common/clock.h"
#include "proxy/http/message.h"
#include "proxy/policy/stale_body_pool.h"
#include "proxy/policy/stale_cache.h"

namespace outrigger::upstream {
class UpstreamPolicies;
}

namespace outrigger::exchange {

class StaleCapture {
 public:
  // `copy` is the exchange slot's (reused from request to request), `bodies` the worker's.
  StaleCapture(policy::StaleEntry& copy, policy::StaleBodyPool& bodies)
      : copy_(copy), bodies_(bodies) {}

  // Before the head goes to the app: whether this response may be kept. It keeps the
  // headers the head has now; any added later are the app's only.
  bool begin(std::string_view method, const http::ResponseHead& head, uint64_t max_body_bytes);
  // Once the head was sent: the copy takes its headers instead of copying them.
  void takeHeaders(http::ResponseHead& head);
  void addBody(std::string_view piece);
  // The response completed: the copy goes into the upstream's store under `key`.
  void store(upstream::UpstreamPolicies& policies, const std::string& key, int status,
             MonoTime now);
  bool active() const { return active_; }
  // The completed copy with `status`, before store() takes it; null if none is kept.
  const policy::StaleEntry* completed(int status) {
    if (!active_) return nullptr;
    copy_.status = status;
    return &copy_;
  }

 private:
  policy::StaleEntry& copy_;
  policy::StaleBodyPool& bodies_;
  uint64_t max_body_bytes_ = 0;
  size_t header_count_ = 0;
  bool active_ = false;
};

// The stale store's key of a request: its Host without port, then its target.
void staleKey(std::string_view host, std::string_view target, std::string& out);

}  // namespace outrigger::exchange
