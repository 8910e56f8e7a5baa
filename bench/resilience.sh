#!/usr/bin/env bash
# bench/resilience.sh: the load tests an operator runs before a release, with pass/fail
# thresholds. bench/run.sh runs it after its own scenarios; it also runs on its own.
#
#   spike  10 connections, then 490 more at once for SPIKE_SECONDS, then back to 10
#   chaos  the origin fails 20% of calls (503) and resets 5% of connections; the proxy retries
#
# For each target it measures error rate, p95, p99 and throughput. It writes
# $OUT_DIR/resilience.csv and $OUT_DIR/resilience.md (resilience_report.py; bench/run.sh's
# report copies it into bench/RESULTS.md), and exits 4 when outrigger breaks a threshold
# (the peers run the same load for comparison and are not judged).
#
# Knobs: SPIKE_TARGETS CHAOS_TARGETS SPIKE_SECONDS CHAOS_SECONDS OUT_DIR RESILIENCE_MD
#   SKIP_DEPS=1 SKIP_BUILD=1 OUTRIGGER_BUILD_DIR KEEP_TMP=1
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
SPIKE_TARGETS="${SPIKE_TARGETS:-outrigger haproxy nginx}"
CHAOS_TARGETS="${CHAOS_TARGETS:-direct outrigger-retry haproxy-retry}"
SPIKE_SECONDS="${SPIKE_SECONDS:-6}"
CHAOS_SECONDS="${CHAOS_SECONDS:-10}"
OUT_DIR="${OUT_DIR:-$here/out}"
RESILIENCE_MD="${RESILIENCE_MD:-$OUT_DIR/resilience.md}"
REQ_PATH=/hello
CHAOS_PATH="/chaos?fail=20&reset=5"
POLICIES_ACCESS_LOG=off

bench_name=resilience.sh
source "$here/harness.sh"
source "$here/targets.sh"
[[ "$SPIKE_SECONDS" =~ ^[1-9][0-9]*$ && "$CHAOS_SECONDS" =~ ^[1-9][0-9]*$ ]] \
  || die "SPIKE_SECONDS and CHAOS_SECONDS are whole seconds"
ulimit -n "$(ulimit -Hn)"
prepare_binaries $SPIKE_TARGETS $CHAOS_TARGETS
make_tmp
mkdir -p "$OUT_DIR"
csv="$OUT_DIR/resilience.csv"
echo "scenario,target,phase,conns,duration_s,requests,rps,p50_us,p95_us,p99_us,max_us,err_socket,err_status,retries,budget_exhausted" >"$csv"

# wrk_phase OUT CONNS SECONDS URL: one pinned wrk run on CPU 0 (the proxy has CPU 1)
wrk_phase() {
  timeout -k 5 $(($3 + 30)) taskset -c 0 \
    wrk -t1 -c"$2" -d"$3s" --timeout 2s -s "$here/wrk-report.lua" "$4" >"$1" 2>&1 || true
}

