#include "proxy/policy/outlier_detector.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace outrigger::policy {
namespace {

// Steps a manual clock and records every change as "eject 0 for 30s" / "return 0".
class OutlierDetectorTest : public ::testing::Test {
 protected:
  void build(size_t endpoints, OutlierConfig config = defaultConfig()) {
    detector_ = std::make_unique<OutlierDetector>(
        config, endpoints, [this](size_t endpoint, bool ejected, Duration for_how_long) {
          changes_.push_back(ejected ? "eject " + std::to_string(endpoint) + " for " +
                                           std::to_string(toMillis(for_how_long) / 1000) + "s"
                                     : "return " + std::to_string(endpoint));
        });
  }
  static OutlierConfig defaultConfig() {
    OutlierConfig config;
    config.consecutive_failures = 3;
    config.base_ejection = seconds(30);
    config.max_ejection = seconds(100);
    config.max_ejected_percent = 0.5;
    return config;
  }
  void fail(size_t endpoint, int times) {
    for (int i = 0; i < times; ++i) detector_->onFailure(endpoint, clock_.now());
  }
  void succeed(size_t endpoint, int times) {
    for (int i = 0; i < times; ++i) detector_->onSuccess(endpoint, clock_.now());
  }
  bool ejected(size_t endpoint) { return detector_->isEjected(endpoint, clock_.now()); }
  Duration remaining(size_t endpoint) {
    return detector_->ejectedRemaining(endpoint, clock_.now());
  }

