#pragma once
// The llhttp plumbing shared by RequestParser and ResponseParser: assembling the head into
// the message model, enforcing ParserLimits, and turning handler pauses into llhttp pauses
// at points where llhttp owes no further callback (so a paused parser never sits on a
// completed message that it has not reported).

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/http/message.h"
#include "proxy/http/parser.h"

namespace outrigger::http::detail {

class ParserCore {
 public:
  ParserCore(llhttp_type_t type, ParserLimits limits);
  virtual ~ParserCore() = default;
  ParserCore(const ParserCore&) = delete;
  ParserCore& operator=(const ParserCore&) = delete;

  ParseResult feed(const char* data, size_t len);
  void resume();
  // EOF from the peer: completes a close-delimited message, or reports a cut-short one.
  ParseResult finish();
  bool idle() const { return !in_message_; }

 protected:
  struct HeadOutcome {
    ParserAction action = ParserAction::kContinue;
    bool has_body = false;  // body bytes follow the head on the wire
  };

  // Where the assembled head goes; the derived class owns the head object.
  void bindHead(Headers& headers, std::string& start_line_text);
  // Records why the message is rejected; the caller returns -1 to llhttp.
  void reject(ParseError error, std::string_view detail);

  virtual void onMessageBegin() = 0;
  // The headers are assembled: fill the rest of the head and hand it to the handler.
  // May call reject(). May set F_SKIPBODY on parser_ before it returns.
  virtual HeadOutcome onHeadComplete() = 0;
  virtual ParserAction onBody(std::string_view chunk) = 0;
  virtual ParserAction onComplete() = 0;

  // Framing derived from llhttp's flags once the headers are in.
  BodyFraming parsedFraming(BodyFraming without_length) const;

  llhttp_t parser_;

 private:
  enum class Phase { kHead, kBody };

  // llhttp 8.1 accepts obs-fold (RFC 9112 §5.2) even without lenient flags, and its
  // callbacks cannot tell a folded value from one split across reads. So head bytes are
  // checked for a line that starts with whitespace before llhttp sees them.
  class FoldScanner {
   public:
    // Scans head bytes; stops at the empty line that ends the head. True on obs-fold.
    bool foundFold(const char* data, size_t len);
    void reset() { *this = FoldScanner(); }

   private:
    bool started_ = false;  // the start line has begun (empty lines before it are skipped)
    bool done_ = false;     // the empty line ending the head was seen
    size_t line_len_ = 0;   // bytes of the current line so far, CR included
    char first_ = 0;        // the current line's first byte
  };

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
  static int handleChunkHeader(llhttp_t* p);
  static int handleChunkComplete(llhttp_t* p);
  static int handleMessageComplete(llhttp_t* p);

  int countTrailer(size_t len);
  ParseResult fail(const char* data, const char* error_pos);
  ParseResult deadResult() const;

  ParserLimits limits_;
  Headers* headers_ = nullptr;
  std::string* start_line_text_ = nullptr;

  Phase phase_ = Phase::kHead;
  FoldScanner fold_scanner_;
  uint64_t head_bytes_ = 0;     // bytes of the current head seen so far
  uint64_t trailer_bytes_ = 0;  // chunked trailers are dropped, but still bounded
  size_t header_count_ = 0;     // entries of headers_ in use for this message
  bool field_open_ = false;     // the last header's name is still arriving
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
