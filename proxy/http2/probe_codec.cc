#include "proxy/http2/probe_codec.h"

#include <algorithm>

#include "proxy/http2/client_session.h"

namespace outrigger::http2 {
namespace {

// A probe reads a head and, for gRPC, a few bytes: small windows and limits suffice.
ClientOptions probeOptions() {
  ClientOptions options;
  options.initial_window = 64 * 1024;
  options.connection_window = 64 * 1024;
  options.max_header_list_bytes = 16 * 1024;
  return options;
}

class Http2ProbeCodec final : public upstream::ProbeCodec, private ClientSession::Handler {
 public:
  explicit Http2ProbeCodec(const upstream::ProbeRequest& request)
      : grpc_(request.grpc), session_(*this, probeOptions()) {
    http::RequestHead head;
    head.method = request.method;
    head.target = request.path;
    head.headers.add("host", request.authority);
    head.headers.add("user-agent", "outrigger-health");
    if (request.grpc) {
      head.headers.add("content-type", "application/grpc");
      head.headers.add("te", "trailers");
    }
    const bool has_body = !request.body.empty();
    if (has_body) {
      head.framing = http::BodyFraming::kContentLength;
      head.content_length = request.body.size();
    }
    stream_ = session_.submitRequest(head, request.scheme, has_body);
    if (stream_ < 0) {
      failure_ = "the request could not be opened";
    } else if (has_body) {
      session_.submitData(stream_, request.body);
      session_.endStream(stream_);
    }
  }

  // A protocol error ends the session once the GOAWAY telling the peer is taken out, without
  // feed() failing: with no answer yet, the probe has failed then too.
  size_t takeOutput(std::string& out) override {
    const size_t taken = session_.takeOutput(out);
    if (!answer_ && session_.finished()) failWithSession();
    return taken;
  }

  bool feed(std::string_view bytes) override {
    if (session_.feed(bytes)) return true;
    failWithSession();
    return false;
  }

  const std::optional<upstream::ProbeAnswer>& answer() const override { return answer_; }
  const std::string& failure() const override { return failure_; }

 private:
  void onResponseHead(StreamId, http::ResponseHead& head) override {
    received_.status = head.status;
    readGrpcFields(head.headers);     // a trailers-only answer carries them here
    if (!grpc_) answer_ = received_;  // a GET is judged on its head
  }
  void onResponseData(StreamId id, std::string_view chunk) override {
    const size_t room = upstream::ProbeAnswer::kMaxBody - received_.body.size();
    received_.body.append(chunk.substr(0, std::min(room, chunk.size())));
    session_.consume(id, chunk.size());
  }
  void onResponseTrailers(StreamId, http::Headers& trailers) override { readGrpcFields(trailers); }
  void onResponseEnd(StreamId) override { answer_ = received_; }
  void onStreamClosed(StreamId) override {}
  void onStreamReset(StreamId, StreamFailure failure) override {
    if (failure_.empty()) failure_ = "stream reset: " + std::string(errorCodeName(failure.code));
  }

  // The connection's error, over the stream reset that closing the session reported.
  void failWithSession() {
    failure_ = "HTTP/2 connection error";
    if (!session_.closeReason().empty()) failure_ += ": " + std::string(session_.closeReason());
  }

  void readGrpcFields(const http::Headers& fields) {
    if (const auto* status = fields.get("grpc-status")) received_.grpc_status = *status;
    if (const auto* message = fields.get("grpc-message")) received_.grpc_message = *message;
  }

  const bool grpc_;
  ClientSession session_;
  StreamId stream_ = -1;
  upstream::ProbeAnswer received_;
  std::optional<upstream::ProbeAnswer> answer_;
  std::string failure_;
};

}  // namespace

std::unique_ptr<upstream::ProbeCodec> makeProbeCodec(const upstream::ProbeRequest& request) {
  return std::make_unique<Http2ProbeCodec>(request);
}

}  // namespace outrigger::http2
