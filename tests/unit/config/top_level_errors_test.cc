// One bad input per top-level rule, each checked against the exact message an operator sees.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using testing::withListener;
using testing::withMinimal;

TEST(ConfigTopLevelErrorsTest, UnknownKeySuggestsTheClosestOne) {
  EXPECT_THAT(errorsOf(withMinimal("worker: 2\n")),
              ElementsAre("test.yaml:8:1: unknown key 'worker' (did you mean 'workers'?)"));
}

TEST(ConfigTopLevelErrorsTest, UnknownKeyWithoutACloseMatchListsTheValidKeys) {
  EXPECT_THAT(errorsOf(withMinimal("metrics: on\n")),
              ElementsAre("test.yaml:8:1: unknown key 'metrics' (expected one of: workers, "
                          "log_level, admin, access_log, drain, redis, listeners, defaults, "
                          "upstreams, tracing)"));
}

TEST(ConfigTopLevelErrorsTest, DuplicateKey) {
  EXPECT_THAT(errorsOf(withMinimal("workers: 1\nworkers: 2\n")),
              ElementsAre("test.yaml:9:1: duplicate key 'workers' (already set on line 8)"));
}

TEST(ConfigTopLevelErrorsTest, WorkersBelowOne) {
  EXPECT_THAT(errorsOf(withMinimal("workers: 0\n")),
              ElementsAre("test.yaml:8:10: workers: must be at least 1, got '0'"));
}

TEST(ConfigTopLevelErrorsTest, WorkersAboveTheCap) {
  EXPECT_THAT(errorsOf(withMinimal("workers: 65\n")),
              ElementsAre("test.yaml:8:10: workers: must be at most 64, got '65'"));
}

TEST(ConfigTopLevelErrorsTest, WorkersNotANumber) {
  EXPECT_THAT(
      errorsOf(withMinimal("workers: many\n")),
      ElementsAre("test.yaml:8:10: workers: expected a whole number or 'auto', got 'many'"));
}

TEST(ConfigTopLevelErrorsTest, LogLevelNotOneOfTheChoices) {
  EXPECT_THAT(errorsOf(withMinimal("log_level: warning\n")),
              ElementsAre("test.yaml:8:12: log_level: expected one of debug, info, warn or error, "
                          "got 'warning' (did you mean 'warn'?)"));
}

TEST(ConfigTopLevelErrorsTest, AdminListenWithoutAPort) {
  EXPECT_THAT(errorsOf(withMinimal("admin: { listen: localhost }\n")),
              ElementsAre("test.yaml:8:18: admin.listen: expected host:port, got 'localhost' (the "
                          "port is missing)"));
}

TEST(ConfigTopLevelErrorsTest, AdminNotAMap) {
  EXPECT_THAT(errorsOf(withMinimal("admin: 9901\n")),
              ElementsAre("test.yaml:8:8: admin: expected a map, got '9901'"));
}

TEST(ConfigTopLevelErrorsTest, AdminTokenWithASpaceIsRejectedWithoutEchoingIt) {
  EXPECT_THAT(errorsOf(withMinimal("admin: { token: \"abc def\" }\n")),
              ElementsAre("test.yaml:8:17: admin.token: must use only printable ASCII characters, "
                          "without spaces"));
}

TEST(ConfigTopLevelErrorsTest, AdminTokenWithAControlCharacterOrNonAsciiIsRejected) {
  EXPECT_THAT(errorsOf(withMinimal("admin: { token: \"abc\\tdef\" }\n")),
              ElementsAre("test.yaml:8:17: admin.token: must use only printable ASCII characters, "
                          "without spaces"));
  EXPECT_THAT(errorsOf(withMinimal("admin: { token: \"caf\u00e9\" }\n")),
              ElementsAre("test.yaml:8:17: admin.token: must use only printable ASCII characters, "
                          "without spaces"));
}

TEST(ConfigTopLevelErrorsTest, AdminTokenNotAString) {
  EXPECT_THAT(errorsOf(withMinimal("admin: { token: [ a ] }\n")),
              ElementsAre("test.yaml:8:17: admin.token: expected a string, got a list"));
}

TEST(ConfigTopLevelErrorsTest, AccessLogPathEmpty) {
  EXPECT_THAT(errorsOf(withMinimal("access_log: { path: \"\" }\n")),
              ElementsAre("test.yaml:8:21: access_log.path: must not be empty (use stdout, stderr, "
                          "off or a file path)"));
}

TEST(ConfigTopLevelErrorsTest, DrainGraceLongerThanTimeout) {
  EXPECT_THAT(errorsOf(withMinimal("drain: { grace: 40s, timeout: 30s }\n")),
              ElementsAre("test.yaml:8:17: drain.grace: must not be longer than timeout (30s), got "
                          "'40s'"));
}

TEST(ConfigTopLevelErrorsTest, DrainGraceLongerThanTheDefaultTimeout) {
  EXPECT_THAT(errorsOf(withMinimal("drain: { grace: 31s }\n")),
              ElementsAre("test.yaml:8:17: drain.grace: must not be longer than timeout (30s), got "
                          "'31s'"));
}

// Fuzz regression tests/fuzz/regressions/fuzz_config/drain-default-grace-over-timeout.yaml:
// this loaded, and its rendering (which writes grace: 5s) did not.
TEST(ConfigTopLevelErrorsTest, DrainTimeoutShorterThanTheDefaultGrace) {
  EXPECT_THAT(errorsOf(withMinimal("drain: { timeout: 1s }\n")),
              ElementsAre("test.yaml:8:19: drain.timeout: must not be shorter than grace (5s, the "
                          "default), got '1s'"));
}

