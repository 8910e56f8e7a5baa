#include "connection.h"

#include <cstdio>
#include <utility>

#include "server.h"

namespace mock_upstream {
namespace {

// Stop reading while more than this much output waits: a client that does not read its /echo
// answer must not make us buffer its whole upload.
constexpr size_t kHighWater = 256 * 1024;
// Input kept while a streaming response holds the parser (pipelined requests).
constexpr size_t kMaxPendingInput = 1024 * 1024;
constexpr size_t kMaxHeadBytes = 1024 * 1024;
constexpr size_t kMaxHeaders = 1000;
// How long a graceful close waits for the peer's FIN after ours.
constexpr uint64_t kLingerMs = 2000;

Connection* fromParser(llhttp_t* parser) { return static_cast<Connection*>(parser->data); }

}  // namespace

const llhttp_settings_t Connection::kParserSettings = Connection::makeParserSettings();

llhttp_settings_t Connection::makeParserSettings() {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_message_begin = onMessageBegin;
  settings.on_url = onUrl;
  settings.on_header_field = onHeaderField;
  settings.on_header_field_complete = onHeaderFieldComplete;
  settings.on_header_value = onHeaderValue;
  settings.on_header_value_complete = onHeaderValueComplete;
  settings.on_headers_complete = onHeadersComplete;
  settings.on_body = onBody;
  settings.on_message_complete = onMessageComplete;
  return settings;
}

Connection::Connection(Server& server, uint64_t id) : server_(server), id_(id) {
  uv_tcp_init(server_.loop(), &tcp_);
  uv_timer_init(server_.loop(), &timer_);
  tcp_.data = this;
  timer_.data = this;
  writeReq_.data = this;
  shutdownReq_.data = this;
  openHandles_ = 2;
  llhttp_init(&parser_, HTTP_REQUEST, &kParserSettings);
  parser_.data = this;
  server_.add(this);
}

Connection::~Connection() {
  if (readChunk_ != nullptr) readChunk_->unref();
  if (counted_) server_.state().connectionClosed();
  server_.remove(this);
}

void Connection::start(uv_stream_t* listener) {
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&tcp_)) != 0) {
    closeHandles(CloseMode::kGraceful);
    return;
  }
  counted_ = true;
  server_.state().connectionOpened();
  uv_tcp_nodelay(&tcp_, 1);
  updateReading();
}

void Connection::abort() { closeHandles(CloseMode::kGraceful); }

// ---- libuv callbacks ----

void Connection::onAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(handle->data);
  // Reuse the chunk unless queued /echo output still points into it.
  if (self->readChunk_ != nullptr && self->readChunk_->refs > 1) {
    self->readChunk_->unref();
    self->readChunk_ = nullptr;
  }
  if (self->readChunk_ == nullptr) self->readChunk_ = new ReadChunk;
  *buf = uv_buf_init(self->readChunk_->bytes, kReadChunkSize);
}

void Connection::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  static_cast<Connection*>(stream->data)->handleRead(nread, buf);
}

void Connection::onWrite(uv_write_t* req, int status) {
  static_cast<Connection*>(req->data)->handleWritten(status);
}

void Connection::onShutdown(uv_shutdown_t* req, int status) {
  auto* self = static_cast<Connection*>(req->data);
  if (status < 0 && self->phase_ == Phase::kLingering) self->closeHandles(CloseMode::kGraceful);
}

void Connection::onTimer(uv_timer_t* timer) { static_cast<Connection*>(timer->data)->timerFired(); }

void Connection::onClosed(uv_handle_t* handle) {
  auto* self = static_cast<Connection*>(handle->data);
  if (--self->openHandles_ == 0) delete self;
}

// ---- llhttp callbacks ----

int Connection::onMessageBegin(llhttp_t* parser) {
  Connection* self = fromParser(parser);
  self->request_.clear();
  self->requestOpen_ = true;
  self->responseStarted_ = false;
  self->errorStatus_ = 400;
  self->bodyBytes_ = 0;
  self->bodyHash_ = kFnvOffset;
  return 0;
}

