#include "tests/support/lib/fixtures.h"

#include <signal.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace outrigger::testing {
namespace {

constexpr auto kStartTimeout = std::chrono::milliseconds(10000);

long jsonNumberAfter(const std::string& json, const std::string& key) {
  auto pos = json.find("\"" + key + "\":");
  if (pos == std::string::npos) return 0;
  return std::atol(json.c_str() + pos + key.size() + 3);
}

std::map<std::string, std::string> parseLabels(const std::string& inside) {
  std::map<std::string, std::string> labels;
  size_t i = 0;
  while (i < inside.size()) {
    auto eq = inside.find('=', i);
    if (eq == std::string::npos) break;
    std::string key = inside.substr(i, eq - i);
    size_t j = eq + 2;  // after ="
    std::string value;
    while (j < inside.size() && inside[j] != '"') {
      if (inside[j] == '\\' && j + 1 < inside.size()) ++j;
      value += inside[j++];
    }
    labels[key] = value;
    i = j + 1;
    if (i < inside.size() && inside[i] == ',') ++i;
  }
  return labels;
}

}  // namespace

MockUpstream::MockUpstream(const TempDir& dir, const std::string& name,
                           const std::vector<std::string>& extra_args) {
  const std::string port_file = dir.file(name + ".port");
  std::vector<std::string> args = {MOCK_UPSTREAM_BINARY, "--port", "0", "--port-file", port_file};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  if (!process_.start(args, dir.file(name + ".log"))) return;
  if (!waitForFile(port_file, kStartTimeout)) return;
  port_ = static_cast<uint16_t>(std::atoi(readFile(port_file).c_str()));
}

MockUpstream::~MockUpstream() { kill(); }

long MockUpstream::hits(const std::string& path) const {
  auto r = httpRequest(port_, "GET", "/__stats");
  return r ? jsonNumberAfter(r->body, path) : -1;
}

long MockUpstream::connectionsTotal() const {
  auto r = httpRequest(port_, "GET", "/__stats");
  return r ? jsonNumberAfter(r->body, "connections_total") : -1;
}

void MockUpstream::resetStats() const { httpRequest(port_, "POST", "/__stats/reset"); }

void MockUpstream::kill() {
  process_.signal(SIGKILL);
  process_.wait(std::chrono::milliseconds(5000));
}

OutriggerProcess::OutriggerProcess(const TempDir& dir, const std::string& yaml,
                                   const std::string& name) {
  config_path_ = dir.file(name + ".yaml");
  ports_path_ = dir.file(name + ".ports");
  dir.write(name + ".yaml", yaml);
  if (!process_.start({OUTRIGGER_BINARY, "-c", config_path_, "--ports-file", ports_path_},
                      dir.file(name + ".log")))
    return;
  if (!waitForFile(ports_path_, kStartTimeout)) return;
  ok_ = readPorts();
}

void OutriggerProcess::writeConfig(const std::string& yaml) const {
  const std::string tmp = config_path_ + ".new";
  {
    std::ofstream out(tmp);
    out << yaml;
  }
  std::rename(tmp.c_str(), config_path_.c_str());
}

bool OutriggerProcess::readPorts() {
  std::istringstream in(readFile(ports_path_));
  ports_.clear();
  admin_port_ = 0;
  std::string kind;
  while (in >> kind) {
    if (kind == "admin") {
      in >> admin_port_;
    } else if (kind == "listener") {
      std::string listener;
      uint16_t port = 0;
      in >> listener >> port;
      ports_[listener] = port;
    }
  }
  return admin_port_ != 0 && !ports_.empty();
}

OutriggerProcess::~OutriggerProcess() {
  process_.signal(SIGKILL);
  process_.wait(std::chrono::milliseconds(5000));
}

uint16_t OutriggerProcess::port(const std::string& listener) const {
  auto it = ports_.find(listener);
  return it == ports_.end() ? 0 : it->second;
}

std::string OutriggerProcess::metrics() const {
  auto r = httpRequest(admin_port_, "GET", "/metrics");
  return r ? r->body : "";
}

std::optional<double> OutriggerProcess::metric(
    const std::string& name, const std::map<std::string, std::string>& labels) const {
  return findMetric(metrics(), name, labels);
}

std::optional<double> findMetric(const std::string& text, const std::string& name,
                                 const std::map<std::string, std::string>& labels) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.compare(0, name.size(), name) != 0) continue;
    size_t rest = name.size();
    std::map<std::string, std::string> found;
    if (rest < line.size() && line[rest] == '{') {
      auto close = line.find("} ", rest);
      if (close == std::string::npos) continue;
      found = parseLabels(line.substr(rest + 1, close - rest - 1));
      rest = close + 1;
    }
    if (rest >= line.size() || line[rest] != ' ') continue;
    if (found != labels) continue;
    return std::stod(line.substr(rest + 1));
  }
  return std::nullopt;
}

}  // namespace outrigger::testing