TEST(ConfigTopLevelErrorsTest, NegativeDuration) {
  EXPECT_THAT(errorsOf(withMinimal("drain: { timeout: -1s }\n")),
              ElementsAre("test.yaml:8:19: drain.timeout: a duration cannot be negative, got "
                          "'-1s'"));
}

TEST(ConfigTopLevelErrorsTest, DurationWithoutAUnit) {
  EXPECT_THAT(errorsOf(withMinimal("drain: { timeout: 30 }\n")),
              ElementsAre("test.yaml:8:19: drain.timeout: missing unit in '30' (write e.g. 30s or "
                          "30ms; units are ns, us, ms, s, m and h)"));
}

TEST(ConfigTopLevelErrorsTest, ListenersMissing) {
  EXPECT_THAT(errorsOf("upstreams:\n  u: { endpoints: [ \"127.0.0.1:80\" ] }\n"),
              ElementsAre("test.yaml: listeners: at least one listener is required"));
}

TEST(ConfigTopLevelErrorsTest, ListenersEmpty) {
  EXPECT_THAT(errorsOf("workers: 1\nlisteners: []\n"),
              ElementsAre("test.yaml:2:12: listeners: at least one listener is required"));
}

TEST(ConfigTopLevelErrorsTest, ListenersNotAList) {
  EXPECT_THAT(errorsOf("listeners: { name: a }\n"),
              ElementsAre("test.yaml:1:12: listeners: expected a list, got a map"));
}

TEST(ConfigTopLevelErrorsTest, EmptyFile) {
  EXPECT_THAT(errorsOf(""), ElementsAre("test.yaml: the file is empty"));
  EXPECT_THAT(errorsOf("# only a comment\n---\n"), ElementsAre("test.yaml: the file is empty"));
}

TEST(ConfigTopLevelErrorsTest, TopLevelNotAMap) {
  EXPECT_THAT(
      errorsOf("- workers: 1\n"),
      ElementsAre("test.yaml:1:1: expected a map of settings at the top level, got a list"));
}

TEST(ConfigTopLevelErrorsTest, YamlSyntaxErrorIsPositioned) {
  EXPECT_THAT(errorsOf("workers: 1\nadmin: { listen: 127.0.0.1:9901\nlisteners: []\n"),
              ElementsAre("test.yaml:3:10: invalid YAML: end of map flow not found"));
}

// Fuzz regression tests/fuzz/regressions/fuzz_config/invalid-utf8-round-trip.yaml: the byte
// loaded as it is, and --print-config wrote U+FFFD in its place.
TEST(ConfigTopLevelErrorsTest, BytesThatAreNotUtf8AreRejectedWhereTheyAre) {
  EXPECT_THAT(errorsOf(withMinimal("access_log: \"/tmp/a\xab.log\"\n")),
              ElementsAre("test.yaml:8:20: the file is not valid UTF-8 (byte 0xAB)"));
  EXPECT_THAT(errorsOf("# caf\xc3\xa9 \xed\xa0\x80\n"),  // a UTF-16 surrogate, UTF-8 encoded
              ElementsAre("test.yaml:1:9: the file is not valid UTF-8 (byte 0xED)"));
  EXPECT_THAT(errorsOf(withMinimal("# caf\xc3\xa9, \xe2\x82\xac and \xf0\x9f\x9a\xa2\n")),
              ::testing::IsEmpty());
}

TEST(ConfigTopLevelErrorsTest, SecondDocumentIsRejected) {
  EXPECT_THAT(errorsOf(withMinimal("---\nworkers: 2\n")),
              ElementsAre("test.yaml:8:1: only one YAML document is allowed per file (remove the "
                          "second '---')"));
}

// yaml-cpp 0.7's LoadAll loops forever, allocating, on this input (jbeder/yaml-cpp#1040).
TEST(ConfigTopLevelErrorsTest, StrayCommaAtTheStartIsASyntaxError) {
  EXPECT_THAT(errorsOf(",workers: 1\n"),
              ElementsAre("test.yaml:1:1: invalid YAML: unexpected ','"));
  EXPECT_THAT(errorsOf("workers: 1\n,listeners: []\n"),
              ElementsAre("test.yaml:2:1: invalid YAML: end of map not found"));
}

TEST(ConfigTopLevelErrorsTest, SelfReferencingAliasIsRejectedNotFollowedForever) {
  EXPECT_THAT(errorsOf(withListener("upstreams: &loop { u: *loop }\n")),
              ::testing::Contains(::testing::HasSubstr(
                  "values are nested too deeply (does an alias refer to itself?)")));
}

TEST(ConfigTopLevelErrorsTest, UnreadableFile) {
  const LoadResult r = loadConfigFile("/nonexistent/outrigger.yaml", testing::fakeEnv());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.formatErrors(),
            "/nonexistent/outrigger.yaml: cannot read file: No such file or directory\n");
}

TEST(ConfigTopLevelErrorsTest, DirectoryInsteadOfAFile) {
  const LoadResult r = loadConfigFile("/", testing::fakeEnv());
  EXPECT_EQ(r.formatErrors(), "/: cannot read file: Is a directory\n");
}

}  // namespace
}  // namespace outrigger::config
