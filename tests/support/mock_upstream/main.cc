// mock-upstream: an httpbin-like HTTP/1.1 origin for outrigger's tests, demo and benchmarks.
//
//   mock-upstream [--host 127.0.0.1] [--port 0] [--port-file PATH] [--quiet] [--verbose]
//                 [--tls-cert PEM --tls-key PEM [--tls-client-ca PEM] [--tls-log PATH]]
//
// Prints "mock-upstream listening on HOST:PORT" once bound and exits 0 on SIGTERM or SIGINT.

#include <uv.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "routes.h"
#include "server.h"
#include "tls_front.h"

namespace {

using mock_upstream::Server;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string portFile;
  bool quiet = false;
  bool verbose = false;
  mock_upstream::TlsOptions tls;  // --tls-cert set = serve TLS on --port
};

constexpr const char* kUsage =
    "usage: mock-upstream [--host ADDR] [--port N] [--port-file PATH] [--quiet] [--verbose]\n"
    "  --host ADDR       address to bind (default 127.0.0.1; IPv6 literals work too)\n"
    "  --port N          port to bind, 0 for an ephemeral one (default 0)\n"
    "  --port-file PATH  write the bound port to PATH (atomically, via PATH.tmp)\n"
    "  --quiet           no notes on stderr apart from errors\n"
    "  --verbose         log every request on stderr\n"
    "  --tls-cert PEM    serve TLS on --port with this certificate (chain); needs --tls-key\n"
    "  --tls-key PEM     the certificate's private key\n"
    "  --tls-client-ca PEM  require a client certificate signed by this CA (mTLS)\n"
    "  --tls-log PATH    append one line per TLS handshake: client CN, resumed, version\n";

// Returns nullopt after printing why the command line is wrong.
std::optional<Options> parseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool takesValue = arg == "--host" || arg == "--port" || arg == "--port-file" ||
                      arg == "--tls-cert" || arg == "--tls-key" || arg == "--tls-client-ca" ||
                      arg == "--tls-log";
    if (takesValue) {
      if (i + 1 >= argc) {
        fprintf(stderr, "mock-upstream: %s needs a value\n%s", argv[i], kUsage);
        return std::nullopt;
      }
      value = argv[++i];
    }
    if (arg == "--host") {
      options.host = value;
    } else if (arg == "--port") {
      std::optional<uint64_t> port = mock_upstream::parseNumber(value);
      if (!port || *port > 65535) {
        fprintf(stderr, "mock-upstream: bad --port '%s'\n", argv[i]);
        return std::nullopt;
      }
      options.port = static_cast<int>(*port);
    } else if (arg == "--port-file") {
      options.portFile = value;
    } else if (arg == "--tls-cert") {
      options.tls.certFile = value;
    } else if (arg == "--tls-key") {
      options.tls.keyFile = value;
    } else if (arg == "--tls-client-ca") {
      options.tls.clientCaFile = value;
    } else if (arg == "--tls-log") {
      options.tls.logFile = value;
    } else if (arg == "--quiet") {
      options.quiet = true;
    } else if (arg == "--verbose") {
      options.verbose = true;
    } else if (arg == "--help" || arg == "-h") {
      fputs(kUsage, stdout);
      exit(0);
    } else {
      fprintf(stderr, "mock-upstream: unknown argument '%s'\n%s", argv[i], kUsage);
      return std::nullopt;
    }
  }
  if (options.tls.certFile.empty() != options.tls.keyFile.empty()) {
    fprintf(stderr, "mock-upstream: --tls-cert and --tls-key go together\n%s", kUsage);
    return std::nullopt;
  }
  return options;
}

bool writePortFile(const std::string& path, int port) {
  std::string temporary = path + ".tmp";
  FILE* file = fopen(temporary.c_str(), "w");
  if (file == nullptr) return false;
  bool ok = fprintf(file, "%d\n", port) > 0;
  ok = fclose(file) == 0 && ok;
  return ok && rename(temporary.c_str(), path.c_str()) == 0;
}

std::string displayAddress(const std::string& host, int port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// SIGTERM/SIGINT: stop accepting, close everything, and let uv_run return.
struct Signals {
  Server* server;
  bool quiet;
  uv_signal_t term;
  uv_signal_t interrupt;

  void start(uv_loop_t* loop) {
    for (uv_signal_t* handle : {&term, &interrupt}) {
      uv_signal_init(loop, handle);
      handle->data = this;
    }
    uv_signal_start(&term, onSignal, SIGTERM);
    uv_signal_start(&interrupt, onSignal, SIGINT);
  }

  void stop() {
    for (uv_signal_t* handle : {&term, &interrupt}) {
      auto* raw = reinterpret_cast<uv_handle_t*>(handle);
      if (!uv_is_closing(raw)) uv_close(raw, nullptr);
    }
  }

  static void onSignal(uv_signal_t* handle, int signum) {
    auto* self = static_cast<Signals*>(handle->data);
    if (!self->quiet) fprintf(stderr, "mock-upstream: %s, shutting down\n", strsignal(signum));
    self->stop();
    self->server->shutdown();
  }
};

// Runs the loop until every handle is closed; false if the loop still had something open.
bool drainLoop(uv_loop_t* loop) {
  uv_run(loop, UV_RUN_DEFAULT);
  int rc = uv_loop_close(loop);
  if (rc != 0) fprintf(stderr, "mock-upstream: uv_loop_close: %s\n", uv_strerror(rc));
  return rc == 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> options = parseOptions(argc, argv);
  if (!options) return 2;
  signal(SIGPIPE, SIG_IGN);  // a peer that went away is a write error, not a death

  uv_loop_t loop;
  uv_loop_init(&loop);
  Server server(&loop, options->verbose);
  Signals signals{&server, options->quiet, {}, {}};
  signals.start(&loop);

  const bool tls = !options->tls.certFile.empty();
  // With TLS the HTTP server listens privately on loopback, behind the TLS front.
  if (int rc = tls ? server.listen("127.0.0.1", 0) : server.listen(options->host, options->port);
      rc != 0) {
    fprintf(stderr, "mock-upstream: cannot listen on %s: %s (%s)\n",
            displayAddress(options->host, options->port).c_str(), uv_strerror(rc), uv_err_name(rc));
    signals.stop();
    server.shutdown();
    drainLoop(&loop);
    return 1;
  }
  int port = server.boundPort();
  mock_upstream::TlsFront front;
  if (tls) {
    const std::string error = front.start(options->tls, options->host, options->port, port);
    if (!error.empty()) {
      fprintf(stderr, "mock-upstream: --tls: %s\n", error.c_str());
      signals.stop();
      server.shutdown();
      drainLoop(&loop);
      return 1;
    }
    port = front.port();
  }
  if (!options->portFile.empty() && !writePortFile(options->portFile, port)) {
    fprintf(stderr, "mock-upstream: cannot write port file %s: %s\n", options->portFile.c_str(),
            strerror(errno));
    signals.stop();
    server.shutdown();
    drainLoop(&loop);
    return 1;
  }
  printf("mock-upstream listening on %s\n", displayAddress(options->host, port).c_str());
  fflush(stdout);

  return drainLoop(&loop) ? 0 : 1;
}
