#pragma once
// "Did you mean ...?" hints for misspelled keys and names.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace outrigger::config {

// Edit distance counting insertions, deletions, substitutions and swaps of neighbours.
size_t editDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` (ignoring case), if it is close enough to be a typo:
// one edit for words under 6 characters, two for longer ones, or one being a prefix of the
// other ("warning" for "warn").
std::optional<std::string> closestMatch(std::string_view word,
                                        std::span<const std::string_view> candidates);

// " (did you mean 'x'?)" or "".
std::string didYouMean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace outrigger::config