  ManualClock clock_;
  std::unique_ptr<OutlierDetector> detector_;
  std::vector<std::string> changes_;
};

TEST_F(OutlierDetectorTest, EjectsAfterConsecutiveFailures) {
  build(4);
  fail(0, 1);
  EXPECT_FALSE(ejected(0));
  fail(0, 1);
  EXPECT_FALSE(ejected(0));
  fail(0, 1);
  EXPECT_TRUE(ejected(0));
  EXPECT_EQ(remaining(0), seconds(30));
  EXPECT_EQ(detector_->timesEjected(0), 1u);
  EXPECT_EQ(detector_->ejectedCount(clock_.now()), 1u);
  EXPECT_FALSE(ejected(1));
  EXPECT_EQ(changes_, (std::vector<std::string>{"eject 0 for 30s"}));
}

TEST_F(OutlierDetectorTest, SuccessResetsTheFailureCount) {
  build(4);
  fail(0, 2);
  succeed(0, 1);
  fail(0, 2);
  EXPECT_FALSE(ejected(0));
  fail(0, 1);
  EXPECT_TRUE(ejected(0));
}

TEST_F(OutlierDetectorTest, FailuresOnOneEndpointDoNotCountForAnother) {
  build(4);
  fail(0, 2);
  fail(1, 2);
  EXPECT_FALSE(ejected(0));
  EXPECT_FALSE(ejected(1));
}

TEST_F(OutlierDetectorTest, ReturnsWhenTheEjectionTimeIsUp) {
  build(4);
  fail(0, 3);
  clock_.advance(seconds(10));
  EXPECT_TRUE(ejected(0));
  EXPECT_EQ(remaining(0), seconds(20));
  clock_.advance(seconds(20) - milliseconds(1));
  EXPECT_TRUE(ejected(0));
  EXPECT_EQ(remaining(0), milliseconds(1));
  clock_.advance(milliseconds(1));
  EXPECT_FALSE(ejected(0));
  EXPECT_EQ(remaining(0), Duration::zero());
  EXPECT_FALSE(ejected(0));  // reported once
  EXPECT_EQ(changes_, (std::vector<std::string>{"eject 0 for 30s", "return 0"}));
}

TEST_F(OutlierDetectorTest, EjectionTimeGrowsWithEachEjectionAndIsCapped) {
  build(4);
  for (Duration expected : {seconds(30), seconds(60), seconds(90), seconds(100), seconds(100)}) {
    fail(0, 3);
    EXPECT_TRUE(ejected(0));
    EXPECT_EQ(remaining(0), expected);
    clock_.advance(expected);
    EXPECT_FALSE(ejected(0));
  }
  EXPECT_EQ(detector_->timesEjected(0), 5u);
}

TEST_F(OutlierDetectorTest, RespectsMaxEjectedPercent) {
  build(4);  // 50% of 4: at most 2
  fail(0, 3);
  clock_.advance(seconds(10));
  fail(1, 3);
  fail(2, 3);
  EXPECT_TRUE(ejected(0));
  EXPECT_TRUE(ejected(1));
  EXPECT_FALSE(ejected(2));
  EXPECT_EQ(detector_->ejectedCount(clock_.now()), 2u);

  clock_.advance(seconds(20));  // endpoint 0's time is up, making room
  fail(2, 1);                   // its earlier failures still count
  EXPECT_TRUE(ejected(2));
  EXPECT_FALSE(ejected(0));
  EXPECT_EQ(detector_->ejectedCount(clock_.now()), 2u);
  EXPECT_EQ(changes_, (std::vector<std::string>{"eject 0 for 30s", "eject 1 for 30s", "return 0",
                                                "eject 2 for 30s"}));
}

TEST_F(OutlierDetectorTest, MaxEjectedPercentRoundsDown) {
  build(3);  // 50% of 3 is 1.5: at most 1
  fail(0, 3);
  fail(1, 3);
  EXPECT_TRUE(ejected(0));
  EXPECT_FALSE(ejected(1));
}

TEST_F(OutlierDetectorTest, MaxEjectedPercentIsExactDespiteRounding) {
  OutlierConfig config = defaultConfig();
  config.max_ejected_percent = 0.29;  // 0.29 * 100 is 28.999999999999996 in a double
  build(100, config);
  for (size_t i = 0; i < 30; ++i) fail(i, 3);
  EXPECT_EQ(detector_->ejectedCount(clock_.now()), 29u);
  EXPECT_TRUE(ejected(28));
  EXPECT_FALSE(ejected(29));
}

TEST_F(OutlierDetectorTest, ZeroMaxEjectedPercentNeverEjects) {
  OutlierConfig config = defaultConfig();
  config.max_ejected_percent = 0;
  build(4, config);
  fail(0, 10);
  EXPECT_FALSE(ejected(0));
}

TEST_F(OutlierDetectorTest, AlwaysLeavesOneEndpointAvailable) {
  OutlierConfig config = defaultConfig();
  config.max_ejected_percent = 1.0;
  build(3, config);
  fail(0, 3);
  fail(1, 3);
  fail(2, 3);
  EXPECT_TRUE(ejected(0));
  EXPECT_TRUE(ejected(1));
  EXPECT_FALSE(ejected(2));
}

TEST_F(OutlierDetectorTest, NeverEjectsASingleEndpoint) {
  OutlierConfig config = defaultConfig();
  config.max_ejected_percent = 1.0;
  build(1, config);
  fail(0, 100);
  EXPECT_FALSE(ejected(0));
  EXPECT_EQ(detector_->timesEjected(0), 0u);
  EXPECT_TRUE(changes_.empty());
}

TEST_F(OutlierDetectorTest, IgnoresResultsThatArriveWhileEjected) {
  build(4);
  fail(0, 3);
  fail(0, 5);  // calls sent before the ejection
  succeed(0, 5);
  EXPECT_EQ(remaining(0), seconds(30));       // not ejected again
  EXPECT_EQ(detector_->timesEjected(0), 1u);  // the successes did not reset it

  clock_.advance(seconds(30));
  fail(0, 2);  // it needs a full run of failures again
  EXPECT_FALSE(ejected(0));
  fail(0, 1);
  EXPECT_TRUE(ejected(0));
  EXPECT_EQ(remaining(0), seconds(60));
}

TEST_F(OutlierDetectorTest, HealthyStreakResetsTimesEjected) {
  build(4);
  fail(0, 3);
  clock_.advance(seconds(30));
  succeed(0, 2);
  EXPECT_EQ(detector_->timesEjected(0), 1u);
  succeed(0, 1);  // consecutive_failures successes in a row
  EXPECT_EQ(detector_->timesEjected(0), 0u);
  fail(0, 3);
  EXPECT_EQ(remaining(0), seconds(30));  // from base_ejection again
}

TEST_F(OutlierDetectorTest, BrokenHealthyStreakKeepsTimesEjected) {
  build(4);
  fail(0, 3);
  clock_.advance(seconds(30));
  succeed(0, 2);
  fail(0, 1);
  succeed(0, 2);
  EXPECT_EQ(detector_->timesEjected(0), 1u);
  fail(0, 3);
  EXPECT_EQ(remaining(0), seconds(60));
}

TEST_F(OutlierDetectorTest, AtRestUntilAFailureAndAgainOnceItsEjectionIsLivedDown) {
  build(4);
  EXPECT_TRUE(detector_->atRest(0));
  fail(0, 1);
  EXPECT_FALSE(detector_->atRest(0));  // a run of failures has started
  succeed(0, 1);
  EXPECT_TRUE(detector_->atRest(0));
  fail(0, 3);
  EXPECT_FALSE(detector_->atRest(0));  // ejected
  clock_.advance(seconds(30));
  EXPECT_FALSE(ejected(0));
  EXPECT_FALSE(detector_->atRest(0));  // back, with an ejection to live down
  succeed(0, 3);
  EXPECT_TRUE(detector_->atRest(0));
  EXPECT_TRUE(detector_->atRest(1));  // untouched
}

TEST_F(OutlierDetectorTest, SkippingSuccessesAtRestChangesNoOutcome) {
  // What callers rely on to skip recording a success at rest: two detectors, one told of
  // every success and one only of those outside rest, eject and return alike.
  build(4);
  OutlierDetector skipping(defaultConfig(), 4);
  auto both_fail = [&](size_t e) {
    detector_->onFailure(e, clock_.now());
    skipping.onFailure(e, clock_.now());
  };
  auto both_succeed = [&](size_t e) {
    const bool skip = skipping.atRest(e);
    detector_->onSuccess(e, clock_.now());
    if (!skip) skipping.onSuccess(e, clock_.now());
  };
  const std::string script = "sssfsffssfffSssssffffSsfsffSfffsss";  // S: 40 s pass
  for (char step : script) {
    if (step == 's') both_succeed(0);
    if (step == 'f') both_fail(0);
    if (step == 'S') clock_.advance(seconds(40));
    ASSERT_EQ(detector_->isEjected(0, clock_.now()), skipping.isEjected(0, clock_.now()));
    ASSERT_EQ(detector_->timesEjected(0), skipping.timesEjected(0));
    ASSERT_EQ(remaining(0), skipping.ejectedRemaining(0, clock_.now()));
    ASSERT_EQ(detector_->atRest(0), skipping.atRest(0));
  }
}

TEST_F(OutlierDetectorTest, EjectedCountReturnsEveryDueEndpoint) {
  build(4);
  fail(0, 3);
  fail(1, 3);
  clock_.advance(seconds(30));
  EXPECT_EQ(detector_->ejectedCount(clock_.now()), 0u);
  EXPECT_EQ(changes_, (std::vector<std::string>{"eject 0 for 30s", "eject 1 for 30s", "return 0",
                                                "return 1"}));
}

TEST(OutlierConfigTest, DefaultsAreValid) { EXPECT_EQ(outlierConfigError(OutlierConfig{}), ""); }

TEST(OutlierConfigTest, RejectsEachBadValue) {
  auto error = [](auto change) {
    OutlierConfig config;
    change(config);
    return std::string(outlierConfigError(config));
  };
  EXPECT_EQ(error([](auto& c) { c.consecutive_failures = 0; }),
            "consecutive_failures must be at least 1");
  EXPECT_EQ(error([](auto& c) { c.base_ejection = Duration::zero(); }),
            "base_ejection must be positive");
  EXPECT_EQ(error([](auto& c) { c.max_ejection = seconds(10); }),
            "max_ejection must be at least base_ejection");
  EXPECT_EQ(error([](auto& c) { c.max_ejected_percent = 1.5; }),
            "max_ejected_percent must be between 0% and 100%");
}

TEST(OutlierDetectorDeathTest, AbortsOnAnInvalidConfig) {
  OutlierConfig config;
  config.consecutive_failures = 0;
  EXPECT_DEATH(OutlierDetector(config, 2), "consecutive_failures must be at least 1");
}

TEST(OutlierDetectorDeathTest, AbortsOnAnEndpointOutOfRange) {
  OutlierDetector detector(OutlierConfig{}, 2);
  EXPECT_DEATH(detector.onFailure(2, seconds(0)), "endpoint 2 out of range");
}

}  // namespace
}  // namespace outrigger::policy
