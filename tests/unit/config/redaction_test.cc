// What renderConfigYaml hides by default: admin.token, and every value taken from an
// environment variable whose name looks secret (SECRET, TOKEN, PASSWORD, KEY).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "proxy/config/render.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

Config loadOrDie(std::string_view yaml, const EnvLookup& env) {
  LoadResult r = testing::load(yaml, env);
  EXPECT_TRUE(r.ok()) << r.formatErrors() << "\n" << yaml;
  return r.config.value_or(Config{});
}

std::string upstreamWith(std::string_view block) {
  return testing::withListener("upstreams:\n  u:\n" + std::string(block));
}

TEST(ConfigRedactionTest, AdminTokenIsRedactedByDefaultAndPrintedOnlyOnRequest) {
  const Config config = loadOrDie(
      testing::withMinimal("admin: { token: plain-token-in-the-file }\n"), testing::fakeEnv());
  const std::string redacted = renderConfigYaml(config);
  EXPECT_THAT(redacted, HasSubstr("token: <redacted>\n"));
  EXPECT_THAT(redacted, Not(HasSubstr("plain-token-in-the-file")));
  EXPECT_THAT(renderConfigYaml(config, {.redact_secrets = false}),
              HasSubstr("token: plain-token-in-the-file\n"));
}

TEST(ConfigRedactionTest, NoTokenPrintsNoTokenKey) {
  const Config config = loadOrDie(testing::kMinimal, testing::fakeEnv());
  EXPECT_THAT(renderConfigYaml(config), Not(HasSubstr("token")));
}

TEST(ConfigRedactionTest, SecretInOneEndpointRedactsThatEndpointOnly) {
  const Config config = loadOrDie(
      upstreamWith("    endpoints: [ \"10.0.0.1:80\", \"${PARTNER_SECRET_HOST}:443\" ]\n"),
      testing::fakeEnv({{"PARTNER_SECRET_HOST", "hidden.example"}}));
  const std::string yaml = renderConfigYaml(config);
  EXPECT_THAT(yaml, HasSubstr("endpoints: [10.0.0.1:80, <redacted>]\n"));
  EXPECT_THAT(yaml, Not(HasSubstr("hidden.example")));
}

TEST(ConfigRedactionTest, SecretsInResponseAndHealthCheckValuesAreRedacted) {
  const Config config =
      loadOrDie(upstreamWith("    endpoints: [ \"10.0.0.1:80\" ]\n"
                             "    health_check: { path: \"/health?k=${HC_API_KEY}\" }\n"
                             "    fallback:\n"
                             "      response:\n"
                             "        content_type: \"${CT_TOKEN}\"\n"
                             "        body: \"${FALLBACK_PASSWORD}\"\n"),
                testing::fakeEnv({{"HC_API_KEY", "hc-123"},
                                  {"CT_TOKEN", "Bearer ct-456"},
                                  {"FALLBACK_PASSWORD", "pw-789"}}));
  const std::string yaml = renderConfigYaml(config);
  EXPECT_THAT(yaml, HasSubstr("path: <redacted>\n"));
  EXPECT_THAT(yaml, HasSubstr("content_type: <redacted>\n"));
  EXPECT_THAT(yaml, HasSubstr("body: <redacted>\n"));
  for (const char* secret : {"hc-123", "ct-456", "pw-789"}) {
    EXPECT_THAT(yaml, Not(HasSubstr(secret)));
  }
}

TEST(ConfigRedactionTest, SecretFromDefaultsIsRedactedUnderEveryUpstreamThatInheritsIt) {
  const Config config = loadOrDie(
      testing::withListener("defaults: { fallback: { response: { body: \"${DB_PASSWORD}\" } } }\n"
                            "upstreams:\n"
                            "  u: { endpoints: [ \"10.0.0.1:80\" ] }\n"
                            "  v:\n"
                            "    endpoints: [ \"10.0.0.2:80\" ]\n"
                            "    fallback: { response: { body: own-body } }\n"),
      testing::fakeEnv({{"DB_PASSWORD", "hunter2"}}));
  EXPECT_THAT(config.provenance.secret_paths, ElementsAre("upstreams.u.fallback.response.body"));
  const std::string yaml = renderConfigYaml(config);
  EXPECT_THAT(yaml, Not(HasSubstr("hunter2")));
  EXPECT_THAT(yaml, HasSubstr("body: own-body\n"));  // v's own value is not a secret
}

