#pragma once
// Readers for an upstream's resilience blocks and the built-in profiles (DESIGN §6).

#include <span>
#include <string_view>

#include "proxy/config/config_node.h"
#include "proxy/config/diagnostics.h"
#include "proxy/config/schema.h"

namespace outrigger::config {

// What a block means when it is present with few keys: DESIGN §6's example values.
RetryConfig defaultRetry();
policy::CircuitBreakerConfig defaultBreaker();
policy::BulkheadConfig defaultBulkhead();

bool isProfileName(std::string_view name);
// The key paths, relative to the upstream, that every profile sets ("timeouts.connect",
// "retry" for the block itself, "retry.backoff.initial"). Explicit keys override them.
std::span<const std::string_view> profileKeyPaths();

// `profile:` applies a preset to timeouts, retry, circuit_breaker and bulkhead. Call it
// before reading any other key, so explicit keys override the preset.
void applyProfile(const ConfigNode& node, UpstreamConfig& out, Diagnostics& diag);

// retry, circuit_breaker, bulkhead, rate_limit, outlier_detection, fallback, shadow.
void readPolicies(const ConfigNode& block, UpstreamConfig& out, Diagnostics& diag);

// `retry_on:` of an upstream's or a route's retry block.
void readRetryOn(const ConfigNode& node, policy::RetryOn& out, Diagnostics& diag);
// `timeouts.request`: a duration, or `none` (kNoRequestTimeout).
std::optional<Duration> readRequestTimeout(const ConfigNode& node, Diagnostics& diag);

}  // namespace outrigger::config
