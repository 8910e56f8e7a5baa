#!/usr/bin/env bash
# bench/h2.sh: HTTP/2 from the app (h2c with prior knowledge) through outrigger, HAProxy
# (`bind ... proto h2`) and nginx (`listen ... http2`), each in front of the same HTTP/1.1
# mock-upstream, driven by h2load in the same run. Each proxy is pinned to CPU 1 and h2load
# to CPU 0; the proxy's own CPU time (utime + stime from /proc) is read around each load, so
# the figure is requests per proxy CPU-second, as in bench/RESULTS.md. Also the RSS of each
# proxy while 1,000 streams are open at once (10 connections x 100 streams on /delay/2000),
# and a gRPC-style unary scenario (POST, content-type application/grpc, 5-byte message).
#
#   bench/h2.sh                 REQUESTS=200000 ROUNDS=3; writes bench/h2.md
# Each round starts the three proxies afresh in a rotating order; the ratios are the median
# of the per-round ratios (the machine's speed drifts between the proxies' turns otherwise).
# Knobs: REQUESTS ROUNDS OUT_MD KEEP_TMP=1
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_setup h2
REQUESTS="${REQUESTS:-200000}"
ROUNDS="${ROUNDS:-3}"
OUT_MD="${OUT_MD:-$here/h2.md}"
for tool in h2load haproxy nginx taskset; do
  command -v "$tool" >/dev/null || { echo "h2.sh: $tool is missing (deploy/install-deps.sh)" >&2; exit 1; }
done
[ -x "$BUILD_DIR/tests/support/mock-upstream" ] ||
  TARGETS="outrigger mock-upstream" "$root/deploy/build.sh" "$BUILD_DIR" >/dev/null
start_origin
printf '\0\0\0\0\005hello' > "$tmp/grpc-message"  # one gRPC message frame: 5 bytes

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

start_outrigger() {
  cat > "$tmp/outrigger.yaml" <<EOF
access_log: { path: off }
admin: { listen: 127.0.0.1:0 }
listeners:
  - { name: main, listen: "127.0.0.1:$1", routes: [ { path_prefix: /, upstream: origin } ] }
upstreams:
  origin: { endpoints: [ "$origin" ], pool: { max_connections: 1000, max_idle: 1000 } }
EOF
  taskset -c 1 "$BUILD_DIR/outrigger" -c "$tmp/outrigger.yaml" >"$tmp/outrigger.log" 2>&1 &
  echo $!
}

start_haproxy() {
  cat > "$tmp/haproxy.cfg" <<EOF
global
  nbthread 1
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend main
  bind 127.0.0.1:$1 proto h2
  default_backend origin
backend origin
  http-reuse always
  server o1 $origin
EOF
  taskset -c 1 haproxy -f "$tmp/haproxy.cfg" -db >"$tmp/haproxy.log" 2>&1 &
  echo $!
}

