#include "proxy/app/tls_setup.h"

#include "proxy/common/file_contents.h"

namespace outrigger::app {

TlsLoad loadUpstreamTls(const config::Config& config,
                        const std::function<bool(const config::UpstreamConfig&)>& skip) {
  TlsLoad load;
  const std::string base =
      config.source_file.empty() ? std::string() : directoryOf(config.source_file);
  for (const config::UpstreamConfig& u : config.upstreams) {
    if (!u.tls || (skip && skip(u))) continue;
    std::string error;
    auto runtime = upstream::UpstreamTls::load(*u.tls, base, &error, upstream::alpnFor(u.protocol));
    if (!runtime) {
      load.errors.push_back("upstream " + u.name + ": " + error);
      continue;
    }
    load.runtimes[u.name] = std::move(runtime);
  }
  return load;
}

std::vector<std::string> tlsWarnings(const config::Config& config) {
  std::vector<std::string> warnings;
  for (const config::UpstreamConfig& u : config.upstreams) {
    if (!u.tls || u.tls->verify) continue;
    warnings.push_back("upstream " + u.name +
                       ": tls.verify is false: its certificate is NOT checked, so anyone on "
                       "the network path can read and change this traffic. Use it only for "
                       "testing; set ca_file instead");
  }
  return warnings;
}

}  // namespace outrigger::app
