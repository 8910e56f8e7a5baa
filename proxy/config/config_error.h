#pragma once
// One problem found in a config file, positioned so an operator can jump to it.

#include <string>

namespace outrigger::config {

struct ConfigError {
  std::string file;
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown
  std::string path;  // "listeners[0].routes[1].upstream"; empty for the whole file
  std::string message;

  // "FILE:LINE:COL: path.to.key: message", or "FILE: path: message" without a position;
  // the path part is left out when it is empty.
  std::string format() const;

  friend bool operator==(const ConfigError&, const ConfigError&) = default;
};

}  // namespace outrigger::config
