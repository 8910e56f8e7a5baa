#pragma once
// The status page for people at GET / on the admin port (DESIGN §7): one self-contained
// HTML document (no external assets) that refreshes itself from /metrics and /upstreams.
//
// The DOM it builds is a contract that tests rely on: one row per upstream carrying
// data-upstream="NAME", whose breaker badge carries data-breaker-state="closed|open|half-open"
// and the class breaker-<state>.

#include <string_view>

namespace outrigger::admin {

// The whole document, built once; valid for the life of the process.
std::string_view statusPageHtml();

}  // namespace outrigger::admin