TEST(ConfigRedactionTest, ListenerAndRouteValuesAreRedacted) {
  const Config config = loadOrDie(
      "listeners:\n"
      "  - name: l\n"
      "    listen: \"${LISTEN_KEY:-127.0.0.1:0}\"\n"
      "    routes: [ { host: \"${ROUTE_HOST_TOKEN}\", upstream: u } ]\n"
      "upstreams:\n  u: { endpoints: [ \"10.0.0.1:80\" ] }\n",
      testing::fakeEnv({{"ROUTE_HOST_TOKEN", "internal-host"}}));
  EXPECT_THAT(config.provenance.secret_paths,
              ElementsAre("listeners[0].listen", "listeners[0].routes[0].host"));
  const std::string yaml = renderConfigYaml(config);
  EXPECT_THAT(yaml, HasSubstr("listen: <redacted>\n"));
  EXPECT_THAT(yaml, HasSubstr("host: <redacted>\n"));
  EXPECT_THAT(yaml, Not(HasSubstr("internal-host")));
}

TEST(ConfigRedactionTest, ReferenceRedactsEvenWhenItsDefaultIsUsed) {
  // The default may be a development secret written in the file.
  const Config config = loadOrDie(
      testing::withMinimal("access_log: { path: \"${LOG_SECRET:-/tmp/dev-secret.log}\" }\n"),
      testing::fakeEnv());
  EXPECT_THAT(renderConfigYaml(config), Not(HasSubstr("dev-secret")));
}

TEST(ConfigRedactionTest, NamesAreMatchedAsSubstringsIgnoringCase) {
  const Config config =
      loadOrDie(upstreamWith("    endpoints: [ \"${monkey_host}:80\", \"${BACKEND_HOST}:81\" ]\n"),
                testing::fakeEnv({{"monkey_host", "zoo"}, {"BACKEND_HOST", "db"}}));
  const std::string yaml = renderConfigYaml(config);
  // "monkey" contains "key": redacted on purpose (config/README.md says so).
  EXPECT_THAT(yaml, HasSubstr("endpoints: [<redacted>, db:81]\n"));
}

TEST(ConfigRedactionTest, ANormalisedListWithASecretItemIsRedactedWhole) {
  const Config config =
      loadOrDie(upstreamWith("    endpoints: [ \"10.0.0.1:80\" ]\n"
                             "    retry: { retry_on: [ reset, \"${CODE_KEY}\" ] }\n"),
                testing::fakeEnv({{"CODE_KEY", "503"}}));
  const std::string yaml = renderConfigYaml(config);
  EXPECT_THAT(yaml, HasSubstr("retry_on: <redacted>\n"));
  EXPECT_THAT(yaml, Not(HasSubstr("503")));
}

TEST(ConfigRedactionTest, ValuesFromOrdinaryVariablesArePrinted) {
  const Config config = loadOrDie(upstreamWith("    endpoints: [ \"${BACKEND_HOST}:80\" ]\n"),
                                  testing::fakeEnv({{"BACKEND_HOST", "db.internal"}}));
  EXPECT_TRUE(config.provenance.secret_paths.empty());
  EXPECT_THAT(renderConfigYaml(config), HasSubstr("endpoints: [db.internal:80]\n"));
}

TEST(ConfigRedactionTest, UnredactedTextLoadsBackWithTheSecretValues) {
  const Config config =
      loadOrDie(upstreamWith("    endpoints: [ \"${PARTNER_SECRET_HOST}:443\" ]\n"),
                testing::fakeEnv({{"PARTNER_SECRET_HOST", "hidden.example"}}));
  const LoadResult again =
      testing::load(renderConfigYaml(config, {.redact_secrets = false}), testing::fakeEnv());
  ASSERT_TRUE(again.ok()) << again.formatErrors();
  EXPECT_EQ(again.config->upstreams[0].endpoints[0].text, "hidden.example:443");
}

}  // namespace
}  // namespace outrigger::config
