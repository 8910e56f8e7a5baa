#include "proxy/config/env_substitution.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct Case {
  std::string text;
  std::string expected;
};

TEST(EnvSubstitutionTest, ExpandsReferences) {
  const EnvLookup env = testing::fakeEnv({{"HOST", "db"}, {"PORT", "5432"}, {"EMPTY", ""}});
  const Case cases[] = {
      {"plain", "plain"},
      {"${HOST}", "db"},
      {"${HOST}:${PORT}", "db:5432"},
      {"${MISSING:-fallback}", "fallback"},
      {"${EMPTY:-fallback}", "fallback"},  // like the shell's :-
      {"${EMPTY}", ""},
      {"${MISSING:-}", ""},
      {"${HOST:-other}", "db"},
      {"$$", "$"},
      {"$${HOST}", "${HOST}"},
      {"cost: 5$", "cost: 5$"},
      {"$HOST", "$HOST"},  // only the braced form is substituted
      {"${MISSING:-a:-b}", "a:-b"},
  };
  for (const auto& c : cases) {
    const Substitution s = substituteEnv(c.text, env);
    EXPECT_THAT(s.errors, IsEmpty()) << c.text;
    EXPECT_EQ(s.value, c.expected) << c.text;
  }
}

TEST(EnvSubstitutionTest, SubstitutedTextIsNotScannedAgain) {
  const Substitution s = substituteEnv("${A}", testing::fakeEnv({{"A", "${B}"}}));
  EXPECT_EQ(s.value, "${B}");
}

TEST(EnvSubstitutionTest, ReportsEveryBadReference) {
  const Substitution s = substituteEnv("${A}-${B}-${C D}", testing::fakeEnv());
  EXPECT_THAT(s.errors, ElementsAre("environment variable 'A' is not set",
                                    "environment variable 'B' is not set",
                                    "invalid variable reference '${C D}' (write ${NAME} or "
                                    "${NAME:-default}; names use letters, digits and '_', and do "
                                    "not start with a digit)"));
}

TEST(EnvSubstitutionTest, ListsEveryVariableReferencedSetOrNot) {
  const Substitution s = substituteEnv("${A}:${B:-x}/$${C}", testing::fakeEnv({{"A", "1"}}));
  EXPECT_THAT(s.variables, ElementsAre("A", "B"));  // $${C} is literal text, not a reference
}

TEST(EnvSubstitutionTest, SecretVariableNamesContainSecretTokenPasswordOrKey) {
  for (const char* name : {"DB_SECRET", "OUTRIGGER_ADMIN_TOKEN", "PGPASSWORD", "API_KEY", "api_key",
                           "Client_Secret_File", "KEYCLOAK_URL", "MONKEY_COUNT"}) {
    EXPECT_TRUE(isSecretVariableName(name)) << name;
  }
  for (const char* name : {"BACKEND_HOST", "PORT", "PASSWD", "TOKN", "SECRT", "K_E_Y"}) {
    EXPECT_FALSE(isSecretVariableName(name)) << name;
  }
}

}  // namespace
}  // namespace outrigger::config
