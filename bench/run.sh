#!/usr/bin/env bash
# bench/run.sh: outrigger against HAProxy and nginx (and no proxy at all), measured with wrk
# on 127.0.0.1. One command builds what it needs, runs every scenario, and writes
# bench/RESULTS.md, bench/results.png and bench/out/results.csv. See bench/README.md.
#
#   bench/run.sh              full run (DURATION=10s, RUNS=3; about 12 minutes)
#   bench/run.sh --quick      DURATION=3s RUNS=1 (about 2 minutes), writes under bench/out/quick/
#
# Knobs (environment): DURATION RUNS POLICY_RUNS SCENARIOS TARGETS WARMUP REQ_PATH
#   OUTRIGGER_BUILD_DIR OUT_DIR RESULTS_MD POLICIES_ACCESS_LOG=off RESILIENCE=0 SKIP_DEPS=1
#   SKIP_BUILD=1 KEEP_TMP=1
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
for k in DURATION RUNS POLICY_RUNS SCENARIOS TARGETS WARMUP REQ_PATH OUTRIGGER_BUILD_DIR OUT_DIR RESULTS_MD POLICIES_ACCESS_LOG RESILIENCE; do
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
ALL_SCENARIOS="c50-1cpu c1-1cpu c50-2cpu c200-2cpu c50-1cpu-policies c50-1cpu-64k c50-1cpu-idle1k c200-2cpu-workers c50-1cpu-open c1-1cpu-open"
SCENARIOS="${SCENARIOS:-$ALL_SCENARIOS}"
TARGETS="${TARGETS:-direct outrigger haproxy nginx}"
WARMUP="${WARMUP:-1s}"
REQ_PATH="${REQ_PATH:-/hello}"
# The policies target (within 5%) is the one ratio close to its line, so its pair gets more
# rounds: a median of 5 paired ratios instead of 3 (about one minute more).
POLICY_RUNS="${POLICY_RUNS:-$(( RUNS == 3 ? 5 : RUNS ))}"
POLICIES_ACCESS_LOG="${POLICIES_ACCESS_LOG:-on}"   # off: outrigger-policies without the access log
RESILIENCE="${RESILIENCE:-1}"                       # 0: skip bench/resilience.sh

bench_name=run.sh
source "$here/harness.sh"
source "$here/targets.sh"
duration_s="$(to_seconds "$DURATION")"
warmup_s="$(to_seconds "$WARMUP")"
[ "$duration_s" -ge 1 ] || die "DURATION must be at least 1s"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ "$POLICY_RUNS" =~ ^[1-9][0-9]*$ ]] || die "POLICY_RUNS must be a positive integer"
case "$POLICIES_ACCESS_LOG" in on|off) ;; *) die "POLICIES_ACCESS_LOG must be on or off" ;; esac

# Scenario table: connections, CPUs for the proxy, CPU for wrk and the origin, request path,
# idle keep-alive connections held open during the run.
scenario_spec() {
  case "$1" in
    c50-1cpu|c50-1cpu-policies|c50-1cpu-open) echo "50 0 0 $REQ_PATH 0" ;;
    c1-1cpu|c1-1cpu-open) echo "1 0 0 $REQ_PATH 0" ;;
    c50-2cpu) echo "50 1 0 $REQ_PATH 0" ;;
    c200-2cpu) echo "200 1 0 $REQ_PATH 0" ;;
    c50-1cpu-64k) echo "50 0 0 /bytes/65536 0" ;;
    c50-1cpu-idle1k) echo "50 0 0 $REQ_PATH 1000" ;;
    c200-2cpu-workers) echo "200 0-1 0 $REQ_PATH 0" ;;
    *) die "unknown scenario '$1' (known: $ALL_SCENARIOS)" ;;
  esac
}
for s in $SCENARIOS; do scenario_spec "$s" >/dev/null; done
for t in $TARGETS; do
  case "$t" in direct|outrigger|outrigger-policies|haproxy|nginx) ;; *) die "unknown target '$t'" ;; esac
done

# Targets of one round of a scenario, in order. The paired scenarios compare plain outrigger
# with one variant, and nothing else (they run when TARGETS includes outrigger):
#   c50-1cpu-policies   outrigger-policies: the target's policies configured, none triggering
#   c200-2cpu-workers   outrigger-w2: workers: 2 (both variants may use both CPUs)
#   c*-1cpu-open        outrigger-open: the breaker is open, every request a local 503
# The order flips every round (off on | on off | ...) so that a drift in machine load does not
# always favour the same variant.
round_targets() {  # scenario run
  local variant=""
  case "$1" in
    c50-1cpu-policies) variant=outrigger-policies ;;
    c200-2cpu-workers) variant=outrigger-w2 ;;
    c50-1cpu-open|c1-1cpu-open) variant=outrigger-open ;;
    *) echo "$TARGETS"; return 0 ;;
  esac
  case " $TARGETS " in *" outrigger "*) ;; *) return 0 ;; esac
  if (( $2 % 2 )); then echo "outrigger $variant"; else echo "$variant outrigger"; fi
}
ulimit -n "$(ulimit -Hn)"   # the idle1k scenario holds 1000 more sockets on each side
prepare_binaries $TARGETS
make_tmp

