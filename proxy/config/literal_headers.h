#pragma once
// A route's request `set` and `add` entries as ready header views, made once at load when no
// value holds a variable, so the request path hands them to the head writer as they are
// instead of building the views for every request (issue 20's rewrite bench).

#include <memory>
#include <string>
#include <vector>

#include "proxy/http/message.h"

namespace outrigger::config {

struct HeaderRewrite;

struct LiteralHeaderViews {
  std::vector<http::HeaderView> set;  // names distinct: a later entry's value wins
  std::vector<http::HeaderView> add;

 private:
  friend std::shared_ptr<const LiteralHeaderViews> makeLiteralHeaderViews(const HeaderRewrite&);
  std::vector<std::string> bytes_;  // the names and values the views point into
};

// The views of `rewrite`'s set and add entries, or null when a value holds a variable (those
// are filled in per request). They own their bytes, so they stay valid however the config
// that made them is copied or moved.
std::shared_ptr<const LiteralHeaderViews> makeLiteralHeaderViews(const HeaderRewrite& rewrite);

// Derived data that rides along with the config it was made from: it takes no part in the
// comparisons that tell a reload what changed.
struct DerivedLiteralHeaders {
  std::shared_ptr<const LiteralHeaderViews> views;
  friend bool operator==(const DerivedLiteralHeaders&, const DerivedLiteralHeaders&) {
    return true;
  }
};

}  // namespace outrigger::config
