#pragma once
// Writes the request head that goes upstream straight from the app's head, without copying
// it first (tests parse the bytes back and check the header rules on the result).

#include <string>

#include "proxy/http/header_rules.h"
#include "proxy/http/message.h"

namespace outrigger::http {

// Appends to `out` the upstream request head for the app's `head`: hop-by-hop headers (RFC
// 9110 §7.6.1, and those Connection names) and Expect (outrigger answers 100-continue
// itself) left out, X-Forwarded-For extended, X-Forwarded-Proto,
// X-Forwarded-Host, Host and X-Request-ID written in place of the app's first one of each
// (its others left out) or after the app's headers; Host is the endpoint's authority unless
// preserve_host keeps the app's, X-Forwarded-Host the app's Host; origin-form target,
// HTTP/1.1 keep-alive, and the framing header that matches head.framing. ctx.edits (a
// route's changes) apply as it writes: `head` is read, never copied or changed.
void appendUpstreamRequestHead(const RequestHead& head, const ForwardContext& ctx,
                               std::string& out);

// The same request as a head (for a protocol that sends fields, not text): the same fields
// in the same order, an origin-form target, and the app's framing. `out` is overwritten.
void makeUpstreamRequestHead(const RequestHead& head, const ForwardContext& ctx,
                             RequestHead& out);

}  // namespace outrigger::http
