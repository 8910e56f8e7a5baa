#pragma once
// How headers change on the way through the proxy (RFC 9110 §7.6.1 hop-by-hop rules,
// X-Forwarded-*, Host rewriting, request ids). Pure functions over the message model.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/common/random.h"
#include "proxy/http/message.h"

namespace outrigger::http {

// The fixed hop-by-hop set (RFC 9110 §7.6.1) plus the framing headers: Connection,
// Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade, Transfer-Encoding, Content-Length.
bool isHopByHopName(std::string_view name);
// The header names the Connection headers list (they may repeat across headers), as views
// into `headers`. `tokens` is cleared first.
void connectionTokens(const Headers& headers, std::vector<std::string_view>& tokens);

// Folds `views` so that no two name the same header (case-insensitively): a later one's value
// goes to the earlier one, which keeps its place, as a second Headers::set would. Returns how
// many are left, at the front.
size_t foldRepeatedNames(std::span<HeaderView> views);
// RFC 9112 §3.2.1: a request to an origin server carries origin-form. An absolute-form
// target (the app used us as a forward proxy) is appended as its path and query, so the
// upstream cannot read an authority of its own out of it; any other target as it is.
void appendOriginForm(std::string_view target, std::string& out);

// Removes Connection and every header it lists, Keep-Alive, Proxy-Connection, TE,
// Trailer, Upgrade, Transfer-Encoding and Content-Length (framing is re-written by the
// serializer from head.framing).
void removeHopByHop(Headers& headers);
// Drops the fields a trailer section must not carry (RFC 9110 §6.5.1): hop-by-hop ones, and
// those about framing, routing or the request's authority (Content-Length, Host, Trailer...).
void removeFieldsNotAllowedInTrailers(Headers& trailers);

// What the proxy knows about one forwarded request that the app's head does not say
// (appendUpstreamRequestHead writes it into the upstream request).
// A route's changes to the request (issue 20), applied while the upstream head is written,
// so the app's head is never copied and stays as it was for another attempt. The headers
// the upstream gets are the app's with Headers' remove, then set, then add applied: a
// `remove`d name left out, each `set` header in place of the app's first one of that name
// (its others left out; the app's name kept) or after the app's headers, then the `add`
// headers; the forwarding rules then apply to that list. Names compare case-insensitively;
// `set` names are distinct. None names Host, a hop-by-hop or a framing header (the config
// refuses them), so those are the app's own.
struct RequestEdits {
  // A prefix rewrite: the target sent is target_start (starting with '/') then target_rest,
  // together in origin form already. target_start "" = the app's target.
  std::string_view target_start;
  std::string_view target_rest;
  std::span<const std::string> remove;  // lower-case names
  std::span<const HeaderView> set;
  std::span<const HeaderView> add;
};

struct ForwardContext {
  std::string_view client_address;      // the app's IP, for X-Forwarded-For
  std::string_view proto = "http";      // X-Forwarded-Proto
  std::string_view upstream_authority;  // "host:port" of the chosen endpoint
  bool preserve_host = false;           // keep the app's Host instead
  std::string_view request_id;          // X-Request-ID to send
  const RequestEdits* edits = nullptr;  // the route's changes, or null for none
};

// Turns the upstream's response head into the one sent to the app: hop-by-hop removed,
// X-Request-ID echoed.
void prepareDownstreamResponse(ResponseHead& head, std::string_view request_id);

// The app's X-Request-ID if present and sane (1-200 visible ASCII chars), else a new
// random one (32 hex chars).
std::string requestIdFor(const RequestHead& head, Random& random);
// The same, assigned to `id` (which keeps its capacity from one request to the next).
void assignRequestId(const RequestHead& head, Random& random, std::string& id);

// The Host header without the port, lower-cased; "" if absent.
std::string hostWithoutPort(const RequestHead& head);
// The same into `out`, whose capacity is reused.
void assignHostWithoutPort(const RequestHead& head, std::string& out);
// The host of a CONNECT's authority-form target ("api.stripe.com:443" -> "api.stripe.com",
// "[::1]:443" -> "[::1]"), as sent (routing compares hosts case-insensitively); "" when the
// target is not host:port.
std::string_view connectAuthorityHost(std::string_view target);

}  // namespace outrigger::http
