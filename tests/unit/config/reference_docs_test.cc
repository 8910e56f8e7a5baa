// config/README.md documents exactly the keys the loader accepts, each with a type, a
// default, a meaning and an example that loads. The accepted keys come from kKeySets, the
// lists the loader itself checks maps against, so a new key fails here until it is
// documented.
//
// The convention in config/README.md: a key table has the header
// `| key | type | default | meaning | example |`, and each row starts with the key's full
// path in backticks (`upstreams.<name>.retry.backoff.initial`, `listeners[].name`); the
// example is one backticked YAML value.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "proxy/config/keys.h"
#include "proxy/config/loader.h"

namespace outrigger::config {
namespace {

struct DocumentedKey {
  std::string path;
  std::vector<std::string> cells;  // key, type, default, meaning, example
  int line = 0;
};

struct ReferenceDocs {
  std::vector<DocumentedKey> keys;
};

std::string trim(std::string s) {
  const size_t begin = s.find_first_not_of(" \t");
  const size_t end = s.find_last_not_of(" \t");
  return begin == std::string::npos ? "" : s.substr(begin, end - begin + 1);
}

// The cells of a markdown table row; "\|" is a pipe inside a cell.
std::vector<std::string> cellsOf(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      cell += '|';
      ++i;
    } else if (line[i] == '|') {
      cells.push_back(trim(cell));
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return cells;
}

// "`x`" -> "x"; "" when the cell is not one backticked span.
std::string backticked(const std::string& cell) {
  if (cell.size() < 2 || cell.front() != '`' || cell.back() != '`') return "";
  const std::string inner = cell.substr(1, cell.size() - 2);
  return inner.find('`') == std::string::npos ? inner : "";
}

ReferenceDocs readReferenceDocs() {
  std::ifstream in(std::string(OUTRIGGER_SOURCE_DIR) + "/config/README.md");
  EXPECT_TRUE(in) << "cannot open config/README.md";
  ReferenceDocs docs;
  enum class Table { kNone, kKeys } table = Table::kNone;
  const std::vector<std::string> key_header = {"key", "type", "default", "meaning", "example"};
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.starts_with("|")) {
      table = Table::kNone;
      continue;
    }
    const std::vector<std::string> cells = cellsOf(line);
    if (table == Table::kNone) {
      if (cells == key_header) table = Table::kKeys;
      continue;
    }
    if (line.starts_with("|---")) continue;
    const std::string path = cells.empty() ? "" : backticked(cells[0]);
    docs.keys.push_back(DocumentedKey{path, cells, number});
  }
  return docs;
}

// Every key path the loader accepts, and the maps among them (documented through their
// keys, so they need no row of their own).
std::set<std::string> acceptedKeyPaths() {
  std::set<std::string> paths;
  for (const KeySet& set : kKeySets) {
    for (std::string_view key : set.keys) {
      paths.insert(set.path.empty() ? std::string(key)
                                    : std::string(set.path) + "." + std::string(key));
    }
  }
  return paths;
}

bool isMapOfKeys(const std::string& path) {
  for (const KeySet& set : kKeySets) {
    if (set.path == path) return true;
  }
  return false;
}

constexpr std::string_view kBase =
    "listeners:\n"
    "  - name: outbound\n"
    "    listen: 127.0.0.1:15001\n"
    "    routes: [ { upstream: payments } ]\n"
    "upstreams:\n"
    "  payments:\n"
    "    endpoints: [ \"127.0.0.1:8080\" ]\n";

// kBase with `example` written at the documented `path`; returns the path as the loader
// reports it ("listeners[0].limits.idle_timeout", "upstreams.payments.pool.max_idle").
std::string placeExample(YAML::Node& root, const std::string& path, const YAML::Node& example) {
  std::vector<std::string> segments;
  std::stringstream split(path);
  for (std::string segment; std::getline(split, segment, '.');) segments.push_back(segment);
  std::string concrete;
  YAML::Node at = root;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    const std::string& segment = segments[i];
    const std::string dot = concrete.empty() ? "" : ".";
    if (segment.ends_with("[]")) {
      const std::string list = segment.substr(0, segment.size() - 2);
      at.reset(at[list][0]);
      concrete += dot + list + "[0]";
    } else if (segment == "<name>") {
      at.reset(at["payments"]);
      concrete += dot + "payments";
    } else {
      at.reset(at[segment]);
      concrete += dot + segment;
    }
  }
  at[segments.back()] = example;
  return concrete + (concrete.empty() ? "" : ".") + segments.back();
}

