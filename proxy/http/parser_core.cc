#include "proxy/http/parser_core.h"

#include <algorithm>

#include "proxy/http/head_checks.h"
#include "proxy/http/unknown_method.h"

namespace outrigger::http::detail {

namespace {

bool isOws(char c) { return c == ' ' || c == '\t'; }

// Chunk extensions are skipped, but a chunk line must not go on for ever (Node's
// CVE-2024-22019). Nothing we know of sends more than a few bytes of them.
constexpr size_t kMaxChunkExtensionBytes = 4096;
// Enough for a small head and the headers the proxy adds, in one allocation each for the
// list and the store instead of growing 1, 2, 4, 8. A head keeps its capacity for the next
// request (and a larger one grows once).
constexpr size_t kTypicalHeaderCount = 8;
constexpr size_t kTypicalHeaderBytes = 256;

}  // namespace

ParserCore::ParserCore(llhttp_type_t type, ParserLimits limits)
    : type_(type),
      limits_(limits),
      head_section_(type == HTTP_REQUEST ? LineScanner::Section::kRequestHead
                                         : LineScanner::Section::kResponseHead),
      scanner_(head_section_) {
  // No llhttp_set_lenient_*: anything llhttp rejects is a smuggling risk we refuse.
  llhttp_init(&parser_, type, &settings());
  parser_.data = this;
}

void ParserCore::restartStream() {
  llhttp_init(&parser_, type_, &settings());
  parser_.data = this;
  phase_ = Phase::kHead;
  scanner_.reset(head_section_);
  section_bytes_ = 0;
  header_count_ = 0;
  field_len_ = 0;
  field_open_ = false;
  chunk_ext_bytes_ = 0;
  crlf_left_ = 0;
  head_held_ = false;
  in_message_ = false;
  trailers_.clear();
  last_chunk_ = false;
  finishing_ = false;
  pause_requested_ = false;
  stop_for_caller_ = false;
  paused_ = false;
  error_ = ParseError::kNone;
  error_detail_.clear();
}

void ParserCore::bindHead(Headers& headers, std::string& start_line_text) {
  headers_ = &headers;
  start_line_text_ = &start_line_text;
}

void ParserCore::reject(ParseError error, std::string_view detail) {
  if (error_ != ParseError::kNone) return;
  error_ = error;
  error_detail_.assign(detail);
}

BodyFraming ParserCore::parsedFraming(BodyFraming without_length) const {
  if (parser_.flags & F_CHUNKED) return BodyFraming::kChunked;
  // Transfer-Encoding that does not end in chunked: checkTransferEncoding refuses it before
  // this is asked; kept so the mapping from llhttp's flags stays total.
  if (parser_.flags & F_TRANSFER_ENCODING) return BodyFraming::kUntilClose;
  if (parser_.flags & F_CONTENT_LENGTH) return BodyFraming::kContentLength;
  return without_length;
}

const llhttp_settings_t& ParserCore::settings() {
  static const llhttp_settings_t kSettings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = &ParserCore::handleMessageBegin;
    s.on_url = &ParserCore::handleStartLineText;
    s.on_status = &ParserCore::handleStartLineText;
    s.on_header_field = &ParserCore::handleHeaderField;
    s.on_header_field_complete = &ParserCore::handleHeaderFieldComplete;
    s.on_header_value = &ParserCore::handleHeaderValue;
    s.on_header_value_complete = &ParserCore::handleHeaderValueComplete;
    s.on_headers_complete = &ParserCore::handleHeadersComplete;
    s.on_body = &ParserCore::handleBody;
    s.on_chunk_extension_name = &ParserCore::handleChunkExtension;
    s.on_chunk_extension_value = &ParserCore::handleChunkExtension;
    s.on_chunk_header = &ParserCore::handleChunkHeader;
    s.on_chunk_complete = &ParserCore::handleChunkComplete;
    s.on_message_complete = &ParserCore::handleMessageComplete;
    return s;
  }();
  return kSettings;
}

