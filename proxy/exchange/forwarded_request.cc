#include <cstddef>
#include <string>
#include <vector>

#include "proxy/exchange/upstream_attempt.h"

namespace outrigger::exchange {
namespace {

// The route's header entries as views for the head writer. A value with no variable is a
// view into the config; the others are expanded into `values`. Both `values` and `out` keep
// their capacity from one request to the next, so this allocates nothing once warm.
class EntryViews {
 public:
  // `distinct`: a later entry naming a header already named (in another case) replaces the
  // earlier one's value, as a second Headers::set would, so the names stay distinct.
  const std::vector<http::HeaderView>& of(const std::vector<config::HeaderEntry>& entries,
                                          const RewriteVariables& vars, bool distinct) {
    views_.clear();
    ends_.clear();
    values_.clear();
    for (const config::HeaderEntry& entry : entries) {
      const std::vector<config::ValuePiece>& pieces = entry.value.pieces;
      std::string_view literal;
      const bool plain = pieces.empty() || (pieces.size() == 1 &&
                                            pieces[0].variable == config::HeaderVariable::kNone);
      if (plain && !pieces.empty()) literal = pieces[0].literal;
      if (!plain) expandHeaderValue(entry.value, vars, values_);
      ends_.push_back(plain ? kLiteral : values_.size());
      views_.push_back({entry.name, literal});
    }
    size_t begin = 0;  // views into values_ once it no longer grows
    for (size_t i = 0; i < views_.size(); ++i) {
      if (ends_[i] == kLiteral) continue;
      views_[i].value = std::string_view(values_).substr(begin, ends_[i] - begin);
      begin = ends_[i];
    }
    if (distinct) keepDistinct();
    return views_;
  }

 private:
  static constexpr size_t kLiteral = std::string::npos;

  void keepDistinct() {
    for (size_t i = 1; i < views_.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (views_[j].name.size() != views_[i].name.size() ||
            !http::equalsIgnoreCase(views_[j].name, views_[i].name))
          continue;
        views_[j].value = views_[i].value;
        views_.erase(views_.begin() + static_cast<std::ptrdiff_t>(i));
        --i;
        break;
      }
    }
  }

  std::vector<http::HeaderView> views_;
  std::vector<size_t> ends_;
  std::string values_;
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
  thread_local http::RequestEdits edits;
  thread_local std::string target;
  thread_local EntryViews set, add;
  edits.target = {};
  if (rewrite.prefix_rewrite) {
    rewriteTargetInto(request.head->target, request.head->path(), rewrite.replaced_path,
                      *rewrite.prefix_rewrite, target);
    edits.target = target;
  }
  edits.remove = rewrite.request.remove;
  edits.set = set.of(rewrite.request.set, request.variables, true);
  edits.add = add.of(rewrite.request.add, request.variables, false);
  out.forward.edits = &edits;
  if (!rewrite.host_rewrite.empty()) {
    out.forward.upstream_authority = rewrite.host_rewrite;
    out.forward.preserve_host = false;
  }
  return out;
}

}  // namespace outrigger::exchange