bool isAtOrUnder(const std::string& error_path, const std::string& path) {
  return error_path == path || (error_path.starts_with(path) &&
                                (error_path[path.size()] == '.' || error_path[path.size()] == '['));
}

TEST(ConfigReferenceDocsTest, KeyTablesAreFoundAndEveryRowIsComplete) {
  const ReferenceDocs docs = readReferenceDocs();
  // Guards the parser: if it stopped finding tables, the tests below would pass vacuously.
  EXPECT_GT(docs.keys.size(), 80u);
  std::set<std::string> seen;
  for (const DocumentedKey& key : docs.keys) {
    SCOPED_TRACE("config/README.md:" + std::to_string(key.line));
    ASSERT_EQ(key.cells.size(), 5u);
    EXPECT_FALSE(key.path.empty()) << "the first cell must be the key path in backticks";
    for (const std::string& cell : key.cells) EXPECT_FALSE(cell.empty());
    EXPECT_FALSE(backticked(key.cells[4]).empty()) << "the example must be one backticked value";
    EXPECT_TRUE(seen.insert(key.path).second) << key.path << " is documented twice";
  }
}

TEST(ConfigReferenceDocsTest, EveryDocumentedKeyIsAcceptedAndItsExampleLoads) {
  const std::set<std::string> accepted = acceptedKeyPaths();
  // Any variable an example refers to is set.
  const EnvLookup env = [](const std::string&) { return std::optional<std::string>("example"); };
  for (const DocumentedKey& key : readReferenceDocs().keys) {
    SCOPED_TRACE("config/README.md:" + std::to_string(key.line) + ": " + key.path);
    EXPECT_TRUE(accepted.contains(key.path)) << "documented, but the loader does not accept it";
    YAML::Node root = YAML::Load(std::string(kBase));
    const std::string concrete = placeExample(root, key.path, YAML::Load(backticked(key.cells[4])));
    // socket_mode is for Unix socket listeners only: its example needs one.
    if (key.path == "listeners[].socket_mode") root["listeners"][0]["listen"] = "unix:/tmp/o.sock";
    // A split replaces the base route's upstream.
    if (key.path.starts_with("listeners[].routes[].split"))
      root["listeners"][0]["routes"][0].remove("upstream");
    // service is for gRPC checks only, which need HTTP/2.
    if (key.path == "upstreams.<name>.health_check.service") {
      root["upstreams"]["payments"]["health_check"]["type"] = "grpc";
      root["upstreams"]["payments"]["protocol"] = "http2";
    }
    // upstream is for protocol: tcp listeners only, which have no routes.
    if (key.path == "listeners[].upstream") {
      root["listeners"][0]["protocol"] = "tcp";
      root["listeners"][0].remove("routes");
    }
    YAML::Emitter yaml;
    yaml << root;
    const LoadResult r = loadConfigString(yaml.c_str(), "example.yaml", env);
    for (const ConfigError& e : r.errors) {
      // A sibling the example needs (slow_call.rate for slow_call.duration) may be missing;
      // the example itself must be a valid value.
      EXPECT_FALSE(isAtOrUnder(e.path, concrete)) << e.format() << "\n" << yaml.c_str();
      EXPECT_THAT(e.message, ::testing::Not(::testing::HasSubstr("unknown key"))) << e.format();
    }
  }
}

TEST(ConfigReferenceDocsTest, EveryAcceptedKeyIsDocumented) {
  std::set<std::string> documented;
  for (const DocumentedKey& key : readReferenceDocs().keys) documented.insert(key.path);
  for (const std::string& path : acceptedKeyPaths()) {
    if (isMapOfKeys(path)) continue;
    EXPECT_TRUE(documented.contains(path))
        << path << " is accepted by the loader but not documented in config/README.md";
  }
}

// Each key set's path must name a key of its parent set, or its keys would be checked
// under a path that does not exist in a file, and documented under it too.
TEST(ConfigReferenceDocsTest, EveryKeySetHangsOffAKeyOfItsParent) {
  const std::set<std::string> accepted = acceptedKeyPaths();
  for (const KeySet& set : kKeySets) {
    if (set.path.empty()) continue;
    std::string path(set.path);
    if (path.ends_with("[]")) path.resize(path.size() - 2);
    if (path.ends_with(".<name>")) path.resize(path.size() - 7);
    EXPECT_TRUE(accepted.contains(path)) << set.path;
  }
}

}  // namespace
}  // namespace outrigger::config
