// The part of Connection that turns a routed request into response bytes, including the
// responses that go on after the request completed (/delay, /bytes, /stream, /drip).

#include <strings.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

#include "connection.h"
#include "server.h"

namespace mock_upstream {
namespace {

// Size of one /bytes piece and the most /stream output queued at once.
constexpr size_t kPiece = 64 * 1024;
constexpr size_t kAlphabet = 26;

// Byte i of every /bytes body is 'a' + i % 26; a piece at any offset is a slice of this.
const std::array<char, kPiece + kAlphabet> kPattern = [] {
  std::array<char, kPiece + kAlphabet> pattern{};
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<char>('a' + i % kAlphabet);
  return pattern;
}();

StaticBytes patternBytes(uint64_t offset, size_t size) {
  return StaticBytes{kPattern.data() + offset % kAlphabet, size};
}

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::string_view kGarbage = "this is not http\r\n\r\n";
constexpr uint64_t kPartialLength = 1000;
constexpr size_t kPartialSent = 500;

StaticBytes bytesOf(std::string_view text) { return StaticBytes{text.data(), text.size()}; }

}  // namespace

Persistence Connection::persistence() const {
  if (!request_.keepAlive || stopped_) return Persistence::kClose;
  return request_.isHttp11() ? Persistence::kKeepAliveDefault : Persistence::kKeepAliveExplicit;
}

void Connection::queueHead(std::string head) {
  output_.addOwned(std::move(head));
  responseStarted_ = true;
}

void Connection::beginRequest() {
  Request& r = request_;
  r.method = static_cast<llhttp_method_t>(parser_.method);
  r.versionMajor = parser_.http_major;
  r.versionMinor = parser_.http_minor;
  r.chunked = (parser_.flags & F_CHUNKED) != 0;
  r.contentLength = (parser_.flags & F_CONTENT_LENGTH) != 0 ? parser_.content_length : 0;
  r.hasBody = r.chunked || r.contentLength > 0;
  // An upgrade is answered as a plain request and then the connection closes.
  r.keepAlive = llhttp_should_keep_alive(&parser_) != 0 && parser_.upgrade == 0;
  r.splitTarget();
  r.id = server_.nextRequestId();
  if (!isStatsPath(r.path)) server_.state().countRequest(r.path);
  route_ = matchRoute(r.method, r.path, r.query);
  const int forced = server_.state().failStatus();
  if (forced != 0 && r.path != "/health" && r.path.rfind("/__", 0) != 0) {
    route_ = Route{};  // POST /__fail/on: every ordinary request fails
    route_.endpoint = Endpoint::kStatus;
    route_.amount = static_cast<uint64_t>(forced);
  }
  if (server_.verbose()) {
    fprintf(stderr, "mock-upstream: connection %llu request %llu: %s %s\n",
            static_cast<unsigned long long>(id_), static_cast<unsigned long long>(r.id),
            llhttp_method_name(r.method), r.url.c_str());
  }
  std::string_view expect = r.header("Expect");
  if (r.hasBody && r.isHttp11() && expect.size() == 12 &&
      strncasecmp(expect.data(), "100-continue", 12) == 0) {
    output_.addStatic(bytesOf(kContinue));
  }
  if (route_.endpoint == Endpoint::kEcho) startEcho();
}

void Connection::requestBody(const char* data, size_t size) {
  bodyBytes_ += size;
  if (route_.endpoint == Endpoint::kUpload) {
    bodyHash_ = fnv1a(bodyHash_, std::string_view(data, size));
    return;
  }
  if (route_.endpoint != Endpoint::kEcho || !bodyAllowed()) return;
  bool chunked = request_.chunked && canChunk();
  if (chunked) output_.addOwned(chunkSizeLine(size));
  if (parseChunk_ != nullptr) {
    output_.addShared(parseChunk_, data, size);
  } else {
    output_.addOwned(std::string(data, size));  // parsing held-back input: no chunk to share
  }
  if (chunked) output_.addStatic(bytesOf(kCrlf));
}

bool Connection::completeRequest() {
  switch (route_.endpoint) {
    case Endpoint::kEcho:
      finishEcho();
      break;
    case Endpoint::kUpload:
      queueReply(uploadReply(bodyBytes_, bodyHash_));
      break;
    case Endpoint::kDelay:
      streaming_ = Streaming::kDelay;
      uv_timer_start(&timer_, onTimer, route_.amount, 0);
      return true;
    case Endpoint::kBytes:
      if (startBytes()) return true;
      break;
    case Endpoint::kStream:
      if (startStream()) return true;
      break;
    case Endpoint::kDrip:
      if (startDrip()) return true;
      break;
    case Endpoint::kReset:
      closeAfterFlush(CloseMode::kReset);  // answers nothing; earlier responses still go out
      return false;
    case Endpoint::kChaos: {
      const uint64_t draw = server_.state().nextChaosDraw();
      if (draw < route_.resetPercent) {
        closeAfterFlush(CloseMode::kReset);
        return false;
      }
      queueReply(chaosReply(draw < route_.resetPercent + route_.amount));
      break;
    }
    case Endpoint::kPartial:
      queueHead(ResponseHead(200, id_, request_.id)
                    .header("Content-Type", "application/octet-stream")
                    .finish(Framing::kContentLength, kPartialLength, Persistence::kClose));
      if (bodyAllowed()) output_.addStatic(patternBytes(0, kPartialSent));
      closeAfterFlush(CloseMode::kGraceful);
      return false;
    case Endpoint::kGarbage:
      output_.addStatic(bytesOf(kGarbage));
      closeAfterFlush(CloseMode::kGraceful);
      return false;
    default:
      queueReply(simpleReply(request_, route_, server_.state(), id_));
      break;
  }
  if (!request_.keepAlive) closeAfterFlush(CloseMode::kGraceful);
  return false;
}

void Connection::queueReply(Reply reply) {
  if (reply.interimStatus != 0) {
    queueHead(ResponseHead(reply.interimStatus, id_, request_.id)
                  .finish(Framing::kNone, 0, Persistence::kKeepAliveDefault));
  }
  ResponseHead head(reply.status, id_, request_.id);
  if (!reply.bodyless) head.header("Content-Type", reply.contentType);
  head.rawHeaders(reply.headers);
  std::string_view body = reply.bodyView();
  Framing framing = reply.bodyless ? Framing::kNone : Framing::kContentLength;
  if (!reply.trailers.empty() && canChunk()) {
    queueHead(head.finish(Framing::kChunked, 0, persistence()));
    if (!bodyAllowed()) return;
    std::string chunked = body.empty() ? std::string() : chunkSizeLine(body.size());
    if (!body.empty()) chunked.append(body).append(kCrlf);
    chunked.append("0\r\n").append(reply.trailers).append(kCrlf);
    output_.addOwned(std::move(chunked));
    return;
  }
  queueHead(head.finish(framing, body.size(), persistence()));
  if (reply.bodyless || !bodyAllowed()) return;
  if (reply.body.empty()) {
    output_.addStatic(bytesOf(reply.staticBody));
  } else {
    output_.addOwned(std::move(reply.body));
  }
}

void Connection::startEcho() {
  ResponseHead head(200, id_, request_.id);
  std::string_view type = request_.header("Content-Type");
  head.header("Content-Type", type.empty() ? "application/octet-stream" : type);
  head.rawHeaders(echoHeaders(request_));
  Framing framing = Framing::kContentLength;
  if (request_.chunked) {
    framing = canChunk() ? Framing::kChunked : Framing::kNone;
    // An HTTP/1.0 client cannot take chunks: the close ends the body.
    if (!canChunk()) request_.keepAlive = false;
  }
  queueHead(head.finish(framing, request_.contentLength, persistence()));
}

void Connection::finishEcho() {
  if (request_.chunked && canChunk() && bodyAllowed()) output_.addStatic(bytesOf(kLastChunk));
}

bool Connection::startBytes() {
  uint64_t total = route_.amount;
  queueHead(ResponseHead(200, id_, request_.id)
                .header("Content-Type", "application/octet-stream")
                .finish(Framing::kContentLength, total, persistence()));
  if (!bodyAllowed() || total == 0) return false;
  if (total <= kPiece) {
    output_.addStatic(patternBytes(0, total));
    return false;
  }
  // The rest goes one piece at a time from pump(), each after the previous one was written.
  streaming_ = Streaming::kBytes;
  streamTotal_ = total;
  streamSent_ = 0;
  return true;
}

bool Connection::startStream() {
  if (!canChunk()) request_.keepAlive = false;  // HTTP/1.0: the close ends the body
  queueHead(ResponseHead(200, id_, request_.id)
                .header("Content-Type", "application/x-ndjson")
                .finish(canChunk() ? Framing::kChunked : Framing::kNone, 0, persistence()));
  if (!bodyAllowed()) return false;
  streaming_ = Streaming::kStream;
  streamTotal_ = route_.amount;
  streamSent_ = 0;
  queueStreamPiece();
  if (streamSent_ < streamTotal_) return true;
  streaming_ = Streaming::kNone;
  return false;
}

void Connection::queueStreamPiece() {
  bool chunked = canChunk();
  std::string piece;
  piece.reserve(std::min<uint64_t>(kPiece, (streamTotal_ - streamSent_) * 24) + 8);
  while (streamSent_ < streamTotal_ && piece.size() < kPiece) {
    char line[40];
    int size = snprintf(line, sizeof(line), "{\"id\":%llu}\n",
                        static_cast<unsigned long long>(streamSent_));
    if (chunked) {
      appendHex(piece, static_cast<uint64_t>(size));
      piece.append(kCrlf);
    }
    piece.append(line, static_cast<size_t>(size));
    if (chunked) piece.append(kCrlf);
    ++streamSent_;
  }
  if (streamSent_ == streamTotal_ && chunked) piece.append(kLastChunk);
  output_.addOwned(std::move(piece));
}

bool Connection::startDrip() {
  queueHead(ResponseHead(200, id_, request_.id)
                .header("Content-Type", "application/octet-stream")
                .finish(Framing::kContentLength, route_.amount, persistence()));
  if (!bodyAllowed() || route_.amount == 0) return false;
  streaming_ = Streaming::kDrip;
  streamTotal_ = route_.amount;
  streamSent_ = 0;
  uv_timer_start(&timer_, onTimer, route_.intervalMs, 0);
  return true;
}

void Connection::pump() {
  if (output_.pendingBytes() != 0) return;  // next piece only once the previous one is written
  if (streaming_ == Streaming::kBytes) {
    size_t size = static_cast<size_t>(std::min<uint64_t>(kPiece, streamTotal_ - streamSent_));
    output_.addStatic(patternBytes(streamSent_, size));
    streamSent_ += size;
    if (streamSent_ == streamTotal_) finishStreaming();
  } else if (streaming_ == Streaming::kStream) {
    queueStreamPiece();
    if (streamSent_ == streamTotal_) finishStreaming();
  }
}

void Connection::timerFired() {
  if (phase_ == Phase::kLingering) {
    closeHandles(CloseMode::kGraceful);
    return;
  }
  if (streaming_ == Streaming::kDelay) {
    queueReply(delayReply(route_.amount));
    finishStreaming();
  } else if (streaming_ == Streaming::kDrip) {
    output_.addStatic(patternBytes(streamSent_, 1));
    if (++streamSent_ == streamTotal_) {
      finishStreaming();
    } else {
      uv_timer_start(&timer_, onTimer, route_.intervalMs, 0);
    }
  }
  flush();
  updateReading();
}

void Connection::finishStreaming() {
  // The whole response is queued: the next pipelined request may be answered after it.
  streaming_ = Streaming::kNone;
  paused_ = false;
  uv_timer_stop(&timer_);
  if (!request_.keepAlive) {
    closeAfterFlush(CloseMode::kGraceful);
    return;
  }
  resumeParsing();
}

}  // namespace mock_upstream
