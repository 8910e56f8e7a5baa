// The health probe's HTTP/2 codec against a plain nghttp2 server in memory: what the
// request looks like on the wire, and when the answer is complete (a GET on its head, a
// gRPC call with its grpc-status, trailers or trailers-only).
#include "proxy/http2/probe_codec.h"

#include <gtest/gtest.h>

#include <string>

#include "proxy/http/grpc_health.h"
#include "tests/unit/http2/nghttp2_peer.h"
#include "tests/unit/http2/server_test_support.h"

namespace outrigger::http2 {
namespace {

using testing::Peer;
using testing::PeerOptions;
using testing::pump;

// A framed HealthCheckResponse with `status`.
std::string servingResponse(char status) { return std::string("\0\0\0\0\x02\x08", 6) + status; }

class ProbeCodecTest : public ::testing::Test {
 protected:
  void start(const upstream::ProbeRequest& request) {
    PeerOptions options;
    options.server = true;
    peer_ = std::make_unique<Peer>(options);
    codec_ = makeProbeCodec(request);
    ASSERT_TRUE(pump(*codec_, *peer_));
    ASSERT_EQ(peer_->streams.size(), 1u);
    id_ = peer_->streams.begin()->first;
  }
  const testing::Fields& requestHead() { return peer_->streams[id_].blocks.at(0); }

  std::unique_ptr<Peer> peer_;
  std::unique_ptr<upstream::ProbeCodec> codec_;
  int32_t id_ = 0;
};

TEST_F(ProbeCodecTest, AGetIsAnsweredByItsHead) {
  upstream::ProbeRequest request;
  request.path = "/health";
  request.authority = "10.0.0.7:8080";
  request.scheme = "http";
  start(request);
  EXPECT_EQ(Peer::field(requestHead(), ":method"), "GET");
  EXPECT_EQ(Peer::field(requestHead(), ":path"), "/health");
  EXPECT_EQ(Peer::field(requestHead(), ":authority"), "10.0.0.7:8080");
  EXPECT_EQ(Peer::field(requestHead(), ":scheme"), "http");
  EXPECT_EQ(Peer::field(requestHead(), "user-agent"), "outrigger-health");
  EXPECT_TRUE(peer_->streams[id_].ended);
  EXPECT_FALSE(codec_->answer());

  peer_->headers(id_, {{":status", "204"}}, false);  // the body never needs to come
  ASSERT_TRUE(pump(*codec_, *peer_));
  ASSERT_TRUE(codec_->answer());
  EXPECT_EQ(codec_->answer()->status, 204);
  EXPECT_TRUE(upstream::judgeProbe(request, *codec_->answer()).healthy);
}

TEST_F(ProbeCodecTest, AGrpcHealthCallIsCompleteWithItsTrailers) {
  const upstream::ProbeRequest request =
      upstream::grpcHealthProbe("greeter.Greeter", "greeter:50051", "https");
  start(request);
  EXPECT_EQ(Peer::field(requestHead(), ":method"), "POST");
  EXPECT_EQ(Peer::field(requestHead(), ":path"), "/grpc.health.v1.Health/Check");
  EXPECT_EQ(Peer::field(requestHead(), ":scheme"), "https");
  EXPECT_EQ(Peer::field(requestHead(), "content-type"), "application/grpc");
  EXPECT_EQ(Peer::field(requestHead(), "te"), "trailers");
  EXPECT_EQ(peer_->streams[id_].data, http::grpcHealthRequest("greeter.Greeter"));
  EXPECT_TRUE(peer_->streams[id_].ended);

  peer_->respond(id_, {{":status", "200"}, {"content-type", "application/grpc"}},
                 servingResponse(2), {{"grpc-status", "0"}});
  ASSERT_TRUE(pump(*codec_, *peer_));
  ASSERT_TRUE(codec_->answer());
  const upstream::ProbeVerdict verdict = upstream::judgeProbe(request, *codec_->answer());
  EXPECT_FALSE(verdict.healthy);
  EXPECT_EQ(verdict.detail, "grpc NOT_SERVING");
}

TEST_F(ProbeCodecTest, AGrpcAnswerWaitsForItsStatusInTheTrailers) {
  const upstream::ProbeRequest request = upstream::grpcHealthProbe("x", "h:1", "http");
  start(request);
  peer_->headers(id_, {{":status", "200"}, {"content-type", "application/grpc"}}, false);
  ASSERT_TRUE(pump(*codec_, *peer_));
  EXPECT_FALSE(codec_->answer()) << "a gRPC answer is judged on its status, not its head";
  peer_->headers(id_, {{"grpc-status", "14"}, {"grpc-message", "draining"}}, true);
  ASSERT_TRUE(pump(*codec_, *peer_));
  ASSERT_TRUE(codec_->answer());
  EXPECT_EQ(upstream::judgeProbe(request, *codec_->answer()).detail,
            "grpc-status unavailable: draining");
}

TEST_F(ProbeCodecTest, ATrailersOnlyErrorIsAnAnswer) {
  const upstream::ProbeRequest request = upstream::grpcHealthProbe("x", "h:1", "http");
  start(request);
  peer_->headers(id_,
                 {{":status", "200"},
                  {"content-type", "application/grpc"},
                  {"grpc-status", "5"},
                  {"grpc-message", "unknown service x"}},
                 true);
  ASSERT_TRUE(pump(*codec_, *peer_));
  ASSERT_TRUE(codec_->answer());
  const upstream::ProbeVerdict verdict = upstream::judgeProbe(request, *codec_->answer());
  EXPECT_FALSE(verdict.healthy);
  EXPECT_EQ(verdict.detail, "grpc-status not_found: unknown service x");
}

TEST_F(ProbeCodecTest, AResetOrBrokenConnectionIsAFailureWithoutAnAnswer) {
  start(upstream::grpcHealthProbe("", "h:1", "http"));
  peer_->reset(id_, 7);  // REFUSED_STREAM
  ASSERT_TRUE(pump(*codec_, *peer_));
  EXPECT_FALSE(codec_->answer());
  EXPECT_EQ(codec_->failure(), "stream reset: REFUSED_STREAM");

  // An HTTP/1.1 server's answer: a connection error, known once the GOAWAY is taken out.
  auto broken = makeProbeCodec(upstream::grpcHealthProbe("", "h:1", "http"));
  std::string out;
  broken->takeOutput(out);
  EXPECT_TRUE(broken->failure().empty());
  broken->feed("HTTP/1.1 400 Bad Request\r\n\r\n");
  broken->takeOutput(out);
  EXPECT_EQ(broken->failure().rfind("HTTP/2 connection error", 0), 0u) << broken->failure();
  EXPECT_FALSE(broken->answer());
}

}  // namespace
}  // namespace outrigger::http2