# ---------------------------------------------------------------- one measured run
csv="$OUT_DIR/results.csv"
csv_header="scenario,target,run,conns,proxy_cpu,client_cpu,duration_s,requests,rps,mean_us,p50_us,p90_us,p99_us,p999_us,max_us,err_connect,err_read,err_write,err_status,err_timeout,proxy_cpu_s,rps_per_proxy_cpu_s,origin_cpu_s,wrk_cpu_s,other_cpu_s,steal_s,idle_rss_kib,loaded_rss_kib,peak_rss_kib,proxy_alive,stop_ms,policy_events,access_log_lines,idle_held,log_p50_us,log_p99_us,proxy_user_share"

# log_percentiles ACCESS_LOG WRK_OUT: p50 and p99 (µs) of duration_ms over the access log's last
# N lines, N = the requests of the measured wrk run.
log_percentiles() {
  local n
  n="$(sed -n 's/^RESULT requests=\([0-9]*\).*/\1/p' "$2")"
  [ -n "$n" ] && [ "$n" -gt 0 ] || return 0
  tail -n "$n" "$1" | sed -n 's/.*"duration_ms":\([0-9.]*\).*/\1/p' | sort -n \
    | awk '{ v[NR] = $1 } END { if (NR) printf "%.0f %.0f\n", v[int((NR - 1) * 0.5) + 1] * 1000, v[int((NR - 1) * 0.99) + 1] * 1000 }'
}

