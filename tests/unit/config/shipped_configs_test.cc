// The config files shipped in config/ must always load: they are what operators copy.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "proxy/config/loader.h"
#include "proxy/config/render.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

namespace fs = std::filesystem;

// config/*.yaml and config/examples/*.yaml, so a new file is checked without editing this.
std::vector<fs::path> shippedConfigs() {
  const fs::path root = fs::path(OUTRIGGER_SOURCE_DIR) / "config";
  std::vector<fs::path> files;
  for (const fs::path& dir : {root, root / "examples"}) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".yaml") files.push_back(entry.path());
    }
  }
  return files;
}

TEST(ConfigShippedFilesTest, EveryShippedFileLoadsWithoutErrors) {
  const std::vector<fs::path> files = shippedConfigs();
  EXPECT_GE(files.size(), 3u);
  for (const fs::path& file : files) {
    const LoadResult r = loadConfigFile(file.string(), testing::fakeEnv());
    EXPECT_TRUE(r.ok()) << r.formatErrors();
  }
}

TEST(ConfigShippedFilesTest, EveryShippedFileRendersBackIntoTheSameConfig) {
  for (const fs::path& file : shippedConfigs()) {
    SCOPED_TRACE(file.string());
    const LoadResult original = loadConfigFile(file.string(), testing::fakeEnv());
    ASSERT_TRUE(original.ok()) << original.formatErrors();
    const std::string yaml = renderConfigYaml(*original.config, {.redact_secrets = false});
    LoadResult again = loadConfigString(yaml, "rendered.yaml", testing::fakeEnv());
    ASSERT_TRUE(again.ok()) << again.formatErrors() << yaml;
    again.config->source_file = original.config->source_file;  // read from a string
    EXPECT_TRUE(*again.config == *original.config) << yaml;
  }
}

TEST(ConfigShippedFilesTest, DefaultConfigRoutesEverythingToBackend) {
  const fs::path file = fs::path(OUTRIGGER_SOURCE_DIR) / "config" / "outrigger.yaml";
  const LoadResult r = loadConfigFile(file.string(), testing::fakeEnv());
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  ASSERT_EQ(r.config->listeners.size(), 1u);
  EXPECT_EQ(r.config->listeners[0].listen.text, "127.0.0.1:15001");
  EXPECT_EQ(r.config->admin.listen.text, "127.0.0.1:9901");
  const UpstreamConfig* backend = r.config->findUpstream("backend");
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(backend->endpoints[0].text, "127.0.0.1:8080");

  const LoadResult overridden =
      loadConfigFile(file.string(), testing::fakeEnv({{"OUTRIGGER_UPSTREAM", "app:9000"}}));
  ASSERT_TRUE(overridden.ok()) << overridden.formatErrors();
  EXPECT_EQ(overridden.config->findUpstream("backend")->endpoints[0].text, "app:9000");
}

}  // namespace
}  // namespace outrigger::config
