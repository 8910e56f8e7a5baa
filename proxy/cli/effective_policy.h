#pragma once
// An upstream's complete effective policy as rows of key path, value and where the value
// came from, for `outrigger explain`.

#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/schema.h"

namespace outrigger::cli {

struct PolicyRow {
  std::string key;     // path relative to the upstream: "timeouts.connect"; "" = section break
  std::string value;   // as it would be written in the config, or "off" / "not set"
  std::string source;  // ValueSource::label(): "default", "defaults", "upstream", "profile ..."

  friend bool operator==(const PolicyRow&, const PolicyRow&) = default;
};

// In the order a request meets them: endpoints, timeouts, retry, circuit_breaker, bulkhead,
// rate_limit, fallback, outlier_detection, health_check, pool, shadow. A block that is off
// is one row whose value is "off".
// Values taken from secret-named variables (ConfigProvenance::secret_paths) print as
// "<redacted>", as in --print-config.
std::vector<PolicyRow> effectivePolicyRows(const config::UpstreamConfig& upstream,
                                           const config::ConfigProvenance& provenance);

// How many attempts a request with `method` gets, and why: "up to 3 (GET is idempotent)".
std::string attemptsFor(const config::UpstreamConfig& upstream, std::string_view method);

}  // namespace outrigger::cli