run_one() {  # scenario target run
  local scenario="$1" target="$2" run="$3" conns pcpu ccpu path idle
  read -r conns pcpu ccpu path idle < <(scenario_spec "$scenario")
  start_target "$target" "$pcpu" "$path"

  local idle_rss="" loaded_rss="" peak_rss="" proxy_cpu_s="" per_cpu="" alive=1 events="" alog=""
  local held="" holder_pid="" log_p50="" log_p99=""
  stop_ms=""
  if [ -n "$proxy_pid" ]; then
    sleep 0.5
    idle_rss="$(proc_kib "$proxy_pid" VmRSS)"
  fi
  if [ "$idle" -gt 0 ]; then  # idle keep-alive connections, open through the whole run
    rm -f "$tmp/held"
    start_pinned "$ccpu" "$tmp/holder.log" python3 "$here/hold_idle.py" "$target_port" "$idle" "$tmp/held"
    holder_pid="$last_pid"
    wait_for 90 "$holder_pid" test -s "$tmp/held" || die "hold_idle.py failed: $(cat "$tmp/holder.log")"
    held="$(cat "$tmp/held")"
    [ "$held" = "$idle" ] || note "!! only $held of $idle idle connections were answered ($target)"
  fi
  if [ "$warmup_s" -gt 0 ]; then
    timeout -k 5 $((warmup_s + 30)) taskset -c "$ccpu" \
      wrk -t1 -c"$conns" -d"$WARMUP" --timeout 2s "$target_url" >"$tmp/warmup.out" 2>&1 || true
  fi

  local p0=0 pu0=0 o0 c0 s0 st0 p1=0 pu1=0 o1 c1 s1 st1
  [ -n "$proxy_pid" ] && read -r p0 pu0 < <(proc_ticks "$proxy_pid")
  read -r o0 _ < <(proc_ticks "$origin_pid")
  children_cpu_ticks; c0="$cticks"
  read -r s0 st0 < <(system_ticks)
  local wrk_rc=0
  timeout -k 5 $((duration_s + 30)) taskset -c "$ccpu" \
    wrk -t1 -c"$conns" -d"$DURATION" --timeout 2s -s "$here/wrk-report.lua" "$target_url" \
    >"$tmp/wrk.out" 2>&1 || wrk_rc=$?
  read -r s1 st1 < <(system_ticks)
  children_cpu_ticks; c1="$cticks"
  read -r o1 _ < <(proc_ticks "$origin_pid")
  if [ -n "$proxy_pid" ]; then
    if kill -0 "$proxy_pid" 2>/dev/null; then
      read -r p1 pu1 < <(proc_ticks "$proxy_pid")
      loaded_rss="$(proc_kib "$proxy_pid" VmRSS)"
      peak_rss="$(proc_kib "$proxy_pid" VmHWM)"
      # Read after the CPU counters, so the scrape is not counted as the proxy's work.
      case "$target" in
        outrigger-open) ;;   # its replies are all local 503s by design
        outrigger*) events="$(policy_events "$admin_port" "$OUT_DIR/metrics/$scenario-$target-run$run.txt")" ;;
      esac
    else
      alive=0
      note "!! $target died during $scenario run $run: $(tail -n 5 "$tmp/$target/stderr.log")"
    fi
  fi
  [ -n "$holder_pid" ] && kill_tree "$holder_pid" 2
  stop_target
  kill -0 "$origin_pid" 2>/dev/null || die "mock-upstream died during $scenario/$target run $run"
  # Lines in the access log (outrigger-policies, outrigger-open), counted once the proxy has
  # exited; for outrigger-open also the time each reply took inside the proxy (duration_ms of
  # the measured run's lines, the last ones in the log).
  if [ -f "$tmp/$target/access.log" ]; then
    alog="$(wc -l <"$tmp/$target/access.log")"
    [ "$target" = outrigger-open ] && read -r log_p50 log_p99 < <(log_percentiles "$tmp/$target/access.log" "$tmp/wrk.out")
  fi

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
  # The share of the proxy's CPU time spent in user space (the rest is the kernel's: system
  # calls and the loopback TCP work they set off).
  local user_share=""
  [ "$dproxy" -gt 0 ] && user_share="$(awk -v u="$((pu1 - pu0))" -v t="$dproxy" 'BEGIN { printf "%.3f", u / t }')"
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

  echo "$scenario,$target,$run,$conns,$pcpu,$ccpu,$dur,${r[requests]},$rps,${r[mean_us]},${r[p50_us]},${r[p90_us]},${r[p99_us]},${r[p999_us]},${r[max_us]},${r[err_connect]},${r[err_read]},${r[err_write]},${r[err_status]},${r[err_timeout]},$proxy_cpu_s,$per_cpu,$origin_cpu_s,$wrk_cpu_s,$other_cpu_s,$steal_s,$idle_rss,$loaded_rss,$peak_rss,$alive_field,$stop_ms,$events,$alog,$held,$log_p50,$log_p99,$user_share" >>"$csv"

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
    # (outrigger-open's breaker opening on purpose is not news either)
    grep -viE ' info |^\[NOTICE\]|^$|circuit breaker closed -> open \(1 consecutive' "$tmp/$target/stderr.log" \
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
  echo "policy_runs=$POLICY_RUNS"
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
  SCENARIOS="$(for s in $SCENARIOS; do case "$s" in *-2cpu|*-2cpu-*) ;; *) echo "$s" ;; esac; done | xargs)"
fi

nscen=$(wc -w <<<"$SCENARIOS"); nmeas=0
for s in $SCENARIOS; do
  n="$(round_targets "$s" 1 | wc -w)"
  [ "$s" = c50-1cpu-policies ] && n=$(( n * POLICY_RUNS / RUNS ))
  nmeas=$(( nmeas + n ))
done
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
  runs="$RUNS"
  [ "$scenario" = c50-1cpu-policies ] && runs="$POLICY_RUNS"
  for ((run = 1; run <= runs; run++)); do
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

# The spike and chaos scenarios, judged against their thresholds (bench/resilience.sh).
resilience_rc=0
rm -f "$OUT_DIR/resilience.md"
if [ "$RESILIENCE" = 1 ]; then
  spike_s=6 chaos_s=10
  [ "$quick" = 1 ] && spike_s=3 chaos_s=4
  SKIP_DEPS=1 SKIP_BUILD=1 OUTRIGGER_BUILD_DIR="$BUILD_DIR" OUT_DIR="$OUT_DIR" \
    SPIKE_SECONDS="$spike_s" CHAOS_SECONDS="$chaos_s" "$here/resilience.sh" || resilience_rc=$?
fi

mkdir -p "$(dirname "$RESULTS_MD")"
report_rc=0
python3 "$here/report.py" --csv "$csv" --meta "$meta" --md "$RESULTS_MD" --png "$chart_png" \
  --out-dir "$OUT_DIR" --stderr-log "$OUT_DIR/proxy-stderr.log" \
  --policies-config "$OUT_DIR/outrigger-policies.yaml" --resilience-md "$OUT_DIR/resilience.md" \
  || report_rc=$?
note "wrote $RESULTS_MD, $csv, $OUT_DIR/summary.csv$( [ -s "$chart_png" ] && echo ", $chart_png")"
[ "$report_rc" = 0 ] && report_rc="$resilience_rc"
exit "$report_rc"
