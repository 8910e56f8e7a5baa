#pragma once
// A recording ServerSession::Handler and the pump that carries bytes between a session
// under test and its nghttp2 peer until both are quiet.

#include <map>
#include <string>
#include <vector>

#include "proxy/http2/server_session.h"
#include "tests/unit/http2/nghttp2_peer.h"

namespace outrigger::http2::testing {

struct ServerStreamLog {
  http::RequestHead head;
  std::string body;
  http::Headers trailers;
  bool ended = false;
  bool closed = false;
  bool reset = false;
  ErrorCode reset_code = ErrorCode::kNoError;
  int writable = 0;
};

class RecordingServerHandler : public ServerSession::Handler {
 public:
  void onStreamHead(StreamId id, http::RequestHead& head) override { streams[id].head = head; }
  void onStreamData(StreamId id, std::string_view chunk) override {
    streams[id].body.append(chunk);
    if (auto_consume && session != nullptr) session->consume(id, chunk.size());
  }
  void onStreamTrailers(StreamId id, http::Headers& trailers) override {
    streams[id].trailers = trailers;
  }
  void onStreamEnd(StreamId id) override { streams[id].ended = true; }
  void onStreamClosed(StreamId id) override { streams[id].closed = true; }
  void onStreamReset(StreamId id, ErrorCode code) override {
    streams[id].reset = true;
    streams[id].reset_code = code;
  }
  void onStreamWritable(StreamId id) override { ++streams[id].writable; }
  void onStreamRejected(StreamId id, http::LocalReason reason) override {
    rejected.emplace_back(id, reason);
  }

  ServerSession* session = nullptr;
  bool auto_consume = true;
  std::map<StreamId, ServerStreamLog> streams;
  std::vector<std::pair<StreamId, http::LocalReason>> rejected;
};

// Moves bytes both ways until neither side has anything to say. Returns false if the
// session asked to close at once.
template <typename Session>
bool pump(Session& session, Peer& peer) {
  bool ok = true;
  for (int round = 0; round < 1000; ++round) {
    const std::string to_session = peer.output();
    if (!to_session.empty() && !session.feed(to_session)) ok = false;
    std::string to_peer;
    session.takeOutput(to_peer);
    if (!to_peer.empty()) peer.feed(to_peer);
    if (to_session.empty() && to_peer.empty()) break;
  }
  return ok;
}

}  // namespace outrigger::http2::testing
