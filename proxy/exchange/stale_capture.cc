#include "proxy/exchange/stale_capture.h"

#include "proxy/upstream/upstream_policies.h"

namespace outrigger::exchange {

bool StaleCapture::begin(std::string_view method, const http::ResponseHead& head,
                         uint64_t max_body_bytes) {
  active_ =
      policy::isStaleCacheable(method, head) &&
      (head.framing != http::BodyFraming::kContentLength || head.content_length <= max_body_bytes);
  max_body_bytes_ = max_body_bytes;
  header_count_ = head.headers.size();
  return active_;
}

void StaleCapture::takeHeaders(http::ResponseHead& head) {
  if (!active_) return;
  bodies_.lend(copy_.body);
  copy_.body.clear();  // a copy cut short by an earlier exchange may be left
  policy::takeFirstHeaders(head.headers, header_count_, copy_.headers);
}

void StaleCapture::addBody(std::string_view piece) {
  if (!active_) return;
  if (copy_.body.size() + piece.size() > max_body_bytes_) {
    active_ = false;  // too large to keep
    copy_ = {};
    return;
  }
  copy_.body.append(piece);
}

void StaleCapture::store(upstream::UpstreamPolicies& policies, const std::string& key, int status,
                         MonoTime now) {
  if (!active_) return;
  active_ = false;
  copy_.status = status;
  copy_.stored = now;
  policies.storeStale(key, copy_);
  bodies_.keep(copy_.body);  // the displaced copy's
}

void staleKey(std::string_view host, std::string_view target, std::string& out) {
  out.assign(host);
  out += ' ';
  out += target;
}

}  // namespace outrigger::exchange
