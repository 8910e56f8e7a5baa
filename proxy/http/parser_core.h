#pragma once
// The llhttp plumbing shared by RequestParser and ResponseParser: assembling the head into
// the message model, enforcing ParserLimits, the strictness llhttp 8.1 lacks, and turning
// handler pauses into llhttp pauses at points where llhttp owes no further callback (so a
// paused parser never sits on a completed message that it has not reported).

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/http/line_scanner.h"
#include "proxy/http/message.h"
#include "proxy/http/parser.h"

namespace outrigger::http::detail {

class ParserCore {
 public:
  ParserCore(llhttp_type_t type, ParserLimits limits);
  virtual ~ParserCore() = default;
  ParserCore(const ParserCore&) = delete;
  ParserCore& operator=(const ParserCore&) = delete;

  // Borrowed header pieces (Headers::borrowPieces) are owned before it returns: `data` may
  // be gone by the next call.
  ParseResult feed(const char* data, size_t len) {
    const ParseResult result = feedBytes(data, len);
    headers_->own();
    return result;
  }
  void resume();
  // EOF from the peer: completes a close-delimited message, or reports a cut-short one.
  ParseResult finish();
  bool idle() const { return !in_message_; }

 protected:
  ParseResult feedBytes(const char* data, size_t len);
  // Back to the state of a new parser (the head object and its capacity are kept).
  void restartStream();
  // Where the assembled head goes; the derived class owns the head object.
  void bindHead(Headers& headers, std::string& start_line_text);
  // Records why the message is rejected; the caller returns -1 to llhttp.
  void reject(ParseError error, std::string_view detail);

  virtual void onMessageBegin() = 0;
  // The headers are assembled: fill and check the rest of the head. Returns whether body
  // bytes follow the head on the wire. May call reject(); may set F_SKIPBODY on parser_.
  virtual bool onHeadComplete() = 0;
  // Hands the completed head to the handler.
  virtual ParserAction onHeadReady() = 0;
  virtual ParserAction onBody(std::string_view chunk) = 0;
  // The trailer fields of a chunked message, when it had any; right before onComplete().
  // The handler may swap them out.
  virtual void onTrailers(Headers& trailers) = 0;
  virtual ParserAction onComplete() = 0;

  // Framing derived from llhttp's flags once the headers are in.
  BodyFraming parsedFraming(BodyFraming without_length) const;

  llhttp_t parser_;

 private:
  // Which bytes llhttp is in. Head and trailer bytes are bounded and go through the line
  // scanner first; every change of phase happens at an llhttp pause, so feed() knows the
  // exact byte where it happened.
  enum class Phase { kHead, kBody, kTrailers };

  static ParserCore& self(llhttp_t* p) { return *static_cast<ParserCore*>(p->data); }
  static const llhttp_settings_t& settings();
  static int handleMessageBegin(llhttp_t* p);
  static int handleStartLineText(llhttp_t* p, const char* at, size_t len);
  static int handleHeaderField(llhttp_t* p, const char* at, size_t len);
  static int handleHeaderFieldComplete(llhttp_t* p);
  static int handleHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int handleHeaderValueComplete(llhttp_t* p);
  static int handleHeadersComplete(llhttp_t* p);
  static int handleBody(llhttp_t* p, const char* at, size_t len);
  static int handleChunkExtension(llhttp_t* p, const char* at, size_t len);
  static int handleChunkHeader(llhttp_t* p);
  static int handleChunkComplete(llhttp_t* p);
  static int handleMessageComplete(llhttp_t* p);

  void deliverHead();
  bool checkChunkCrlf(const char* data, size_t len);
  // `end`, when known, lets an unknown method be told from a broken request line (501/400).
  ParseResult fail(const char* data, const char* error_pos, const char* end = nullptr);
  ParseResult deadResult() const;

  llhttp_type_t type_;
  ParserLimits limits_;
  LineScanner::Section head_section_;
  Headers* headers_ = nullptr;
  std::string* start_line_text_ = nullptr;
  // The trailer fields being read (never borrowed: they are handed over inside feed()).
  Headers trailers_;

  // The state of one byte stream: restartStream() resets every field from here down.
  Phase phase_ = Phase::kHead;
  LineScanner scanner_;
  uint64_t section_bytes_ = 0;  // bytes of the current head or trailer section so far
  size_t header_count_ = 0;     // entries of headers_ in use for this message
  size_t field_len_ = 0;        // bytes of the header name being read
  bool field_open_ = false;     // the last header's name is still arriving
  size_t chunk_ext_bytes_ = 0;  // chunk extension bytes on the current chunk line
  size_t crlf_left_ = 0;        // bytes of the CRLF after chunk data not checked yet
  bool head_held_ = false;      // the head is complete but not delivered yet
  bool in_message_ = false;
  bool last_chunk_ = false;
  bool finishing_ = false;

  bool pause_requested_ = false;  // a handler asked to pause; not yet reported
  bool stop_for_caller_ = false;  // the current llhttp pause is the one to report
  bool paused_ = false;           // feed() returned kPaused and resume() was not called

  ParseError error_ = ParseError::kNone;
  std::string error_detail_;
};

}  // namespace outrigger::http::detail
