#!/usr/bin/env bash
# bench/idle.sh: outrigger's memory with N idle keep-alive connections from the app (issue 5:
# 10,000 by default). Each connection makes one request, then stays open and idle. Writes
# bench/idle-connections.md, which bench/run.sh's report includes in bench/RESULTS.md.
#
#   bench/idle.sh                 N=10000, using the Release build in build/
#   N=2000 bench/idle.sh          fewer connections
set -euo pipefail
source "$(dirname "$0")/common.sh"
bench_setup idle
N="${N:-10000}"
out_md="${OUT_MD:-$here/idle-connections.md}"
# Both sides hold N sockets: raise the soft limit as far as the hard one allows.
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((N + 200)) ] || { echo "idle.sh: need more than $((N + 200)) fds (ulimit -Hn is $(ulimit -Hn))" >&2; exit 2; }

start_origin
cat >"$tmp/outrigger.yaml" <<YAML
admin: { listen: 127.0.0.1:0 }
access_log: { path: "off" }
listeners:
  - name: idle
    listen: 127.0.0.1:0
    limits: { max_connections: $((N + 1000)), idle_timeout: 10m }
    routes: [ { upstream: origin } ]
upstreams:
  origin: { endpoints: [ "127.0.0.1:$(cat "$tmp/mock.port")" ] }
YAML
"$BUILD_DIR/outrigger" -c "$tmp/outrigger.yaml" --ports-file "$tmp/ports" 2>"$tmp/outrigger.log" &
pids+=($!)
opid=$!
for _ in $(seq 50); do [ -s "$tmp/ports" ] && break; sleep 0.1; done
port="$(awk '/^listener/ {print $3}' "$tmp/ports")"
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$opid/status"; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$opid/status"; }

idle_before="$(rss_kib)"
/usr/bin/python3 "$here/hold_idle.py" "$port" "$N" "$tmp/held" &
pids+=($!)
for _ in $(seq 1200); do [ -s "$tmp/held" ] && break; sleep 0.1; done
answered="$(cat "$tmp/held" 2>/dev/null || echo 0)"
sleep 2  # let the allocator settle
held="$(rss_kib)"
peak="$(hwm_kib)"
conns="$(ls "/proc/$opid/fd" | wc -l)"
per_conn=$(( (held - idle_before) * 1024 / N ))

cat >"$out_md" <<MD
## Idle keep-alive connections (memory)

\`N=$N bench/idle.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), outrigger at $(git -C "$root" rev-parse --short HEAD), \`workers: 1\`.
$N connections from the app each made one request ($answered answered) and then stayed open and idle.

| outrigger RSS before | with $N idle connections | peak (VmHWM) | per connection | open fds |
|---:|---:|---:|---:|---:|
| $((idle_before / 1024)) MiB | $((held / 1024)) MiB | $((peak / 1024)) MiB | $per_conn bytes | $conns |

These connections are idle, so they hold no buffer. A request that waits for its body holds up to
\`listeners[].limits.request_buffer\` (64 KiB by default) and a slow reader up to its upstream's
\`limits.response_buffer\` (256 KiB), plus one read: on top of the figures above, at most about
200 MiB for 500 slow clients, and less in practice (see Slow clients for a measured peak).
MD
cat "$out_md"
[ "$answered" -eq "$N" ] || { echo "idle.sh: only $answered of $N requests were answered" >&2; exit 1; }
