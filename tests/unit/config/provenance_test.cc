// Where each value of an upstream came from (for `explain`), and that this record never
// makes two configs with the same values compare different.

#include "proxy/config/provenance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <set>

#include "proxy/config/policies.h"
#include "proxy/config/render.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

Config loadOrDie(std::string_view yaml) {
  LoadResult r = testing::load(yaml);
  EXPECT_TRUE(r.ok()) << r.formatErrors() << "\n" << yaml;
  return r.config.value_or(Config{});
}

std::string sourceLabel(const Config& config, std::string_view upstream, std::string_view path) {
  return config.provenance.sourcesOf(upstream).sourceOf(path).label();
}

TEST(ConfigProvenanceTest, EachValueIsTracedToWhereItWasSet) {
  const Config config =
      loadOrDie(testing::withListener("defaults:\n"
                                      "  timeouts: { connect: 1s, read: 3s }\n"
                                      "  retry: { max_attempts: 4 }\n"
                                      "upstreams:\n"
                                      "  u:\n"
                                      "    endpoints: [ \"10.0.0.1:80\" ]\n"
                                      "    timeouts: { read: 2s }\n"
                                      "    retry: { backoff: { initial: 50ms } }\n"));
  EXPECT_EQ(sourceLabel(config, "u", "timeouts.connect"), "defaults");
  EXPECT_EQ(sourceLabel(config, "u", "timeouts.read"), "upstream");
  EXPECT_EQ(sourceLabel(config, "u", "timeouts.write"), "default");
  EXPECT_EQ(sourceLabel(config, "u", "retry"), "upstream");
  EXPECT_EQ(sourceLabel(config, "u", "retry.max_attempts"), "defaults");
  EXPECT_EQ(sourceLabel(config, "u", "retry.backoff.initial"), "upstream");
  EXPECT_EQ(sourceLabel(config, "u", "retry.backoff.max"), "default");
  EXPECT_EQ(sourceLabel(config, "u", "endpoints"), "upstream");
  EXPECT_EQ(sourceLabel(config, "u", "circuit_breaker"), "default");
}

TEST(ConfigProvenanceTest, ProfileValuesNameTheProfileAndWhereItWasSelected) {
  const Config config =
      loadOrDie(testing::withListener("defaults: { profile: batch }\n"
                                      "upstreams:\n"
                                      "  u: { endpoints: [ \"10.0.0.1:80\" ] }\n"
                                      "  v:\n"
                                      "    endpoints: [ \"10.0.0.2:80\" ]\n"
                                      "    profile: high-latency\n"
                                      "    timeouts: { connect: 5s }\n"
                                      "    bulkhead: { max_queue: 3 }\n"));
  EXPECT_EQ(sourceLabel(config, "u", "profile"), "defaults");
  EXPECT_EQ(sourceLabel(config, "u", "timeouts.connect"), "profile batch (defaults)");
  EXPECT_EQ(sourceLabel(config, "u", "retry"), "profile batch (defaults)");
  EXPECT_EQ(sourceLabel(config, "u", "retry.backoff.multiplier"), "profile batch (defaults)");
  EXPECT_EQ(sourceLabel(config, "u", "retry.backoff.jitter"), "default");
  EXPECT_EQ(sourceLabel(config, "u", "timeouts.request"), "default");

  EXPECT_EQ(sourceLabel(config, "v", "profile"), "upstream");
  EXPECT_EQ(sourceLabel(config, "v", "timeouts.connect"), "upstream");  // overrides the profile
  EXPECT_EQ(sourceLabel(config, "v", "timeouts.read"), "profile high-latency (upstream)");
  EXPECT_EQ(sourceLabel(config, "v", "bulkhead"), "upstream");
  EXPECT_EQ(sourceLabel(config, "v", "bulkhead.max_queue"), "upstream");
  EXPECT_EQ(sourceLabel(config, "v", "bulkhead.max_concurrent"), "profile high-latency (upstream)");
}

TEST(ConfigProvenanceTest, UnknownUpstreamOrPathIsBuiltIn) {
  const Config config = loadOrDie(testing::kMinimal);
  EXPECT_EQ(sourceLabel(config, "nope", "timeouts.connect"), "default");
  EXPECT_EQ(config.provenance.sourcesOf("u").sourceOf("no.such.path").kind, SourceKind::kBuiltIn);
}

TEST(ConfigProvenanceTest, MovingAValueIntoDefaultsIsNotAChange) {
  const Config own = loadOrDie(testing::withListener(
      "upstreams:\n  u:\n    endpoints: [ \"10.0.0.1:80\" ]\n    timeouts: { connect: 1s }\n"));
  const Config inherited =
      loadOrDie(testing::withListener("defaults: { timeouts: { connect: 1s } }\n"
                                      "upstreams:\n  u:\n    endpoints: [ \"10.0.0.1:80\" ]\n"));
  ASSERT_NE(sourceLabel(own, "u", "timeouts.connect"),
            sourceLabel(inherited, "u", "timeouts.connect"));
  EXPECT_TRUE(own.upstreams[0] == inherited.upstreams[0]);
  EXPECT_TRUE(own == inherited);
}

TEST(ConfigProvenanceTest, ProvenanceNeverMakesConfigsDiffer) {
  ConfigProvenance a;
  ConfigProvenance b;
  b.secret_paths.push_back("admin.listen");
  b.upstreams["u"].record("timeouts.connect", ValueSource{SourceKind::kUpstreamBlock, ""});
  EXPECT_TRUE(a == b);
}

// Every leaf of the rendered config, as "path" -> "value" (lists as flow text).
void flatten(const YAML::Node& node, const std::string& path,
             std::map<std::string, std::string>& out) {
  if (node.IsMap()) {
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      flatten(entry.second, path.empty() ? key : path + "." + key, out);
    }
    return;
  }
  YAML::Emitter text;
  text << YAML::Flow << node;
  out[path] = text.c_str();
}

std::map<std::string, std::string> renderedUpstream(std::string_view block) {
  const Config config = loadOrDie(testing::withListener(
      "upstreams:\n  u:\n    endpoints: [ \"10.0.0.1:80\" ]\n" + std::string(block)));
  const YAML::Node root = YAML::Load(renderConfigYaml(config, {.redact_secrets = false}));
  std::map<std::string, std::string> out;
  flatten(root["upstreams"]["u"], "", out);
  return out;
}

// profileKeyPaths() is what explain labels "profile ...": it must name exactly the values a
// profile changes, or explain would credit the profile (or the default) wrongly.
TEST(ConfigProvenanceTest, ProfileKeyPathsAreExactlyWhatProfilesChange) {
  // The same blocks on, at their block defaults, without a profile.
  const auto plain = renderedUpstream("    retry: {}\n    circuit_breaker: {}\n    bulkhead: {}\n");
  std::set<std::string> changed;
  for (const char* profile : {"fast-microservice", "high-latency", "batch"}) {
    for (const auto& [path, value] :
         renderedUpstream("    profile: " + std::string(profile) + "\n")) {
      const auto it = plain.find(path);
      if (path != "profile" && (it == plain.end() || it->second != value)) changed.insert(path);
    }
  }
  std::set<std::string> leaves;
  for (std::string_view path : profileKeyPaths()) {
    if (path.find('.') != std::string_view::npos) leaves.emplace(path);
  }
  EXPECT_EQ(changed, leaves);
}

}  // namespace
}  // namespace outrigger::config
