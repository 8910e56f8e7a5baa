#!/usr/bin/env bash
# bench/tunnels.sh: tunnels through outrigger, HAProxy and nginx in one run (issue 18, item 10).
#   - WebSocket echo: WS_CONNS connections, each sending a WS_SIZE-byte binary message and
#     waiting for its echo before the next, for SECONDS_PER_RUN. outrigger tunnels it after
#     `101` (routes[].upgrades, default [ websocket ]), HAProxy in `mode http`, nginx with
#     `proxy_http_version 1.1` and the Upgrade/Connection headers set.
#   - L4 bulk: BULK_CONNS connections each writing BULK_MIB MiB to a sink that drops them,
#     then a half-close; through a `protocol: tcp` listener, HAProxy `mode tcp`, nginx `stream`.
#   - L4 connection rate: CONN_CONCURRENCY loops of connect, 16 bytes to an echo server and
#     back, close, for SECONDS_PER_RUN, through the same kinds of listeners.
# The servers and clients are bench/tunload.c (one epoll program, compiled here), on CPU 0;
# each proxy runs one worker/thread on CPU 1, a fresh process per round. The figures are
# per proxy CPU-second: the proxy's utime + stime from /proc/PID/stat around each run. Only
# 127.0.0.1; the proxies' ports are found free at run time (outrigger: port 0 and
# --ports-file). Writes bench/tunnels.md, which bench/run.sh's report includes in RESULTS.md.
#
#   bench/tunnels.sh                      ROUNDS=3 SECONDS_PER_RUN=5, 3 to 5 minutes
# Knobs: ROUNDS SECONDS_PER_RUN WS_CONNS WS_SIZE BULK_CONNS BULK_MIB CONN_CONCURRENCY
#        TARGETS ("outrigger haproxy nginx") SCENARIOS ("ws bulk conns") OUT_MD KEEP_TMP=1
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_setup tunnels
ROUNDS="${ROUNDS:-3}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-5}"
WS_CONNS="${WS_CONNS:-50}"
WS_SIZE="${WS_SIZE:-32}"
BULK_CONNS="${BULK_CONNS:-4}"
BULK_MIB="${BULK_MIB:-512}"
CONN_CONCURRENCY="${CONN_CONCURRENCY:-50}"
TARGETS="${TARGETS:-outrigger haproxy nginx}"
SCENARIOS_SET="${SCENARIOS:+1}"
SCENARIOS="${SCENARIOS:-ws bulk conns}"
OUT_MD="${OUT_MD:-$here/tunnels.md}"
for tool in haproxy nginx taskset cc python3; do
  command -v "$tool" >/dev/null || { echo "tunnels.sh: $tool is missing (deploy/install-deps.sh)" >&2; exit 1; }
done
stream_module=/usr/lib/nginx/modules/ngx_stream_module.so
[ -e "$stream_module" ] ||
  echo "tunnels.sh: $stream_module missing (libnginx-mod-stream): nginx runs the WebSocket scenario only" >&2
cc -O2 -o "$tmp/tunload" "$here/tunload.c" -lcrypto
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

# start_server MODE: a tunload server on CPU 0 (not in a $(...): its pid must reach `pids`).
start_server() {
  taskset -c 0 "$tmp/tunload" serve "$1" "$tmp/$1.port" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$tmp/$1.port" ] && break; sleep 0.1; done
  [ -s "$tmp/$1.port" ] || { echo "tunnels.sh: the $1 server did not start" >&2; exit 1; }
}
start_server ws
start_server sink
start_server echo
ws_port="$(cat "$tmp/ws.port")" sink_port="$(cat "$tmp/sink.port")" echo_port="$(cat "$tmp/echo.port")"

