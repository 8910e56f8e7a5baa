#include "proxy/http/upstream_request.h"

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/serializer.h"
#include "proxy/http/upgrade.h"

namespace outrigger::http {
namespace {

// Headers the proxy sets (Headers::set semantics): the first of the app's takes the new
// value in its place, the rest are left out, and with none the header follows the app's.
enum Replaced : int { kProto, kForwardedHost, kHost, kRequestId, kReplacedCount, kKept };

constexpr std::array<std::string_view, kReplacedCount> kReplacedNames = {
    "X-Forwarded-Proto", "X-Forwarded-Host", "Host", "X-Request-ID"};

// Which replaced header `name` is, if any: by length first, as their lengths differ.
Replaced replacedKind(std::string_view name) {
  for (int kind = 0; kind < kReplacedCount; ++kind) {
    const std::string_view known = kReplacedNames[kind];
    if (name.size() == known.size() && equalsIgnoreCase(name, known))
      return static_cast<Replaced>(kind);
  }
  return kKept;
}

bool isForwardedFor(std::string_view name) {
  return name.size() == 15 && equalsIgnoreCase(name, "X-Forwarded-For");
}

// Left out of the upstream request: hop-by-hop, named by Connection, or Expect (we answer
// 100-continue ourselves; the upstream gets the body without waiting).
bool leftOut(std::string_view name, const std::vector<std::string_view>& tokens) {
  if (isHopByHopName(name)) return true;
  if (name.size() == 6 && equalsIgnoreCase(name, "Expect")) return true;
  for (std::string_view token : tokens) {
    if (equalsIgnoreCase(name, token)) return true;
  }
  return false;
}

bool namedIn(std::span<const std::string> names, std::string_view name) {
  for (const std::string& known : names) {
    if (known.size() == name.size() && equalsIgnoreCase(known, name)) return true;
  }
  return false;
}

// The headers that go upstream before the forwarding rules apply: the app's, or the app's
// with the route's edits (RequestEdits says how), as views into the app's head and the edits:
// no byte is copied, and the list's capacity is reused from one request to the next.
const std::vector<HeaderView>& editedHeaders(const Headers& headers, const RequestEdits* edits) {
  if (edits == nullptr) return headers.list();
  struct Scratch {
    std::vector<HeaderView> list;
    std::vector<char> placed;  // per set header: written in place of one of the app's
  };
  thread_local Scratch scratch;
  std::vector<HeaderView>& list = scratch.list;
  std::vector<char>& placed = scratch.placed;
  const std::span<const HeaderView> set = edits->set;
  list.clear();
  if (placed.size() < set.size()) placed.resize(set.size());
  std::fill_n(placed.begin(), set.size(), 0);
  for (const HeaderView& h : headers.list()) {
    if (!edits->remove.empty() && namedIn(edits->remove, h.name)) continue;
    size_t s = 0;
    while (s < set.size() &&
           !(set[s].name.size() == h.name.size() && equalsIgnoreCase(set[s].name, h.name)))
      ++s;
    if (s == set.size()) {
      list.push_back(h);
    } else if (placed[s] == 0) {
      placed[s] = 1;
      list.push_back(HeaderView{h.name, set[s].value});
    }
  }
  for (size_t s = 0; s < set.size(); ++s) {
    if (placed[s] == 0) list.push_back(set[s]);
  }
  list.insert(list.end(), edits->add.begin(), edits->add.end());
  return list;
}

bool rewritesTarget(const ForwardContext& ctx) {
  return ctx.edits != nullptr && !ctx.edits->target_start.empty();
}

// The origin-form target that goes upstream: the route's rewrite, or the app's.
void appendTarget(const RequestHead& head, const ForwardContext& ctx, std::string& out) {
  if (rewritesTarget(ctx)) {
    out.append(ctx.edits->target_start).append(ctx.edits->target_rest);
    return;
  }
  appendOriginForm(head.target, out);
}

// The forwarded request's fields, in order, each as emit(name, value, suffix) where the
// value goes on with `suffix` (the X-Forwarded-For hop). `reserve(bytes)` is told first how
// much they take at most. One walk for both wire forms (HTTP/1.1 text, HTTP/2 fields).
template <typename Reserve, typename Emit>
void forEachForwardedField(const RequestHead& head, const ForwardContext& ctx, Reserve reserve,
                           Emit emit) {
  const std::vector<HeaderView>& list = editedHeaders(head.headers, ctx.edits);
  // The edits never name Connection or Host (RequestEdits), so the app's own say them.
  thread_local std::vector<std::string_view> tokens;  // views into head, cleared per call
  connectionTokens(head.headers, tokens);

  const std::string_view* host = head.headers.get("Host");
  const bool had_host = host != nullptr;
  const bool rewrite_host = (!ctx.preserve_host || !had_host) && !ctx.upstream_authority.empty();
  // The value each replaced header takes, or null when the app's pass through untouched.
  std::array<const std::string_view*, kReplacedCount> values{};
  const std::string_view original_host = had_host ? std::string_view(*host) : std::string_view();
  values[kProto] = &ctx.proto;
  if (had_host) values[kForwardedHost] = &original_host;
  if (rewrite_host) values[kHost] = &ctx.upstream_authority;
  if (!ctx.request_id.empty()) values[kRequestId] = &ctx.request_id;

  // Several X-Forwarded-For headers form one list in order, so the last one is extended.
  size_t last_forwarded_for = list.size();
  size_t bytes = head.method.size() + head.target.size() + 64;
  if (rewritesTarget(ctx))
    bytes += ctx.edits->target_start.size() + ctx.edits->target_rest.size();
  for (size_t i = 0; i < list.size(); ++i) {
    const HeaderView& h = list[i];
    bytes += h.name.size() + h.value.size() + 4;
    if (isForwardedFor(h.name) && !leftOut(h.name, tokens)) last_forwarded_for = i;
  }
  for (int kind = 0; kind < kReplacedCount; ++kind) {
    if (values[kind] != nullptr) bytes += kReplacedNames[kind].size() + values[kind]->size() + 4;
  }
  reserve(bytes + ctx.client_address.size() + 32);

  std::array<bool, kReplacedCount> written{};
  for (size_t i = 0; i < list.size(); ++i) {
    const HeaderView& h = list[i];
    if (leftOut(h.name, tokens)) continue;
    const Replaced kind = replacedKind(h.name);
    if (kind != kKept && values[kind] != nullptr) {
      if (!written[kind]) emit(h.name, *values[kind], std::string_view());
      written[kind] = true;
      continue;
    }
    if (i == last_forwarded_for && !ctx.client_address.empty()) {
      emit(h.name, h.value, ctx.client_address);
      continue;
    }
    emit(h.name, h.value, std::string_view());
  }
  if (last_forwarded_for == list.size() && !ctx.client_address.empty())
    emit("X-Forwarded-For", ctx.client_address, std::string_view());
  for (int kind = 0; kind < kReplacedCount; ++kind) {
    if (values[kind] != nullptr && !written[kind])
      emit(kReplacedNames[kind], *values[kind], std::string_view());
  }
}

}  // namespace

void appendUpstreamRequestHead(const RequestHead& head, const ForwardContext& ctx,
                               std::string& out) {
  auto reserve = [&](size_t bytes) {  // called first: the request line goes first
    out.reserve(out.size() + bytes);
    out.append(head.method).push_back(' ');
    appendTarget(head, ctx, out);
    out.append(" HTTP/1.1\r\n");
  };
  auto emit = [&](std::string_view name, std::string_view value, std::string_view hop) {
    appendField(name, value, out);
    if (hop.empty()) return;
    out.resize(out.size() - 2);  // the line goes on with this hop
    out.append(", ").append(hop).append("\r\n");
  };
  forEachForwardedField(head, ctx, reserve, emit);
  appendRequestFraming(head, out);
  appendUpgradeFields(head, out);
  out.append("\r\n");
}

void makeUpstreamRequestHead(const RequestHead& head, const ForwardContext& ctx,
                             RequestHead& out) {
  out.method = head.method;
  out.target.clear();
  appendTarget(head, ctx, out.target);
  out.version_minor = 1;
  out.framing = head.framing;
  out.content_length = head.content_length;
  out.keep_alive = true;
  out.expect_continue = false;
  out.headers.clear();
  std::string joined;
  auto emit = [&](std::string_view name, std::string_view value, std::string_view hop) {
    if (hop.empty()) {
      out.headers.add(name, value);
      return;
    }
    joined.assign(value).append(", ").append(hop);
    out.headers.add(name, joined);
  };
  forEachForwardedField(head, ctx, [](size_t) {}, emit);
  // "TE: trailers" is hop-by-hop, but says the same on the next hop: gRPC servers require
  // it (RFC 9113 §8.2.2 keeps it as the one TE value HTTP/2 carries).
  for (const HeaderView& h : head.headers.list()) {
    if (h.name.size() == 2 && equalsIgnoreCase(h.name, "TE") &&
        h.value.find("trailers") != std::string_view::npos) {
      out.headers.add("te", "trailers");
      break;
    }
  }
}

}  // namespace outrigger::http
