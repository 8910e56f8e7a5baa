#pragma once
// Loading a config snippet for the `explain` tests.

#include <gtest/gtest.h>

#include <ostream>
#include <string_view>

#include "proxy/cli/effective_policy.h"
#include "proxy/config/loader.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::cli {

// Readable gtest failures.
inline void PrintTo(const PolicyRow& row, std::ostream* os) {
  *os << "{" << row.key << " | " << row.value << " | " << row.source << "}";
}

}  // namespace outrigger::cli

namespace outrigger::cli::testing {

inline config::Config loadOrDie(std::string_view yaml,
                                const config::EnvLookup& env = config::testing::fakeEnv()) {
  config::LoadResult r = config::loadConfigString(yaml, "test.yaml", env);
  EXPECT_TRUE(r.ok()) << r.formatErrors() << "\n" << yaml;
  return r.config.value_or(config::Config{});
}

}  // namespace outrigger::cli::testing
