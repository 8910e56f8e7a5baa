#pragma once
// A health probe's one request over a fresh HTTP/2 connection (upstream::ProbeCodec on a
// ClientSession): a GET for `type: http` on an HTTP/2 upstream, the gRPC health call for
// `type: grpc`. The app hands makeProbeCodec to each HealthChecker, so the checker, which
// lives below the codecs, never sees HTTP/2.

#include <memory>

#include "proxy/upstream/probe_codec.h"

namespace outrigger::http2 {

std::unique_ptr<upstream::ProbeCodec> makeProbeCodec(const upstream::ProbeRequest& request);

}  // namespace outrigger::http2
