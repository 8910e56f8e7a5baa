#include "proxy/http/parser.h"

#include "proxy/http/head_checks.h"
#include "proxy/http/parser_core.h"

namespace outrigger::http {
namespace {

bool expectsContinue(const Headers& headers) {
  const std::string_view* expect = headers.get("Expect");
  return expect != nullptr && equalsIgnoreCase(*expect, "100-continue");
}

}  // namespace

struct RequestParser::Impl final : detail::ParserCore {
  Impl(RequestHandler& handler, ParserLimits limits)
      : ParserCore(HTTP_REQUEST, limits), handler_(handler) {
    lendHead(nullptr);
  }

  void lendHead(RequestHead* head) {
    head_ = head != nullptr ? head : &own_head_;
    bindHead(head_->headers, head_->target);
  }

  void onMessageBegin() override {
    head_->framing = BodyFraming::kNone;
    head_->content_length = 0;
  }

  bool onHeadComplete() override {
    if (parser_.http_major != 1) {
      reject(ParseError::kBadMessage, "unsupported HTTP version");
      return false;
    }
    head_->method.assign(llhttp_method_name(static_cast<llhttp_method_t>(parser_.method)));
    head_->version_minor = parser_.http_minor;
    if (std::string_view problem = checkRequestHead(*head_); !problem.empty()) {
      reject(problem == kUnsupportedTransferEncoding ? ParseError::kNotImplemented
                                                     : ParseError::kBadMessage,
             problem);
      return false;
    }
    head_->framing = parsedFraming(BodyFraming::kNone);
    head_->content_length =
        head_->framing == BodyFraming::kContentLength ? parser_.content_length : 0;
    head_->keep_alive = llhttp_should_keep_alive(&parser_) != 0;
    head_->expect_continue = expectsContinue(head_->headers);
    return head_->framing == BodyFraming::kChunked ||
           (head_->framing == BodyFraming::kContentLength && head_->content_length > 0);
  }

  ParserAction onHeadReady() override { return handler_.onRequestHead(*head_); }

  ParserAction onBody(std::string_view chunk) override { return handler_.onRequestBody(chunk); }
  void onTrailers(Headers& trailers) override { handler_.onRequestTrailers(trailers); }
  ParserAction onComplete() override { return handler_.onRequestComplete(); }

  RequestHandler& handler_;
  RequestHead own_head_;  // filled when no head is lent
  RequestHead* head_ = &own_head_;
};

RequestParser::RequestParser(RequestHandler& handler, ParserLimits limits)
    : impl_(std::make_unique<Impl>(handler, limits)) {}
RequestParser::~RequestParser() = default;
ParseResult RequestParser::feed(const char* data, size_t len) { return impl_->feed(data, len); }
void RequestParser::resume() { impl_->resume(); }
bool RequestParser::idle() const { return impl_->idle(); }
void RequestParser::lendHead(RequestHead* head) { impl_->lendHead(head); }

struct ResponseParser::Impl final : detail::ParserCore {
  Impl(ResponseHandler& handler, ParserLimits limits)
      : ParserCore(HTTP_RESPONSE, limits), handler_(&handler) {
    // The head goes to the client before feed() returns: its bytes need no copy until then.
    head_.headers.borrowPieces(true);
    bindHead(head_.headers, head_.reason);
  }

  void onMessageBegin() override {
    head_.framing = BodyFraming::kNone;
    head_.content_length = 0;
  }

  bool onHeadComplete() override {
    const int status = parser_.status_code;
    if (parser_.http_major != 1) {
      reject(ParseError::kBadMessage, "unsupported HTTP version");
      return false;
    }
    if (status == 101 && !expect_upgrade_) {
      // The request asked for no switch (its Upgrade, if any, was stripped).
      reject(ParseError::kBadMessage, "unexpected 101 Switching Protocols");
      return false;
    }
    head_.status = status;
    head_.version_minor = parser_.http_minor;
    if (std::string_view problem = checkResponseHead(head_); !problem.empty()) {
      reject(ParseError::kBadMessage, problem);
      return false;
    }
    // A 101 that was asked for is the final head: the bytes after it are another protocol.
    interim_ = status / 100 == 1 && status != 101;
    const bool no_body =
        interim_ || status == 101 || status == 204 || status == 304 || expect_no_body_;
    if (no_body) parser_.flags |= F_SKIPBODY;  // what returning 1 from this callback does
    head_.framing = parsedFraming(BodyFraming::kUntilClose);
    if (no_body && (head_.framing != BodyFraming::kContentLength || interim_ || status == 204 ||
                    status == 101)) {
      head_.framing = BodyFraming::kNone;
    }
    // For HEAD and 304 a Content-Length is kept as metadata (the size a GET would return),
    // so the serializer can pass it on; no body bytes are read either way.
    head_.content_length =
        head_.framing == BodyFraming::kContentLength ? parser_.content_length : 0;
    head_.keep_alive = llhttp_should_keep_alive(&parser_) != 0;
    return !no_body && !(head_.framing == BodyFraming::kContentLength && head_.content_length == 0);
  }

  ParserAction onHeadReady() override {
    const ParserAction action = handler_->onResponseHead(head_);
    // The headers may be views into the bytes being fed: the handler's during the call only.
    head_.headers.clear();
    return action;
  }

  ParserAction onBody(std::string_view chunk) override { return handler_->onResponseBody(chunk); }
  void onTrailers(Headers& trailers) override { handler_->onResponseTrailers(trailers); }

  ParserAction onComplete() override {
    // expectNoBody() describes the final response; interim ones do not use it up.
    if (!interim_) expect_no_body_ = false;
    return handler_->onResponseComplete();
  }

  void restart(ResponseHandler& handler) {
    restartStream();
    handler_ = &handler;
    expect_no_body_ = false;
    expect_upgrade_ = false;
    interim_ = false;
  }

  ResponseHandler* handler_;
  ResponseHead head_;  // kept across restarts: its header strings keep their capacity
  bool expect_no_body_ = false;
  bool expect_upgrade_ = false;
  bool interim_ = false;
};

ResponseParser::ResponseParser(ResponseHandler& handler, ParserLimits limits)
    : impl_(std::make_unique<Impl>(handler, limits)) {}
ResponseParser::~ResponseParser() = default;
void ResponseParser::restart(ResponseHandler& handler) { impl_->restart(handler); }
void ResponseParser::expectNoBody(bool no_body) { impl_->expect_no_body_ = no_body; }
void ResponseParser::expectUpgrade(bool upgrade) { impl_->expect_upgrade_ = upgrade; }
ParseResult ResponseParser::feed(const char* data, size_t len) { return impl_->feed(data, len); }
void ResponseParser::resume() { impl_->resume(); }
ParseResult ResponseParser::finish() { return impl_->finish(); }
bool ResponseParser::idle() const { return impl_->idle(); }

}  // namespace outrigger::http
