#!/usr/bin/env bash
# bench/slow_clients.sh: slow clients must not starve the upstream pool (issue 18, item 5).
# slowhttptest holds CONNS connections to outrigger, in slow-body (-B) and then slow-read (-X)
# mode, each for SECONDS; meanwhile an independent probe (curl) makes one GET a second
# through the same outrigger and upstream, and counts every answer that is not a 200 within
# 2 s. The upstream pool is 100 connections with a 1 s pool timeout, so without the buffers
# the slow clients hold every connection and the probe gets 503 pool_timeout.
# Writes bench/slow-clients.md, which bench/run.sh's report includes in bench/RESULTS.md.
#
#   bench/slow_clients.sh                    CONNS=500 SECONDS_PER_MODE=30, buffers as default
#   BUFFERS=off bench/slow_clients.sh        request_buffer: 0, response_buffer: 0 (the old way)
#   READ_BYTES=131072                        size of the response the slow readers ask for
#   RESPONSE_BUFFER=2MiB                     upstream limits.response_buffer (default: 256KiB)
#   MODES="slow-read"                        which modes to run (default: slow-body slow-read)
set -euo pipefail
source "$(dirname "$0")/common.sh"
bench_setup slow
CONNS="${CONNS:-500}"
SECONDS_PER_MODE="${SECONDS_PER_MODE:-30}"
READ_BYTES="${READ_BYTES:-131072}"
BUFFERS="${BUFFERS:-on}"
RESPONSE_BUFFER="${RESPONSE_BUFFER:-}"
MODES="${MODES:-slow-body slow-read}"
out_md="${OUT_MD:-$here/slow-clients.md}"
command -v slowhttptest >/dev/null || { echo "slow_clients.sh: slowhttptest missing (deploy/install-deps.sh)" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"

case "$BUFFERS" in
  on) limits=""; upstream_limits="${RESPONSE_BUFFER:+    limits: { response_buffer: $RESPONSE_BUFFER \}}" ;;
  off) limits="request_buffer: 0"; upstream_limits="    limits: { response_buffer: 0 }" ;;
  *) echo "slow_clients.sh: BUFFERS must be on or off" >&2; exit 2 ;;
esac

start_origin
cat >"$tmp/outrigger.yaml" <<YAML
admin: { listen: 127.0.0.1:0 }
access_log: { path: "off" }
listeners:
  - name: app
    listen: 127.0.0.1:0
    limits: { max_connections: $((CONNS * 2 + 100)) ${limits:+, $limits} }
    routes: [ { upstream: origin } ]
upstreams:
  origin:
    endpoints: [ "$origin" ]
    pool: { max_connections: 100 }
    timeouts: { pool: 1s, request: 15s }
$upstream_limits
YAML
"$BUILD_DIR/outrigger" -c "$tmp/outrigger.yaml" --ports-file "$tmp/ports" 2>"$tmp/outrigger.log" &
pids+=($!)
opid=$!
for _ in $(seq 50); do [ -s "$tmp/ports" ] && break; sleep 0.1; done
port="$(awk '/^listener/ {print $3}' "$tmp/ports")"
[ -n "$port" ] || { echo "slow_clients.sh: outrigger did not start" >&2; cat "$tmp/outrigger.log" >&2; exit 1; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$opid/status"; }

# One GET a second until $tmp/stop exists; one line per probe: "<http code> <seconds>".
probe() {
  local log="$1"
  while [ ! -e "$tmp/stop" ]; do
    local started=$SECONDS
    curl -s -o /dev/null -m 2 -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$port/get" >>"$log" || true
    [ $((SECONDS - started)) -ge 1 ] || sleep 0.9
  done
}

# run MODE FLAGS...: slowhttptest against outrigger with the probe running; prints a table row.
run() {
  local mode="$1"; shift
  local log="$tmp/probe-$mode.log" peak=0 rss
  rm -f "$tmp/stop"; : >"$log"
  probe "$log" &
  local probe_pid=$!
  timeout $((SECONDS_PER_MODE + 20)) slowhttptest "$@" -c "$CONNS" -r 500 -l "$SECONDS_PER_MODE" \
    -p 3 -g -o "$tmp/slowhttptest-$mode" >"$tmp/slowhttptest-$mode.out" 2>&1 &
  local slow_pid=$!
  while kill -0 "$slow_pid" 2>/dev/null; do
    rss="$(rss_kib)"; [ "$rss" -gt "$peak" ] && peak="$rss"
    sleep 1
  done
  wait "$slow_pid" || true
  touch "$tmp/stop"; wait "$probe_pid" || true
  local total errors slowest connected
  total="$(wc -l <"$log")"
  errors="$(awk '$1 != "200" {n++} END {print n + 0}' "$log")"
  slowest="$(awk 'BEGIN {m = 0} $2 > m {m = $2} END {printf "%.3f", m}' "$log")"
  # slowhttptest's CSV: seconds,closed,pending,connected,service available; the most connected.
  connected="$(awk -F, 'NR > 1 && $4 > m {m = $4} END {print m + 0}' "$tmp/slowhttptest-$mode.csv" 2>/dev/null || echo "?")"
  echo "| \`$mode\` | $connected | $total | **$errors** | $slowest s | $((peak / 1024)) MiB |"
  echo "$mode $errors" >>"$tmp/errors"
}

rss_before="$(rss_kib)"
rows=""
for mode in $MODES; do
  case "$mode" in
    slow-body) row="$(run slow-body -B -u "http://127.0.0.1:$port/upload" -s 8192 -i 2 -x 10)" ;;
    slow-read) row="$(run slow-read -X -u "http://127.0.0.1:$port/bytes/$READ_BYTES" -k 1 -n 1 -w 1 -y 512 -z 32)" ;;
    *) echo "slow_clients.sh: unknown mode '$mode'" >&2; exit 2 ;;
  esac
  rows+="${rows:+$'\n'}$row"
done

cat >"$out_md" <<MD
## Slow clients

\`BUFFERS=$BUFFERS ${RESPONSE_BUFFER:+RESPONSE_BUFFER=$RESPONSE_BUFFER }READ_BYTES=$READ_BYTES CONNS=$CONNS SECONDS_PER_MODE=$SECONDS_PER_MODE bench/slow_clients.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), outrigger at $(git -C "$root" rev-parse --short HEAD), \`workers: 1\`.
slowhttptest holds $CONNS connections to outrigger for ${SECONDS_PER_MODE}s per mode, in front of
mock-upstream with a pool of 100 connections and \`timeouts: { pool: 1s, request: 15s }\`:
slow body (\`-B\`: POST /upload, Content-Length 8192, 10 bytes every 2 s) and slow read
(\`-X\`: GET /bytes/$READ_BYTES, read 32 bytes a second through a 1–512 byte window).
Meanwhile a probe (curl, one GET /get a second, 2 s limit) counts every answer that is not a 200.
Buffers: $( [ "$BUFFERS" = on ] && echo "\`request_buffer: 64KiB\` (the default), \`response_buffer: ${RESPONSE_BUFFER:-256KiB}\`" || echo "off, \`request_buffer: 0\`, \`response_buffer: 0\`" ).
outrigger RSS before: $((rss_before / 1024)) MiB.

| mode | slow connections held | probe requests | probe errors | slowest probe | outrigger peak RSS |
|---|---:|---:|---:|---:|---:|
$rows
MD
cat "$out_md"
if [ "$BUFFERS" = on ] && awk '$2 != 0 {bad = 1} END {exit !bad}' "$tmp/errors"; then
  echo "slow_clients.sh: the probe saw errors" >&2
  exit 1
fi
