#include "proxy/config/suggest.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace outrigger::config {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

size_t editDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance over three rolling rows.
  std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> closestMatch(std::string_view word,
                                        std::span<const std::string_view> candidates) {
  const std::string w = lower(word);
  const size_t max_distance = w.size() < 6 ? 1 : 2;
  std::optional<std::string> best;
  size_t best_distance = max_distance + 1;
  for (std::string_view candidate : candidates) {
    const std::string c = lower(candidate);
    // "warning" for "warn", "listener" for "listeners": a longer or shorter form of a name.
    const bool prefix = std::min(c.size(), w.size()) >= 4 && (c.starts_with(w) || w.starts_with(c));
    const size_t d =
        prefix ? std::min<size_t>(editDistance(w, c), max_distance) : editDistance(w, c);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(candidate);
    }
  }
  return best;
}

std::string didYouMean(std::string_view word, std::span<const std::string_view> candidates) {
  const std::optional<std::string> match = closestMatch(word, candidates);
  return match ? " (did you mean '" + *match + "'?)" : "";
}

}  // namespace outrigger::config
