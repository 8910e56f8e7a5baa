// ServerSession under pressure: flow control both ways, oversized and malformed heads,
// rapid reset, control-frame floods and garbage.
#include <gtest/gtest.h>

#include <string>

#include "proxy/http2/preface.h"
#include "proxy/http2/server_session.h"
#include "tests/unit/http2/server_test_support.h"

namespace outrigger::http2 {
namespace {

using testing::Fields;
using testing::Peer;
using testing::pump;

Fields request(const std::string& method, const std::string& path) {
  return {{":method", method}, {":scheme", "http"}, {":authority", "svc"}, {":path", path}};
}

class ServerLimitsTest : public ::testing::Test {
 protected:
  void start(ServerLimits limits, testing::PeerOptions peer_options = {}) {
    peer_ = std::make_unique<Peer>(peer_options);
    session_ = std::make_unique<ServerSession>(handler_, limits, clock_);
    handler_.session = session_.get();
  }

  ManualClock clock_;
  testing::RecordingServerHandler handler_;
  std::unique_ptr<Peer> peer_;
  std::unique_ptr<ServerSession> session_;
};

TEST_F(ServerLimitsTest, RequestBodyStallsAtTheWindowUntilTheCallerConsumes) {
  ServerLimits limits;
  limits.initial_window = 16 * 1024;
  limits.connection_window = 16 * 1024;
  start(limits);
  ASSERT_TRUE(pump(*session_, *peer_));  // until the app has our SETTINGS, 64 KiB is its due
  handler_.auto_consume = false;
  const int32_t id = peer_->request(request("POST", "/upload"), std::string(100 * 1024, 'x'));
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(handler_.streams[id].body.size(), 16u * 1024);  // the app waits for the window

  session_->consume(id, 16 * 1024);
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(handler_.streams[id].body.size(), 32u * 1024);

  handler_.auto_consume = true;
  session_->consume(id, 16 * 1024);
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(handler_.streams[id].body.size(), 100u * 1024);
  EXPECT_TRUE(handler_.streams[id].ended);
}

TEST_F(ServerLimitsTest, AResetStreamGivesItsUnconsumedBytesBackToTheConnection) {
  ServerLimits limits;
  limits.initial_window = 16 * 1024;
  limits.connection_window = 16 * 1024;
  start(limits);
  ASSERT_TRUE(pump(*session_, *peer_));
  handler_.auto_consume = false;
  const int32_t stalled = peer_->request(request("POST", "/a"), std::string(16 * 1024, 'a'), {},
                                         /*end=*/false);
  ASSERT_TRUE(pump(*session_, *peer_));
  session_->resetStream(stalled, ErrorCode::kCancel);
  ASSERT_TRUE(pump(*session_, *peer_));
  handler_.auto_consume = true;
  const int32_t next = peer_->request(request("POST", "/b"), std::string(40 * 1024, 'b'));
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(handler_.streams[next].body.size(), 40u * 1024);
}

TEST_F(ServerLimitsTest, ResponseBodyWaitsForTheAppsWindowAndReportsWriteBlocked) {
  testing::PeerOptions app;
  app.settings = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 16 * 1024}};
  app.auto_window_update = false;
  ServerLimits limits;
  limits.stream_send_buffer = 32 * 1024;
  start(limits, app);
  const int32_t id = peer_->request(request("GET", "/big"));
  ASSERT_TRUE(pump(*session_, *peer_));

  http::ResponseHead head;
  ASSERT_TRUE(session_->submitResponseHead(id, head, false));
  ASSERT_TRUE(session_->submitData(id, std::string(100 * 1024, 'z')));
  EXPECT_TRUE(session_->writeBlocked(id));  // the caller pauses its upstream here
  ASSERT_TRUE(session_->endStream(id));
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(peer_->streams[id].data.size(), 16u * 1024);
  EXPECT_TRUE(session_->writeBlocked(id));
  EXPECT_EQ(handler_.streams[id].writable, 0);

  // The app reads; the rest follows and the stream is writable again on the way.
  for (int i = 0; i < 10 && !peer_->streams[id].ended; ++i) {
    peer_->consume(id, peer_->streams[id].data.size());
    ASSERT_TRUE(pump(*session_, *peer_));
  }
  EXPECT_EQ(handler_.streams[id].writable, 1);
  EXPECT_FALSE(session_->writeBlocked(id));
}