start_nginx() {
  mkdir -p "$tmp/nginx"
  cat > "$tmp/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process off;
pid $tmp/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx;
  proxy_temp_path $tmp/nginx;
  upstream origin { server $origin; keepalive 1000; }
  server {
    listen 127.0.0.1:$1 http2;
    http2_max_concurrent_streams 128;
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
  taskset -c 1 nginx -c "$tmp/nginx.conf" -e "$tmp/nginx/error.log" >"$tmp/nginx.log" 2>&1 &
  echo $!
}

wait_port() { for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# One load: prints "<requests per proxy CPU-second> <succeeded>".
load() {
  local pid="$1" port="$2" conns="$3" streams="$4" path="$5"; shift 5
  local before after out ok
  before=$(cpu_ticks "$pid")
  out=$(taskset -c 0 h2load -n "$REQUESTS" -c "$conns" -m "$streams" "$@" "http://127.0.0.1:$port$path" 2>&1)
  after=$(cpu_ticks "$pid")
  ok=$(echo "$out" | awk '/^requests:/ {print $8}')
  local ticks=$((after - before)) hz
  hz=$(getconf CLK_TCK)
  [ "$ticks" -gt 0 ] || ticks=1
  echo "$(( ok * hz / ticks )) $ok"
}

# One round of one proxy, on a fresh process: each scenario once, then the RSS with 1,000
# streams open; a line per figure to $tmp/results.tsv: round proxy scenario value.
run_proxy() {
  local round="$1" proxy="$2" port pid rate hold
  port=$(free_port)
  pid=$("start_$proxy" "$port")
  pids+=("$pid")
  wait_port "$port" || { echo "h2.sh: $proxy did not start" >&2; cat "$tmp/$proxy.log" >&2; exit 1; }
  h2load -n 2000 -c 10 -m 10 "http://127.0.0.1:$port/hello" >/dev/null 2>&1 || true  # warm-up
  for shape in "1 100" "10 10"; do
    rate=$(load "$pid" "$port" $shape /hello | cut -d' ' -f1)
    printf '%s\t%s\t%s\t%s\n' "$round" "$proxy" "$shape" "$rate" >>"$tmp/results.tsv"
  done
  rate=$(load "$pid" "$port" 10 10 /echo -d "$tmp/grpc-message" \
    -H 'content-type: application/grpc' -H 'te: trailers' | cut -d' ' -f1)
  printf '%s\t%s\tgrpc\t%s\n' "$round" "$proxy" "$rate" >>"$tmp/results.tsv"
  # 1,000 streams held open at once: RSS sampled while they wait.
  taskset -c 0 h2load -n 1000 -c 10 -m 100 "http://127.0.0.1:$port/delay/2000" >/dev/null 2>&1 &
  hold=$!
  sleep 1.5
  printf '%s\t%s\trss\t%s\n' "$round" "$proxy" "$(rss_kib "$pid")" >>"$tmp/results.tsv"
  wait "$hold" || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Rounds rotate the order, so no proxy always runs first or last on a machine whose speed
# drifts; each figure is compared within its round (outrigger ÷ peer), and the report gives
# the median of those per-round ratios.
: >"$tmp/results.tsv"
order=(outrigger haproxy nginx)
for round in $(seq "$ROUNDS"); do
  for proxy in "${order[@]}"; do
    run_proxy "$round" "$proxy"
    echo "h2.sh: round $round $proxy done" >&2
  done
  order=("${order[@]:1}" "${order[0]}")
done

python3 - "$tmp/results.tsv" "$REQUESTS" "$ROUNDS" "$(git -C "$root" rev-parse --short HEAD)" \
  "$(date -u +%Y-%m-%d)" >"$OUT_MD" <<'PY'
import statistics, sys
from collections import defaultdict
path, requests, rounds, commit, day = sys.argv[1:6]
value = {}
by = defaultdict(list)
for line in open(path):
    r, proxy, scenario, v = line.rstrip("\n").split("\t")
    value[(r, proxy, scenario)] = float(v)
    by[(proxy, scenario)].append(float(v))
round_ids = sorted({k[0] for k in value})
def med(proxy, scenario):
    return statistics.median(by[(proxy, scenario)])
def ratio(peer, scenario):
    per_round = [value[(r, "outrigger", scenario)] / value[(r, peer, scenario)]
                 for r in round_ids if value.get((r, peer, scenario))]
    return statistics.median(per_round), min(per_round), max(per_round)
print("## HTTP/2 from the app (h2load, h2c)")
print()
print(f"`REQUESTS={requests} ROUNDS={rounds} bench/h2.sh` on {day}, commit {commit}.")
print("Each proxy on CPU 1 with one worker/thread, h2load on CPU 0, the same HTTP/1.1 mock-upstream")
print("behind all three. Each round starts every proxy afresh, in an order that rotates from round to")
print("round. Requests per proxy CPU-second and RSS with 1,000 streams open: medians of the rounds;")
print("the ratios are the median of the per-round ratios (min–max in brackets).")
print()
print("| scenario | outrigger | HAProxy | nginx | outrigger ÷ HAProxy | outrigger ÷ nginx |")
print("|---|---:|---:|---:|---:|---:|")
names = {"1 100": "1 connection × 100 streams, GET /hello",
         "10 10": "10 connections × 10 streams, GET /hello",
         "grpc": "gRPC-style unary POST, 10 × 10",
         "rss": "RSS, 1,000 open streams (KiB)"}
for scenario, name in names.items():
    cells = [f"{med(p, scenario):,.0f}" for p in ("outrigger", "haproxy", "nginx")]
    ratios = ["%.2f× (%.2f–%.2f)" % ratio(peer, scenario) for peer in ("haproxy", "nginx")]
    print(f"| {name} | " + " | ".join(cells + ratios) + " |")
print()
print("Targets (issue 17): requests per CPU-second at least 1.2× HAProxy's; RSS at most 0.5× HAProxy's.")
PY
cat "$OUT_MD"