hwm_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# start_TARGET: starts the proxy on CPU 1; sets pid and the ports p_ws, p_bulk, p_conns
# (p_bulk and p_conns empty when the target has no L4 listener).
start_outrigger() {
  cat >"$tmp/outrigger.yaml" <<EOF
workers: 1
access_log: { path: off }
admin: { listen: 127.0.0.1:0 }
drain: { grace: 100ms, timeout: 2s }
listeners:
  - { name: ws, listen: "127.0.0.1:0", routes: [ { path_prefix: /, upstream: ws } ] }
  - { name: bulk, listen: "127.0.0.1:0", protocol: tcp, upstream: sink }
  - { name: conns, listen: "127.0.0.1:0", protocol: tcp, upstream: echo }
upstreams:
  ws: { endpoints: [ "127.0.0.1:$ws_port" ] }
  sink: { endpoints: [ "127.0.0.1:$sink_port" ] }
  echo: { endpoints: [ "127.0.0.1:$echo_port" ] }
EOF
  rm -f "$tmp/ports"
  taskset -c 1 "$BUILD_DIR/outrigger" -c "$tmp/outrigger.yaml" --ports-file "$tmp/ports" \
    >>"$tmp/outrigger.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 100); do [ -s "$tmp/ports" ] && break; sleep 0.1; done
  p_ws="$(awk '$2 == "ws" {print $3}' "$tmp/ports" 2>/dev/null)"
  p_bulk="$(awk '$2 == "bulk" {print $3}' "$tmp/ports" 2>/dev/null)"
  p_conns="$(awk '$2 == "conns" {print $3}' "$tmp/ports" 2>/dev/null)"
}

start_haproxy() {
  p_ws="$(free_port)" p_bulk="$(free_port)" p_conns="$(free_port)"
  cat >"$tmp/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 4000
defaults
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout tunnel 1h
frontend ws
  mode http
  bind 127.0.0.1:$p_ws
  default_backend ws
backend ws
  mode http
  server s1 127.0.0.1:$ws_port
listen bulk
  mode tcp
  bind 127.0.0.1:$p_bulk
  server s1 127.0.0.1:$sink_port
listen conns
  mode tcp
  bind 127.0.0.1:$p_conns
  server s1 127.0.0.1:$echo_port
EOF
  taskset -c 1 haproxy -f "$tmp/haproxy.cfg" -db >>"$tmp/haproxy.log" 2>&1 &
  pid=$!
  pids+=("$pid")
}

start_nginx() {
  p_ws="$(free_port)" p_bulk="" p_conns=""
  local stream="" load=""
  if [ -e "$stream_module" ]; then
    p_bulk="$(free_port)" p_conns="$(free_port)"
    load="load_module $stream_module;"
    stream="stream {
  server { listen 127.0.0.1:$p_bulk; proxy_pass 127.0.0.1:$sink_port; }
  server { listen 127.0.0.1:$p_conns; proxy_pass 127.0.0.1:$echo_port; }
}"
  fi
  mkdir -p "$tmp/nginx"
  cat >"$tmp/nginx.conf" <<EOF
$load
worker_processes 1;
daemon off;
master_process off;
pid $tmp/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 10000; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx;
  proxy_temp_path $tmp/nginx;
  upstream ws { server 127.0.0.1:$ws_port; }
  server {
    listen 127.0.0.1:$p_ws;
    location / {
      proxy_pass http://ws;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_read_timeout 1h;
    }
  }
}
$stream
EOF
  taskset -c 1 nginx -c "$tmp/nginx.conf" -e "$tmp/nginx/error.log" >>"$tmp/nginx.log" 2>&1 &
  pid=$!
  pids+=("$pid")
}

stop_proxy() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# measure PID SCENARIO PORT: one run; appends "round target scenario value wall p50 p99 errors"
# to results.tsv, where value is per proxy CPU-second and wall is per wall-clock second.
hz="$(getconf CLK_TCK)"
measure() {
  local pid="$1" scenario="$2" port="$3" before after out ticks
  before="$(cpu_ticks "$pid")"
  case "$scenario" in
    ws) out="$(timeout $((SECONDS_PER_RUN + 30)) taskset -c 0 "$tmp/tunload" ws "$port" "$WS_CONNS" "$SECONDS_PER_RUN" "$WS_SIZE")" ;;
    bulk) out="$(timeout 120 taskset -c 0 "$tmp/tunload" bulk "$port" "$BULK_CONNS" "$BULK_MIB")" ;;
    conns) out="$(timeout $((SECONDS_PER_RUN + 30)) taskset -c 0 "$tmp/tunload" conns "$port" "$CONN_CONCURRENCY" "$SECONDS_PER_RUN")" ;;
  esac
  after="$(cpu_ticks "$pid")"
  ticks=$((after - before))
  [ "$ticks" -gt 0 ] || ticks=1
  echo "$out" | awk -v r="$round" -v t="$target" -v s="$scenario" -v ticks="$ticks" -v hz="$hz" \
    -v secs="$SECONDS_PER_RUN" '
    BEGIN { cpu = ticks / hz }
    { for (i = 1; i < NF; i += 2) f[$i] = $(i + 1) }
    END {
      if (s == "ws") { n = f["messages"]; wall = n / f["seconds"]; p50 = f["p50_us"]; p99 = f["p99_us"] }
      if (s == "bulk") { n = f["bytes"] / 1048576; wall = n / f["seconds"]; p50 = "-"; p99 = "-" }
      if (s == "conns") { n = f["connections"]; wall = n / secs; p50 = "-"; p99 = "-" }
      printf "%s\t%s\t%s\t%.1f\t%.1f\t%s\t%s\t%d\t%.2f\n", r, t, s, n / cpu, wall, p50, p99, f["errors"], cpu
    }' >>"$tmp/results.tsv"
}

