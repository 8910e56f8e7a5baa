#!/usr/bin/env bash
# bench/run.sh: outrigger against HAProxy and nginx (and no proxy at all), measured with wrk
# on 127.0.0.1. One command builds what it needs, runs every scenario, and writes
# bench/RESULTS.md, bench/results.png and bench/out/results.csv. See bench/README.md.
#
#   bench/run.sh              full run (DURATION=10s, RUNS=3; about 12 minutes)
#   bench/run.sh --quick      DURATION=3s RUNS=1 (about 2 minutes), writes under bench/out/quick/
#
# Knobs (environment): DURATION RUNS SCENARIOS TARGETS WARMUP REQ_PATH OUTRIGGER_BUILD_DIR
#   OUT_DIR RESULTS_MD POLICIES_ACCESS_LOG=off SKIP_DEPS=1 SKIP_BUILD=1 KEEP_TMP=1
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
invocation="bench/run.sh${*:+ $*}"

usage() {
  sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

# Record which knobs the caller set, so RESULTS.md can show the exact command.
knobs=()
for k in DURATION RUNS SCENARIOS TARGETS WARMUP REQ_PATH OUTRIGGER_BUILD_DIR OUT_DIR RESULTS_MD POLICIES_ACCESS_LOG; do
  [ -n "${!k+x}" ] && knobs+=("$k='${!k}'")
done
command_line="${knobs[*]:+${knobs[*]} }$invocation"

if [ "$quick" = 1 ]; then
  DURATION="${DURATION:-3s}"
  RUNS="${RUNS:-1}"
  OUT_DIR="${OUT_DIR:-$here/out/quick}"
  RESULTS_MD="${RESULTS_MD:-$OUT_DIR/RESULTS.md}"
  chart_png="$OUT_DIR/results.png"
else
  DURATION="${DURATION:-10s}"
  RUNS="${RUNS:-3}"
  OUT_DIR="${OUT_DIR:-$here/out}"
  RESULTS_MD="${RESULTS_MD:-$here/RESULTS.md}"
  chart_png="$(dirname "$RESULTS_MD")/results.png"
fi
SCENARIOS="${SCENARIOS:-c50-1cpu c1-1cpu c50-2cpu c200-2cpu c50-1cpu-policies}"
TARGETS="${TARGETS:-direct outrigger haproxy nginx}"
WARMUP="${WARMUP:-1s}"
REQ_PATH="${REQ_PATH:-/hello}"
BUILD_DIR="${OUTRIGGER_BUILD_DIR:-$root/build-bench}"
POLICIES_ACCESS_LOG="${POLICIES_ACCESS_LOG:-on}"   # off: outrigger-policies without the access log

die() { echo "run.sh: $*" >&2; exit 1; }
note() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

# wrk takes "10s", "2m"...; we also need plain seconds for our own time bounds.
to_seconds() {
  case "$1" in
    *[!0-9smh]*|'') die "bad duration '$1' (use e.g. 10s, 2m)" ;;
    *h) echo $(( ${1%h} * 3600 )) ;;
    *m) echo $(( ${1%m} * 60 )) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
  esac
}
duration_s="$(to_seconds "$DURATION")"
warmup_s="$(to_seconds "$WARMUP")"
[ "$duration_s" -ge 1 ] || die "DURATION must be at least 1s"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
case "$POLICIES_ACCESS_LOG" in on|off) ;; *) die "POLICIES_ACCESS_LOG must be on or off" ;; esac

# Scenario table: connections, CPU for the proxy, CPU for wrk and the origin.
scenario_spec() {
  case "$1" in
    c50-1cpu) echo "50 0 0" ;;
    c1-1cpu) echo "1 0 0" ;;
    c50-2cpu) echo "50 1 0" ;;
    c200-2cpu) echo "200 1 0" ;;
    c50-1cpu-policies) echo "50 0 0" ;;
    *) die "unknown scenario '$1' (known: c50-1cpu c1-1cpu c50-2cpu c200-2cpu c50-1cpu-policies)" ;;
  esac
}
for s in $SCENARIOS; do scenario_spec "$s" >/dev/null; done
for t in $TARGETS; do
  case "$t" in direct|outrigger|outrigger-policies|haproxy|nginx) ;; *) die "unknown target '$t'" ;; esac
done

