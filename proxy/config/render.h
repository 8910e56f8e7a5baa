#pragma once
// Prints a Config as YAML that loads back into the same values, for the admin `/config`
// endpoint and `--print-config`: every key with its effective value, policy blocks that are
// off left out. Durations print as "250ms"/"2s", sizes as "64KiB", ratios as "50%".

#include <string>

#include "proxy/config/schema.h"

namespace outrigger::config {

struct RenderOptions {
  // Print "<redacted>" for admin.token and for every value taken from a secret-named
  // environment variable (see isSecretVariableName). Only a caller that must load the text
  // back, such as a test, turns it off. TLS key material is never part of Config (it would
  // be read from key_file at connect time), so there is nothing else to hide.
  bool redact_secrets = true;
};

std::string renderConfigYaml(const Config& config, const RenderOptions& options = {});

}  // namespace outrigger::config
