#pragma once
// What an HTTP/1.1 app's request head must meet before it becomes an exchange, beyond the
// parser's syntax checks: the Host an HTTP/1.1 request must carry, and the listener's rule
// for header names with an underscore. Pure: the session enforces the ruling.

#include <cstddef>
#include <string_view>

#include "proxy/config/schema.h"
#include "proxy/http/message.h"

namespace outrigger::http1 {

struct HeadRuling {
  std::string_view refusal;  // why the request gets 400 at once; empty when it may go on
  size_t dropped = 0;        // header lines removed for an underscore in their name
};

// May remove header lines from `head` (limits.headers_with_underscores: drop).
HeadRuling applyRequestHeadRules(http::RequestHead& head, config::UnderscoreHeaders underscores);

}  // namespace outrigger::http1
