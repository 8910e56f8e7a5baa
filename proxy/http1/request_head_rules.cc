#include "proxy/http1/request_head_rules.h"

namespace outrigger::http1 {
namespace {

bool hasUnderscore(const http::HeaderView& h) { return h.name.find('_') != std::string_view::npos; }

}  // namespace

HeadRuling applyRequestHeadRules(http::RequestHead& head, config::UnderscoreHeaders underscores) {
  HeadRuling ruling;
  // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host. Filling
  // one in would route a request the app did not address, and answering at once means a
  // "Content-Length: 5" without its body is never left waiting upstream.
  if (head.version_minor >= 1 && !head.headers.has("Host")) {
    ruling.refusal = "HTTP/1.1 request without Host";
    return ruling;
  }
  // Every name with '_', not only look-alikes of framing headers (Transfer_Encoding,
  // Content_Length): an app that maps '-' to '_' cannot tell X_Forwarded_For from the
  // X-Forwarded-For we set either (nginx's underscores_in_headers off does the same).
  switch (underscores) {
    case config::UnderscoreHeaders::kAllow:
      break;
    case config::UnderscoreHeaders::kDrop:
      ruling.dropped = head.headers.removeIf(hasUnderscore);
      break;
    case config::UnderscoreHeaders::kReject:
      for (const http::HeaderView& h : head.headers) {
        if (hasUnderscore(h)) {
          ruling.refusal = "header name with an underscore (limits.headers_with_underscores)";
          break;
        }
      }
      break;
  }
  return ruling;
}

}  // namespace outrigger::http1
