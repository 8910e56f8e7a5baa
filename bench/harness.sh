# Sourced by bench/run.sh and bench/resilience.sh: logging, durations, the build, process
# bookkeeping (every process started is killed on exit) and CPU/memory sampling from /proc.
#
#   bench_name=NAME here=DIR root=DIR; source harness.sh
#   prepare_binaries TARGETS...   installs missing tools (unless SKIP_DEPS=1), builds outrigger and
#                                 mock-upstream in $BUILD_DIR (unless SKIP_BUILD=1); sets
#                                 outrigger_bin and mock_bin
#   make_tmp                      the temp dir $tmp, removed on exit with every process started
die() { echo "$bench_name: $*" >&2; exit 1; }
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
ncpu="$(nproc)"
BUILD_DIR="${OUTRIGGER_BUILD_DIR:-$root/build-bench}"

# ---------------------------------------------------------------- tools and binaries
prepare_binaries() {  # the targets that will run
  local tool t cmake_log
  if [ "${SKIP_DEPS:-0}" != 1 ]; then
    "$root/deploy/install-deps.sh" --all >&2 || note "install-deps.sh failed; using the tools already installed"
  fi
  for tool in wrk taskset curl python3; do
    command -v "$tool" >/dev/null || die "'$tool' is missing (deploy/install-deps.sh installs it)"
  done
  for t in "$@"; do
    case "$t" in
      haproxy*) command -v haproxy >/dev/null || die "haproxy is missing" ;;
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
}

# ---------------------------------------------------------------- process bookkeeping
started=()   # every pid we started; all are killed on exit

make_tmp() {
  tmp="$(mktemp -d "/tmp/outrigger-$bench_name.XXXXXX")"
  chmod 755 "$tmp"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

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

proc_ticks() {  # "utime+stime utime" (clock ticks) summed over a process tree
  local sum=0 user=0 p s
  local -a f
  for p in $(descendants "$1"); do
    s="$(cat "/proc/$p/stat" 2>/dev/null)" || continue
    s="${s##*) }"          # drop "pid (comm) "; field 3 (state) is now first
    read -r -a f <<<"$s"
    sum=$((sum + f[11] + f[12]))   # fields 14 utime, 15 stime
    user=$((user + f[11]))
  done
  echo "$sum $user"
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
