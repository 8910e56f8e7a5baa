#pragma once
// The YAML document as a plain tree that remembers where each value was written.
// yaml-cpp nodes can't be built with a position, so `defaults:` merging and
// ${VAR} substitution happen on this tree: a value merged from `defaults:` keeps the
// path and position of the line it came from.

#include <string>
#include <string_view>
#include <vector>

namespace outrigger::config {

// 0-based, as yaml-cpp reports it; -1 when unknown.
struct SourceMark {
  int line = -1;
  int column = -1;
  bool known() const { return line >= 0 && column >= 0; }
};

struct ConfigNode {
  enum class Kind { kNull, kScalar, kList, kMap };

  Kind kind = Kind::kNull;
  std::string path;  // where the value is written: "upstreams.payments.pool"
  SourceMark mark;
  std::string scalar;  // kScalar only, after ${VAR} substitution
  std::string key;     // set when this node is the value of a map entry
  SourceMark key_mark;
  std::vector<ConfigNode> children;  // list items, or map entries in file order
  // The value could not be substituted and was reported already; no further message about
  // it would help.
  bool reported = false;
  // The scalar references an environment variable whose name looks secret
  // (isSecretVariableName), so the value must never be printed.
  bool secret = false;

  bool isNull() const { return kind == Kind::kNull; }
  bool isScalar() const { return kind == Kind::kScalar; }
  bool isList() const { return kind == Kind::kList; }
  bool isMap() const { return kind == Kind::kMap; }

  // The first entry with this key, or nullptr (also for non-maps).
  const ConfigNode* find(std::string_view name) const;
  // For messages: "'abc'" (long values shortened), "a list", "a map" or "nothing".
  std::string describe() const;
};

// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string childPath(const std::string& parent, std::string_view key);
// "a.b" + 2 -> "a.b[2]".
std::string itemPath(const std::string& parent, size_t index);

}  // namespace outrigger::config
