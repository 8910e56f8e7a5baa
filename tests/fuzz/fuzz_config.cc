// Fuzzes the config loader and validator (proxy/config) with a fake environment, then what
// reads a loaded config: the renderer (--print-config, GET /config) and `outrigger explain`.
// Properties, each an abort with a message:
//  1. The loader never throws, and rejects only with at least one formatted error.
//  2. Render round trip: a config that loads, rendered without redaction, loads back into an
//     equal Config (render.h promises "YAML that loads back into the same values").
// Run with -max_len=4096 and -rss_limit_mb=2048: yaml-cpp 0.7 allocates without bound on
// some inputs the loader cannot see coming (see tests/fuzz/README.md).
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/cli/effective_policy.h"
#include "proxy/cli/explain.h"
#include "proxy/config/loader.h"
#include "proxy/config/render.h"
#include "tests/fuzz/fuzz_util.h"

namespace outrigger::fuzz {
namespace {

// Names used by the shipped configs, a secret, an empty one and one whose value looks
// like YAML (substituted text is not parsed again).
const std::map<std::string, std::string>& fakeVariables() {
  static const std::map<std::string, std::string> vars = {
      {"OUTRIGGER_UPSTREAM", "127.0.0.1:8080"},
      {"DEMO_UPSTREAM", "127.0.0.1:18080"},
      {"PAYMENTS_HOST", "10.0.0.9"},
      {"PORT", "8081"},
      {"API_TOKEN", "s3cr3t-t0ken"},
      {"DB_PASSWORD", "hunter2"},
      {"EMPTY", ""},
      {"YAMLISH", "a: [b, {c: d}] # e\n- f"},
      {"DOLLAR", "${OUTRIGGER_UPSTREAM}"},
  };
  return vars;
}

std::optional<std::string> fakeEnv(const std::string& name) {
  const auto& vars = fakeVariables();
  const auto it = vars.find(name);
  if (it == vars.end()) return std::nullopt;
  return it->second;
}

void exerciseReaders(const config::Config& config) {
  (void)config::renderConfigYaml(config);  // redacted, as /config serves it
  for (const auto& u : config.upstreams) {
    (void)cli::effectivePolicyRows(u, config.provenance);
    (void)cli::attemptsFor(u, "GET");
    (void)cli::attemptsFor(u, "POST");
  }
  for (const auto& l : config.listeners) {
    const std::string host =
        l.listen.host.find(':') != std::string::npos ? "[" + l.listen.host + "]" : l.listen.host;
    cli::ExplainRequest request{
        "GET", "http://" + host + ":" + std::to_string(l.listen.port) + "/", "", {}};
    (void)cli::explainRequest(config, request);
    for (const auto& r : l.routes) {
      request.url = "http://" + host + ":" + std::to_string(l.listen.port) + r.path_prefix;
      request.host = r.host == "*" ? "" : r.host;
      (void)cli::explainRequest(config, request);
    }
  }
}

}  // namespace
}  // namespace outrigger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace outrigger;
  using namespace outrigger::fuzz;
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  const config::EnvLookup env = &fakeEnv;

  const config::LoadResult loaded = config::loadConfigString(yaml, "fuzz.yaml", env);
  if (!loaded.ok()) {
    FUZZ_CHECK(!loaded.errors.empty(), "rejected without an error");
    FUZZ_CHECK(!loaded.config.has_value(), "a config and errors at once");
    const std::string text = loaded.formatErrors();
    FUZZ_CHECK(!text.empty() && text.back() == '\n', "formatErrors() is empty");
    return 0;
  }
  const config::Config& config = *loaded.config;
  exerciseReaders(config);

  const std::string rendered = config::renderConfigYaml(config, {.redact_secrets = false});
  const config::LoadResult again = config::loadConfigString(rendered, "rendered.yaml", env);
  FUZZ_CHECK(again.ok(), "the rendered config does not load:\n%s--- rendered:\n%s--- input:\n%s",
             again.formatErrors().c_str(), rendered.c_str(), escape(yaml, 4096).c_str());
  FUZZ_CHECK(*again.config == config,
             "the rendered config loads into different values\n--- rendered:\n%s--- re-rendered:\n"
             "%s--- input:\n%s",
             rendered.c_str(),
             config::renderConfigYaml(*again.config, {.redact_secrets = false}).c_str(),
             escape(yaml, 4096).c_str());
  return 0;
}
