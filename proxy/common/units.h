#pragma once
// Parsing and printing of the unit-bearing values operators write in the config:
// durations ("250ms"), sizes ("64KiB") and ratios ("50%"). Pure functions, no I/O.

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/common/clock.h"
#include "proxy/common/result.h"

namespace outrigger {

// A non-negative number with a unit: ns, us, ms, s, m or h, e.g. "250ms", "1.5s", "1h".
// The number may have up to 9 decimals; precision below a nanosecond is dropped.
// "0" alone is accepted; any other number needs a unit.
Result<Duration> parseDuration(std::string_view text);

// A whole number of bytes with an optional unit: B (or none), binary KiB MiB GiB TiB
// (powers of 1024) or decimal KB/kB MB GB TB (powers of 1000). "1.5KiB" is accepted when
// it comes out to whole bytes.
Result<uint64_t> parseSize(std::string_view text);

// A percentage from 0% to 100%, decimals allowed ("12.5%"), returned as 0.0..1.0.
Result<double> parseRatio(std::string_view text);

// The shortest form that parses back to the same value: "250ms", "2s", "0s", "1001ns".
std::string formatDuration(Duration d);
// "64KiB", "1MiB", "1000KB" ... or "1500B" when no unit divides evenly.
std::string formatSize(uint64_t bytes);
// 0.5 -> "50%", 0.125 -> "12.5%".
std::string formatRatio(double ratio);

}  // namespace outrigger
