#include "proxy/config/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <sstream>
#include <vector>

namespace outrigger::config {
namespace {

// Aliases are expanded into copies, so a small file can describe a huge tree
// ("billion laughs"). Real configs have a few thousand values at most.
constexpr size_t kMaxValues = 200'000;
// An alias inside its own anchor ("&a [*a]") makes a cycle; real configs nest a few levels.
constexpr int kMaxDepth = 64;

SourceMark markOf(const YAML::Mark& m) {
  if (m.is_null()) return {};
  return SourceMark{m.line, m.column};
}

SourceMark markOf(const YAML::Node& node) { return markOf(node.Mark()); }

class TreeBuilder {
 public:
  TreeBuilder(const EnvLookup& env, Diagnostics& diag) : env_(env), diag_(diag) {}

  void build(const YAML::Node& from, ConfigNode& to, int depth = 0) {
    if (too_large_) return;
    if (!to.mark.known()) to.mark = markOf(from);
    if (++count_ > kMaxValues || depth > kMaxDepth) {
      too_large_ = true;
      diag_.error(to.mark, to.path,
                  depth > kMaxDepth
                      ? "values are nested too deeply (does an alias refer to itself?)"
                      : "the document has more than " + std::to_string(kMaxValues) +
                            " values (do aliases expand recursively?)");
      return;
    }
    switch (from.Type()) {
      case YAML::NodeType::Scalar:
        buildScalar(from, to);
        break;
      case YAML::NodeType::Sequence:
        buildList(from, to, depth);
        break;
      case YAML::NodeType::Map:
        buildMap(from, to, depth);
        break;
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        to.kind = ConfigNode::Kind::kNull;
        break;
    }
  }

 private:
  void buildScalar(const YAML::Node& from, ConfigNode& to) {
    to.kind = ConfigNode::Kind::kScalar;
    Substitution s = substituteEnv(from.Scalar(), env_);
    to.scalar = std::move(s.value);
    for (auto& message : s.errors) diag_.error(to, std::move(message));
    to.reported = !s.errors.empty();
    to.secret = std::any_of(s.variables.begin(), s.variables.end(), isSecretVariableName);
  }

  void buildList(const YAML::Node& from, ConfigNode& to, int depth) {
    to.kind = ConfigNode::Kind::kList;
    size_t index = 0;
    for (auto it = from.begin(); it != from.end(); ++it, ++index) {
      ConfigNode item;
      item.path = itemPath(to.path, index);
      build(*it, item, depth + 1);
      to.children.push_back(std::move(item));
    }
  }

  void buildMap(const YAML::Node& from, ConfigNode& to, int depth) {
    to.kind = ConfigNode::Kind::kMap;
    for (auto it = from.begin(); it != from.end(); ++it) {
      ConfigNode entry;
      entry.key_mark = markOf(it->first);
      if (!it->first.IsScalar()) {
        diag_.error(entry.key_mark, to.path, "map keys must be plain names, not lists or maps");
        continue;
      }
      entry.key = it->first.Scalar();
      entry.path = childPath(to.path, entry.key);
      // A missing value ("key:" then a newline) is placed by yaml-cpp at the next token,
      // often on the next line; point at the key instead.
      const SourceMark value_mark = markOf(it->second);
      entry.mark = it->second.IsNull() && value_mark.line != entry.key_mark.line ? entry.key_mark
                                                                                 : value_mark;
      build(it->second, entry, depth + 1);
      to.children.push_back(std::move(entry));
    }
  }

  const EnvLookup& env_;
  Diagnostics& diag_;
  size_t count_ = 0;
  bool too_large_ = false;
};

// Records where documents start, and nothing else.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

std::optional<YAML::Node> parseSingleDocument(const std::string& yaml, Diagnostics& diag) {
  // Not YAML::LoadAll: in yaml-cpp 0.7 a document starting with a stray ',' yields the same
  // empty document forever, until memory runs out (jbeder/yaml-cpp#1040, fixed in #1319).
  // Reading at most two documents is enough to tell "one" from "more than one".
  std::istringstream in(yaml);
  YAML::Parser parser(in);
  DocumentStarts docs;
  while (docs.starts.size() < 2 && parser.HandleNextDocument(docs)) {
  }
  if (docs.starts.size() == 2) {
    const YAML::Mark& second = docs.starts[1];
    if (second.pos == docs.starts[0].pos) {  // the parser made no progress: the bug above
      const char c = second.pos >= 0 && static_cast<size_t>(second.pos) < yaml.size()
                         ? yaml[static_cast<size_t>(second.pos)]
                         : '?';
      diag.error(markOf(second), "", "invalid YAML: unexpected '" + std::string(1, c) + "'");
      return std::nullopt;
    }
    diag.error(markOf(second), "",
               "only one YAML document is allowed per file (remove the second '---')");
  }
  return YAML::Load(yaml);
}

ConfigNode buildConfigTree(const YAML::Node& root, const EnvLookup& env, Diagnostics& diag) {
  ConfigNode tree;
  TreeBuilder(env, diag).build(root, tree);
  return tree;
}

}  // namespace outrigger::config
