#include "proxy/config/diagnostics.h"

#include <algorithm>

namespace outrigger::config {

void Diagnostics::error(const ConfigNode& node, std::string message) {
  if (node.reported) return;
  error(node.mark, node.path, std::move(message));
}

void Diagnostics::errorAtKey(const ConfigNode& entry, std::string path, std::string message) {
  error(entry.key_mark.known() ? entry.key_mark : entry.mark, std::move(path), std::move(message));
}

void Diagnostics::error(SourceMark mark, std::string path, std::string message) {
  ConfigError e;
  e.file = file_;
  if (mark.known()) {
    e.line = mark.line + 1;
    e.column = mark.column + 1;
  }
  e.path = std::move(path);
  e.message = std::move(message);
  errors_.push_back(std::move(e));
}

std::vector<ConfigError> Diagnostics::take() {
  // Positioned errors in file order; errors about the file as a whole come last.
  std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
    const bool a_pos = a.line > 0;
    const bool b_pos = b.line > 0;
    if (a_pos != b_pos) return a_pos;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
  std::vector<ConfigError> unique;
  for (auto& e : errors_) {
    if (std::find(unique.begin(), unique.end(), e) == unique.end()) unique.push_back(std::move(e));
  }
  errors_.clear();
  return unique;
}

}  // namespace outrigger::config
