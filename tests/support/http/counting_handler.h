#pragma once
// A request handler for parser tests that counts heads and complete requests.

#include <string_view>

#include "proxy/http/parser.h"

namespace outrigger::http {

class CountingRequestHandler : public RequestHandler {
 public:
  ParserAction onRequestHead(RequestHead&) override {
    ++heads;
    return ParserAction::kContinue;
  }
  ParserAction onRequestBody(std::string_view) override { return ParserAction::kContinue; }
  ParserAction onRequestComplete() override {
    ++completes;
    return ParserAction::kContinue;
  }
  int heads = 0;
  int completes = 0;
};

}  // namespace outrigger::http
