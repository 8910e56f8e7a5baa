// The top-level `tracing:` block (issue 20, item 7): read, rendered back, and checked.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "proxy/config/render.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using ::testing::HasSubstr;
using testing::withMinimal;

TEST(TracingConfigTest, WithoutTheBlockNothingIsPropagated) {
  const LoadResult r = testing::load(testing::kMinimal);
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  EXPECT_EQ(r.config->tracing.propagate, TracePropagation::kNone);
  EXPECT_THAT(renderConfigYaml(*r.config), ::testing::Not(HasSubstr("tracing")));
}

TEST(TracingConfigTest, TheBlockTurnsW3cOnAndRendersBack) {
  const LoadResult r = testing::load(withMinimal("tracing: { sample_rate: 12.5% }\n"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  EXPECT_EQ(r.config->tracing.propagate, TracePropagation::kW3c);
  EXPECT_DOUBLE_EQ(r.config->tracing.sample_rate, 0.125);
  const LoadResult again = testing::load(renderConfigYaml(*r.config));
  ASSERT_TRUE(again.ok()) << again.formatErrors();
  EXPECT_EQ(again.config->tracing, r.config->tracing);
  const LoadResult b3 = testing::load(withMinimal("tracing: { propagate: b3 }\n"));
  ASSERT_TRUE(b3.ok());
  EXPECT_EQ(b3.config->tracing.propagate, TracePropagation::kB3);
  EXPECT_DOUBLE_EQ(b3.config->tracing.sample_rate, 1.0);
}

TEST(TracingConfigTest, BadValuesAreReportedAtTheirKeys) {
  EXPECT_THAT(errorsOf(withMinimal("tracing: { propagate: zipkin, sample_rate: 150% }\n")),
              ElementsAre(HasSubstr("test.yaml:8:23: tracing.propagate:"),
                          HasSubstr("test.yaml:8:44: tracing.sample_rate:")));
  EXPECT_THAT(errorsOf(withMinimal("tracing: { exporter: otlp }\n")),
              ElementsAre(HasSubstr("tracing: unknown key 'exporter'")));
}

}  // namespace
}  // namespace outrigger::config
