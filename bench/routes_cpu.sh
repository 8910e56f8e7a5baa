#!/usr/bin/env bash
# bench/routes_cpu.sh: what a route table costs in proxy CPU per request, user space and
# kernel together (issue 20's bench: "CPU per request at most 1.03×"), timed: outrigger with
# the one route `{ path_prefix: /, upstream: origin }` and with the routes of ROUTES_FILE, in
# paired rounds. Each round runs both configs, in an order that alternates from round to
# round, on a fresh process each: wrk -t1 -c50 for SECONDS_PER_RUN against GET /hello from
# mock-upstream, outrigger (workers: 1, access log off) pinned to CPU 1, wrk and the origin to
# CPU 0. The figure is the proxy's utime + stime per request; the ratio is the median of the
# per-round ratios, with their range. bench/profile.sh counts the user-space instructions of
# the same comparison, which do not drift, but leave the kernel's share out.
#
#   ROUTES_FILE=bench/routes-headers.yaml bench/routes_cpu.sh    ROUNDS=7 SECONDS_PER_RUN=8
# Knobs: ROUTES_FILE (required) ROUNDS SECONDS_PER_RUN OUT_MD KEEP_TMP=1
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ -f "${ROUTES_FILE:-}" ] || { echo "routes_cpu.sh: ROUTES_FILE must name a routes file (bench/routes-*.yaml)" >&2; exit 2; }
for tool in wrk taskset; do
  command -v "$tool" >/dev/null || { echo "routes_cpu.sh: needs $tool (deploy/install-deps.sh --all)" >&2; exit 2; }
done
bench_setup routes-cpu
ROUNDS="${ROUNDS:-7}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-8}"
OUT_MD="${OUT_MD:-/dev/stdout}"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ && "$SECONDS_PER_RUN" =~ ^[1-9][0-9]*$ ]] ||
  { echo "routes_cpu.sh: ROUNDS and SECONDS_PER_RUN must be positive integers" >&2; exit 2; }
start_origin
taskset -p -c 0 "${pids[-1]}" >/dev/null  # the origin beside wrk, off the proxy's CPU

# write_config NAME ROUTES: the listener's routes (YAML list items indented for `    routes:`).
write_config() {
  cat >"$tmp/$1.yaml" <<YAML
admin: { listen: 127.0.0.1:0 }
access_log: { path: "off" }
workers: 1
listeners:
  - name: bench
    listen: 127.0.0.1:0
    routes:
$2
upstreams:
  origin:
    endpoints: [ "$origin" ]
    pool: { max_connections: 256, max_idle: 256 }
YAML
}
write_config one '      - { path_prefix: /, upstream: origin }'
write_config routes "$(cat "$ROUTES_FILE")"
"$BUILD_DIR/outrigger" --check -c "$tmp/routes.yaml" >/dev/null ||
  { echo "routes_cpu.sh: $ROUTES_FILE does not load" >&2; exit 2; }

# measure NAME: one run on a fresh process; prints "<proxy CPU µs per request> <requests>".
measure() {
  local name="$1" pid port before after requests
  rm -f "$tmp/ports"
  taskset -c 1 "$BUILD_DIR/outrigger" -c "$tmp/$name.yaml" --ports-file "$tmp/ports" >"$tmp/$name.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 100); do [ -s "$tmp/ports" ] && break; sleep 0.1; done
  port=$(awk '/^listener/{print $3}' "$tmp/ports")
  [ -n "$port" ] || { echo "routes_cpu.sh: outrigger did not start" >&2; cat "$tmp/$name.log" >&2; exit 1; }
  taskset -c 0 wrk -t1 -c50 -d1s "http://127.0.0.1:$port/hello" >/dev/null  # warm-up
  before=$(cpu_ticks "$pid")
  requests=$(taskset -c 0 wrk -t1 -c50 -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$port/hello" |
    awk '/requests in/{print $1}')
  after=$(cpu_ticks "$pid")
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" \
    'BEGIN { printf "%.3f %d\n", (n > 0 ? t * 1e6 / hz / n : 0), n }'
}

: >"$tmp/rounds.tsv"
for round in $(seq "$ROUNDS"); do
  if ((round % 2)); then order=(one routes); else order=(routes one); fi
  declare -A cost=()
  for name in "${order[@]}"; do cost[$name]=$(measure "$name"); done
  printf '%s\t%s\t%s\n' "$round" "${cost[one]}" "${cost[routes]}" >>"$tmp/rounds.tsv"
  echo "routes_cpu.sh: round $round: one ${cost[one]}, routes ${cost[routes]}" >&2
done

python3 - "$tmp/rounds.tsv" "$ROUTES_FILE" "$ROUNDS" "$SECONDS_PER_RUN" \
  "$(git -C "$root" rev-parse --short HEAD)" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
  "$(cut -d' ' -f1-3 /proc/loadavg)" >"$OUT_MD" <<'PY'
import statistics, sys
path, routes_file, rounds, seconds, commit, when, load = sys.argv[1:8]
one, other, ratios = [], [], []
for line in open(path):
    _, a, _, b, _ = line.split()
    one.append(float(a)); other.append(float(b)); ratios.append(float(b) / float(a))
print(f"`ROUTES_FILE={routes_file} ROUNDS={rounds} SECONDS_PER_RUN={seconds} bench/routes_cpu.sh` "
      f"at {commit}, {when} (load average {load} at the end).")
print()
print("| config | proxy CPU per request, µs (user + system; median, min–max) |")
print("|---|---|")
fmt = lambda xs: f"{statistics.median(xs):.2f} ({min(xs):.2f}–{max(xs):.2f})"
print(f"| one route | {fmt(one)} |")
print(f"| `{routes_file}` | {fmt(other)} |")
print(f"| ratio (median of the per-round ratios) | **{statistics.median(ratios):.3f}×** "
      f"({min(ratios):.3f}–{max(ratios):.3f}) |")
PY