TEST_F(ServerLimitsTest, OversizedHeadGets431WithoutReachingTheHandler) {
  ServerLimits limits;
  limits.max_header_list_bytes = 1024;
  start(limits);
  Fields big = request("GET", "/");
  big.emplace_back("x-big", std::string(4000, 'b'));
  const int32_t id = peer_->request(big);
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_TRUE(handler_.streams.empty());
  ASSERT_EQ(handler_.rejected.size(), 1u);
  EXPECT_EQ(handler_.rejected[0].second, http::LocalReason::kHeadersTooLarge);
  ASSERT_FALSE(peer_->streams[id].blocks.empty());
  EXPECT_EQ(Peer::field(peer_->streams[id].blocks[0], ":status"), "431");
  EXPECT_EQ(Peer::field(peer_->streams[id].blocks[0], "x-outrigger-reason"), "headers_too_large");
  EXPECT_NE(peer_->streams[id].data.find("headers_too_large"), std::string::npos);
}

TEST_F(ServerLimitsTest, MalformedRequestIsRefusedAndOthersGoOn) {
  start({});
  Fields conflicting = request("GET", "/");
  conflicting.emplace_back("host", "other.example");
  const int32_t bad = peer_->request(conflicting);
  const int32_t good = peer_->request(request("GET", "/fine"));
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(Peer::field(peer_->streams[bad].blocks.at(0), ":status"), "400");
  EXPECT_EQ(handler_.streams.count(bad), 0u);
  EXPECT_EQ(handler_.streams[good].head.target, "/fine");
  EXPECT_FALSE(peer_->goaway_received);
}

TEST_F(ServerLimitsTest, RapidResetEndsTheConnectionWithEnhanceYourCalm) {
  ServerLimits limits;
  limits.max_premature_resets = 10;
  start(limits);
  ASSERT_TRUE(pump(*session_, *peer_));
  // HEADERS and RST_STREAM back to back, as the attack sends them.
  std::string flight;
  for (int i = 0; i < 30; ++i) {
    const int32_t id = peer_->request(request("GET", "/r"));
    flight += peer_->output();
    peer_->reset(id, 0x8);
    flight += peer_->output();
  }
  session_->feed(flight);
  pump(*session_, *peer_);
  EXPECT_LE(handler_.streams.size(), 30u);
  EXPECT_TRUE(peer_->goaway_received);
  EXPECT_EQ(peer_->goaway_code, static_cast<uint32_t>(ErrorCode::kEnhanceYourCalm));
  EXPECT_EQ(session_->closeReason(), "rapid reset");
  EXPECT_TRUE(session_->finished());
}

TEST_F(ServerLimitsTest, AFloodOfMalformedRequestsCountsAsRapidReset) {
  ServerLimits limits;
  limits.max_premature_resets = 10;
  start(limits);
  for (int i = 0; i < 30; ++i) {
    Fields bad = request("GET", "/");
    bad.emplace_back("connection", "close");  // nghttp2 resets the stream itself
    peer_->request(bad);
  }
  pump(*session_, *peer_);
  EXPECT_TRUE(handler_.streams.empty());
  EXPECT_TRUE(peer_->goaway_received);
  EXPECT_EQ(peer_->goaway_code, static_cast<uint32_t>(ErrorCode::kEnhanceYourCalm));
}

TEST_F(ServerLimitsTest, StreamsCutByALostConnectionAreNotCountedAsTheAppsResets) {
  ServerLimits limits;
  limits.max_premature_resets = 2;
  start(limits);
  for (int i = 0; i < 10; ++i) peer_->request(request("GET", "/r"));
  ASSERT_TRUE(pump(*session_, *peer_));
  session_->connectionLost();
  EXPECT_EQ(session_->openStreams(), 0u);
  for (const auto& [id, log] : handler_.streams) EXPECT_TRUE(log.reset) << id;
  EXPECT_EQ(session_->closeReason(), "");
}

