#include "proxy/config/config_node.h"

namespace outrigger::config {
namespace {

constexpr size_t kMaxQuotedLength = 60;

}  // namespace

const ConfigNode* ConfigNode::find(std::string_view name) const {
  if (kind != Kind::kMap) return nullptr;
  for (const ConfigNode& child : children)
    if (child.key == name) return &child;
  return nullptr;
}

std::string ConfigNode::describe() const {
  switch (kind) {
    case Kind::kNull:
      return "nothing";
    case Kind::kList:
      return "a list";
    case Kind::kMap:
      return "a map";
    case Kind::kScalar:
      break;
  }
  if (scalar.size() <= kMaxQuotedLength) return "'" + scalar + "'";
  return "'" + scalar.substr(0, kMaxQuotedLength) + "...'";
}

std::string childPath(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

std::string itemPath(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

}  // namespace outrigger::config