int ParserCore::handleMessageBegin(llhttp_t* p) {
  ParserCore& c = self(p);
  c.in_message_ = true;
  c.header_count_ = 0;
  c.field_len_ = 0;
  c.field_open_ = false;
  c.chunk_ext_bytes_ = 0;
  c.crlf_left_ = 0;
  c.head_held_ = false;
  c.last_chunk_ = false;
  c.start_line_text_->clear();
  // The previous head was moved out or is forgotten now; the store keeps its capacity.
  c.headers_->clear();
  c.headers_->reserve(kTypicalHeaderCount, kTypicalHeaderBytes);
  c.onMessageBegin();
  return 0;
}

int ParserCore::handleStartLineText(llhttp_t* p, const char* at, size_t len) {
  self(p).start_line_text_->append(at, len);
  return 0;
}

int ParserCore::handleHeaderField(llhttp_t* p, const char* at, size_t len) {
  ParserCore& c = self(p);
  // RFC 9110 §5.1: a field name is a token. Without LLHTTP_STRICT_MODE llhttp lets a space
  // in ("Transfer Encoding", "Host :"), in heads and trailers alike.
  if (!std::all_of(at, at + len, isTokenChar)) {
    c.reject(ParseError::kBadMessage, "invalid character in a header name");
    return -1;
  }
  c.field_len_ += len;
  // Trailer fields go to their own list, under the same limits as a head's.
  Headers& fields = c.phase_ == Phase::kTrailers ? c.trailers_ : *c.headers_;
  if (!c.field_open_) {
    if (c.header_count_ >= c.limits_.max_headers) {
      c.reject(ParseError::kHeadTooLarge,
               c.phase_ == Phase::kTrailers ? "too many trailer fields" : "too many headers");
      return -1;
    }
    fields.startHeader();
    ++c.header_count_;
    c.field_open_ = true;
  }
  fields.extendName(std::string_view(at, len));
  return 0;
}

int ParserCore::handleHeaderFieldComplete(llhttp_t* p) {
  ParserCore& c = self(p);
  c.field_open_ = false;
  // llhttp takes ": value" as a header with an empty name.
  if (c.field_len_ == 0) {
    c.reject(ParseError::kBadMessage, "empty header name");
    return -1;
  }
  c.field_len_ = 0;
  return 0;
}

int ParserCore::handleHeaderValue(llhttp_t* p, const char* at, size_t len) {
  ParserCore& c = self(p);
  Headers& fields = c.phase_ == Phase::kTrailers ? c.trailers_ : *c.headers_;
  fields.extendValue(std::string_view(at, len));
  return 0;
}

int ParserCore::handleHeaderValueComplete(llhttp_t* p) {
  ParserCore& c = self(p);
  Headers& fields = c.phase_ == Phase::kTrailers ? c.trailers_ : *c.headers_;
  // llhttp drops leading OWS but keeps trailing OWS, which is not part of the value.
  const std::string_view value = fields.list().back().value;
  size_t trailing = 0;
  while (trailing < value.size() && isOws(value[value.size() - 1 - trailing])) ++trailing;
  fields.trimValue(trailing);
  return 0;
}

int ParserCore::handleHeadersComplete(llhttp_t* p) {
  ParserCore& c = self(p);
  const bool has_body = c.onHeadComplete();
  if (c.error_ != ParseError::kNone) return -1;
  // We never switch protocols (Upgrade is hop-by-hop and stripped), so CONNECT and
  // Upgrade requests are parsed as ordinary messages and the next bytes as HTTP again.
  p->upgrade = 0;
  c.phase_ = Phase::kBody;
  if (has_body && (p->flags & F_CHUNKED)) {
    // Held until the first chunk line has been checked (or this input runs out): a
    // malformed first chunk, where smuggling payloads sit, is then refused before anyone
    // acted on the head, with a 400 or 502 rather than a cut connection.
    c.head_held_ = true;
  } else {
    c.deliverHead();
    c.stop_for_caller_ = c.pause_requested_ && has_body;
  }
  // Without a body, llhttp would owe onComplete after a pause here; a pause the handler
  // asked for is reported after the message completes instead. Always pause: feed() learns
  // exactly where the head ended, for the head size limit.
  return HPE_PAUSED;
}

