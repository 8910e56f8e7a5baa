#pragma once
// The other end of an HTTP/2 connection in the codec tests: a plain nghttp2 session, as an
// app (client role) or an upstream (server role), that records what it receives and sends
// what a test tells it to, in memory.

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace outrigger::http2::testing {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct PeerStream {
  std::vector<Fields> blocks;  // header blocks received, in order
  std::string data;            // body bytes received
  bool ended = false;          // END_STREAM received
  bool closed = false;
  uint32_t close_code = 0;
  bool reset_received = false;
  uint32_t reset_code = 0;
  // Outbound body (with trailers after it) served by the data provider.
  std::string body;
  size_t body_offset = 0;
  bool body_ended = true;
  Fields trailers;
};

struct PeerOptions {
  bool server = false;
  std::vector<nghttp2_settings_entry> settings;  // sent first
  bool auto_window_update = true;                // false: test calls consume()
};

class Peer {
 public:
  explicit Peer(PeerOptions options = {});
  ~Peer();
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  void feed(const std::string& bytes);
  std::string output();

  // Client role. body_ended false: the test adds more with sendMore().
  int32_t request(const Fields& fields, std::string body = "", Fields trailers = {},
                  bool end = true);
  // Server role.
  void respond(int32_t id, const Fields& fields, std::string body = "", Fields trailers = {});
  void headers(int32_t id, const Fields& fields, bool end_stream);
  void sendMore(int32_t id, const std::string& more, bool end);
  void reset(int32_t id, uint32_t code);
  void ping();
  void goAway(int32_t last_stream_id, uint32_t code);
  void consume(int32_t id, size_t bytes);

  // The first value of `name` in a block, or "" (or "<absent>" when missing).
  static std::string field(const Fields& block, const std::string& name);

  std::map<int32_t, PeerStream> streams;
  bool goaway_received = false;
  int32_t goaway_last_stream_id = -1;
  uint32_t goaway_code = 0;
  int ping_acks = 0;
  int recv_errors = 0;
  nghttp2_session* session = nullptr;

 private:
  struct Callbacks;
  nghttp2_data_provider provider();
};

}  // namespace outrigger::http2::testing
