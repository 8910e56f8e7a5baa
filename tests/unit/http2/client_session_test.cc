#include "proxy/http2/client_session.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "tests/unit/http2/nghttp2_peer.h"
#include "tests/unit/http2/server_test_support.h"

namespace outrigger::http2 {
namespace {

using testing::Fields;
using testing::Peer;
using testing::pump;

struct ClientStreamLog {
  std::vector<int> informational;
  http::ResponseHead head;
  bool has_head = false;
  std::string body;
  http::Headers trailers;
  bool ended = false;
  bool closed = false;
  bool reset = false;
  StreamFailure failure;
};

class RecordingClientHandler : public ClientSession::Handler {
 public:
  void onInformational(StreamId id, http::ResponseHead& head) override {
    streams[id].informational.push_back(head.status);
  }
  void onResponseHead(StreamId id, http::ResponseHead& head) override {
    streams[id].head = head;
    streams[id].has_head = true;
  }
  void onResponseData(StreamId id, std::string_view chunk) override {
    streams[id].body.append(chunk);
    if (auto_consume) session->consume(id, chunk.size());
  }
  void onResponseTrailers(StreamId id, http::Headers& trailers) override {
    streams[id].trailers = trailers;
  }
  void onResponseEnd(StreamId id) override { streams[id].ended = true; }
  void onStreamClosed(StreamId id) override { streams[id].closed = true; }
  void onStreamReset(StreamId id, StreamFailure failure) override {
    streams[id].reset = true;
    streams[id].failure = failure;
  }
  void onStreamWritable(StreamId id) override { ++writable[id]; }
  void onGoAway(StreamId last, ErrorCode) override { goaway_last = last; }
  void onPingAck() override { ++ping_acks; }

  ClientSession* session = nullptr;
  bool auto_consume = true;
  std::map<StreamId, ClientStreamLog> streams;
  std::map<StreamId, int> writable;
  StreamId goaway_last = -1;
  int ping_acks = 0;
};

http::RequestHead getRequest(const std::string& target) {
  http::RequestHead head;
  head.method = "GET";
  head.target = target;
  head.headers.add("Host", "greeter.internal:50051");
  head.headers.add("Connection", "keep-alive");
  return head;
}

class ClientSessionTest : public ::testing::Test {
 protected:
  void start(ClientOptions options = {}, testing::PeerOptions upstream = {}) {
    upstream.server = true;
    peer_ = std::make_unique<Peer>(upstream);
    session_ = std::make_unique<ClientSession>(handler_, options);
    handler_.session = session_.get();
  }