: >"$tmp/results.tsv"
: >"$tmp/hwm.tsv"
read -r -a order <<<"$TARGETS"
for round in $(seq "$ROUNDS"); do
  for target in "${order[@]}"; do
    "start_$target"
    wait_port "$p_ws" || { echo "tunnels.sh: $target did not start" >&2; cat "$tmp/$target.log" >&2; exit 1; }
    timeout 20 taskset -c 0 "$tmp/tunload" ws "$p_ws" "$WS_CONNS" 1 "$WS_SIZE" >/dev/null  # warm-up
    for scenario in $SCENARIOS; do
      case "$scenario" in
        ws) measure "$pid" ws "$p_ws" ;;
        bulk | conns) [ -z "$p_bulk" ] || measure "$pid" "$scenario" "$( [ "$scenario" = bulk ] && echo "$p_bulk" || echo "$p_conns")" ;;
        *) echo "tunnels.sh: unknown scenario '$scenario'" >&2; exit 2 ;;
      esac
    done
    printf '%s\t%s\n' "$target" "$(hwm_kib "$pid")" >>"$tmp/hwm.tsv"
    kill -0 "$pid" 2>/dev/null || { echo "tunnels.sh: $target crashed" >&2; exit 1; }
    stop_proxy "$pid"
    echo "tunnels.sh: round $round $target done" >&2
  done
  order=("${order[@]:1}" "${order[0]}")  # the next round starts with the next target
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${KEEP_TMP:-}" ] && cp "$tmp/results.tsv" "$tmp/results.keep.tsv"

python3 - "$tmp/results.tsv" "$tmp/hwm.tsv" >"$OUT_MD" <<PY
import statistics, sys
from collections import defaultdict
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
runs = defaultdict(list)
by_round = {}
for r, t, s, v, wall, p50, p99, err, cpu in rows:
    runs[(t, s)].append((float(v), float(wall), p50, p99, int(err), float(cpu)))
    by_round[(r, t, s)] = float(v)
hwm = defaultdict(list)
for l in open(sys.argv[2]):
    t, k = l.split()
    hwm[t].append(int(k))
targets = "$TARGETS".split()
peers = [t for t in targets if t != "outrigger"]
def med(t, s, i=0):
    xs = [x[i] for x in runs.get((t, s), []) if x[i] not in ("-",)]
    return statistics.median(float(x) for x in xs) if xs else None
def fmt(x, digits=0):
    return "n/a" if x is None else f"{x:,.{digits}f}"
def rng(t, s):
    xs = [x[0] for x in runs.get((t, s), [])]
    return f"{min(xs):,.0f}–{max(xs):,.0f}" if xs else "n/a"
def ratio(a, b):
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}×"
def paired(s, p):
    """outrigger ÷ peer within each round (both saw the same machine), sorted."""
    return sorted(v / by_round[(r, p, ss)] for (r, t, ss), v in by_round.items()
                  if t == "outrigger" and ss == s and by_round.get((r, p, ss)))
def paired_cell(s, p):
    xs = paired(s, p)
    if not xs:
        return "n/a"
    return f"**{statistics.median(xs):.2f}×** ({xs[0]:.2f}–{xs[-1]:.2f})"
scen = [("ws", "WebSocket echo: messages per proxy CPU-second", 0),
        ("bulk", "L4 bulk: MiB per proxy CPU-second", 1),
        ("conns", "L4 connection rate: connections per proxy CPU-second", 0)]
