#include "proxy/http2/server_session.h"

#include <gtest/gtest.h>

#include <string>

#include "proxy/http/grpc.h"
#include "tests/unit/http2/server_test_support.h"

namespace outrigger::http2 {
namespace {

using testing::Fields;
using testing::Peer;
using testing::pump;

Fields get(const std::string& path) {
  return {{":method", "GET"}, {":scheme", "http"}, {":authority", "svc.local"}, {":path", path}};
}

class ServerSessionTest : public ::testing::Test {
 protected:
  void start(ServerLimits limits = {}, testing::PeerOptions peer_options = {}) {
    peer_ = std::make_unique<Peer>(peer_options);
    session_ = std::make_unique<ServerSession>(handler_, limits, clock_);
    handler_.session = session_.get();
  }
  void respond(StreamId id, int status, const std::string& body, bool with_trailers = false) {
    http::ResponseHead head;
    head.status = status;
    head.headers.add("Content-Type", "text/plain");
    head.headers.add("Connection", "keep-alive");  // hop-by-hop: must not reach HTTP/2
    ASSERT_TRUE(session_->submitResponseHead(id, head, false));
    ASSERT_TRUE(session_->submitData(id, body));
    if (with_trailers) {
      http::Headers trailers;
      trailers.add("Grpc-Status", "0");
      ASSERT_TRUE(session_->submitTrailers(id, trailers));
    } else {
      ASSERT_TRUE(session_->endStream(id));
    }
  }

