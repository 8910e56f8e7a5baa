// Reads where a route sends its requests: `upstream:` or a weighted `split:` (issue 20).

#include <algorithm>
#include <string>

#include "proxy/config/fields.h"
#include "proxy/config/keys.h"
#include "proxy/config/route_readers.h"
#include "proxy/config/suggest.h"

namespace outrigger::config {
namespace {

// A weight is a share, not a rate: a million is finer than any canary needs, and the sum of
// a route's weights stays far from overflowing.
constexpr int64_t kMaxWeight = 1000000;

void readSplitTarget(const ConfigNode& item, const std::vector<std::string>& names,
                     RouteConfig& out, Diagnostics& diag) {
  SplitTarget target;
  if (!checkMap(item, keysAt("listeners[].routes[].split[]"), diag)) return;
  if (const ConfigNode* n = requireKey(item, "upstream", diag)) {
    if (std::optional<std::string> name = readString(*n, diag)) {
      target.upstream = *name;
      checkUpstreamName(*n, *name, names, diag);
      for (const SplitTarget& earlier : out.split) {
        if (earlier.upstream == *name)
          diag.error(*n, "upstream '" + *name + "' is already in this split; give it one " +
                             "item with the sum of its weights");
      }
    }
  }
  if (const ConfigNode* n = requireKey(item, "weight", diag)) {
    if (auto w = readInteger(*n, diag, 0, kMaxWeight)) target.weight = static_cast<uint32_t>(*w);
  }
  out.split.push_back(std::move(target));
}

void readSplit(const ConfigNode& node, const std::vector<std::string>& names, RouteConfig& out,
               Diagnostics& diag) {
  if (!checkList(node, diag)) return;
  if (node.children.empty()) {
    diag.error(node, "a split needs at least one item { upstream: NAME, weight: N }");
    return;
  }
  const size_t errors = diag.errorCount();
  for (const ConfigNode& item : node.children) readSplitTarget(item, names, out, diag);
  if (diag.errorCount() != errors) return;  // a missing weight is not a zero sum
  uint64_t sum = 0;
  for (const SplitTarget& t : out.split) sum += t.weight;
  if (sum == 0) {
    // The path names the route's position; a named route is named too.
    const std::string route = out.name.empty() ? "" : " of route " + out.name;
    diag.error(node, "the weights" + route + " add up to 0; at least one must be above 0");
  }
}

}  // namespace

// Reports `name` at `node` when no upstream has it; true when it is known.
bool checkUpstreamName(const ConfigNode& node, const std::string& name,
                       const std::vector<std::string>& names, Diagnostics& diag) {
  if (std::find(names.begin(), names.end(), name) != names.end()) return true;
  if (names.empty()) {
    diag.error(node, "unknown upstream '" + name + "' (no upstreams are defined)");
    return false;
  }
  const std::vector<std::string_view> candidates(names.begin(), names.end());
  std::string hint = didYouMean(name, candidates);
  if (hint.empty() && names.size() <= 8) {
    hint = " (defined upstreams: ";
    for (size_t i = 0; i < names.size(); ++i) hint += (i ? ", " : "") + names[i];
    hint += ")";
  }
  diag.error(node, "unknown upstream '" + name + "'" + hint);
  return false;
}


void readRouteUpstreams(const ConfigNode& route, const std::vector<std::string>& names,
                        RouteConfig& out, Diagnostics& diag) {
  const ConfigNode* upstream = route.find("upstream");
  const ConfigNode* split = route.find("split");
  if (out.direct_response) {
    for (const ConfigNode* n : {upstream, split}) {
      if (n != nullptr)
        diag.error(*n, "a route with direct_response sends nothing upstream; remove one of them");
    }
    return;
  }
  if (upstream != nullptr && split != nullptr) {
    diag.errorAtKey(*split, route.path,
                    "a route has either upstream or split, not both: split already names the "
                    "upstreams");
    return;
  }
  if (split != nullptr) {
    readSplit(*split, names, out, diag);
    return;
  }
  if (upstream == nullptr) {
    requireKey(route, "upstream", diag);
    return;
  }
  if (std::optional<std::string> name = readString(*upstream, diag)) {
    out.upstream = *name;
    checkUpstreamName(*upstream, *name, names, diag);
  }
}

}  // namespace outrigger::config
