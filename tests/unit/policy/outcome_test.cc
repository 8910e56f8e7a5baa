// The classification every policy reads: which outcomes count against an upstream, which
// tell nothing about its health, and the metric label of each.
#include "proxy/policy/outcome.h"

#include <gtest/gtest.h>

namespace outrigger::policy {
namespace {

TEST(OutcomeTest, ARefusedStreamIsNeitherAFailureNorASuccess) {
  EXPECT_FALSE(isUpstreamFailure(AttemptOutcome::kRefused));
  EXPECT_TRUE(isAbandoned(AttemptOutcome::kRefused));  // the breaker and outlier skip it
  EXPECT_EQ(outcomeName(AttemptOutcome::kRefused), "refused");
}

TEST(OutcomeTest, AResetIsStillAFailure) {
  EXPECT_TRUE(isUpstreamFailure(AttemptOutcome::kReset));
  EXPECT_FALSE(isAbandoned(AttemptOutcome::kReset));
}

TEST(OutcomeTest, EveryOutcomeHasADistinctName) {
  for (size_t i = 0; i < kAttemptOutcomeCount; ++i) {
    for (size_t j = i + 1; j < kAttemptOutcomeCount; ++j) {
      EXPECT_NE(outcomeName(static_cast<AttemptOutcome>(i)),
                outcomeName(static_cast<AttemptOutcome>(j)));
    }
  }
}

}  // namespace
}  // namespace outrigger::policy
