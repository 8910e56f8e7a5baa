#include "proxy/config/provenance.h"

#include "proxy/config/policies.h"
#include "proxy/config/sections.h"

namespace outrigger::config {
namespace {

// Merged values keep the path they were written at (mergeDefaults), so the path tells
// whether a value is the upstream's own or came from `defaults:`.
bool writtenInDefaults(const ConfigNode& node) {
  return node.path == "defaults" || node.path.starts_with("defaults.");
}

// `effective_path` is where renderConfigYaml prints the value, which for a value merged
// from `defaults:` is not where it was written.
void collectSecrets(const ConfigNode& node, const std::string& effective_path,
                    std::vector<std::string>& out) {
  if (node.isScalar() && node.secret) out.push_back(effective_path);
  for (size_t i = 0; i < node.children.size(); ++i) {
    const ConfigNode& child = node.children[i];
    collectSecrets(
        child, node.isMap() ? childPath(effective_path, child.key) : itemPath(effective_path, i),
        out);
  }
}

void recordWritten(const ConfigNode& map, const std::string& relative_path, UpstreamSources& out) {
  if (!map.isMap()) return;
  for (const ConfigNode& child : map.children) {
    const std::string path = childPath(relative_path, child.key);
    out.record(path, ValueSource{writtenInDefaults(child) ? SourceKind::kDefaultsBlock
                                                          : SourceKind::kUpstreamBlock,
                                 ""});
    recordWritten(child, path, out);
  }
}

UpstreamSources traceUpstream(const ConfigNode& merged) {
  UpstreamSources sources;
  recordWritten(merged, "", sources);
  const ConfigNode* profile = merged.find("profile");
  if (profile == nullptr || !profile->isScalar() || !isProfileName(profile->scalar)) {
    return sources;
  }
  const ValueSource from_profile{
      writtenInDefaults(*profile) ? SourceKind::kProfileInDefaults : SourceKind::kProfileInUpstream,
      profile->scalar};
  for (std::string_view path : profileKeyPaths()) sources.record(std::string(path), from_profile);
  return sources;
}

}  // namespace

std::string ValueSource::label() const {
  switch (kind) {
    case SourceKind::kBuiltIn:
      return "default";
    case SourceKind::kProfileInDefaults:
      return "profile " + profile + " (defaults)";
    case SourceKind::kProfileInUpstream:
      return "profile " + profile + " (upstream)";
    case SourceKind::kDefaultsBlock:
      return "defaults";
    case SourceKind::kUpstreamBlock:
      return "upstream";
  }
  return "default";
}

ValueSource UpstreamSources::sourceOf(std::string_view key_path) const {
  const auto it = sources_.find(key_path);
  return it == sources_.end() ? ValueSource{} : it->second;
}

void UpstreamSources::record(const std::string& key_path, ValueSource source) {
  sources_.emplace(key_path, std::move(source));
}

bool ConfigProvenance::containsSecret(std::string_view path) const {
  for (const std::string& secret : secret_paths) {
    if (!secret.starts_with(path)) continue;
    if (secret.size() == path.size()) return true;
    const char next = secret[path.size()];
    if (next == '.' || next == '[') return true;
  }
  return false;
}

const UpstreamSources& ConfigProvenance::sourcesOf(std::string_view upstream) const {
  static const UpstreamSources kNone;
  const auto it = upstreams.find(upstream);
  return it == upstreams.end() ? kNone : it->second;
}

ConfigProvenance traceProvenance(const ConfigNode& root) {
  ConfigProvenance out;
  if (!root.isMap()) return out;
  const ConfigNode* defaults = root.find("defaults");
  for (const ConfigNode& section : root.children) {
    // `defaults:` is not printed on its own: its values appear under every upstream.
    if (section.key == "defaults") continue;
    if (section.key != "upstreams" || !section.isMap()) {
      collectSecrets(section, section.key, out.secret_paths);
      continue;
    }
    for (const ConfigNode& entry : section.children) {
      const ConfigNode merged = defaults ? mergeDefaults(*defaults, entry) : entry;
      collectSecrets(merged, childPath("upstreams", entry.key), out.secret_paths);
      out.upstreams.emplace(entry.key, traceUpstream(merged));
    }
  }
  return out;
}

}  // namespace outrigger::config
