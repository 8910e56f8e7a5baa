// UpstreamPolicies with rate_limit.scope: global: the request path spends the lease, and
// shadow mode counts what the global limit would reject without rejecting it.

#include <gtest/gtest.h>

#include "proxy/metrics/metrics.h"
#include "proxy/metrics/policy_metrics.h"
#include "proxy/upstream/upstream_policies.h"

namespace outrigger::upstream {
namespace {

class GlobalRateLimitPoliciesTest : public ::testing::Test {
 protected:
  std::unique_ptr<UpstreamPolicies> make(bool shadow) {
    config::PolicyConfig p;
    p.rate_limit = config::RateLimitConfig{100, 10, config::RateLimitScope::kGlobal,
                                           config::StoreErrorMode::kDeny};
    p.shadow.rate_limit = shadow;
    return std::make_unique<UpstreamPolicies>("u", p, 1, now_, handles_);
  }
  double shadowRejections() const {
    return handles_.shadow_rejections[static_cast<size_t>(metrics::ShadowPolicy::kRateLimit)]
        ->Value();
  }

  metrics::Metrics metrics_;
  metrics::PolicyMetrics policy_metrics_{metrics_.registry()};
  metrics::UpstreamPolicyMetrics& handles_ = policy_metrics_.upstream("u", {"127.0.0.1:1"});
  MonoTime now_ = seconds(1000);
};

TEST_F(GlobalRateLimitPoliciesTest, SpendsTheLeaseThenRejectsWithRetryAfter) {
  auto policies = make(false);
  policy::GlobalRateLease* lease = policies->globalRateLease();
  ASSERT_NE(lease, nullptr);
  ASSERT_TRUE(lease->leaseToRequest(now_));
  lease->onLeaseGranted(2, 1, now_);
  EXPECT_TRUE(policies->takeRateToken(now_).allowed);
  EXPECT_TRUE(policies->takeRateToken(now_).allowed);
  const UpstreamPolicies::RateDecision d = policies->takeRateToken(now_);
  EXPECT_FALSE(d.allowed);
  EXPECT_GT(d.retry_after, Duration::zero());
}

TEST_F(GlobalRateLimitPoliciesTest, ShadowModeCountsButAdmits) {
  auto policies = make(true);
  policy::GlobalRateLease* lease = policies->globalRateLease();
  ASSERT_TRUE(lease->leaseToRequest(now_));
  lease->onStoreError(now_);  // deny while Redis is down
  const double before = shadowRejections();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(policies->takeRateToken(now_).allowed);
  EXPECT_EQ(shadowRejections() - before, 5);
}

TEST_F(GlobalRateLimitPoliciesTest, LocalScopeHasNoLease) {
  config::PolicyConfig p;
  p.rate_limit = config::RateLimitConfig{100, 10};
  UpstreamPolicies policies("u", p, 1, now_, handles_);
  EXPECT_EQ(policies.globalRateLease(), nullptr);
}

}  // namespace
}  // namespace outrigger::upstream
