#include "proxy/http2/header_translation.h"

#include <charconv>
#include <string>
#include <vector>

#include "proxy/http/head_checks.h"
#include "proxy/http/header_rules.h"
#include "proxy/http2/field_block.h"
#include "proxy/http2/field_rules.h"

namespace outrigger::http2 {
namespace {

using http::equalsIgnoreCase;
using http::HeaderView;

struct RequestPseudo {
  std::string_view method, scheme, authority, path;
  bool has_method = false, has_scheme = false, has_authority = false, has_path = false;
};

// Records one request pseudo-header; an error when it is unknown or repeated.
std::string_view takeRequestPseudo(const HeaderView& f, RequestPseudo& p) {
  struct Slot {
    std::string_view name;
    std::string_view* value;
    bool* seen;
  };
  const Slot slots[] = {{":method", &p.method, &p.has_method},
                        {":scheme", &p.scheme, &p.has_scheme},
                        {":authority", &p.authority, &p.has_authority},
                        {":path", &p.path, &p.has_path}};
  for (const Slot& slot : slots) {
    if (f.name != slot.name) continue;
    if (*slot.seen) return "repeated pseudo-header";
    *slot.seen = true;
    *slot.value = f.value;
    return {};
  }
  return "unknown pseudo-header";
}

// RFC 9113 §8.3.1: which pseudo-headers a request must carry.
std::string_view checkRequestPseudo(const RequestPseudo& p) {
  if (!p.has_method || p.method.empty()) return "missing :method";
  if (p.method == "CONNECT") {
    if (p.has_scheme || p.has_path) return "CONNECT with :scheme or :path";
    if (!p.has_authority || p.authority.empty()) return "CONNECT without :authority";
    return {};
  }
  if (!p.has_scheme || p.scheme.empty()) return "missing :scheme";
  if (!p.has_path || p.path.empty()) return "missing :path";
  if (p.path.front() != '/' && !(p.path == "*" && p.method == "OPTIONS")) return "invalid :path";
  return {};
}

void setBodyFraming(bool end_stream, const ContentLength& length, http::BodyFraming& framing,
                    uint64_t& content_length) {
  content_length = length.present ? length.value : 0;
  if (length.present) {
    framing = http::BodyFraming::kContentLength;
  } else {
    framing = end_stream ? http::BodyFraming::kNone : http::BodyFraming::kChunked;
  }
}

// The bytes of every name and value: what a copy of the block needs in its store.
size_t fieldBytes(const http::Headers& fields) {
  size_t bytes = 0;
  for (const HeaderView& f : fields) bytes += f.name.size() + f.value.size();
  return bytes;
}

// Turns a request block into the head's fields in place: pseudo-headers out, :authority as
// a Host put first (replacing any Host, equal to it), cookie crumbs joined into one field
// at the end (RFC 9113 §8.2.3).
void keepRequestFields(http::Headers& fields, const RequestPseudo& pseudo) {
  size_t cookies = 0;
  for (const HeaderView& f : fields) cookies += f.name == "cookie" ? 1 : 0;
  thread_local std::string joined;
  joined.clear();
  if (cookies > 1) {
    for (const HeaderView& f : fields) {
      if (f.name != "cookie") continue;
      if (!joined.empty()) joined.append("; ");
      joined.append(f.value);
    }
  }
  const bool drop_host = pseudo.has_authority;
  fields.removeIf([&](const HeaderView& f) {
    return f.name.front() == ':' || (drop_host && f.name == "host") ||
           (cookies > 1 && f.name == "cookie");
  });
  if (pseudo.has_authority) fields.prepend("host", pseudo.authority);
  if (cookies > 1) fields.add("cookie", joined);
}

std::string_view authorityConflict(const http::Headers& fields, const RequestPseudo& p) {
  if (!p.has_authority) return {};
  const std::string_view* host = fields.get("host");
  if (host != nullptr && !equalsIgnoreCase(*host, p.authority))
    return "host differs from :authority";
  return {};
}

}  // namespace

std::string_view requestFromFields(http::Headers fields, bool end_stream, http::RequestHead& out) {
  RequestPseudo pseudo;
  FieldScan scan;
  for (const HeaderView& f : fields) {
    const std::string_view error = scan.next(f);
    if (!error.empty()) return error;
    if (f.name.front() != ':') continue;
    if (const std::string_view e = takeRequestPseudo(f, pseudo); !e.empty()) return e;
  }
  if (const std::string_view e = checkRequestPseudo(pseudo); !e.empty()) return e;
  if (const std::string_view e = authorityConflict(fields, pseudo); !e.empty()) return e;
  if (end_stream && scan.length.present && scan.length.value != 0) return "content-length mismatch";

  out = http::RequestHead{};
  out.method.assign(pseudo.method);
  out.target.assign(pseudo.method == "CONNECT" ? pseudo.authority : pseudo.path);
  keepRequestFields(fields, pseudo);
  out.headers = std::move(fields);
  setBodyFraming(end_stream, scan.length, out.framing, out.content_length);
  const std::string_view* expect = out.headers.get("expect");
  out.expect_continue = expect != nullptr && equalsIgnoreCase(*expect, "100-continue");
  return {};
}

void requestToFields(const http::RequestHead& head, std::string_view scheme, FieldBlock& out) {
  out.add(":method", head.method);
  const std::string_view* host = head.headers.get("host");
  if (head.method == "CONNECT") {
    out.add(":authority", head.target);
  } else {
    out.add(":scheme", scheme);
    if (host != nullptr) out.add(":authority", *host);
    thread_local std::string path;
    path.clear();
    http::appendOriginForm(head.target, path);
    out.addCopy(":path", path);
  }
  appendRegularFields(head.headers, /*is_request=*/true, out);
  if (head.framing == http::BodyFraming::kContentLength) {
    out.addCopy("content-length", std::to_string(head.content_length));
  }
}

std::string_view responseFromFields(const http::Headers& fields, bool end_stream,
                                    http::ResponseHead& out) {
  std::string_view status;
  FieldScan scan;
  for (const HeaderView& f : fields) {
    const std::string_view error = scan.next(f);
    if (!error.empty()) return error;
    if (f.name.front() != ':') continue;
    if (f.name != ":status") return "unknown pseudo-header";
    if (!status.empty()) return "repeated pseudo-header";
    status = f.value;
  }
  int code = 0;
  const auto [end, ec] = std::from_chars(status.data(), status.data() + status.size(), code);
  if (status.size() != 3 || ec != std::errc() || end != status.data() + 3 || code < 100) {
    return "missing or invalid :status";
  }
  out = http::ResponseHead{};
  out.headers.reserve(fields.size(), fieldBytes(fields));
  out.status = code;
  for (const HeaderView& f : fields) {
    if (f.name.front() != ':') out.headers.add(f.name, f.value);
  }
  const bool bodiless = code < 200 || code == 204 || code == 304;
  setBodyFraming(end_stream || bodiless, scan.length, out.framing, out.content_length);
  // A body that ended with the head is an empty one, which HTTP/1 says with Content-Length.
  if (out.framing == http::BodyFraming::kNone && !bodiless) {
    out.framing = http::BodyFraming::kContentLength;
  }
  return {};
}

void responseToFields(const http::ResponseHead& head, FieldBlock& out) {
  out.addCopy(":status", std::to_string(head.status));
  appendRegularFields(head.headers, /*is_request=*/false, out);
  if (head.framing == http::BodyFraming::kContentLength) {
    out.addCopy("content-length", std::to_string(head.content_length));
  }
}

std::string_view trailersFromFields(const http::Headers& fields, http::Headers& out) {
  FieldScan scan;
  for (const HeaderView& f : fields) {
    const std::string_view error = scan.next(f);
    if (!error.empty()) return error;
    if (f.name.front() == ':') return "pseudo-header in trailers";
  }
  for (const HeaderView& f : fields) out.add(f.name, f.value);
  return {};
}

void trailersToFields(const http::Headers& trailers, http::Headers& out) {
  appendRegularFields(trailers, /*is_request=*/false, out, /*trailers=*/true);
}

}  // namespace outrigger::http2