scen = [x for x in scen if any((t, x[0]) in runs for t in targets)]  # the SCENARIOS that ran
print("## Tunnels: WebSocket and L4 TCP")
print()
print("\`${SCENARIOS_SET:+SCENARIOS='$SCENARIOS' }ROUNDS=$ROUNDS SECONDS_PER_RUN=$SECONDS_PER_RUN bench/tunnels.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), "
      "outrigger at $(git -C "$root" rev-parse --short HEAD), HAProxy $(haproxy -v | awk 'NR==1 {print $3}'), "
      "nginx $(nginx -v 2>&1 | sed 's|.*/||').")
print("Each proxy with one worker/thread on CPU 1, a fresh process per round (the order rotates); "
      "servers and clients (bench/tunload.c, epoll) on CPU 0. "
      "WebSocket: $WS_CONNS connections, one $WS_SIZE-byte message in flight on each, ${SECONDS_PER_RUN}s. "
      "Bulk: $BULK_CONNS connections × $BULK_MIB MiB to a sink. "
      "Connection rate: $CONN_CONCURRENCY concurrent connect / 16 bytes echoed / close loops, ${SECONDS_PER_RUN}s. "
      "Load average before and after: $load_before / $load_after (2 CPUs, other builds running).")
print()
print("| scenario | " + " | ".join(targets) + " | " + " | ".join(f"outrigger ÷ {p}" for p in peers) + " |")
print("|---|" + "---:|" * (len(targets) + len(peers)))
for s, name, d in scen:
    o = med("outrigger", s)
    print(f"| {name} | " + " | ".join(f"{fmt(med(t, s), d)} ({rng(t, s)})" if med(t, s) is not None else "n/a" for t in targets)
          + " | " + " | ".join(paired_cell(s, p) for p in peers) + " |")
wall_names = {"ws": "messages/s", "bulk": "MiB/s", "conns": "connections/s"}
for s, name, d in scen:
    print(f"| {s}: {wall_names[s]} (wall clock) | " + " | ".join(fmt(med(t, s, 1), d) for t in targets)
          + " | " + " | ".join(ratio(med("outrigger", s, 1), med(p, s, 1)) for p in peers) + " |")
for label, i in (("p50", 2), ("p99", 3)) if "ws" in [x[0] for x in scen] else ():
    print(f"| ws: {label} round trip (µs) | " + " | ".join(fmt(med(t, "ws", i)) for t in targets)
          + " | " + " | ".join(ratio(med("outrigger", "ws", i), med(p, "ws", i)) for p in peers) + " |")
hw = {t: statistics.median(hwm[t]) if hwm[t] else None for t in targets}
print("| peak RSS over a round (VmHWM, KiB) | " + " | ".join(fmt(hw[t]) for t in targets)
      + " | " + " | ".join(ratio(hw["outrigger"], hw[p]) for p in peers) + " |")
errs = {t: sum(x[4] for (tt, s), xs in runs.items() if tt == t for x in xs) for t in targets}
print("| errors (all runs) | " + " | ".join(str(errs[t]) for t in targets) + " |" + " |" * len(peers))
print()
print("Medians over the rounds (min–max in brackets). The ratios in bold are the median of the per-round "
      "ratios (outrigger ÷ peer in the same round, so both saw the same machine), min–max in brackets; "
      "the other rows divide the medians. Per proxy CPU-second is the figure the targets judge: the "
      "clients share CPU 0 with the servers, so wall-clock rates are bounded by them too.")
print("Targets (issue 18, item 10): WebSocket messages per proxy CPU-second, L4 throughput and "
      "connection rate at least HAProxy's (ratio ≥ 1.00).")
for s, name, d in scen:
    xs = paired(s, "haproxy")
    if xs:
        m = statistics.median(xs)
        above = sum(x >= 1 for x in xs)
        print(f"- {name.split(':')[0]}: {m:.2f}× HAProxy's (median of {len(xs)} rounds, {above} of them ≥ 1), target "
              + ("**met**" if m >= 1 else "**not met**") + ".")
PY
cat "$OUT_MD"
if awk -F'\t' '$2 == "outrigger" && $8 != 0 {bad = 1} END {exit !bad}' "$tmp/results.tsv"; then
  echo "tunnels.sh: outrigger saw errors" >&2
  exit 3
fi