int ParserCore::handleBody(llhttp_t* p, const char* at, size_t len) {
  ParserCore& c = self(p);
  // The pause takes effect at the next chunk end, the message end, or the end of input.
  if (c.onBody(std::string_view(at, len)) == ParserAction::kPause) c.pause_requested_ = true;
  if ((p->flags & F_CHUNKED) && p->content_length == 0) {
    // RFC 9112 §7.1: chunk data is followed by CRLF. llhttp 8.1 without LLHTTP_STRICT_MODE
    // skips those two bytes unread ("5\r\nhelloXX0\r\n\r\n" would end the message), so
    // pause here and let feed() check them.
    c.crlf_left_ = 2;
    return HPE_PAUSED;
  }
  return 0;
}

int ParserCore::handleChunkExtension(llhttp_t* p, const char*, size_t len) {
  ParserCore& c = self(p);
  c.chunk_ext_bytes_ += len;
  if (c.chunk_ext_bytes_ <= kMaxChunkExtensionBytes) return 0;
  c.reject(ParseError::kBadMessage, "chunk extensions too long");
  return -1;
}

int ParserCore::handleChunkHeader(llhttp_t* p) {
  ParserCore& c = self(p);
  c.chunk_ext_bytes_ = 0;
  c.last_chunk_ = p->content_length == 0;
  if (c.last_chunk_) {
    // The trailer section follows; pause so feed() scans it from its first byte. A held
    // head waits for the message end: the trailers may still be malformed.
    c.phase_ = Phase::kTrailers;
    c.scanner_.reset(LineScanner::Section::kTrailers);
    c.header_count_ = 0;  // the trailer section has its own max_headers
    c.trailers_.clear();
    return HPE_PAUSED;
  }
  if (!c.head_held_) return 0;
  c.deliverHead();
  c.stop_for_caller_ = c.pause_requested_;  // before the chunk's data
  return c.stop_for_caller_ ? HPE_PAUSED : 0;
}

int ParserCore::handleChunkComplete(llhttp_t* p) {
  ParserCore& c = self(p);
  // After the last chunk onComplete is owed, so pause there instead.
  if (!c.pause_requested_ || c.last_chunk_) return 0;
  c.stop_for_caller_ = true;
  return HPE_PAUSED;
}

int ParserCore::handleMessageComplete(llhttp_t* p) {
  ParserCore& c = self(p);
  if (c.head_held_) c.deliverHead();  // a chunked body with no data
  if (c.phase_ == Phase::kTrailers && !c.trailers_.empty()) {
    c.onTrailers(c.trailers_);
    c.trailers_.clear();
  }
  c.in_message_ = false;
  c.phase_ = Phase::kHead;
  c.scanner_.reset(c.head_section_);
  if (c.onComplete() == ParserAction::kPause) c.pause_requested_ = true;
  if (c.finishing_) return 0;
  c.stop_for_caller_ = c.pause_requested_;
  // Always pause: feed() learns where the next message's head starts.
  return HPE_PAUSED;
}

void ParserCore::deliverHead() {
  head_held_ = false;
  if (onHeadReady() == ParserAction::kPause) pause_requested_ = true;
}

bool ParserCore::checkChunkCrlf(const char* data, size_t len) {
  static constexpr std::string_view kCrlf = "\r\n";
  const size_t n = std::min(len, crlf_left_);
  if (std::string_view(data, n) != kCrlf.substr(kCrlf.size() - crlf_left_, n)) {
    reject(ParseError::kBadMessage, "chunk data not followed by CRLF");
    return false;
  }
  crlf_left_ -= n;
  return true;
}

