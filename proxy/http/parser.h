#pragma once
// Streaming HTTP/1.x parsers over llhttp, one per direction. Bytes go in with feed();
// heads, body chunks and message ends come out through a handler. Nothing is buffered
// beyond the head being assembled: body chunks point into the caller's buffer.
//
// A handler callback may ask the parser to pause (return ParserAction::kPause). feed()
// then returns kPaused with `consumed` telling how many bytes were used; the caller keeps
// the rest, calls resume() when ready, and feeds the rest again.
//
// Parsing is strict in both directions (RFC 9112; the why of each rule sits where it is
// enforced). Refused, among others: Content-Length with Transfer-Encoding; any duplicate
// Content-Length, identical ones included (RFC 9110 §8.6 allows either choice; nothing
// legitimate needs them); Transfer-Encoding other than exactly "chunked", and any in
// HTTP/1.0; malformed chunk lines, chunk data not followed by CRLF, chunk extensions over
// 4 KiB; obs-fold, bare CR or LF, and header names that are not tokens, in heads and
// trailers; a request line with extra whitespace, a target with raw non-ASCII, a fragment,
// "*" outside OPTIONS, or an absolute-form whose authority is not the Host; more than one
// Host; a status outside 100..599 or a reason phrase with control characters.
//
// The head of a chunked message reaches the handler once its first chunk line has been
// checked (for an empty body: once its trailers have), or when the input given to feed()
// runs out, whichever comes first: a malformed first chunk then fails the message before
// anything acted on its head.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/http/message.h"

namespace outrigger::http {

enum class ParserAction { kContinue, kPause };

enum class ParseStatus {
  kOk,      // every byte consumed; more may come
  kPaused,  // a callback asked to pause; bytes after `consumed` were not parsed
  kError,   // the input is not valid HTTP (or exceeds a limit); the parser is dead
};

enum class ParseError {
  kNone,
  kBadMessage,      // malformed syntax, smuggling vectors, bad chunk lines...
  kHeadTooLarge,    // request line/status line + headers over the limit
  kBodyNotAllowed,  // e.g. a body on a message that cannot have one
  // Well-formed, but framed in a way we do not decode: a Transfer-Encoding other than a
  // lone "chunked" (RFC 9112 §6.1 lets a server answer 501).
  kNotImplemented,
};

struct ParseResult {
  ParseStatus status = ParseStatus::kOk;
  size_t consumed = 0;
  ParseError error = ParseError::kNone;
  std::string detail;  // llhttp's reason, for logs
};

struct ParserLimits {
  uint64_t max_head_bytes = 64 * 1024;
  uint32_t max_headers = 100;
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // The head is complete. The handler may move from `head`.
  virtual ParserAction onRequestHead(RequestHead& head) = 0;
  virtual ParserAction onRequestBody(std::string_view chunk) = 0;
  // The trailer fields of a chunked request, right before onRequestComplete(); only when
  // there were any. The handler may swap them out.
  virtual void onRequestTrailers(Headers& /*trailers*/) {}
  virtual ParserAction onRequestComplete() = 0;
};

class ResponseHandler {
 public:
  virtual ~ResponseHandler() = default;
  // Interim 1xx responses (other than 101) are delivered too, followed by
  // onResponseComplete; the next response on the connection is the real one.
  // The head's headers are views into the bytes being fed, valid during this call only:
  // take them (Headers::swap or a copy, which own their bytes) to keep them.
  virtual ParserAction onResponseHead(ResponseHead& head) = 0;
  virtual ParserAction onResponseBody(std::string_view chunk) = 0;
  // The trailer fields of a chunked response, right before onResponseComplete(); only when
  // there were any. The handler may swap them out.
  virtual void onResponseTrailers(Headers& /*trailers*/) {}
  virtual ParserAction onResponseComplete() = 0;
};

class RequestParser {
 public:
  RequestParser(RequestHandler& handler, ParserLimits limits);
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  ParseResult feed(const char* data, size_t len);
  void resume();  // after kPaused
  // True when no message is partially parsed (between messages).
  bool idle() const;
  // The parser fills `*head` (which must outlive its use) from the next message on, or its
  // own head object again when null. Only between messages: a connection lends the parser
  // pooled storage while a request arrives and takes it back once idle, so an idle
  // connection holds none.
  void lendHead(RequestHead* head);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class ResponseParser {
 public:
  ResponseParser(ResponseHandler& handler, ParserLimits limits);
  ~ResponseParser();
  ResponseParser(const ResponseParser&) = delete;
  ResponseParser& operator=(const ResponseParser&) = delete;

  // Forgets everything about the responses so far (a response cut short included) and
  // reports the next one to `handler`: a new upstream connection or attempt reuses the
  // parser rather than allocating another. Never from inside one of its own callbacks.
  void restart(ResponseHandler& handler);
  // The next response answers a HEAD request (or any request whose response has no
  // body): the parser must not expect a body whatever the headers say. Call before
  // feeding that response's bytes.
  void expectNoBody(bool no_body);
  // The request asked to switch protocols: a 101 is its final response, not an error, and
  // parsing stops after its head (onResponseComplete, which should pause).
  void expectUpgrade(bool upgrade);
  ParseResult feed(const char* data, size_t len);
  void resume();
  // The connection hit EOF. Returns kOk if that completes a close-delimited body
  // (onResponseComplete is called), kError if a response was cut short.
  ParseResult finish();
  bool idle() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace outrigger::http