# record SCENARIO TARGET PHASE CONNS WRK_OUT [METRICS_FILE]: one CSV row from wrk's RESULT line
record() {
  local line kv retries="" exhausted=""
  line="$(grep '^RESULT ' "$5" || true)"
  [ -n "$line" ] || die "wrk produced no result for $1/$2 $3: $(tail -n 3 "$5")"
  local -A r=()
  for kv in ${line#RESULT }; do r["${kv%%=*}"]="${kv#*=}"; done
  if [ -n "${6:-}" ] && [ -s "$6" ]; then
    retries="$(awk '/^outrigger_retries_total[{ ]/ { n += $NF } END { print n + 0 }' "$6")"
    exhausted="$(awk '/^outrigger_retry_budget_exhausted_total[{ ]/ { n += $NF } END { print n + 0 }' "$6")"
  fi
  local dur=$(( r[duration_us] )) socket=$(( r[err_connect] + r[err_read] + r[err_write] + r[err_timeout] ))
  awk -v s="$1" -v t="$2" -v ph="$3" -v c="$4" -v us="$dur" -v n="${r[requests]}" -v p50="${r[p50_us]}" \
      -v p95="${r[p95_us]}" -v p99="${r[p99_us]}" -v mx="${r[max_us]}" -v se="$socket" \
      -v st="${r[err_status]}" -v re="$retries" -v ex="$exhausted" 'BEGIN {
      printf "%s,%s,%s,%d,%.3f,%d,%.1f,%.0f,%.0f,%.0f,%.0f,%d,%d,%s,%s\n",
             s, t, ph, c, us / 1e6, n, n / (us / 1e6), p50, p95, p99, mx, se, st, re, ex }' >>"$csv"
  note "$(printf '%-6s %-15s %-6s %4d conns: %8.0f rps  p95 %8.0f us  p99 %8.0f us  socket errors %d  non-2xx %d%s' \
    "$1" "$2" "$3" "$4" "$(awk -v n="${r[requests]}" -v us="$dur" 'BEGIN { print n / (us / 1e6) }')" \
    "${r[p95_us]}" "${r[p99_us]}" "$socket" "${r[err_status]}" "${retries:+  retries $retries}")"
}

scrape() {  # scrape FILE: outrigger's /metrics, when the target is an outrigger
  rm -f "$1"
  [ -n "$admin_port" ] && curl -fsS -m 2 -o "$1" "http://127.0.0.1:$admin_port/metrics" 2>/dev/null || true
}

# calm_phase CONNS SECONDS: the calm baseline, three wrk runs of GET /hello; $tmp/calm.out
# is the one with the median p99. One run's p99 swings several-fold on this machine, and
# the chaos verdict divides by it.
calm_phase() {
  local i p99s=""
  for i in 1 2 3; do
    wrk_phase "$tmp/calm$i.out" "$1" "$2" "$target_url"
    p99s+="$(sed -n 's/^RESULT .* p99_us=\([0-9.]*\).*/\1/p' "$tmp/calm$i.out") $i"$'\n'
  done
  i="$(printf '%s' "$p99s" | sort -n | sed -n 2p | cut -d' ' -f2)"
  cp "$tmp/calm${i:-1}.out" "$tmp/calm.out"
}

# measure SCENARIO TARGET CONNS CALM_SECONDS PHASES: starts the target on CPU 1, measures a
# calm phase of GET /hello (calm_phase), then runs the function PHASES, then stops the target.
measure() {
  admin_port=""
  start_target "$2" 1
  calm_phase "$3" "$4"
  record "$1" "$2" calm "$3" "$tmp/calm.out"
  "$5" "$2"
  stop_target
}

# 10 connections throughout; after 2 s, 490 more open at once and stay for SPIKE_SECONDS.
spike_phases() {
  wrk_phase "$tmp/base.out" 10 $((SPIKE_SECONDS + 4)) "$target_url" &
  local base_pid=$!
  sleep 2
  wrk_phase "$tmp/spike.out" 490 "$SPIKE_SECONDS" "$target_url"
  wait "$base_pid"
  record spike "$1" spike 490 "$tmp/spike.out"
  record spike "$1" base 10 "$tmp/base.out"
}

chaos_phases() {
  wrk_phase "$tmp/chaos.out" 50 "$CHAOS_SECONDS" "http://127.0.0.1:$target_port$CHAOS_PATH"
  scrape "$tmp/after.prom"
  record chaos "$1" chaos 50 "$tmp/chaos.out" "$tmp/after.prom"
}

start_origin
for target in $SPIKE_TARGETS; do measure spike "$target" 10 3 spike_phases; done
for target in $CHAOS_TARGETS; do measure chaos "$target" 50 3 chaos_phases; done
kill_tree "$origin_pid" 3

python3 "$here/resilience_report.py" --csv "$csv" --md "$RESILIENCE_MD" \
  --spike-seconds "$SPIKE_SECONDS" --chaos-path "$CHAOS_PATH"
