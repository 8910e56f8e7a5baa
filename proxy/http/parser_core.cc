#include "proxy/http/parser_core.h"

#include <algorithm>
#include <cstring>

namespace outrigger::http::detail {

namespace {

bool isOws(char c) { return c == ' ' || c == '\t'; }

}  // namespace

bool ParserCore::FoldScanner::foundFold(const char* data, size_t len) {
  while (len > 0 && !done_) {
    const auto* nl = static_cast<const char*>(std::memchr(data, '\n', len));
    const size_t segment = nl != nullptr ? static_cast<size_t>(nl - data) : len;
    if (segment > 0 && line_len_ == 0) {
      first_ = data[0];
      if (started_ && isOws(first_)) return true;
    }
    line_len_ += segment;
    if (nl == nullptr) break;
    const bool empty_line = line_len_ == 0 || (line_len_ == 1 && first_ == '\r');
    if (!empty_line) {
      started_ = true;
    } else if (started_) {
      done_ = true;
    }
    line_len_ = 0;
    data = nl + 1;
    len -= segment + 1;
  }
  return false;
}

ParserCore::ParserCore(llhttp_type_t type, ParserLimits limits) : limits_(limits) {
  // No llhttp_set_lenient_*: anything llhttp rejects is a smuggling risk we refuse.
  llhttp_init(&parser_, type, &settings());
  parser_.data = this;
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
  // A Transfer-Encoding that does not end in chunked: llhttp reads a response until EOF
  // and rejects a request.
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
  c.field_open_ = false;
  c.last_chunk_ = false;
  c.start_line_text_->clear();
  c.onMessageBegin();
  return 0;
}

int ParserCore::handleStartLineText(llhttp_t* p, const char* at, size_t len) {
  self(p).start_line_text_->append(at, len);
  return 0;
}

int ParserCore::handleHeaderField(llhttp_t* p, const char* at, size_t len) {
  ParserCore& c = self(p);
  if (c.phase_ == Phase::kBody) return c.countTrailer(len);
  std::vector<Header>& list = c.headers_->list();
  if (!c.field_open_) {
    if (c.header_count_ >= c.limits_.max_headers) {
      c.reject(ParseError::kHeadTooLarge, "too many headers");
      return HPE_USER;
    }
    // Reuse the entry (and its string capacity) from an earlier message when there is one.
    if (c.header_count_ < list.size()) {
      list[c.header_count_].name.clear();
      list[c.header_count_].value.clear();
    } else {
      list.emplace_back();
    }
    ++c.header_count_;
    c.field_open_ = true;
  }
  list[c.header_count_ - 1].name.append(at, len);
  return 0;
}

int ParserCore::handleHeaderFieldComplete(llhttp_t* p) {
  ParserCore& c = self(p);
  c.field_open_ = false;
  if (c.phase_ == Phase::kBody) return 0;
  // llhttp checks token characters but lets "Host : x" through as the name "Host ".
  const std::string& name = c.headers_->list()[c.header_count_ - 1].name;
  if (!name.empty() && isOws(name.back())) {
    c.reject(ParseError::kBadMessage, "whitespace in header name");
    return -1;
  }
  return 0;
}

int ParserCore::handleHeaderValue(llhttp_t* p, const char* at, size_t len) {
  ParserCore& c = self(p);
  if (c.phase_ == Phase::kBody) return c.countTrailer(len);
  c.headers_->list()[c.header_count_ - 1].value.append(at, len);
  return 0;
}

int ParserCore::handleHeaderValueComplete(llhttp_t* p) {
  ParserCore& c = self(p);
  if (c.phase_ == Phase::kBody) return 0;
  // llhttp drops leading OWS but keeps trailing OWS, which is not part of the value.
  std::string& value = c.headers_->list()[c.header_count_ - 1].value;
  while (!value.empty() && isOws(value.back())) value.pop_back();
  return 0;
}

int ParserCore::handleHeadersComplete(llhttp_t* p) {
  ParserCore& c = self(p);
  c.headers_->list().resize(c.header_count_);
  const HeadOutcome outcome = c.onHeadComplete();
  if (c.error_ != ParseError::kNone) return -1;
  // We never switch protocols (Upgrade is hop-by-hop and stripped), so CONNECT and
  // Upgrade requests are parsed as ordinary messages and the next bytes as HTTP again.
  p->upgrade = 0;
  c.phase_ = Phase::kBody;
  if (outcome.action == ParserAction::kPause) c.pause_requested_ = true;
  // Without a body, llhttp would owe onComplete after this pause; the pause is reported
  // after the message completes instead.
  c.stop_for_caller_ = c.pause_requested_ && outcome.has_body;
  // Always pause: feed() learns exactly where the head ended, for the head size limit.
  return HPE_PAUSED;
}

int ParserCore::handleBody(llhttp_t* p, const char* at, size_t len) {
  ParserCore& c = self(p);
  // The pause takes effect at the next chunk end, the message end, or the end of input.
  if (c.onBody(std::string_view(at, len)) == ParserAction::kPause) c.pause_requested_ = true;
  return 0;
}

int ParserCore::handleChunkHeader(llhttp_t* p) {
  self(p).last_chunk_ = p->content_length == 0;
  return 0;
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
  c.in_message_ = false;
  c.phase_ = Phase::kHead;
  c.fold_scanner_.reset();
  c.head_bytes_ = 0;
  c.trailer_bytes_ = 0;
  if (c.onComplete() == ParserAction::kPause) c.pause_requested_ = true;
  if (c.finishing_) return 0;
  c.stop_for_caller_ = c.pause_requested_;
  // Always pause: feed() learns where the next message's head starts.
  return HPE_PAUSED;
}

int ParserCore::countTrailer(size_t len) {
  trailer_bytes_ += len;
  if (trailer_bytes_ <= limits_.max_head_bytes) return 0;
  reject(ParseError::kHeadTooLarge, "trailers exceed max_head_bytes");
  return HPE_USER;
}

ParseResult ParserCore::feed(const char* data, size_t len) {
  if (error_ != ParseError::kNone) return deadResult();
  if (paused_) return ParseResult{ParseStatus::kPaused, 0, ParseError::kNone, {}};
  size_t pos = 0;
  for (;;) {
    const bool in_head = phase_ == Phase::kHead;
    size_t chunk = len - pos;
    // Never hand llhttp more head bytes than the limit allows, so an endless head is cut
    // off as soon as it crosses the limit, whatever the read sizes.
    if (in_head) {
      chunk = std::min<uint64_t>(chunk, limits_.max_head_bytes - head_bytes_);
      if (fold_scanner_.foundFold(data + pos, chunk)) {
        reject(ParseError::kBadMessage, "obsolete line folding in header");
        return fail(data, data + pos);
      }
    }
    const llhttp_errno_t err = llhttp_execute(&parser_, data + pos, chunk);
    if (err == HPE_OK) {
      pos += chunk;
      if (in_head) {
        head_bytes_ += chunk;
        if (head_bytes_ >= limits_.max_head_bytes) {
          reject(ParseError::kHeadTooLarge, "head exceeds max_head_bytes");
          return fail(data, data + pos);
        }
      }
      if (pos == len) break;
      continue;
    }
    if (err != HPE_PAUSED) return fail(data, llhttp_get_error_pos(&parser_));
    const size_t used = static_cast<size_t>(llhttp_get_error_pos(&parser_) - (data + pos));
    pos += used;
    if (in_head) head_bytes_ += used;
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
  const llhttp_errno_t err = llhttp_finish(&parser_);
  finishing_ = false;
  if (err == HPE_OK && !in_message_) return ParseResult{};
  error_ = ParseError::kBadMessage;
  error_detail_ =
      err == HPE_OK ? "connection closed mid-message" : llhttp_get_error_reason(&parser_);
  return deadResult();
}

ParseResult ParserCore::fail(const char* data, const char* error_pos) {
  if (error_ == ParseError::kNone) {
    error_ = ParseError::kBadMessage;
    const char* reason = llhttp_get_error_reason(&parser_);
    error_detail_ = reason != nullptr ? reason : llhttp_errno_name(llhttp_get_errno(&parser_));
  }
  ParseResult result = deadResult();
  if (error_pos != nullptr && error_pos >= data) result.consumed = error_pos - data;
  return result;
}

ParseResult ParserCore::deadResult() const {
  return ParseResult{ParseStatus::kError, 0, error_, error_detail_};
}

}  // namespace outrigger::http::detail
