// The status page's first <script> block: pure helpers over the Prometheus text format
// (parsing, counter rates, histogram quantiles), used by the blocks in status_page_scripts.cc.

#include "proxy/admin/status_page_scripts.h"

namespace outrigger::admin {

// Pure helpers: the Prometheus text format, counter rates and histogram quantiles.
const std::string_view kStatusPageScriptMath = R"html(<script>
"use strict";
const kPollMs = 2000;          // refresh period
const kFetchTimeoutMs = 1500;  // a poll gives up before the next one is due
const kBreakerStates = ["closed", "open", "half-open"];  // outrigger_circuit_breaker_state

function parseValue(text) {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);  // also "NaN"
}

// One sample line, e.g. `name{a="x",b="y"} 3 [timestamp]`, as {name, labels, value}; null if
// the line is malformed (the page skips it rather than failing).
function parseSample(line) {
  const nameEnd = line.search(/[{\s]/);
  if (nameEnd <= 0) return null;
  const name = line.slice(0, nameEnd);
  const labels = {};
  let i = nameEnd;
  if (line[i] === "{") {
    i++;
    for (;;) {
      while (line[i] === " " || line[i] === ",") i++;
      if (i >= line.length) return null;
      if (line[i] === "}") { i++; break; }
      const eq = line.indexOf("=", i);
      if (eq < 0 || line[eq + 1] !== '"') return null;
      let value = "";
      let j = eq + 2;
      for (; j < line.length && line[j] !== '"'; j++) {
        // Label values escape backslash, double quote and newline.
        if (line[j] === "\\" && j + 1 < line.length) value += line[++j] === "n" ? "\n" : line[j];
        else value += line[j];
      }
      if (j >= line.length) return null;  // no closing quote
      labels[line.slice(i, eq).trim()] = value;
      i = j + 1;
    }
  }
  const text = line.slice(i).trim().split(/\s+/)[0];  // a timestamp may follow the value
  const value = parseValue(text);
  if (text === "" || (Number.isNaN(value) && text !== "NaN")) return null;
  return { name, labels, value };
}

// The Prometheus text format as a Map from metric name to its samples.
function parseMetrics(text) {
  const metrics = new Map();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const sample = parseSample(line);
    if (!sample) continue;
    if (!metrics.has(sample.name)) metrics.set(sample.name, []);
    metrics.get(sample.name).push(sample);
  }
  return metrics;
}

// The sum of the samples of `name` whose labels pass `match`.
function total(metrics, name, match) {
  let sum = 0;
  for (const sample of metrics.get(name) || []) if (match(sample.labels)) sum += sample.value;
  return sum;
}

// How much a counter grew since `before` (null: no earlier poll, so all of it). A counter that
// went down was reset by a restart, so it grew by its whole current value.
function increase(now, before) {
  return before === null || now < before ? now : now - before;
}

// Per-second growth of a counter between two polls; null until there are two polls.
function ratePerSecond(now, before, seconds) {
  if (before === null || !(seconds > 0)) return null;
  return increase(now, before) / seconds;
}

// One upstream's cumulative latency buckets, [{le, count}] sorted by upper bound.
function latencyBuckets(metrics, upstream) {
  return (metrics.get("outrigger_request_duration_seconds_bucket") || [])
    .filter((sample) => sample.labels.upstream === upstream)
    .map((sample) => ({ le: parseValue(sample.labels.le), count: sample.value }))
    .sort((a, b) => a.le - b.le);
}

// The buckets of only the observations made since `before` (cumulative, like the input).
function bucketIncrease(now, before) {
  const old = new Map(before.map((bucket) => [bucket.le, bucket.count]));
  const diff = now.map((bucket) => ({ le: bucket.le, count: bucket.count - (old.get(bucket.le) || 0) }));
  return diff.some((bucket) => bucket.count < 0) ? now : diff;  // a restart: all are new
}

// The q-quantile of cumulative buckets, as PromQL's histogram_quantile computes it: find the
// bucket holding the rank, then interpolate linearly inside it (observations are assumed to
// be spread evenly across a bucket). A rank in the +Inf bucket gives the highest finite
// bound. Null when there are no observations.
function histogramQuantile(q, buckets) {
  const n = buckets.length;
  if (n < 2 || buckets[n - 1].le !== Infinity) return null;
  const observations = buckets[n - 1].count;
  if (!(observations > 0)) return null;
  let rank = q * observations;
  const b = buckets.findIndex((bucket) => bucket.count >= rank);
  if (b === n - 1) return buckets[n - 2].le;
  if (b === 0 && buckets[0].le <= 0) return buckets[0].le;
  const lower = b === 0 ? 0 : buckets[b - 1].le;
  let inBucket = buckets[b].count;
  if (b > 0) {
    rank -= buckets[b - 1].count;
    inBucket -= buckets[b - 1].count;
  }
  return lower + (buckets[b].le - lower) * (rank / inBucket);
}
</script>
)html";

}  // namespace outrigger::admin