  RecordingClientHandler handler_;
  std::unique_ptr<Peer> peer_;
  std::unique_ptr<ClientSession> session_;
};

TEST_F(ClientSessionTest, RequestWithBodyAndTrailersAndTheResponseWithTrailers) {
  start();
  http::RequestHead head;
  head.method = "POST";
  head.target = "/helloworld.Greeter/SayHello";
  head.headers.add("Host", "greeter.internal:50051");
  head.headers.add("Content-Type", "application/grpc");
  head.headers.add("TE", "trailers");
  head.headers.add("Transfer-Encoding", "chunked");
  head.framing = http::BodyFraming::kChunked;
  const StreamId id = session_->submitRequest(head, "http", true);
  ASSERT_GT(id, 0);
  ASSERT_TRUE(session_->submitData(id, "ping"));
  http::Headers trailers;
  trailers.add("X-Sum", "1");
  ASSERT_TRUE(session_->submitTrailers(id, trailers));
  ASSERT_TRUE(pump(*session_, *peer_));

  const auto& seen = peer_->streams[id];
  ASSERT_EQ(seen.blocks.size(), 2u);
  EXPECT_EQ(Peer::field(seen.blocks[0], ":method"), "POST");
  EXPECT_EQ(Peer::field(seen.blocks[0], ":scheme"), "http");
  EXPECT_EQ(Peer::field(seen.blocks[0], ":authority"), "greeter.internal:50051");
  EXPECT_EQ(Peer::field(seen.blocks[0], ":path"), "/helloworld.Greeter/SayHello");
  EXPECT_EQ(Peer::field(seen.blocks[0], "te"), "trailers");
  EXPECT_EQ(Peer::field(seen.blocks[0], "host"), "<absent>");
  EXPECT_EQ(Peer::field(seen.blocks[0], "transfer-encoding"), "<absent>");
  EXPECT_EQ(seen.data, "ping");
  EXPECT_EQ(Peer::field(seen.blocks[1], "x-sum"), "1");
  EXPECT_TRUE(seen.ended);

  peer_->respond(id, {{":status", "200"}, {"content-type", "application/grpc"}}, "pong",
                 {{"grpc-status", "0"}});
  ASSERT_TRUE(pump(*session_, *peer_));
  const auto& log = handler_.streams[id];
  EXPECT_EQ(log.head.status, 200);
  EXPECT_EQ(log.head.framing, http::BodyFraming::kChunked);
  EXPECT_EQ(log.body, "pong");
  ASSERT_NE(log.trailers.get("grpc-status"), nullptr);
  EXPECT_EQ(*log.trailers.get("grpc-status"), "0");
  EXPECT_TRUE(log.ended);
  EXPECT_TRUE(log.closed);
  EXPECT_FALSE(log.reset);
  EXPECT_EQ(session_->openStreams(), 0u);
}

TEST_F(ClientSessionTest, InformationalResponsesComeBeforeTheFinalOne) {
  start();
  const StreamId id = session_->submitRequest(getRequest("/"), "http", false);
  ASSERT_TRUE(pump(*session_, *peer_));
  peer_->headers(id, {{":status", "103"}, {"link", "</a.css>"}}, false);
  peer_->respond(id, {{":status", "204"}});
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(handler_.streams[id].informational, std::vector<int>{103});
  EXPECT_EQ(handler_.streams[id].head.status, 204);
  EXPECT_TRUE(handler_.streams[id].closed);
}

TEST_F(ClientSessionTest, ThePeersMaxConcurrentStreamsSaysWhenTheConnectionIsFull) {
  testing::PeerOptions upstream;
  upstream.settings = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 2}};
  start({}, upstream);
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(session_->peerMaxConcurrentStreams(), 2u);
  const StreamId a = session_->submitRequest(getRequest("/a"), "http", false);
  ASSERT_GT(session_->submitRequest(getRequest("/b"), "http", false), 0);
  EXPECT_FALSE(session_->canOpenStream());
  EXPECT_EQ(session_->submitRequest(getRequest("/c"), "http", false), -1);
  ASSERT_TRUE(pump(*session_, *peer_));
  peer_->respond(a, {{":status", "200"}});
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_TRUE(session_->canOpenStream());
}

TEST_F(ClientSessionTest, GoAwayReportsStreamsAboveLastStreamIdAsRefused) {
  start();
  const StreamId a = session_->submitRequest(getRequest("/a"), "http", false);
  const StreamId b = session_->submitRequest(getRequest("/b"), "http", false);
  const StreamId c = session_->submitRequest(getRequest("/c"), "http", false);
  ASSERT_TRUE(pump(*session_, *peer_));
  peer_->goAway(a, 0);
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(handler_.goaway_last, a);
  EXPECT_TRUE(session_->goAwayReceived());
  EXPECT_FALSE(session_->canOpenStream());
  for (StreamId id : {b, c}) {
    EXPECT_TRUE(handler_.streams[id].reset) << id;
    EXPECT_TRUE(handler_.streams[id].failure.refused) << id;
  }
  EXPECT_FALSE(handler_.streams[a].reset);
  peer_->respond(a, {{":status", "200"}}, "done");
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(handler_.streams[a].body, "done");
  EXPECT_TRUE(handler_.streams[a].closed);
  EXPECT_TRUE(session_->finished());
}

TEST_F(ClientSessionTest, RefusedStreamIsSafeToRetryButOtherResetsAreNot) {
  start();
  const StreamId refused = session_->submitRequest(getRequest("/a"), "http", false);
  const StreamId failed = session_->submitRequest(getRequest("/b"), "http", false);
  ASSERT_TRUE(pump(*session_, *peer_));
  peer_->reset(refused, static_cast<uint32_t>(ErrorCode::kRefusedStream));
  peer_->reset(failed, static_cast<uint32_t>(ErrorCode::kInternalError));
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_TRUE(handler_.streams[refused].failure.refused);
  EXPECT_EQ(handler_.streams[refused].failure.code, ErrorCode::kRefusedStream);
  EXPECT_FALSE(handler_.streams[failed].failure.refused);
  EXPECT_EQ(handler_.streams[failed].failure.code, ErrorCode::kInternalError);
}

