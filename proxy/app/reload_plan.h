#pragma once
// What a reload changes (DESIGN §7), worked out from the old and new config alone: which
// upstreams keep their runtime state (breaker, buckets, pools...), which start fresh, which
// listeners keep their sockets, and which settings only a restart can change. Pure.

#include <string>
#include <vector>

#include "proxy/config/schema.h"

namespace outrigger::app {

struct ReloadPlan {
  std::vector<std::string> upstreams_added;
  std::vector<std::string> upstreams_removed;
  std::vector<std::string> upstreams_changed;  // start fresh; in-flight requests finish on the old
  std::vector<std::string> upstreams_kept;     // identical: state and pools carry over
  std::vector<std::string> listeners_added;
  std::vector<std::string> listeners_removed;
  std::vector<std::string> listeners_rebound;  // same name, new address: a new socket
  std::vector<std::string> listeners_changed;  // same socket, new routes or limits
  // Settings a reload leaves as they were, with a warning: "workers", "admin.listen",
  // "access_log".
  std::vector<std::string> needs_restart;
  // `redis:` added, changed or removed: the connection is replaced, and global limits keep
  // their leased tokens meanwhile ("redis: added", "changed" or "removed"; "" for none).
  std::string redis_change;

  // One line for the log and for POST /reload, e.g.
  // "upstreams +1 -0 ~1 (added: b; changed: a); listeners +0 -0 ~0".
  std::string summary() const;
};

ReloadPlan planReload(const config::Config& from, const config::Config& to);

// `to` with the settings a reload cannot change put back to their values in `from`.
config::Config withRestartOnlySettingsOf(const config::Config& from, config::Config to);

}  // namespace outrigger::app
