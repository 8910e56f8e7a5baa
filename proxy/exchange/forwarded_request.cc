#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "proxy/exchange/upstream_attempt.h"
#include "proxy/http/header_rules.h"

namespace outrigger::exchange {
namespace {

// The route's header entries as views for the head writer: a value of one piece is a view
// into the config or the variables, a longer one is expanded into a scratch string of its
// own. The views and the scratch strings keep their capacity from one request to the next,
// so this allocates nothing once warm.
class EntryViews {
 public:
  // `distinct`: a later entry naming a header already named (in another case) replaces the
  // earlier one's value, as a second Headers::set would, so the names stay distinct.
  std::span<const http::HeaderView> of(const std::vector<config::HeaderEntry>& entries,
                                       const RewriteVariables& vars, bool distinct) {
    size_t n = entries.size();
    if (views_.size() < n) {
      views_.resize(n);
      scratch_.resize(n);
    }
    for (size_t i = 0; i < n; ++i)
      views_[i] = {entries[i].name, headerValue(entries[i].value, vars, scratch_[i])};
    if (distinct && n > 1) n = http::foldRepeatedNames({views_.data(), n});
    return {views_.data(), n};
  }

 private:
  std::vector<http::HeaderView> views_;
  std::vector<std::string> scratch_;  // by entry
};

}  // namespace

ForwardedRequest forwardedRequest(const AttemptRequest& request,
                                  std::string_view endpoint_authority) {
  ForwardedRequest out;
  out.head = request.head;  // as it is: it stays intact for another attempt
  out.forward.client_address = request.client_ip;
  out.forward.upstream_authority = endpoint_authority;
  out.forward.preserve_host = request.preserve_host;
  out.forward.request_id = request.request_id;
  if (request.rewrite == nullptr) return out;
  const config::RouteRewrite& rewrite = *request.rewrite;
  // The route's changes, which the head writer applies as it writes: per thread, their
  // capacity reused from one request to the next.
  struct Scratch {
    http::RequestEdits edits;
    std::string absolute, target;  // an absolute-form target rewritten, then its origin form
    EntryViews set, add;
  };
  thread_local Scratch scratch;
  http::RequestEdits& edits = scratch.edits;
  edits.target_start = edits.target_rest = {};
  if (rewrite.prefix_rewrite) {
    const http::RequestHead& head = *request.head;
    const std::string_view path = request.path.empty() ? head.path() : request.path;
    const std::string_view replacement = *rewrite.prefix_rewrite;
    const std::optional<std::string_view> rest =
        rewrittenTargetRest(head.target, path, rewrite.replaced_path, replacement);
    if (rest && head.target.starts_with('/')) {  // origin-form: no copy
      edits.target_start = replacement;
      edits.target_rest = *rest;
    } else if (rest) {  // absolute-form (rare): the origin form of the rewritten target
      rewriteTargetInto(head.target, path, rewrite.replaced_path, replacement, scratch.absolute);
      scratch.target.clear();
      http::appendOriginForm(scratch.absolute, scratch.target);
      edits.target_start = scratch.target;
    }
  }
  edits.remove = rewrite.request.remove;
  if (const config::LiteralHeaderViews* literal = rewrite.request_literals.views.get()) {
    edits.set = literal->set;  // made at load: no variable to fill in
    edits.add = literal->add;
  } else {
    edits.set = scratch.set.of(rewrite.request.set, request.variables, true);
    edits.add = scratch.add.of(rewrite.request.add, request.variables, false);
  }
  out.forward.edits = &edits;
  if (!rewrite.host_rewrite.empty()) {
    out.forward.upstream_authority = rewrite.host_rewrite;
    out.forward.preserve_host = false;
  }
  return out;
}

}  // namespace outrigger::exchange
