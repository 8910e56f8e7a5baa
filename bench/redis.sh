#!/usr/bin/env bash
# bench/redis.sh: what `rate_limit.scope: global` costs (issue 19). One outrigger (workers: 1),
# a mock-upstream origin and wrk share CPU 0 (50 connections on one CPU, as bench/run.sh's
# c50-1cpu); redis-server runs on a Unix socket in the temp dir, on CPU 1. ROUNDS rounds each
# run scope: local and scope: global for DURATION seconds, in a fresh process each, the order
# flipped every round. The limit (1,000,000/s) never binds: every request is admitted, so
# this measures the leasing's cost, not its rejections. Writes bench/redis.md, which
# bench/run.sh's report includes in bench/RESULTS.md.
#
#   bench/redis.sh                       ROUNDS=3 DURATION=10
#   ROUNDS=1 DURATION=5 bench/redis.sh   a quick look
set -euo pipefail
source "$(dirname "$0")/common.sh"
bench_setup redis
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10}"
out_md="${OUT_MD:-$here/redis.md}"
for tool in wrk taskset redis-server redis-cli; do
  command -v "$tool" >/dev/null || { echo "redis.sh: $tool is not installed" >&2; exit 2; }
done
[ -x "$BUILD_DIR/tests/support/mock-upstream" ] ||
  TARGETS="mock-upstream" "$root/deploy/build.sh" "$BUILD_DIR" >/dev/null

taskset -c 0 "$BUILD_DIR/tests/support/mock-upstream" --port 0 --port-file "$tmp/mock.port" \
  --quiet >/dev/null &
pids+=($!)
for _ in $(seq 50); do [ -s "$tmp/mock.port" ] && break; sleep 0.1; done
origin="127.0.0.1:$(cat "$tmp/mock.port")"
taskset -c 1 redis-server --port 0 --unixsocket "$tmp/redis.sock" --save "" --appendonly no \
  --dir "$tmp" >"$tmp/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do redis-cli -s "$tmp/redis.sock" PING 2>/dev/null | grep -q PONG && break; sleep 0.1; done

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
lease_calls() {
  redis-cli -s "$tmp/redis.sock" INFO commandstats |
    awk -F'[:=,]' '/^cmdstat_(evalsha|eval):/ { n += $3 } END { print n + 0 }'
}

# run SCOPE: prints "requests cpu_ticks redis_commands" for one fresh process.
run() {
  local scope=$1
  cat >"$tmp/$scope.yaml" <<YAML
workers: 1
admin: { listen: 127.0.0.1:0 }
access_log: { path: "off" }
redis: { address: "unix:$tmp/redis.sock", key_prefix: "bench-$scope-$RANDOM:" }
listeners:
  - name: bench
    listen: 127.0.0.1:0
    routes: [ { upstream: origin } ]
upstreams:
  origin:
    endpoints: [ "$origin" ]
    rate_limit: { requests_per_second: 1000000, burst: 1000000, scope: $scope }
YAML
  rm -f "$tmp/ports"
  taskset -c 0 "$BUILD_DIR/outrigger" -c "$tmp/$scope.yaml" --ports-file "$tmp/ports" \
    2>"$tmp/outrigger-$scope.log" &
  local opid=$!
  pids+=("$opid")
  for _ in $(seq 50); do [ -s "$tmp/ports" ] && break; sleep 0.1; done
  local port
  port="$(awk '/^listener/ {print $3}' "$tmp/ports")"
  taskset -c 0 wrk -t1 -c50 -d1s "http://127.0.0.1:$port/hello" >/dev/null  # warm-up
  local t0 c0
  t0="$(ticks "$opid")"
  c0="$(lease_calls)"
  taskset -c 0 wrk -t1 -c50 -d"${DURATION}s" "http://127.0.0.1:$port/hello" >"$tmp/wrk.txt"
  local t1 c1
  t1="$(ticks "$opid")"
  c1="$(lease_calls)"
  kill "$opid"
  wait "$opid" 2>/dev/null || true
  local requests non2xx
  requests="$(awk '/requests in/ { print $1 }' "$tmp/wrk.txt")"
  non2xx="$(awk '/Non-2xx/ { print $NF }' "$tmp/wrk.txt")"
  [ -z "$non2xx" ] || { echo "redis.sh: $scope: $non2xx non-2xx responses" >&2; exit 1; }
  echo "$requests $((t1 - t0)) $((c1 - c0))"
}

hz="$(getconf CLK_TCK)"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
rows=""
for round in $(seq "$ROUNDS"); do
  order="local global"
  [ $((round % 2)) -eq 0 ] && order="global local"
  for scope in $order; do
    read -r requests cpu commands < <(run "$scope")
    us=$(awk -v c="$cpu" -v r="$requests" -v hz="$hz" 'BEGIN { printf "%.2f", c * 1e6 / hz / r }')
    per_k=$(awk -v n="$commands" -v r="$requests" 'BEGIN { printf "%.3f", n * 1000 / r }')
    rows+="| $round | $scope | $requests | $us | $commands | $per_k |"$'\n'
    eval "us_${scope}_${round}=$us"
  done
done
ratios=""
for round in $(seq "$ROUNDS"); do
  eval "g=\$us_global_$round; l=\$us_local_$round"
  ratios+="$(awk -v g="$g" -v l="$l" 'BEGIN { printf "%.3f", g / l }') "
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
median="$(echo "$ratios" | tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"

cat >"$out_md" <<MD
## Global rate limit: Redis commands and CPU

\`ROUNDS=$ROUNDS DURATION=$DURATION bench/redis.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), outrigger at $(git -C "$root" rev-parse --short HEAD), \`workers: 1\`.
wrk (50 connections), the origin and outrigger on CPU 0; redis-server on a Unix socket, on CPU 1.
\`rate_limit: { requests_per_second: 1000000, burst: 1000000, scope: local | global }\`: the
limit never binds, so every request is admitted. A fresh process per run; the order flips
every round. CPU is outrigger's user + system time over the measured ${DURATION}s; Redis
commands are \`EVALSHA\` + \`EVAL\` from redis-server's \`INFO commandstats\`. Load average
(1/5/15 min) $load_before before, $load_after after, on $(nproc) CPUs: other work on the
machine shows as rounds that disagree.

| round | scope | requests | µs CPU per request | Redis commands | per 1,000 admitted |
|---:|---|---:|---:|---:|---:|
$rows
CPU per request, global ÷ local, per round: $ratios(median **$median**; goal ≤ 1.05).
MD
cat "$out_md"