# Targets of one round of a scenario, in order. c50-1cpu-policies compares outrigger with
# every policy configured (outrigger-policies) against plain outrigger, and nothing else;
# it runs when TARGETS includes outrigger. Its order flips every round (off on | on off |
# off on ...) so that a drift in machine load does not always favour the same variant.
round_targets() {  # scenario run
  case "$1" in
    c50-1cpu-policies)
      case " $TARGETS " in *" outrigger "*) ;; *) return 0 ;; esac
      if (( $2 % 2 )); then echo "outrigger outrigger-policies"; else echo "outrigger-policies outrigger"; fi ;;
    *) echo "$TARGETS" ;;
  esac
}
ncpu="$(nproc)"

# ---------------------------------------------------------------- tools and binaries
if [ "${SKIP_DEPS:-0}" != 1 ]; then
  "$root/deploy/install-deps.sh" --all >&2 || note "install-deps.sh failed; using the tools already installed"
fi
for tool in wrk taskset curl python3; do
  command -v "$tool" >/dev/null || die "'$tool' is missing (deploy/install-deps.sh installs it)"
done
for t in $TARGETS; do
  case "$t" in
    haproxy) command -v haproxy >/dev/null || die "haproxy is missing" ;;
    nginx) command -v nginx >/dev/null || die "nginx is missing" ;;
  esac
done

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  note "building outrigger and mock-upstream in $BUILD_DIR"
  cmake_log="$(mktemp /tmp/outrigger-bench-cmake.XXXXXX)"
  cmake -S "$root" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DOUTRIGGER_TESTS=OFF >"$cmake_log" 2>&1 \
    || { cat "$cmake_log" >&2; rm -f "$cmake_log"; die "cmake configure failed"; }
  rm -f "$cmake_log"
  make -C "$BUILD_DIR" -j"$ncpu" --no-print-directory outrigger mock-upstream >&2 \
    || die "build failed (SKIP_BUILD=1 runs the binaries already in $BUILD_DIR)"
fi
outrigger_bin="$BUILD_DIR/outrigger"
mock_bin="$BUILD_DIR/tests/support/mock-upstream"
[ -x "$mock_bin" ] || mock_bin="$(find "$BUILD_DIR" -type f -name mock-upstream -perm -u+x | head -n1)"
[ -x "$outrigger_bin" ] || die "no outrigger binary in $BUILD_DIR"
[ -n "$mock_bin" ] && [ -x "$mock_bin" ] || die "no mock-upstream binary in $BUILD_DIR"

# ---------------------------------------------------------------- process bookkeeping
tmp="$(mktemp -d /tmp/outrigger-bench.XXXXXX)"
chmod 755 "$tmp"
started=()   # every pid we started; all are killed on exit

descendants() {  # pid and all its descendants, parents first
  local p="$1" c
  echo "$p"
  for c in $(pgrep -P "$p" 2>/dev/null || true); do descendants "$c"; done
}

kill_tree() {  # TERM the whole tree, wait up to $2 seconds (default 3), then KILL what is left
  local pid="$1" grace="${2:-3}" pids=() p i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  mapfile -t pids < <(descendants "$pid")
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i < grace * 20; i++)); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.05
  done
  for p in "${pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then
      note "pid $p did not stop within ${grace}s of SIGTERM; sending SIGKILL"
      kill -KILL "$p" 2>/dev/null || true
      echo "$p" >>"$tmp/sigkilled"
    fi
  done
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${started[@]}"; do kill_tree "$pid" 2 || true; done
  if [ "${KEEP_TMP:-0}" = 1 ]; then note "kept $tmp"; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Start "$@" pinned to CPU $1, logging to $2; sets $last_pid.
start_pinned() {
  local cpu="$1" log="$2"
  shift 2
  taskset -c "$cpu" "$@" >"$log" 2>&1 &
  last_pid=$!
  started+=("$last_pid")
}