int Connection::onUrl(llhttp_t* parser, const char* at, size_t size) {
  Connection* self = fromParser(parser);
  self->request_.url.append(at, size);
  self->request_.headBytes += size;
  return self->checkHeadLimit() ? 0 : HPE_USER;
}

int Connection::onHeaderField(llhttp_t* parser, const char* at, size_t size) {
  Connection* self = fromParser(parser);
  self->request_.appendHeaderName(at, size);
  return self->checkHeadLimit() ? 0 : HPE_USER;
}

int Connection::onHeaderFieldComplete(llhttp_t* parser) {
  fromParser(parser)->request_.finishHeaderName();
  return 0;
}

int Connection::onHeaderValue(llhttp_t* parser, const char* at, size_t size) {
  Connection* self = fromParser(parser);
  self->request_.appendHeaderValue(at, size);
  return self->checkHeadLimit() ? 0 : HPE_USER;
}

int Connection::onHeaderValueComplete(llhttp_t* parser) {
  fromParser(parser)->request_.finishHeaderValue();
  return 0;
}

int Connection::onHeadersComplete(llhttp_t* parser) {
  fromParser(parser)->beginRequest();
  return 0;
}

int Connection::onBody(llhttp_t* parser, const char* at, size_t size) {
  fromParser(parser)->requestBody(at, size);
  return 0;
}

int Connection::onMessageComplete(llhttp_t* parser) {
  Connection* self = fromParser(parser);
  self->requestOpen_ = false;
  if (self->completeRequest()) {
    // Hold the parser at this request boundary until the response is fully queued, so
    // pipelined requests are answered in order.
    self->paused_ = true;
    return HPE_PAUSED;
  }
  return self->stopped_ ? HPE_PAUSED : 0;
}

bool Connection::checkHeadLimit() {
  if (request_.headBytes <= kMaxHeadBytes && request_.headerCount <= kMaxHeaders) return true;
  errorStatus_ = 431;
  llhttp_set_error_reason(&parser_, "request head too large");
  return false;
}

// ---- input ----

void Connection::handleRead(ssize_t nread, const uv_buf_t* buf) {
  if (nread < 0) {
    reading_ = false;  // libuv stops reading by itself after EOF or an error
    handleEnd(static_cast<int>(nread));
    return;
  }
  if (nread == 0 || phase_ != Phase::kOpen || stopped_) return;  // lingering: discard
  if (paused_) {
    pendingInput_.append(buf->base, static_cast<size_t>(nread));
    updateReading();
    return;
  }
  parse(readChunk_, buf->base, static_cast<size_t>(nread));
}

void Connection::handleEnd(int status) {
  if (phase_ != Phase::kOpen || status != UV_EOF || streaming_ != Streaming::kNone ||
      (requestOpen_ && responseStarted_)) {
    // Lingering is over, the peer reset, or it left while we were still answering: cancel.
    closeHandles(CloseMode::kGraceful);
    return;
  }
  // A half-close still gets the responses already queued.
  peerEnded_ = true;
  closeAfterFlush(CloseMode::kGraceful);
}

void Connection::parse(ReadChunk* chunk, const char* data, size_t size) {
  parseChunk_ = chunk;
  inParse_ = true;
  llhttp_errno_t error = llhttp_execute(&parser_, data, size);
  inParse_ = false;
  parseChunk_ = nullptr;
  if (error == HPE_PAUSED) {
    if (paused_ && !stopped_) {
      const char* stop = llhttp_get_error_pos(&parser_);
      pendingInput_.append(stop, static_cast<size_t>(data + size - stop));
    }
  } else if (error == HPE_PAUSED_UPGRADE) {
    // Upgrades are answered like any request and then the connection closes (no switch).
    if (!stopped_ && !paused_) closeAfterFlush(CloseMode::kGraceful);
  } else if (error != HPE_OK) {
    handleParseError(error);
  }
  flush();
  updateReading();
}

