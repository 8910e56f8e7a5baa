# Sourced by bench/idle.sh, bench/soak.sh and bench/profile.sh (bench/run.sh has its own,
# larger harness): the paths, a temp dir removed on exit with every process started,
# the Release build and a mock-upstream origin.
#
#   bench_setup NAME    sets here, root, BUILD_DIR, tmp (/tmp/outrigger-NAME.XXXXXX), pids
#   start_origin        starts mock-upstream on an ephemeral port; sets origin=127.0.0.1:PORT

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
