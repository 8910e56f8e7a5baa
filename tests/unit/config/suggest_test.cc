#include "proxy/config/suggest.h"

#include <gtest/gtest.h>

#include <array>

namespace outrigger::config {
namespace {

using std::string_view_literals::operator""sv;

TEST(ConfigSuggestTest, EditDistanceCountsSwapsAsOneEdit) {
  EXPECT_EQ(editDistance("", ""), 0u);
  EXPECT_EQ(editDistance("abc", "abc"), 0u);
  EXPECT_EQ(editDistance("endpoits", "endpoints"), 1u);
  EXPECT_EQ(editDistance("retyr", "retry"), 1u);
  EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(editDistance("", "abc"), 3u);
}

TEST(ConfigSuggestTest, SuggestsOnlyCloseMatches) {
  constexpr std::array keys = {"endpoints"sv, "pool"sv, "timeouts"sv, "load_balancing"sv};
  EXPECT_EQ(closestMatch("endpoits", keys), "endpoints");
  EXPECT_EQ(closestMatch("Endpoints", keys), "endpoints");
  EXPECT_EQ(closestMatch("loadBalancing", keys), "load_balancing");
  EXPECT_EQ(closestMatch("pol", keys), "pool");
  EXPECT_EQ(closestMatch("timeout", keys), "timeouts");
  EXPECT_EQ(closestMatch("plo", keys), std::nullopt);  // two edits is too many for a short word
  EXPECT_EQ(closestMatch("tls", keys), std::nullopt);
  EXPECT_EQ(didYouMean("tmeouts", keys), " (did you mean 'timeouts'?)");
  EXPECT_EQ(didYouMean("banana", keys), "");
}

}  // namespace
}  // namespace outrigger::config
