#pragma once
// Writes config YAML in the loader's syntax while tracking the key path of every value, so a
// value that came from a secret-named environment variable prints as "<redacted>".

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/provenance.h"

namespace outrigger::config {

inline constexpr std::string_view kRedacted = "<redacted>";

class ConfigWriter {
 public:
  // With `redact` false every value is printed as it is (for text that must load back).
  ConfigWriter(const ConfigProvenance& provenance, bool redact);

  // A nested map under `key` of the current map.
  void beginMap(std::string_view key);
  // The next item of the current list, as a map.
  void beginItemMap();
  void endMap();
  // A list of maps under `key`; fill it with beginItemMap / endMap.
  void beginList(std::string_view key);
  void endList();

  // `text` is the value as the loader would read it; '$' is escaped here.
  void scalar(std::string_view key, const std::string& text);
  // Printed as "<redacted>" whenever redacting, wherever it came from (admin.token).
  void secret(std::string_view key, const std::string& text);
  // A flow list of scalars, redacted item by item.
  void scalarList(std::string_view key, const std::vector<std::string>& items);
  // A flow list the loader reorders or de-duplicates (retry_on, shadow): printed items do not
  // line up with written ones, so one secret item redacts the whole list.
  void normalisedList(std::string_view key, const std::vector<std::string>& items);

  // The document, ending in a newline. Call once, with every map and list closed.
  std::string finish();

 private:
  std::string pathOf(std::string_view key) const;
  bool redacted(const std::string& path) const;
  void emitText(const std::string& text);

  const ConfigProvenance& provenance_;
  bool redact_;
  YAML::Emitter out_;
  // The path of each open map or list; a list also counts the items begun in it.
  struct Open {
    std::string path;
    size_t items = 0;
  };
  std::vector<Open> open_;
};

// The shortest decimal text that reads back as the same double: 2, 1.5, 0.1.
std::string formatNumber(double value);

}  // namespace outrigger::config
