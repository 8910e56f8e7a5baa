# Sourced by bench/idle.sh, bench/soak.sh, bench/profile.sh, bench/h2.sh, bench/tunnels.sh and others (bench/run.sh has its own,
# larger harness): the paths, a temp dir removed on exit with every process started,
# the Release build and a mock-upstream origin.
#
#   bench_setup NAME    sets here, root, BUILD_DIR, tmp (/tmp/outrigger-NAME.XXXXXX), pids
#   start_origin        starts mock-upstream on an ephemeral port; sets origin=127.0.0.1:PORT
#   free_port           prints a loopback port free just now (for peers that cannot take port 0)
#   cpu_ticks PID       prints the CPU time (user + system, in clock ticks) PID has used

bench_setup() {
  here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
  root="$(cd "$here/.." && pwd)"
  BUILD_DIR="${OUTRIGGER_BUILD_DIR:-$root/build}"
  tmp="$(mktemp -d "/tmp/outrigger-$1.XXXXXX")"
  pids=()
  trap bench_cleanup EXIT
  [ -x "$BUILD_DIR/outrigger" ] ||
    TARGETS="outrigger mock-upstream" "$root/deploy/build.sh" "$BUILD_DIR" >/dev/null
}

# KEEP_TMP=1 keeps the temp dir (logs, profiles) for a look afterwards.
bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}

start_origin() {
  "$BUILD_DIR/tests/support/mock-upstream" --port 0 --port-file "$tmp/mock.port" --quiet >/dev/null &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$tmp/mock.port" ] && break; sleep 0.1; done
  [ -s "$tmp/mock.port" ] || { echo "bench: mock-upstream did not start" >&2; exit 1; }
  origin="127.0.0.1:$(cat "$tmp/mock.port")"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
