#pragma once
// Building the TLS runtimes of a config's upstreams, shared by start, reload and --check,
// so a certificate that cannot be read is reported the same way everywhere.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proxy/config/schema.h"
#include "proxy/upstream/upstream_tls.h"

namespace outrigger::app {

struct TlsLoad {
  std::map<std::string, std::unique_ptr<upstream::UpstreamTls>> runtimes;  // by upstream
  std::vector<std::string> errors;  // "upstream payments: tls.ca_file: cannot read ..."
};

// Loads every upstream of `config` that has a `tls:` block, except those `skip` says keep
// a runtime they already have. Relative file names are read from the config's directory.
TlsLoad loadUpstreamTls(const config::Config& config,
                        const std::function<bool(const config::UpstreamConfig&)>& skip = {});

// One warning per upstream that does not verify its peer: to be logged at every start and
// reload, since such traffic can be read and changed by anyone on the path.
std::vector<std::string> tlsWarnings(const config::Config& config);

}  // namespace outrigger::app
