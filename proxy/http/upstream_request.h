#pragma once
// Writes the request head that goes upstream straight from the app's head, without copying
// it first: the bytes are exactly those of prepareUpstreamRequest() followed by
// appendRequestHead(), which stay the reference (tests compare the two).

#include <string>

#include "proxy/http/header_rules.h"
#include "proxy/http/message.h"

namespace outrigger::http {

// Appends to `out` the head prepareUpstreamRequest(copy of head, ctx) would serialize to:
// hop-by-hop headers and Expect left out, X-Forwarded-For extended, X-Forwarded-Proto,
// X-Forwarded-Host, Host and X-Request-ID written in place of the app's first one of each
// (its others left out) or after the app's headers, origin-form target, HTTP/1.1.
void appendUpstreamRequestHead(const RequestHead& head, const ForwardContext& ctx,
                               std::string& out);

}  // namespace outrigger::http
