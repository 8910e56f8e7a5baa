// Http1Session's DownstreamStream side: how a response is framed back to the app over
// HTTP/1.x, and whether the connection serves another request after it.
#include "proxy/http1/http1_session.h"
// (first: serializer.h's kContinue would shadow ParserAction::kContinue otherwise)
#include "proxy/http/serializer.h"
#include "proxy/http1/body_framing.h"

namespace outrigger::http1 {

bool Http1Session::responseKeepsAlive() const {
  if (close_requested_ || context_.draining || body_refused_ || !exchange_) return false;
  const http::RequestHead& request = slot_->buffers.request;
  // Unread request body bytes would be taken for the next request.
  const bool body_pending = !waiting_for_exchange_ && request.framing != http::BodyFraming::kNone;
  return request.keep_alive && !body_pending;
}

void Http1Session::sendResponseHead(http::ResponseHead& head) {
  bool keep_alive = responseKeepsAlive();
  const bool client_http11 = !exchange_ || slot_->buffers.request.version_minor >= 1;
  if (exchange_ && head_request_) {
    // The parser kept a HEAD response's Content-Length in head.framing; with none, send no
    // framing header at all rather than a misleading "Content-Length: 0".
    response_no_body_ = true;
    if (head.framing != http::BodyFraming::kContentLength)
      head.framing = http::BodyFraming::kUntilClose;
  } else if (head.framing == http::BodyFraming::kChunked ||
             head.framing == http::BodyFraming::kUntilClose) {
    if (client_http11) {
      head.framing = http::BodyFraming::kChunked;
      chunk_to_client_ = true;
    } else {
      head.framing = http::BodyFraming::kUntilClose;
      keep_alive = false;  // an HTTP/1.0 client learns the end from the close
    }
  }
  if (!client_http11 && keep_alive) head.headers.set("Connection", "keep-alive");
  head.keep_alive = keep_alive;
  head.version_minor = 1;
  response_keep_alive_ = keep_alive;
  std::string out = stream_->takeWriteBuffer();
  out.reserve(256 + 64 * head.headers.size());
  http::appendResponseHead(head, out);
  stream_->write(std::move(out));
}

void Http1Session::sendResponseBody(std::string_view piece) {
  if (response_no_body_ || piece.empty()) return;
  writeBodyPiece(*stream_, piece, chunk_to_client_);
}

void Http1Session::sendResponseTrailers(http::Headers& trailers) {
  // Only a chunked body can carry them; a Content-Length one (HEAD, an HTTP/1.0 app) cannot.
  if (chunk_to_client_)
    response_trailers_.swap(trailers);
  else if (!trailers.empty() && listener_.trailers_dropped)
    listener_.trailers_dropped->Increment();
}

void Http1Session::endResponse() {
  if (chunk_to_client_) {
    writeLastChunk(*stream_, &response_trailers_);
    response_trailers_.clear();
  }
  exchange_done_ = true;
  // The request may have finished arriving while the response went out.
  keep_alive_ = response_keep_alive_ && responseKeepsAlive();
  // Continue on the next turn: we are inside the exchange's own call stack.
  finish_exchange_.schedule();
}

void Http1Session::abortResponse() {
  exchange_done_ = true;
  abort_exchange_.schedule();
}

void Http1Session::sendContinue() { stream_->write(http::kContinue); }

}  // namespace outrigger::http1
