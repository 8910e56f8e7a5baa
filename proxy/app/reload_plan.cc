#include "proxy/app/reload_plan.h"

namespace outrigger::app {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

void appendNames(std::string& out, const char* label, const std::vector<std::string>& names) {
  if (names.empty()) return;
  out += out.back() == '(' ? "" : "; ";
  out += std::string(label) + ": " + joined(names);
}

std::string section(const char* what, const std::vector<std::string>& added,
                    const std::vector<std::string>& removed,
                    const std::vector<std::pair<const char*, const std::vector<std::string>*>>&
                        changed_lists) {
  size_t changed = 0;
  for (const auto& [label, list] : changed_lists) changed += list->size();
  std::string out = std::string(what) + " +" + std::to_string(added.size()) + " -" +
                    std::to_string(removed.size()) + " ~" + std::to_string(changed);
  if (added.empty() && removed.empty() && changed == 0) return out;
  out += " (";
  appendNames(out, "added", added);
  appendNames(out, "removed", removed);
  for (const auto& [label, list] : changed_lists) appendNames(out, label, *list);
  return out + ")";
}

}  // namespace

std::string ReloadPlan::summary() const {
  std::string out = section("upstreams", upstreams_added, upstreams_removed,
                            {{"changed", &upstreams_changed}});
  out += "; " + section("listeners", listeners_added, listeners_removed,
                        {{"new address", &listeners_rebound}, {"changed", &listeners_changed}});
  if (!redis_change.empty()) out += "; redis " + redis_change;
  if (!needs_restart.empty()) out += "; needs a restart to change: " + joined(needs_restart);
  return out;
}

ReloadPlan planReload(const config::Config& from, const config::Config& to) {
  ReloadPlan plan;
  for (const auto& u : to.upstreams) {
    const config::UpstreamConfig* old = from.findUpstream(u.name);
    if (old == nullptr) {
      plan.upstreams_added.push_back(u.name);
    } else if (*old == u) {
      plan.upstreams_kept.push_back(u.name);
    } else {
      plan.upstreams_changed.push_back(u.name);
    }
  }
  for (const auto& u : from.upstreams) {
    if (to.findUpstream(u.name) == nullptr) plan.upstreams_removed.push_back(u.name);
  }
  for (const auto& l : to.listeners) {
    const config::ListenerConfig* old = from.findListener(l.name);
    if (old == nullptr) {
      plan.listeners_added.push_back(l.name);
    } else if (!(old->listen == l.listen)) {
      plan.listeners_rebound.push_back(l.name);
    } else if (!(*old == l)) {
      plan.listeners_changed.push_back(l.name);
    }
  }
  for (const auto& l : from.listeners) {
    if (to.findListener(l.name) == nullptr) plan.listeners_removed.push_back(l.name);
  }
  if (from.redis != to.redis) {
    plan.redis_change = !from.redis ? "added" : !to.redis ? "removed" : "changed";
  }
  if (from.workers != to.workers) plan.needs_restart.push_back("workers");
  if (!(from.admin.listen == to.admin.listen)) plan.needs_restart.push_back("admin.listen");
  if (!(from.access_log == to.access_log)) plan.needs_restart.push_back("access_log");
  return plan;
}

config::Config withRestartOnlySettingsOf(const config::Config& from, config::Config to) {
  to.workers = from.workers;
  to.admin.listen = from.admin.listen;
  to.access_log = from.access_log;
  return to;
}

}  // namespace outrigger::app