TEST_F(ServerLimitsTest, OccasionalCancellationsAmongAnsweredStreamsAreTolerated) {
  ServerLimits limits;
  limits.max_premature_resets = 10;
  start(limits);
  for (int i = 0; i < 60; ++i) {
    const int32_t id = peer_->request(request("GET", "/r"));
    ASSERT_TRUE(pump(*session_, *peer_));
    if (i % 3 == 0) {
      peer_->reset(id, 0x8);  // 20 cancelled: over the count, under half
    } else {
      http::ResponseHead head;
      ASSERT_TRUE(session_->submitResponseHead(id, head, true));
    }
    ASSERT_TRUE(pump(*session_, *peer_));
  }
  EXPECT_FALSE(peer_->goaway_received);
  EXPECT_FALSE(session_->finished());
}

TEST_F(ServerLimitsTest, PingFloodEndsTheConnectionButSteadyPingsDoNot) {
  ServerLimits limits;
  limits.control_frame_burst = 10;
  limits.control_frames_per_second = 1;
  start(limits);
  for (int i = 0; i < 30; ++i) {
    peer_->ping();
    clock_.advance(seconds(2));  // well under the rate
    ASSERT_TRUE(pump(*session_, *peer_));
  }
  EXPECT_FALSE(peer_->goaway_received);
  EXPECT_EQ(peer_->ping_acks, 30);

  for (int i = 0; i < 30; ++i) peer_->ping();
  pump(*session_, *peer_);
  EXPECT_TRUE(peer_->goaway_received);
  EXPECT_EQ(peer_->goaway_code, static_cast<uint32_t>(ErrorCode::kEnhanceYourCalm));
  EXPECT_EQ(session_->closeReason(), "control frame flood");
}

TEST_F(ServerLimitsTest, EmptyDataFrameFloodEndsTheConnection) {
  ServerLimits limits;
  limits.control_frame_burst = 10;
  start(limits);
  const int32_t id = peer_->request(request("POST", "/stream"), "", {}, /*end=*/false);
  ASSERT_TRUE(pump(*session_, *peer_));
  ASSERT_EQ(handler_.streams.count(id), 1u);
  std::string flood;
  for (int i = 0; i < 20; ++i) {
    const char frame[9] = {0, 0, 0, 0 /*DATA*/, 0, 0, 0, 0, static_cast<char>(id)};
    flood.append(frame, sizeof frame);
  }
  session_->feed(flood);
  pump(*session_, *peer_);
  EXPECT_TRUE(peer_->goaway_received);
  EXPECT_EQ(peer_->goaway_code, static_cast<uint32_t>(ErrorCode::kEnhanceYourCalm));
  EXPECT_TRUE(handler_.streams[id].reset);
}

TEST_F(ServerLimitsTest, Http1BytesAreRefusedWithoutACrash) {
  start({});
  EXPECT_FALSE(session_->feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(session_->finished());
  EXPECT_FALSE(session_->closeReason().empty());
}

TEST_F(ServerLimitsTest, GarbageFramesAfterThePrefaceGetAGoAwayAndReportOpenStreams) {
  start({});
  const int32_t id = peer_->request(request("GET", "/"));
  ASSERT_TRUE(pump(*session_, *peer_));
  // A DATA frame on stream 0 is a connection error (RFC 9113 §6.1).
  const std::string bad_frame("\x00\x00\x04\x00\x00\x00\x00\x00\x00zzzz", 13);
  session_->feed(bad_frame);
  std::string out;
  session_->takeOutput(out);
  peer_->feed(out);
  EXPECT_TRUE(peer_->goaway_received);
  EXPECT_EQ(peer_->goaway_code, static_cast<uint32_t>(ErrorCode::kProtocolError));
  EXPECT_TRUE(session_->finished());
  EXPECT_TRUE(handler_.streams[id].reset);
}

TEST_F(ServerLimitsTest, ArbitraryBytesNeverCrash) {
  for (int seed = 0; seed < 200; ++seed) {
    testing::RecordingServerHandler handler;
    ServerSession session(handler, {}, clock_);
    std::string input(kClientPreface);
    uint32_t x = static_cast<uint32_t>(seed) * 2654435761u + 1;
    for (int i = 0; i < 300; ++i) {
      x = x * 1103515245u + 12345u;
      input.push_back(static_cast<char>(x >> 24));
    }
    session.feed(input);
    std::string out;
    session.takeOutput(out);
  }
}

}  // namespace
}  // namespace outrigger::http2
