#include "proxy/config/config_writer.h"

#include <charconv>

#include "proxy/config/config_node.h"

namespace outrigger::config {
namespace {

// Text read back by the loader goes through ${VAR} substitution, so a literal '$' must be
// written as "$$".
std::string escaped(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    out += c;
    if (c == '$') out += '$';
  }
  return out;
}

}  // namespace

ConfigWriter::ConfigWriter(const ConfigProvenance& provenance, bool redact)
    : provenance_(provenance), redact_(redact) {
  out_ << YAML::BeginMap;
  open_.push_back(Open{"", 0});
}

std::string ConfigWriter::pathOf(std::string_view key) const {
  return childPath(open_.back().path, key);
}

bool ConfigWriter::redacted(const std::string& path) const {
  return redact_ && provenance_.containsSecret(path);
}

void ConfigWriter::emitText(const std::string& text) { out_ << escaped(text); }

void ConfigWriter::beginMap(std::string_view key) {
  const std::string path = pathOf(key);
  out_ << YAML::Key << std::string(key) << YAML::Value << YAML::BeginMap;
  open_.push_back(Open{path, 0});
}

void ConfigWriter::beginItemMap() {
  Open& list = open_.back();
  ++list.items;
  const std::string path = itemPath(list.path, list.items - 1);
  out_ << YAML::BeginMap;
  open_.push_back(Open{path, 0});
}

void ConfigWriter::endMap() {
  out_ << YAML::EndMap;
  open_.pop_back();
}

void ConfigWriter::beginList(std::string_view key) {
  const std::string path = pathOf(key);
  out_ << YAML::Key << std::string(key) << YAML::Value << YAML::BeginSeq;
  open_.push_back(Open{path, 0});
}

void ConfigWriter::endList() {
  out_ << YAML::EndSeq;
  open_.pop_back();
}

void ConfigWriter::scalar(std::string_view key, const std::string& text) {
  out_ << YAML::Key << std::string(key) << YAML::Value;
  if (redacted(pathOf(key))) {
    out_ << std::string(kRedacted);
  } else {
    emitText(text);
  }
}

void ConfigWriter::secret(std::string_view key, const std::string& text) {
  out_ << YAML::Key << std::string(key) << YAML::Value;
  if (redact_) {
    out_ << std::string(kRedacted);
  } else {
    emitText(text);
  }
}

void ConfigWriter::scalarList(std::string_view key, const std::vector<std::string>& items) {
  const std::string path = pathOf(key);
  out_ << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (size_t i = 0; i < items.size(); ++i) {
    if (redacted(itemPath(path, i))) {
      out_ << std::string(kRedacted);
    } else {
      emitText(items[i]);
    }
  }
  out_ << YAML::EndSeq;
}

void ConfigWriter::normalisedList(std::string_view key, const std::vector<std::string>& items) {
  if (redacted(pathOf(key))) {
    out_ << YAML::Key << std::string(key) << YAML::Value << std::string(kRedacted);
    return;
  }
  out_ << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const std::string& item : items) emitText(item);
  out_ << YAML::EndSeq;
}

std::string ConfigWriter::finish() {
  out_ << YAML::EndMap;
  open_.clear();
  return std::string(out_.c_str()) + "\n";
}

std::string formatNumber(double value) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) return "0";  // unreachable: 64 bytes hold any double
  return std::string(buf, end);
}

}  // namespace outrigger::config