TEST_F(ClientSessionTest, ResetAfterAPartialResponseIsNotRefused) {
  start();
  const StreamId id = session_->submitRequest(getRequest("/a"), "http", false);
  ASSERT_TRUE(pump(*session_, *peer_));
  peer_->headers(id, {{":status", "200"}}, false);
  ASSERT_TRUE(pump(*session_, *peer_));
  peer_->reset(id, static_cast<uint32_t>(ErrorCode::kRefusedStream));
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_TRUE(handler_.streams[id].reset);
  EXPECT_FALSE(handler_.streams[id].failure.refused);
}

TEST_F(ClientSessionTest, PingIsAnsweredAndNoLongerOutstanding) {
  start();
  ASSERT_TRUE(session_->submitPing());
  EXPECT_EQ(session_->pingsOutstanding(), 1u);
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(session_->pingsOutstanding(), 0u);
  EXPECT_EQ(handler_.ping_acks, 1);
}

TEST_F(ClientSessionTest, ResponseBodyStallsUntilConsumed) {
  ClientOptions options;
  options.initial_window = 16 * 1024;
  options.connection_window = 16 * 1024;
  start(options);
  handler_.auto_consume = false;
  const StreamId id = session_->submitRequest(getRequest("/big"), "http", false);
  ASSERT_TRUE(pump(*session_, *peer_));
  peer_->respond(id, {{":status", "200"}}, std::string(50 * 1024, 'q'));
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(handler_.streams[id].body.size(), 16u * 1024);
  handler_.auto_consume = true;
  session_->consume(id, 16 * 1024);
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(handler_.streams[id].body.size(), 50u * 1024);
  EXPECT_TRUE(handler_.streams[id].closed);
}

TEST_F(ClientSessionTest, RequestBodyWaitsForTheUpstreamsWindowAndReportsWriteBlocked) {
  testing::PeerOptions upstream;
  upstream.settings = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 16 * 1024}};
  upstream.auto_window_update = false;
  ClientOptions options;
  options.stream_send_buffer = 32 * 1024;
  start(options, upstream);
  ASSERT_TRUE(pump(*session_, *peer_));  // the upstream's SETTINGS first
  http::RequestHead head = getRequest("/upload");
  head.method = "POST";
  const StreamId id = session_->submitRequest(head, "http", true);
  ASSERT_TRUE(session_->submitData(id, std::string(80 * 1024, 'u')));
  EXPECT_TRUE(session_->writeBlocked(id));
  ASSERT_TRUE(session_->endStream(id));
  ASSERT_TRUE(pump(*session_, *peer_));
  EXPECT_EQ(peer_->streams[id].data.size(), 16u * 1024);
  EXPECT_EQ(handler_.writable[id], 0);
  for (int i = 0; i < 10 && !peer_->streams[id].ended; ++i) {
    peer_->consume(id, 16 * 1024);
    ASSERT_TRUE(pump(*session_, *peer_));
  }
  EXPECT_EQ(peer_->streams[id].data.size(), 80u * 1024);
  EXPECT_TRUE(peer_->streams[id].ended);
  EXPECT_EQ(handler_.writable[id], 1);
}

TEST_F(ClientSessionTest, GarbageFromTheUpstreamClosesTheConnectionAndResetsStreams) {
  start();
  const StreamId id = session_->submitRequest(getRequest("/a"), "http", false);
  ASSERT_TRUE(pump(*session_, *peer_));
  session_->feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  std::string out;
  session_->takeOutput(out);
  EXPECT_TRUE(session_->finished());
  EXPECT_TRUE(handler_.streams[id].reset);
  EXPECT_FALSE(handler_.streams[id].failure.refused);
}

TEST_F(ClientSessionTest, ConnectionLostResetsEveryOpenStream) {
  start();
  const StreamId a = session_->submitRequest(getRequest("/a"), "http", false);
  const StreamId b = session_->submitRequest(getRequest("/b"), "http", false);
  ASSERT_TRUE(pump(*session_, *peer_));
  session_->connectionLost();
  EXPECT_TRUE(handler_.streams[a].reset);
  EXPECT_TRUE(handler_.streams[b].reset);
  EXPECT_EQ(session_->openStreams(), 0u);
}

}  // namespace
}  // namespace outrigger::http2
