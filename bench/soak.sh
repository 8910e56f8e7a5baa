#!/usr/bin/env bash
# bench/soak.sh: endurance. Mixed traffic with injected failures (bench/soak.lua) through
# outrigger with every policy on, for SOAK_SECONDS (600 by default), recording outrigger's
# RSS and open fds every 10 s. After the warm-up (the first 60 s) neither may grow by more
# than 5% (last minute against first minute, medians): the script fails loudly if one does. Writes bench/soak.md (copied into
# bench/RESULTS.md by the next bench/run.sh report) and bench/soak.png (gnuplot).
set -euo pipefail
source "$(dirname "$0")/common.sh"
bench_setup soak
SOAK_SECONDS="${SOAK_SECONDS:-600}"
WARMUP_SECONDS="${WARMUP_SECONDS:-60}"
INTERVAL=10
start_origin
cat >"$tmp/outrigger.yaml" <<YAML
admin: { listen: 127.0.0.1:0 }
access_log: { path: /dev/null }   # on, so its thread is soaked too; the lines go nowhere
listeners:
  - name: soak
    listen: 127.0.0.1:0
    routes: [ { upstream: origin } ]
upstreams:
  origin:
    endpoints: [ "$origin" ]
    timeouts: { read: 2s, request: 5s }
    retry: { max_attempts: 2, retry_on: [ connect_failed, reset, 503 ], methods: all }
    circuit_breaker: { failure_rate: 90%, window: 10s, minimum_requests: 100, open_for: 2s }
    bulkhead: { max_concurrent: 40, max_queue: 40, queue_timeout: 1s }
    rate_limit: { requests_per_second: 1000000, burst: 100000 }
    outlier_detection: { consecutive_failures: 1000 }
    fallback: { stale_if_error: { ttl: 60s } }
YAML
"$BUILD_DIR/outrigger" -c "$tmp/outrigger.yaml" --ports-file "$tmp/ports" 2>"$tmp/outrigger.log" &
opid=$!
pids+=($opid)
for _ in $(seq 50); do [ -s "$tmp/ports" ] && break; sleep 0.1; done
port="$(awk '/^listener/ {print $3}' "$tmp/ports")"

wrk -t1 -c50 -d"${SOAK_SECONDS}s" --timeout 5s -s "$here/soak.lua" "http://127.0.0.1:$port" \
  >"$tmp/wrk.txt" 2>&1 &
wrk_pid=$!
pids+=($wrk_pid)

samples="$tmp/samples.tsv"
echo -e "seconds\trss_kib\tfds" >"$samples"
start=$(date +%s)
while kill -0 "$wrk_pid" 2>/dev/null; do
  now=$(( $(date +%s) - start ))
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$opid/status")
  fds=$(ls "/proc/$opid/fd" | wc -l)
  echo -e "$now\t$rss\t$fds" >>"$samples"
  sleep "$INTERVAL"
done
kill -0 "$opid" 2>/dev/null || { echo "soak: outrigger died" >&2; cat "$tmp/outrigger.log" >&2; exit 1; }
cp "$samples" "$here/soak.tsv"

# Growth is the median of the last minute over the median of the first minute after the
# warm-up: open fds move by tens from one sample to the next as upstream connections are
# reset and replaced, and a leak shows as a trend, not as one high sample.
verdict="$(/usr/bin/python3 - "$samples" "$WARMUP_SECONDS" "$INTERVAL" <<'PY'
import statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().split("\n")[1:] if line]
after = [(int(s), int(r), int(f)) for s, r, f in rows if int(s) >= int(sys.argv[2])]
per_minute = max(1, 60 // int(sys.argv[3]))
first, last = after[:per_minute], after[-per_minute:]
def growth(i):
    a, b = statistics.median(x[i] for x in first), statistics.median(x[i] for x in last)
    return a, b, max(x[i] for x in after), (b - a) * 100 / a
r0, r1, rmax, rg = growth(1)
f0, f1, fmax, fg = growth(2)
print(int(r0), int(r1), int(rmax), int(f0), int(f1), int(fmax), f"{rg:.1f}", f"{fg:.1f}",
      "met" if rg <= 5 and fg <= 5 else "NOT_MET")
PY
)"
read -r base_rss last_rss max_rss base_fds last_fds max_fds rss_growth fds_growth met <<<"$verdict"
met="${met/_/ }"
requests="$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")"
non2xx="$(awk '/Non-2xx/ {print $NF}' "$tmp/wrk.txt")"

gnuplot <<GP
set terminal pngcairo size 900,420 font ",10"
set output "$here/soak.png"
set title "outrigger soak: mixed traffic with injected failures, ${SOAK_SECONDS}s"
set xlabel "seconds"
set ylabel "RSS (MiB)"
set y2label "open fds"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set key top left
set arrow from $WARMUP_SECONDS, graph 0 to $WARMUP_SECONDS, graph 1 nohead dt 2
plot "$here/soak.tsv" using 1:(\$2/1024) skip 1 with linespoints title "RSS (MiB)", \
     "$here/soak.tsv" using 1:3 skip 1 axes x1y2 with linespoints title "open fds"
GP

cat >"$here/soak.md" <<MD
## Soak (endurance)

\`SOAK_SECONDS=$SOAK_SECONDS bench/soak.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), outrigger at $(git -C "$root" rev-parse --short HEAD).
wrk, 50 connections, bench/soak.lua: healthy calls mixed with 503s, resets, truncated bodies,
slow calls and retried flaky calls; every policy configured. ${requests:-?} requests
(${non2xx:-0} answered with a non-2xx/3xx status, as the injected failures intend).
Samples every ${INTERVAL}s; the warm-up is the first ${WARMUP_SECONDS}s.

| | first minute after warm-up (median) | last minute (median) | highest sample | growth (limit 5%) |
|---|---:|---:|---:|---:|
| RSS | $base_rss KiB | $last_rss KiB | $max_rss KiB | ${rss_growth}% |
| open fds | $base_fds | $last_fds | $max_fds | ${fds_growth}% |

Verdict: **$met**.

![soak: RSS and open fds over time](soak.png)
MD
cat "$here/soak.md"
[ "$met" = "met" ] || { echo "soak: RSS or fds grew more than 5% after warm-up" >&2; exit 1; }
