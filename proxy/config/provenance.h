#pragma once
// Where the effective values came from: which ones were taken from secret-named environment
// variables (so they are never printed), and, for each upstream, whether a value is a
// built-in default, a profile's, from `defaults:` or from the upstream's own block (for
// `outrigger explain`). It describes values but is not one of them: see ConfigProvenance's
// operator==.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/config_node.h"

namespace outrigger::config {

enum class SourceKind {
  kBuiltIn,            // nothing set it: the schema's default, or the block's
  kProfileInDefaults,  // a profile selected in `defaults:`
  kProfileInUpstream,  // a profile selected in the upstream's own block
  kDefaultsBlock,      // written in `defaults:`
  kUpstreamBlock,      // written in the upstream's own block
};

struct ValueSource {
  SourceKind kind = SourceKind::kBuiltIn;
  std::string profile;  // the profile's name, for the two profile kinds

  // "default", "profile batch (defaults)", "profile batch (upstream)", "defaults" or
  // "upstream".
  std::string label() const;

  friend bool operator==(const ValueSource&, const ValueSource&) = default;
};

// The sources of one upstream's values, by key path relative to the upstream:
// "timeouts.connect", "retry" (the block itself), "retry.backoff.initial".
class UpstreamSources {
 public:
  // kBuiltIn for a path that nothing set.
  ValueSource sourceOf(std::string_view key_path) const;
  // Keeps the first source recorded for a path: explicit keys are recorded before the
  // profile they override.
  void record(const std::string& key_path, ValueSource source);

 private:
  std::map<std::string, ValueSource, std::less<>> sources_;
};

struct ConfigProvenance {
  // Full key paths, as renderConfigYaml prints them ("upstreams.payments.endpoints[0]"), of
  // every scalar that references a secret-named variable (isSecretVariableName).
  std::vector<std::string> secret_paths;
  std::map<std::string, UpstreamSources, std::less<>> upstreams;  // by upstream name

  // True when the value at `path`, or any value inside it, came from a secret variable.
  bool containsSecret(std::string_view path) const;
  // Empty sources (everything built in) for an unknown upstream.
  const UpstreamSources& sourcesOf(std::string_view upstream) const;

  // Always equal. Two configs with the same values behave the same wherever the values were
  // written, so a reload that moves a key from an upstream into `defaults:` changes nothing.
  friend bool operator==(const ConfigProvenance&, const ConfigProvenance&) { return true; }
};

// Traces the document tree (after ${VAR} substitution) the way the loader reads it:
// `defaults:` merged under each upstream, a profile under explicit keys.
ConfigProvenance traceProvenance(const ConfigNode& root);

}  // namespace outrigger::config
