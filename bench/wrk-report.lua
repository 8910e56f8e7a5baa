-- wrk reporter for bench/run.sh: prints one machine-readable line after the run.
-- Only done() is defined, so wrk keeps its fast C request path (no per-request Lua).
-- Latencies are wrk's own histogram values, in microseconds.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d bytes=%d mean_us=%.1f p50_us=%.1f p90_us=%.1f p95_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration, summary.bytes, latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99), latency:percentile(99.9),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
