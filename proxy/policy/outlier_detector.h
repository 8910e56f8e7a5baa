#pragma once
// Decides which endpoints of one upstream to eject for a while after consecutive failures,
// and for how long. It only decides; the load balancer skips the endpoints it ejects.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "proxy/common/clock.h"

namespace outrigger::policy {

struct OutlierConfig {
  uint32_t consecutive_failures = 5;
  Duration base_ejection = seconds(30);
  Duration max_ejection = seconds(300);
  double max_ejected_percent = 0.5;

  friend bool operator==(const OutlierConfig&, const OutlierConfig&) = default;
};

// Empty when `config` is usable, else what is wrong with it. The config loader reports this;
// the OutlierDetector constructor aborts on it.
std::string_view outlierConfigError(const OutlierConfig& config);

// Endpoints are indexes into the upstream's endpoint list; when that list changes (DNS
// refresh, reload), build a new detector.
//
// Rules:
// - `consecutive_failures` failures in a row eject an endpoint for
//   base_ejection * times_ejected (counting this ejection), capped at max_ejection.
// - An ejection is refused when it would take the ejected share above max_ejected_percent, or
//   would eject the last available endpoint. The endpoint's failure count is kept, so its next
//   failure tries again once there is room.
// - times_ejected resets to 0 once an endpoint, back from ejection, has served
//   `consecutive_failures` successes in a row: it has proved as healthy as it once proved
//   broken, so its next ejection starts again from base_ejection.
// - Results that arrive while an endpoint is ejected come from calls sent before it was
//   ejected; they are ignored.
//
// Not thread-safe: the caller holds a short critical section around every call.
class OutlierDetector {
 public:
  // Called synchronously on every ejection and return (`for_how_long` is zero on return),
  // inside the caller's critical section: it should only log or count.
  using EjectionFn = std::function<void(size_t endpoint, bool ejected, Duration for_how_long)>;

  OutlierDetector(OutlierConfig config, size_t endpoint_count, EjectionFn on_change = {});

  void onSuccess(size_t endpoint, MonoTime now);
  void onFailure(size_t endpoint, MonoTime now);

  // These return ejections whose time is up lazily, reporting each one through on_change.
  bool isEjected(size_t endpoint, MonoTime now);
  size_t ejectedCount(MonoTime now);

  Duration ejectedRemaining(size_t endpoint, MonoTime now) const;  // zero when not ejected
  uint32_t timesEjected(size_t endpoint) const;

  // The endpoint is at rest: not ejected, no failure in its current run and no ejection to
  // live down. A success then changes nothing that any rule reads (its success count matters
  // only once it has been ejected, and the failures that lead there reset it first), so a
  // caller may skip recording it.
  bool atRest(size_t endpoint) const;

 private:
  struct Endpoint {
    bool ejected = false;
    MonoTime ejected_until{};
    uint32_t consecutive_failures = 0;
    uint32_t consecutive_successes = 0;
    uint32_t times_ejected = 0;
  };

  Endpoint& at(size_t endpoint);
  const Endpoint& at(size_t endpoint) const;
  void checkIndex(size_t endpoint) const;
  void returnIfDue(size_t endpoint, MonoTime now);
  bool roomToEject(MonoTime now);
  Duration ejectionFor(uint32_t times_ejected) const;

  const OutlierConfig config_;
  std::vector<Endpoint> endpoints_;
  EjectionFn on_change_;
};

}  // namespace outrigger::policy
