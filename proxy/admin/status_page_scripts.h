#pragma once
// The three <script> blocks of the status page, in the order the page includes them.

#include <string_view>

namespace outrigger::admin {

extern const std::string_view kStatusPageScriptMath;   // metrics parser, quantiles, escaping
extern const std::string_view kStatusPageScriptStats;  // per-upstream figures from samples
extern const std::string_view kStatusPageScriptPage;   // polling and rendering

}  // namespace outrigger::admin