ParseResult ParserCore::feedBytes(const char* data, size_t len) {
  if (error_ != ParseError::kNone) return deadResult();
  if (paused_) return ParseResult{ParseStatus::kPaused, 0, ParseError::kNone, {}};
  size_t pos = 0;
  for (;;) {
    const Phase phase = phase_;
    size_t chunk = len - pos;
    if (phase != Phase::kBody) {
      // Never hand llhttp more head (or trailer) bytes than the limit allows, so an endless
      // head is cut off as soon as it crosses the limit, whatever the read sizes.
      chunk = std::min<uint64_t>(chunk, limits_.max_head_bytes - section_bytes_);
      const std::string_view problem = scanner_.scan(data + pos, chunk);
      if (!problem.empty()) {
        reject(ParseError::kBadMessage, problem);
        return fail(data, data + pos);
      }
    } else if (crlf_left_ > 0 && !checkChunkCrlf(data + pos, chunk)) {
      return fail(data, data + pos);
    }
    const llhttp_errno_t err = llhttp_execute(&parser_, data + pos, chunk);
    if (err == HPE_OK) {
      pos += chunk;
      if (phase != Phase::kBody) {
        section_bytes_ += chunk;
        if (section_bytes_ >= limits_.max_head_bytes) {
          reject(ParseError::kHeadTooLarge, phase == Phase::kHead
                                                ? "head exceeds max_head_bytes"
                                                : "trailers exceed max_head_bytes");
          return fail(data, data + pos);
        }
      }
      if (pos == len) break;
      continue;
    }
    if (err != HPE_PAUSED) return fail(data, llhttp_get_error_pos(&parser_), data + len);
    const size_t used = static_cast<size_t>(llhttp_get_error_pos(&parser_) - (data + pos));
    pos += used;
    if (phase != Phase::kBody) section_bytes_ += used;
    if (phase_ != phase) section_bytes_ = 0;  // a new section starts at this pause
    if (stop_for_caller_) {
      stop_for_caller_ = false;
      pause_requested_ = false;
      paused_ = true;
      return ParseResult{ParseStatus::kPaused, pos, ParseError::kNone, {}};
    }
    // An internal pause: go on, even with no bytes left, so callbacks that llhttp owes
    // (onComplete right after a bodiless head) run now rather than on the next read.
    llhttp_resume(&parser_);
  }
  // The input ended before the first chunk line did: the handler gets the head now rather
  // than waiting on a slow sender.
  if (head_held_) deliverHead();
  if (pause_requested_) {
    pause_requested_ = false;
    paused_ = true;
    return ParseResult{ParseStatus::kPaused, len, ParseError::kNone, {}};
  }
  return ParseResult{ParseStatus::kOk, len, ParseError::kNone, {}};
}

void ParserCore::resume() {
  paused_ = false;
  llhttp_resume(&parser_);
}

ParseResult ParserCore::finish() {
  if (error_ != ParseError::kNone) return deadResult();
  resume();
  if (!in_message_) return ParseResult{};
  finishing_ = true;
  // After a pause at a head, llhttp has not yet chosen how the body is framed (it does on
  // its next execute), and would take EOF on a close-delimited body for a truncated message.
  llhttp_errno_t err = llhttp_execute(&parser_, "", 0);
  if (err == HPE_PAUSED) {
    llhttp_resume(&parser_);
    err = HPE_OK;
  }
  if (err == HPE_OK && in_message_) err = llhttp_finish(&parser_);
  finishing_ = false;
  if (err == HPE_OK && !in_message_) return ParseResult{};
  error_ = ParseError::kBadMessage;
  error_detail_ =
      err == HPE_OK ? "connection closed mid-message" : llhttp_get_error_reason(&parser_);
  return deadResult();
}

ParseResult ParserCore::fail(const char* data, const char* error_pos, const char* end) {
  if (error_ == ParseError::kNone) {
    // llhttp refuses some codings itself ("chunked, gzip", "chunked;q=1" in a request):
    // they are codings we do not decode, like those checkTransferEncoding refuses.
    error_ = llhttp_get_errno(&parser_) == HPE_INVALID_TRANSFER_ENCODING
                 ? ParseError::kNotImplemented
                 : ParseError::kBadMessage;
    const char* reason = llhttp_get_error_reason(&parser_);
    error_detail_ = reason != nullptr ? reason : llhttp_errno_name(llhttp_get_errno(&parser_));
    if (llhttp_get_errno(&parser_) == HPE_INVALID_METHOD && isUnknownMethod(data, end, error_pos)) {
      // A well-formed method llhttp does not know (RFC 9110 §9.1: 501), not a broken line.
      error_ = ParseError::kNotImplemented;
      error_detail_ = "method not implemented";
    }
  }
  ParseResult result = deadResult();
  if (error_pos != nullptr && error_pos >= data) result.consumed = error_pos - data;
  return result;
}

ParseResult ParserCore::deadResult() const {
  return ParseResult{ParseStatus::kError, 0, error_, error_detail_};
}

}  // namespace outrigger::http::detail
