#pragma once
// Collects every config error instead of stopping at the first, then hands them back
// sorted by position with exact duplicates removed (a bad value in `defaults:` is seen once
// per upstream it is merged into, but reported once).

#include <string>
#include <utility>
#include <vector>

#include "proxy/config/config_error.h"
#include "proxy/config/config_node.h"

namespace outrigger::config {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  // At the node's value, under the node's own path. Dropped for a value that already has
  // an error (a failed ${VAR}), so one mistake gives one message.
  void error(const ConfigNode& node, std::string message);
  // At the node's key (for map entries), under `path`.
  void errorAtKey(const ConfigNode& entry, std::string path, std::string message);
  void error(SourceMark mark, std::string path, std::string message);

  bool empty() const { return errors_.empty(); }
  size_t errorCount() const { return errors_.size(); }
  const std::string& file() const { return file_; }
  std::vector<ConfigError> take();

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

}  // namespace outrigger::config
