#include "mock_state.h"

#include "http_text.h"

namespace mock_upstream {

void MockState::countRequest(std::string_view path) {
  ++requestsTotal_;
  auto it = paths_.find(path);
  if (it == paths_.end()) it = paths_.emplace(std::string(path), 0).first;
  ++it->second;
}

void MockState::connectionOpened() {
  ++connectionsTotal_;
  ++connectionsOpen_;
}

void MockState::connectionClosed() { --connectionsOpen_; }

uint64_t MockState::nextIntermittentCall(std::string_view key) {
  // Few keys and a test-only endpoint: the temporary string is not worth a transparent hash.
  return ++intermittentCalls_[std::string(key)];
}

uint64_t MockState::nextChaosDraw() {
  // xorshift64: enough to spread failures evenly, and reproducible.
  chaosState_ ^= chaosState_ << 13;
  chaosState_ ^= chaosState_ >> 7;
  chaosState_ ^= chaosState_ << 17;
  return chaosState_ % 100;
}

std::string MockState::statsJson() const {
  std::string json = "{\"requests_total\":";
  appendNumber(json, requestsTotal_);
  json.append(",\"connections_total\":");
  appendNumber(json, connectionsTotal_);
  json.append(",\"connections_open\":");
  appendNumber(json, connectionsOpen_);
  json.append(",\"paths\":{");
  bool first = true;
  for (const auto& [path, count] : paths_) {
    if (!first) json.push_back(',');
    first = false;
    appendJsonString(json, path);
    json.push_back(':');
    appendNumber(json, count);
  }
  json.append("}}\n");
  return json;
}

void MockState::reset() {
  requestsTotal_ = 0;
  connectionsTotal_ = 0;
  paths_.clear();
  intermittentCalls_.clear();
}

}  // namespace mock_upstream
