#pragma once
// The status page for people at GET / on the admin port (DESIGN §7): one self-contained
// HTML document (no external assets) that refreshes itself from /metrics and /upstreams.

#include <string_view>

namespace outrigger::admin {

std::string_view statusPageHtml();

}  // namespace outrigger::admin