void Connection::handleParseError(llhttp_errno_t error) {
  if (server_.verbose()) {
    fprintf(stderr, "mock-upstream: connection %llu: bad request: %s (%s)\n",
            static_cast<unsigned long long>(id_), llhttp_errno_name(error),
            llhttp_get_error_reason(&parser_));
  }
  if (!responseStarted_) {
    if (request_.id == 0) request_.id = server_.nextRequestId();
    request_.keepAlive = false;
    stopped_ = true;  // so the reply says Connection: close
    Reply reply;
    reply.status = errorStatus_;
    reply.staticBody = errorStatus_ == 431 ? "request head too large\n" : "bad request\n";
    queueReply(std::move(reply));
  }
  // An answer already under way (an /echo body) is cut short by the close.
  closeAfterFlush(CloseMode::kGraceful);
}

void Connection::resumeParsing() {
  paused_ = false;
  if (stopped_ || phase_ != Phase::kOpen) return;
  llhttp_resume(&parser_);
  std::string input;
  input.swap(pendingInput_);
  if (input.empty()) {
    flush();
    updateReading();
    return;
  }
  parse(nullptr, input.data(), input.size());
}

void Connection::updateReading() {
  bool want = false;
  if (phase_ == Phase::kLingering) {
    want = !peerEnded_;
  } else if (phase_ == Phase::kOpen && !stopped_) {
    want = output_.pendingBytes() < kHighWater && pendingInput_.size() < kMaxPendingInput;
  }
  if (want == reading_) return;
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  if (want) {
    reading_ = uv_read_start(stream, onAlloc, onRead) == 0;
  } else {
    uv_read_stop(stream);
    reading_ = false;
  }
}

// ---- output and closing ----

void Connection::flush() {
  if (inParse_ || phase_ == Phase::kClosing) return;  // parse() flushes once llhttp returns
  if (output_.startBatch(bufs_)) {
    int rc = uv_write(&writeReq_, reinterpret_cast<uv_stream_t*>(&tcp_), bufs_.data(),
                      static_cast<unsigned int>(bufs_.size()), onWrite);
    if (rc != 0) {
      output_.finishBatch();
      abort();
    }
    return;
  }
  finishCloseIfFlushed();
}

void Connection::handleWritten(int status) {
  output_.finishBatch();
  if (phase_ == Phase::kClosing) return;
  if (status < 0) {
    abort();
    return;
  }
  pump();
  flush();
  updateReading();
}

void Connection::closeAfterFlush(CloseMode mode) {
  stopped_ = true;
  closeWhenFlushed_ = true;
  closeMode_ = mode;
  pendingInput_.clear();
  flush();
  updateReading();
}

void Connection::finishCloseIfFlushed() {
  if (!closeWhenFlushed_ || phase_ != Phase::kOpen || output_.pendingBytes() != 0) return;
  if (closeMode_ == CloseMode::kReset || peerEnded_) {
    closeHandles(closeMode_);
  } else {
    startLinger();
  }
}

void Connection::startLinger() {
  // Closing with unread input makes the kernel send a reset that can destroy the response in
  // flight. Send FIN and wait for the peer's instead, as HTTP servers do.
  phase_ = Phase::kLingering;
  if (uv_shutdown(&shutdownReq_, reinterpret_cast<uv_stream_t*>(&tcp_), onShutdown) != 0) {
    closeHandles(CloseMode::kGraceful);
    return;
  }
  uv_timer_start(&timer_, onTimer, kLingerMs, 0);
  updateReading();
}

void Connection::closeHandles(CloseMode mode) {
  if (phase_ == Phase::kClosing) return;
  phase_ = Phase::kClosing;
  streaming_ = Streaming::kNone;
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), onClosed);
  // SO_LINGER 0 and close, so the peer sees a reset.
  if (mode == CloseMode::kReset && uv_tcp_close_reset(&tcp_, onClosed) == 0) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), onClosed);
}

}  // namespace mock_upstream
