#include "proxy/config/literal_headers.h"

#include "proxy/config/route_schema.h"
#include "proxy/http/header_rules.h"

namespace outrigger::config {
namespace {

bool isLiteral(const HeaderValue& value) {
  return value.pieces.empty() ||
         (value.pieces.size() == 1 && value.pieces[0].variable == HeaderVariable::kNone);
}

std::string_view literalOf(const HeaderValue& value) {
  return value.pieces.empty() ? std::string_view() : std::string_view(value.pieces[0].literal);
}

}  // namespace

std::shared_ptr<const LiteralHeaderViews> makeLiteralHeaderViews(const HeaderRewrite& rewrite) {
  for (const auto* entries : {&rewrite.set, &rewrite.add}) {
    for (const HeaderEntry& entry : *entries) {
      if (!isLiteral(entry.value)) return nullptr;
    }
  }
  auto out = std::make_shared<LiteralHeaderViews>();
  // Every string first, then the views: the vector never moves a string after that.
  out->bytes_.reserve(2 * (rewrite.set.size() + rewrite.add.size()));
  for (const auto* entries : {&rewrite.set, &rewrite.add}) {
    for (const HeaderEntry& entry : *entries) {
      out->bytes_.emplace_back(entry.name);
      out->bytes_.emplace_back(literalOf(entry.value));
    }
  }
  size_t at = 0;
  const auto next = [&] {
    http::HeaderView view{out->bytes_[at], out->bytes_[at + 1]};
    at += 2;
    return view;
  };
  for (size_t i = 0; i < rewrite.set.size(); ++i) out->set.push_back(next());
  out->set.resize(http::foldRepeatedNames(out->set));  // a name set twice: the later value
  for (size_t i = 0; i < rewrite.add.size(); ++i) out->add.push_back(next());
  return out;
}

}  // namespace outrigger::config