wait_for() {  # wait_for SECONDS PID CMD...: poll CMD until it succeeds, the pid dies, or time runs out
  local limit="$1" pid="$2" i
  shift 2
  for ((i = 0; i < limit * 20; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

http_ok() { curl -fsS -m 1 -o /dev/null "$1"; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---------------------------------------------------------------- /proc sampling
clk_tck="$(getconf CLK_TCK)"

proc_ticks() {  # utime+stime (clock ticks) summed over a process tree
  local sum=0 p s
  local -a f
  for p in $(descendants "$1"); do
    s="$(cat "/proc/$p/stat" 2>/dev/null)" || continue
    s="${s##*) }"          # drop "pid (comm) "; field 3 (state) is now first
    read -r -a f <<<"$s"
    sum=$((sum + f[11] + f[12]))   # fields 14 utime, 15 stime
  done
  echo "$sum"
}

proc_kib() {  # proc_kib PID FIELD: VmRSS/VmHWM (KiB) summed over a process tree
  local sum=0 p v
  for p in $(descendants "$1"); do
    v="$(awk -v k="$2:" '$1 == k { print $2 }' "/proc/$p/status" 2>/dev/null)" || continue
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}

system_ticks() {  # "busy steal" over all CPUs from /proc/stat (busy excludes idle, iowait, steal)
  awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8, $9; exit }' /proc/stat
}

children_cpu_ticks() {  # sets $cticks: CPU time of this shell's reaped children (bash `times`)
  times >"$tmp/times"   # must run in this shell, not in a $(...) subshell
  cticks="$(awk -v hz="$clk_tck" 'NR == 2 {
      t = 0
      for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
      printf "%d\n", t * hz + 0.5 }' "$tmp/times")"
}

# ---------------------------------------------------------------- targets
origin_pid="" origin_port=""
admin_port=""

start_origin() {
  rm -f "$tmp/origin.port"
  start_pinned 0 "$tmp/origin.log" "$mock_bin" --port 0 --port-file "$tmp/origin.port" --quiet
  origin_pid="$last_pid"
  wait_for 10 "$origin_pid" test -s "$tmp/origin.port" || die "mock-upstream did not start: $(cat "$tmp/origin.log")"
  origin_port="$(cat "$tmp/origin.port")"
  wait_for 10 "$origin_pid" http_ok "http://127.0.0.1:$origin_port/hello" || die "mock-upstream does not answer"
}

write_outrigger_config() {  # file [policies access-log-file]
  local log="off"
  [ "${2:-}" = policies ] && [ "$POLICIES_ACCESS_LOG" = on ] && log="$3"
  cat >"$1" <<EOF
workers: 1
admin: { listen: 127.0.0.1:0 }
access_log: { path: $log }
listeners:
  - name: bench
    listen: 127.0.0.1:0
    routes: [ { path_prefix: /, upstream: origin } ]
upstreams:
  origin:
    endpoints: [ "127.0.0.1:$origin_port" ]
    pool: { max_connections: 256, max_idle: 256 }
EOF
  # outrigger-policies: every policy configured, with limits that /hello traffic from one
  # healthy origin never reaches (config/policies.md). A policy that does act shows up in
  # the metrics read after the run (policy_events in results.csv).
  [ "${2:-}" = policies ] && cat >>"$1" <<EOF
    retry: { max_attempts: 2, retry_on: [ connect_failed, reset, timeout, 502, 503, 504 ], budget: { ratio: 20%, min_per_second: 10, window: 10s } }
    circuit_breaker: { failure_threshold: 5, failure_rate: 50%, window: 10s, minimum_requests: 20, open_for: 30s }
    bulkhead: { max_concurrent: 10000, max_queue: 100, queue_timeout: 1s }
    rate_limit: { requests_per_second: 10000000, burst: 1000000 }
    outlier_detection: { consecutive_failures: 5 }
    health_check: { path: /health, interval: 1s }
    fallback: { stale_if_error: { ttl: 60s } }
EOF
  return 0
}

# policy_events ADMIN_PORT FILE: saves /metrics to FILE and prints how many times something
# other than a plain success happened: retries, spent retry budget, breaker transitions or
# a breaker not closed, fallbacks, shadow rejections, health panic, ejected or unhealthy
# endpoints, local replies (429 rate_limited, 503 bulkhead_*/circuit_open, 502, 504...) and
# failed attempts. Cancelled attempts (wrk closing connections at the end) do not count.
# Prints nothing when /metrics could not be read.
policy_events() {
  curl -fsS -m 2 -o "$2" "http://127.0.0.1:$1/metrics" 2>/dev/null || return 0
  awk '/^#/ { next }
    /^outrigger_(retries_total|retry_budget_exhausted_total|circuit_breaker_transitions_total|circuit_breaker_state|fallbacks_total|shadow_rejections_total|health_panic_total|local_replies_total|endpoint_ejected)[{ ]/ { n += $NF; next }
    /^outrigger_upstream_attempts_total[{ ]/ && !/outcome="(success|cancelled)"/ { n += $NF; next }
    /^outrigger_endpoint_healthy[{ ]/ && $NF == 0 { n++ }
    END { print n + 0 }' "$2"
}

# The metric series behind a non-zero policy_events, for proxy-stderr.log.
policy_event_series() {
  awk '/^#/ { next }
    /^outrigger_(retries_total|retry_budget_exhausted_total|circuit_breaker_transitions_total|circuit_breaker_state|fallbacks_total|shadow_rejections_total|health_panic_total|local_replies_total|endpoint_ejected)[{ ]/ && $NF != 0 { printf "%s%s", (c++ ? ", " : ""), $0 }
    /^outrigger_upstream_attempts_total[{ ]/ && !/outcome="(success|cancelled)"/ && $NF != 0 { printf "%s%s", (c++ ? ", " : ""), $0 }
    /^outrigger_endpoint_healthy[{ ]/ && $NF == 0 { printf "%s%s", (c++ ? ", " : ""), $0 }' "$1"
}

write_haproxy_config() {  # file port
  cat >"$1" <<EOF
global
  nbthread 1
  maxconn 4096

defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 2s
  timeout client 60s
  timeout server 15s
  timeout http-keep-alive 60s

frontend bench
  bind 127.0.0.1:$2
  default_backend origin

backend origin
  server origin1 127.0.0.1:$origin_port
EOF
}

write_nginx_config() {  # file port prefix
  local user_line=""
  [ "$(id -u)" -eq 0 ] && user_line="user root;"
  cat >"$1" <<EOF
$user_line
daemon off;
master_process on;
worker_processes 1;
pid $3/nginx.pid;
error_log $3/error.log warn;

events {
  worker_connections 4096;
}

http {
  access_log off;
  keepalive_timeout 60s;
  keepalive_requests 1000000;
  client_body_temp_path $3/client_body;
  proxy_temp_path $3/proxy;
  fastcgi_temp_path $3/fastcgi;
  uwsgi_temp_path $3/uwsgi;
  scgi_temp_path $3/scgi;

  upstream origin {
    server 127.0.0.1:$origin_port;
    keepalive 64;
    keepalive_requests 1000000;
  }

  server {
    listen 127.0.0.1:$2;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
}

# start_target TARGET CPU: sets proxy_pid (empty for direct) and target_url
start_target() {
  local target="$1" cpu="$2" dir="$tmp/$1" port
  rm -rf "$dir"
  mkdir -p "$dir"
  chmod 755 "$dir"
  proxy_pid=""
  case "$target" in
    direct)
      target_url="http://127.0.0.1:$origin_port$REQ_PATH"
      return 0 ;;
    outrigger|outrigger-policies)
      if [ "$target" = outrigger-policies ]; then
        write_outrigger_config "$dir/outrigger.yaml" policies "$dir/access.log"
        [ -s "$OUT_DIR/outrigger-policies.yaml" ] || cp "$dir/outrigger.yaml" "$OUT_DIR/outrigger-policies.yaml"
      else
        write_outrigger_config "$dir/outrigger.yaml"
      fi
      start_pinned "$cpu" "$dir/stderr.log" "$outrigger_bin" -c "$dir/outrigger.yaml" --ports-file "$dir/ports"
      proxy_pid="$last_pid"
      wait_for 10 "$proxy_pid" grep -q '^listener bench ' "$dir/ports" \
        || die "$target did not start: $(cat "$dir/stderr.log")"
      port="$(awk '$1 == "listener" && $2 == "bench" { print $3 }' "$dir/ports")"
      admin_port="$(awk '$1 == "admin" { print $2 }' "$dir/ports")" ;;
    haproxy)
      port="$(free_port)"
      write_haproxy_config "$dir/haproxy.cfg" "$port"
      start_pinned "$cpu" "$dir/stderr.log" haproxy -f "$dir/haproxy.cfg" -db
      proxy_pid="$last_pid" ;;
    nginx)
      port="$(free_port)"
      write_nginx_config "$dir/nginx.conf" "$port" "$dir"
      start_pinned "$cpu" "$dir/stderr.log" nginx -p "$dir" -c "$dir/nginx.conf"
      proxy_pid="$last_pid" ;;
  esac
  target_url="http://127.0.0.1:$port$REQ_PATH"
  wait_for 10 "$proxy_pid" http_ok "$target_url" \
    || die "$target does not answer on $target_url: $(cat "$dir/stderr.log" "$dir/error.log" 2>/dev/null)"
}

# stop_target TARGET: SIGTERM, then SIGKILL after 10 s; notes how long the stop took
stop_target() {
  [ -n "$proxy_pid" ] || return 0
  local t0 t1
  t0="$(date +%s%N)"
  kill_tree "$proxy_pid" 10
  t1="$(date +%s%N)"
  stop_ms=$(( (t1 - t0) / 1000000 ))
}

# ---------------------------------------------------------------- one measured run
csv="$OUT_DIR/results.csv"
csv_header="scenario,target,run,conns,proxy_cpu,client_cpu,duration_s,requests,rps,mean_us,p50_us,p90_us,p99_us,p999_us,max_us,err_connect,err_read,err_write,err_status,err_timeout,proxy_cpu_s,rps_per_proxy_cpu_s,origin_cpu_s,wrk_cpu_s,other_cpu_s,steal_s,idle_rss_kib,loaded_rss_kib,peak_rss_kib,proxy_alive,stop_ms,policy_events,access_log_lines"

run_one() {  # scenario target run
  local scenario="$1" target="$2" run="$3" conns pcpu ccpu
  read -r conns pcpu ccpu < <(scenario_spec "$scenario")
  start_target "$target" "$pcpu"

  local idle_rss="" loaded_rss="" peak_rss="" proxy_cpu_s="" per_cpu="" alive=1 events="" alog=""
  stop_ms=""
  if [ -n "$proxy_pid" ]; then
    sleep 0.5
    idle_rss="$(proc_kib "$proxy_pid" VmRSS)"
  fi
  if [ "$warmup_s" -gt 0 ]; then
    timeout -k 5 $((warmup_s + 30)) taskset -c "$ccpu" \
      wrk -t1 -c"$conns" -d"$WARMUP" --timeout 2s "$target_url" >"$tmp/warmup.out" 2>&1 || true
  fi

  local p0=0 o0 c0 s0 st0 p1=0 o1 c1 s1 st1
  [ -n "$proxy_pid" ] && p0="$(proc_ticks "$proxy_pid")"
  o0="$(proc_ticks "$origin_pid")"
  children_cpu_ticks; c0="$cticks"
  read -r s0 st0 < <(system_ticks)
  local wrk_rc=0
  timeout -k 5 $((duration_s + 30)) taskset -c "$ccpu" \
    wrk -t1 -c"$conns" -d"$DURATION" --timeout 2s -s "$here/wrk-report.lua" "$target_url" \
    >"$tmp/wrk.out" 2>&1 || wrk_rc=$?
  read -r s1 st1 < <(system_ticks)
  children_cpu_ticks; c1="$cticks"
  o1="$(proc_ticks "$origin_pid")"
  if [ -n "$proxy_pid" ]; then
    if kill -0 "$proxy_pid" 2>/dev/null; then
      p1="$(proc_ticks "$proxy_pid")"
      loaded_rss="$(proc_kib "$proxy_pid" VmRSS)"
      peak_rss="$(proc_kib "$proxy_pid" VmHWM)"
      # Read after the CPU counters, so the scrape is not counted as the proxy's work.
      case "$target" in
        outrigger*) events="$(policy_events "$admin_port" "$OUT_DIR/metrics/$scenario-$target-run$run.txt")" ;;
      esac
    else
      alive=0
      note "!! $target died during $scenario run $run: $(tail -n 5 "$tmp/$target/stderr.log")"
    fi
  fi
  stop_target
  kill -0 "$origin_pid" 2>/dev/null || die "mock-upstream died during $scenario/$target run $run"
  # Lines in the access log (outrigger-policies), counted once the proxy has exited.
  [ -f "$tmp/$target/access.log" ] && alog="$(wc -l <"$tmp/$target/access.log")"

  local line
  line="$(grep '^RESULT ' "$tmp/wrk.out" || true)"
  if [ -z "$line" ]; then
    note "!! wrk produced no result for $scenario/$target run $run (exit $wrk_rc): $(tail -n 5 "$tmp/wrk.out")"
    line="RESULT requests=0 duration_us=1 bytes=0 mean_us=0 p50_us=0 p90_us=0 p99_us=0 p999_us=0 max_us=0 err_connect=0 err_read=0 err_write=0 err_status=0 err_timeout=0"
  fi
  local -A r=()
  local kv
  for kv in ${line#RESULT }; do r["${kv%%=*}"]="${kv#*=}"; done

  local dur rps origin_cpu_s wrk_cpu_s other_cpu_s steal_s dproxy
  dproxy=$((p1 - p0))
  [ "$alive" = 1 ] || dproxy=0
  read -r dur rps proxy_cpu_s per_cpu origin_cpu_s wrk_cpu_s other_cpu_s steal_s < <(awk \
    -v req="${r[requests]}" -v us="${r[duration_us]}" -v hz="$clk_tck" -v dp="$dproxy" \
    -v dor="$((o1 - o0))" -v dc="$((c1 - c0))" -v ds="$((s1 - s0))" -v dst="$((st1 - st0))" \
    -v has_proxy="${proxy_pid:+1}" -v alive="$alive" 'BEGIN {
      dur = us / 1e6; rps = req / dur
      pc = dp / hz; per = (pc > 0) ? req / pc : 0
      other = (ds - dp - dor - dc) / hz; if (other < 0) other = 0
      if (has_proxy == "" || alive != 1) { pcs = ""; pers = "" } else { pcs = sprintf("%.2f", pc); pers = sprintf("%.0f", per) }
      printf "%.3f %.1f %s %s %.2f %.2f %.2f %.2f\n", dur, rps, (pcs == "" ? "-" : pcs), (pers == "" ? "-" : pers),
             dor / hz, dc / hz, other, dst / hz }')
  [ "$proxy_cpu_s" = - ] && proxy_cpu_s=""
  [ "$per_cpu" = - ] && per_cpu=""
  local alive_field=""
  [ -n "$proxy_pid" ] && alive_field="$alive"

  echo "$scenario,$target,$run,$conns,$pcpu,$ccpu,$dur,${r[requests]},$rps,${r[mean_us]},${r[p50_us]},${r[p90_us]},${r[p99_us]},${r[p999_us]},${r[max_us]},${r[err_connect]},${r[err_read]},${r[err_write]},${r[err_status]},${r[err_timeout]},$proxy_cpu_s,$per_cpu,$origin_cpu_s,$wrk_cpu_s,$other_cpu_s,$steal_s,$idle_rss,$loaded_rss,$peak_rss,$alive_field,$stop_ms,$events,$alog" >>"$csv"

  local errs=$(( r[err_connect] + r[err_read] + r[err_write] + r[err_status] + r[err_timeout] ))
  note "$(printf '%-10s %-9s run %d: %8.0f rps  p50 %7.0f us  p99 %7.0f us  proxy CPU %5s s  rps/CPU-s %6s  RSS idle/loaded %s/%s KiB  errors %d  other load %s CPU-s' \
    "$scenario" "$target" "$run" "$rps" "${r[p50_us]}" "${r[p99_us]}" "${proxy_cpu_s:--}" "${per_cpu:--}" \
    "${idle_rss:--}" "${loaded_rss:--}" "$errs" "$other_cpu_s")"
  if [ "${events:-0}" != 0 ]; then
    note "!! $target: policy or failure counters moved during $scenario run $run (policy_events $events)"
    echo "$scenario $target run $run: metrics moved: $(policy_event_series "$OUT_DIR/metrics/$scenario-$target-run$run.txt")" \
      >>"$OUT_DIR/proxy-stderr.log"
  fi
  # Keep any proxy stderr that is not the usual start/stop chatter, for the report.
  if [ -n "$proxy_pid" ] && [ -s "$tmp/$target/stderr.log" ]; then
    grep -viE ' info |^\[NOTICE\]|^$' "$tmp/$target/stderr.log" \
      | sed "s/^/$scenario $target run $run: /" >>"$OUT_DIR/proxy-stderr.log" || true
  fi
  if [ -s "$tmp/$target/error.log" ]; then
    sed "s/^/$scenario $target run $run: /" "$tmp/$target/error.log" >>"$OUT_DIR/proxy-stderr.log" || true
  fi
}

# ---------------------------------------------------------------- main
mkdir -p "$OUT_DIR"
rm -rf "$OUT_DIR/metrics" "$OUT_DIR/outrigger-policies.yaml"
mkdir -p "$OUT_DIR/metrics"
echo "$csv_header" >"$csv"
: >"$OUT_DIR/proxy-stderr.log"

meta="$OUT_DIR/meta.txt"
{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "command=$command_line"
  echo "nproc=$ncpu"
  echo "kernel=$(uname -sr)"
  echo "cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "mem_total=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "outrigger_version=$("$outrigger_bin" --version 2>&1 | head -n1)"
  # The commit, and which top-level paths had uncommitted (or untracked) changes.
  dirty="$(git -C "$root" status --porcelain 2>/dev/null | cut -c4- | sed 's/.* -> //; s#/.*#/#' | sort -u | xargs)"
  echo "outrigger_commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)${dirty:+ plus uncommitted changes in $dirty}"
  echo "outrigger_built=$(date -u -r "$outrigger_bin" '+%Y-%m-%d %H:%M UTC')"
  echo "tmp_fs=$(df -T "$tmp" 2>/dev/null | awk 'NR == 2 { print $2 }')"
  echo "policies_access_log=$POLICIES_ACCESS_LOG"
  echo "haproxy_version=$(haproxy -v 2>&1 | head -n1)"
  echo "nginx_version=$(nginx -v 2>&1 | head -n1)"
  echo "wrk_version=$(wrk -v 2>&1 | head -n1 | sed 's/ Copyright.*//')"
  echo "duration=$DURATION"
  echo "runs=$RUNS"
  echo "warmup=$WARMUP"
  echo "req_path=$REQ_PATH"
  echo "scenarios=$SCENARIOS"
  echo "targets=$TARGETS"
  echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
  # What else is using the CPU right now (second top sample = current, not lifetime, usage).
  echo "busiest_start=$(top -bn2 -d1 -w 200 2>/dev/null | awk '/^ *PID/ { n++; next }
      n == 2 && $9 + 0 >= 5 && c < 4 { printf "%s%s %s%%", (c++ ? ", " : ""), $12, $9 }')"
} >"$meta"

if [ "$ncpu" -lt 2 ]; then
  note "only $ncpu CPU: the *-2cpu scenarios are skipped"
  SCENARIOS="$(for s in $SCENARIOS; do case "$s" in *-2cpu) ;; *) echo "$s" ;; esac; done | xargs)"
fi

nscen=$(wc -w <<<"$SCENARIOS"); nmeas=0
for s in $SCENARIOS; do nmeas=$(( nmeas + $(round_targets "$s" 1 | wc -w) )); done
note "$nscen scenarios ($nmeas targets in all) x $RUNS runs of $DURATION (+$WARMUP warm-up) on $REQ_PATH;" \
     "about $(( nmeas * RUNS * (duration_s + warmup_s + 2) / 60 + 1 )) min"
started_at="$(date +%s)"
for scenario in $SCENARIOS; do
  if [ -z "$(round_targets "$scenario" 1)" ]; then
    note "skipping $scenario: it needs outrigger in TARGETS"
    continue
  fi
  # A fresh origin per scenario, always on CPU 0 next to wrk.
  start_origin
  for ((run = 1; run <= RUNS; run++)); do
    for target in $(round_targets "$scenario" "$run"); do
      run_one "$scenario" "$target" "$run"
    done
  done
  kill_tree "$origin_pid" 3
done
{
  echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "elapsed_s=$(( $(date +%s) - started_at ))"
} >>"$meta"

mkdir -p "$(dirname "$RESULTS_MD")"
report_rc=0
python3 "$here/report.py" --csv "$csv" --meta "$meta" --md "$RESULTS_MD" --png "$chart_png" \
  --out-dir "$OUT_DIR" --stderr-log "$OUT_DIR/proxy-stderr.log" \
  --policies-config "$OUT_DIR/outrigger-policies.yaml" || report_rc=$?
note "wrote $RESULTS_MD, $csv, $OUT_DIR/summary.csv$( [ -s "$chart_png" ] && echo ", $chart_png")"
exit "$report_rc"
