#include "proxy/policy/health_state.h"

#include <gtest/gtest.h>

namespace outrigger::policy {
namespace {

constexpr HealthCheckThresholds kThresholds{.healthy_threshold = 2, .unhealthy_threshold = 3};

TEST(HealthStateTest, EndpointsStartHealthy) {
  HealthState health(kThresholds, 3);
  EXPECT_TRUE(health.healthy(0));
  EXPECT_TRUE(health.healthy(2));
  EXPECT_EQ(health.healthyCount(), 3u);
  EXPECT_FALSE(health.panic());
}

TEST(HealthStateTest, TurnsUnhealthyAfterUnhealthyThresholdFailures) {
  HealthState health(kThresholds, 2);
  EXPECT_FALSE(health.onProbeResult(0, false));
  EXPECT_TRUE(health.healthy(0));
  EXPECT_FALSE(health.onProbeResult(0, false));
  EXPECT_TRUE(health.healthy(0));
  EXPECT_TRUE(health.onProbeResult(0, false));  // the flip is reported
  EXPECT_FALSE(health.healthy(0));
  EXPECT_EQ(health.healthyCount(), 1u);
  EXPECT_FALSE(health.onProbeResult(0, false));  // already unhealthy: no flip
  EXPECT_FALSE(health.healthy(0));
  EXPECT_TRUE(health.healthy(1));
}

TEST(HealthStateTest, ASuccessBreaksARunOfFailures) {
  HealthState health(kThresholds, 1);
  EXPECT_FALSE(health.onProbeResult(0, false));
  EXPECT_FALSE(health.onProbeResult(0, false));
  EXPECT_FALSE(health.onProbeResult(0, true));
  EXPECT_FALSE(health.onProbeResult(0, false));
  EXPECT_FALSE(health.onProbeResult(0, false));
  EXPECT_TRUE(health.healthy(0));
  EXPECT_TRUE(health.onProbeResult(0, false));
  EXPECT_FALSE(health.healthy(0));
}

TEST(HealthStateTest, TurnsHealthyAgainAfterHealthyThresholdSuccesses) {
  HealthState health(kThresholds, 2);
  for (int i = 0; i < 3; ++i) health.onProbeResult(0, false);
  ASSERT_FALSE(health.healthy(0));
  EXPECT_FALSE(health.onProbeResult(0, true));
  EXPECT_FALSE(health.healthy(0));
  EXPECT_FALSE(health.onProbeResult(0, false));  // breaks the run of successes
  EXPECT_FALSE(health.onProbeResult(0, true));
  EXPECT_FALSE(health.healthy(0));
  EXPECT_TRUE(health.onProbeResult(0, true));
  EXPECT_TRUE(health.healthy(0));
  EXPECT_EQ(health.healthyCount(), 2u);
  EXPECT_FALSE(health.onProbeResult(0, true));  // already healthy: no flip
}

TEST(HealthStateTest, ThresholdsOfOneFlipOnEveryDisagreeingResult) {
  HealthState health({.healthy_threshold = 1, .unhealthy_threshold = 1}, 1);
  EXPECT_TRUE(health.onProbeResult(0, false));
  EXPECT_FALSE(health.healthy(0));
  EXPECT_TRUE(health.onProbeResult(0, true));
  EXPECT_TRUE(health.healthy(0));
}

TEST(HealthStateTest, PanicsOnlyWhenNoEndpointIsHealthy) {
  HealthState health(kThresholds, 2);
  for (int i = 0; i < 3; ++i) health.onProbeResult(0, false);
  EXPECT_EQ(health.healthyCount(), 1u);
  EXPECT_FALSE(health.panic());
  for (int i = 0; i < 3; ++i) health.onProbeResult(1, false);
  EXPECT_EQ(health.healthyCount(), 0u);
  EXPECT_TRUE(health.panic());
  health.onProbeResult(1, true);
  EXPECT_TRUE(health.panic());
  health.onProbeResult(1, true);
  EXPECT_FALSE(health.panic());
  EXPECT_EQ(health.healthyCount(), 1u);
}

TEST(HealthStateTest, NoEndpointsIsNotPanic) {
  HealthState health(kThresholds, 0);
  EXPECT_EQ(health.healthyCount(), 0u);
  EXPECT_FALSE(health.panic());
}

TEST(HealthCheckThresholdsTest, DefaultsAreValid) {
  EXPECT_EQ(healthCheckThresholdsError(HealthCheckThresholds{}), "");
}

TEST(HealthCheckThresholdsTest, RejectsZeroThresholds) {
  EXPECT_EQ(healthCheckThresholdsError({.healthy_threshold = 0, .unhealthy_threshold = 3}),
            "healthy_threshold must be at least 1");
  EXPECT_EQ(healthCheckThresholdsError({.healthy_threshold = 2, .unhealthy_threshold = 0}),
            "unhealthy_threshold must be at least 1");
}

TEST(HealthStateDeathTest, AbortsOnInvalidThresholds) {
  EXPECT_DEATH(HealthState({.healthy_threshold = 0, .unhealthy_threshold = 3}, 1),
               "healthy_threshold must be at least 1");
}

TEST(HealthStateDeathTest, AbortsOnAnEndpointOutOfRange) {
  HealthState health(kThresholds, 1);
  EXPECT_DEATH(health.onProbeResult(1, true), "endpoint 1 out of range");
}

}  // namespace
}  // namespace outrigger::policy
