#pragma once
// Prints a Config as YAML that loads back into the same values, for `/config` and
// `--print-config`. Durations print as "250ms"/"2s", sizes as "64KiB".

#include <string>

#include "proxy/config/schema.h"

namespace outrigger::config {

std::string renderConfigYaml(const Config& config);

}  // namespace outrigger::config