  ManualClock clock_;
  testing::RecordingServerHandler handler_;
  std::unique_ptr<Peer> peer_;
  std::unique_ptr<ServerSession> session_;
};

TEST_F(ServerSessionTest, RequestWithBodyAndTrailersArrivesAndTheResponseGoesBack) {
  start();
  Fields post = {{":method", "POST"},
                 {":scheme", "http"},
                 {":authority", "svc.local:8080"},
                 {":path", "/pay?x=1"},
                 {"content-type", "application/grpc"},
                 {"te", "trailers"}};
  const int32_t id = peer_->request(post, "hello", {{"x-checksum", "abc"}});
  ASSERT_TRUE(pump(*session_, *peer_));

  auto& log = handler_.streams[id];
  EXPECT_EQ(log.head.method, "POST");
  EXPECT_EQ(log.head.target, "/pay?x=1");
  ASSERT_NE(log.head.headers.get("Host"), nullptr);
  EXPECT_EQ(*log.head.headers.get("Host"), "svc.local:8080");
  EXPECT_EQ(log.head.framing, http::BodyFraming::kChunked);
  EXPECT_EQ(log.body, "hello");
  ASSERT_NE(log.trailers.get("x-checksum"), nullptr);
  EXPECT_EQ(*log.trailers.get("x-checksum"), "abc");
  EXPECT_TRUE(log.ended);
  EXPECT_FALSE(log.closed);

  respond(id, 200, "world", /*with_trailers=*/true);
  ASSERT_TRUE(pump(*session_, *peer_));
  const auto& got = peer_->streams[id];
  ASSERT_EQ(got.blocks.size(), 2u);
  EXPECT_EQ(Peer::field(got.blocks[0], ":status"), "200");
  EXPECT_EQ(Peer::field(got.blocks[0], "content-type"), "text/plain");
  EXPECT_EQ(Peer::field(got.blocks[0], "connection"), "<absent>");
  EXPECT_EQ(got.data, "world");
  EXPECT_EQ(Peer::field(got.blocks[1], "grpc-status"), "0");
  EXPECT_TRUE(got.ended);
  EXPECT_TRUE(log.closed);
  EXPECT_FALSE(log.reset);
  EXPECT_EQ(session_->openStreams(), 0u);
}

TEST_F(ServerSessionTest, GrpcLocalReplyGoesOutTrailersOnly) {
  start();
  Fields call = {{":method", "POST"},
                 {":scheme", "http"},
                 {":authority", "greeter"},
                 {":path", "/helloworld.Greeter/SayHello"},
                 {"content-type", "application/grpc"}};
  const int32_t id = peer_->request(call, std::string("\0\0\0\0\0", 5));
  ASSERT_TRUE(pump(*session_, *peer_));
  const http::LocalReply reply =
      http::makeGrpcLocalReply(http::LocalReason::kBulkheadFull, "greeter", "r1");
  ASSERT_TRUE(session_->submitResponseHead(id, reply.head, /*end_stream=*/true));
  ASSERT_TRUE(pump(*session_, *peer_));
  const auto& got = peer_->streams[id];
  ASSERT_EQ(got.blocks.size(), 1u);  // one HEADERS frame that ends the stream
  EXPECT_TRUE(got.ended);
  EXPECT_TRUE(got.data.empty());
  EXPECT_EQ(Peer::field(got.blocks[0], ":status"), "200");
  EXPECT_EQ(Peer::field(got.blocks[0], "grpc-status"), "14");
  EXPECT_EQ(Peer::field(got.blocks[0], "grpc-message"),
            "outrigger: bulkhead_full (upstream greeter)");
  EXPECT_EQ(Peer::field(got.blocks[0], "x-outrigger-reason"), "bulkhead_full");
  EXPECT_EQ(Peer::field(got.blocks[0], "content-length"), "<absent>");
  EXPECT_TRUE(handler_.streams[id].closed);
}

TEST_F(ServerSessionTest, InformationalResponsesPrecedeTheFinalOne) {
  start();
  const int32_t id = peer_->request(get("/hints"));
  ASSERT_TRUE(pump(*session_, *peer_));
  http::ResponseHead early;
  early.status = 103;
  early.headers.add("Link", "</style.css>; rel=preload");
  ASSERT_TRUE(session_->submitInformational(id, early));
  http::ResponseHead switching;
  switching.status = 101;
  EXPECT_FALSE(session_->submitInformational(id, switching));
  respond(id, 200, "page");
  ASSERT_TRUE(pump(*session_, *peer_));
  const auto& got = peer_->streams[id];
  ASSERT_EQ(got.blocks.size(), 2u);
  EXPECT_EQ(Peer::field(got.blocks[0], ":status"), "103");
  EXPECT_EQ(Peer::field(got.blocks[0], "link"), "</style.css>; rel=preload");
  EXPECT_EQ(Peer::field(got.blocks[1], ":status"), "200");
  EXPECT_EQ(got.data, "page");
}

TEST_F(ServerSessionTest, HeadersOnlyRequestHasNoBodyAndEndsAtOnce) {
  start();
  const int32_t id = peer_->request(get("/a"));
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(handler_.streams[id].head.framing, http::BodyFraming::kNone);
  EXPECT_TRUE(handler_.streams[id].ended);
}

TEST_F(ServerSessionTest, ManyConcurrentStreamsOnOneConnectionEachGetTheirOwnResponse) {
  start();
  std::vector<int32_t> ids;
  for (int i = 0; i < 60; ++i) ids.push_back(peer_->request(get("/item/" + std::to_string(i))));
  ASSERT_TRUE(pump(*session_, *peer_));
  ASSERT_EQ(handler_.streams.size(), 60u);
  EXPECT_EQ(session_->openStreams(), 60u);
  // Answered in reverse order: streams are independent.
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    respond(*it, 200, handler_.streams[*it].head.target);
  }
  ASSERT_TRUE(pump(*session_, *peer_));
  for (int i = 0; i < 60; ++i) {
    EXPECT_EQ(peer_->streams[ids[i]].data, "/item/" + std::to_string(i));
    EXPECT_TRUE(handler_.streams[ids[i]].closed);
  }
}

TEST_F(ServerSessionTest, TheAppKeepsToTheAdvertisedMaxConcurrentStreams) {
  ServerLimits limits;
  limits.max_concurrent_streams = 2;
  start(limits);
  ASSERT_TRUE(pump(*session_, *peer_));  // the app learns the limit
  const int32_t first = peer_->request(get("/1"));
  peer_->request(get("/2"));
  const int32_t third = peer_->request(get("/3"));
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(handler_.streams.size(), 2u);
  respond(first, 200, "1");
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(handler_.streams.size(), 3u);
  EXPECT_EQ(handler_.streams[third].head.target, "/3");
}

TEST_F(ServerSessionTest, PeerResetIsReportedAndTheStreamForgotten) {
  start();
  const int32_t id = peer_->request(get("/slow"));
  ASSERT_TRUE(pump(*session_, *peer_));
  peer_->reset(id, 0x8);
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_TRUE(handler_.streams[id].reset);
  EXPECT_EQ(handler_.streams[id].reset_code, ErrorCode::kCancel);
  EXPECT_FALSE(session_->submitData(id, "late"));
  EXPECT_EQ(session_->openStreams(), 0u);
}

TEST_F(ServerSessionTest, GracefulGoAwayFinishesStreamsInFlightAndRefusesNewOnes) {
  start();
  const int32_t a = peer_->request(get("/a"));
  const int32_t b = peer_->request(get("/b"));
  ASSERT_TRUE(pump(*session_, *peer_));
  session_->goAway();
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_TRUE(peer_->goaway_received);
  EXPECT_EQ(peer_->goaway_code, 0u);
  EXPECT_EQ(peer_->goaway_last_stream_id, b);
  EXPECT_FALSE(session_->finished());

  respond(a, 200, "a");
  respond(b, 200, "b");
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(peer_->streams[a].data, "a");
  EXPECT_EQ(peer_->streams[b].data, "b");
  EXPECT_TRUE(session_->finished());
}

}  // namespace
}  // namespace outrigger::http2
