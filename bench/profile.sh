#!/usr/bin/env bash
# bench/profile.sh: what one proxied request costs inside outrigger, counted rather than
# timed, so the figures hold on a busy machine: instructions and heap allocations per
# request (valgrind's callgrind), system calls per request (strace -c), and the functions
# that spend the most instructions. Writes bench/profile.md, which bench/run.sh's report
# includes in bench/RESULTS.md.
#
#   bench/profile.sh                          the Release build in build/
#   BEFORE=/path/to/old/outrigger bench/profile.sh   also profiles an older binary, side by side
#     (BEFORE_LABEL="1fcabf8, the release before" names it in the report)
#   PROFILE_POLICIES=1 bench/profile.sh       bench/policies-upstream.yaml, none triggering, and the
#     access log on (to a file in the temp dir): bench/run.sh's outrigger-policies target
#   PROFILE_PATH=/bytes/1024 bench/profile.sh   another mock-upstream path (default /hello)
#   PROFILE_ROUTES=bench/routes-200.yaml bench/profile.sh   the listener's routes from a file
#     (YAML list items indented for `    routes:`, sending PROFILE_PATH to upstream `origin`)
#     instead of the one route `{ path_prefix: /, upstream: origin }`
#   PROFILE_H2=1 bench/profile.sh   the app speaks h2c: h2load with 1 connection x 100 streams
#     instead of wrk (the upstream stays HTTP/1.1); writes bench/profile-h2.md
#
# Load: wrk -t1 -c50 for PROFILE_SECONDS (default 10) against GET PROFILE_PATH from mock-upstream, after
# a 1 s warm-up that is not counted (callgrind's counters are zeroed after it).
set -euo pipefail
source "$(dirname "$0")/common.sh"
h2="${PROFILE_H2:-0}"
case "$h2" in 0|1) ;; *) echo "profile.sh: PROFILE_H2 must be 0 or 1" >&2; exit 2 ;; esac
client=wrk; [ "$h2" = 1 ] && client=h2load
for tool in valgrind callgrind_annotate callgrind_control strace "$client"; do
  command -v "$tool" >/dev/null || { echo "profile.sh: needs $tool (deploy/install-deps.sh --all)" >&2; exit 2; }
done
bench_setup profile
SECONDS_PER_RUN="${PROFILE_SECONDS:-10}"
req_path="${PROFILE_PATH:-/hello}"
[[ "$req_path" =~ ^/[A-Za-z0-9/._-]*$ ]] || { echo "profile.sh: PROFILE_PATH must be a plain path like /bytes/1024" >&2; exit 2; }
default_md=profile.md; [ "$h2" = 1 ] && default_md=profile-h2.md
out_md="${OUT_MD:-$here/$default_md}"
start_origin
policies="${PROFILE_POLICIES:-0}"
case "$policies" in 0|1) ;; *) echo "profile.sh: PROFILE_POLICIES must be 0 or 1" >&2; exit 2 ;; esac
access_log='"off"'
[ "$policies" = 1 ] && access_log="\"$tmp/access.log\""
routes='      - { path_prefix: /, upstream: origin }'
if [ -n "${PROFILE_ROUTES:-}" ]; then
  [ -f "$PROFILE_ROUTES" ] || { echo "profile.sh: PROFILE_ROUTES: no file $PROFILE_ROUTES" >&2; exit 2; }
  routes=$(cat "$PROFILE_ROUTES")
fi
cat >"$tmp/outrigger.yaml" <<YAML
admin: { listen: 127.0.0.1:0 }
access_log: { path: $access_log }
listeners:
  - name: bench
    listen: 127.0.0.1:0
    routes:
$routes
upstreams:
  origin:
    endpoints: [ "$origin" ]
    pool: { max_connections: 256, max_idle: 256 }
YAML
# The same policies as bench/run.sh's outrigger-policies target: limits that /hello traffic
# from one healthy origin never reaches, so what is counted is their cost when idle.
[ "$policies" = 1 ] && cat "$here/policies-upstream.yaml" >>"$tmp/outrigger.yaml"

# Starts `$@` (an outrigger command line ending in --ports-file FILE) and prints its pid
# once the listener port is known.
start() {
  local ports="$1"; shift
  rm -f "$ports"
  "$@" >"$tmp/proxy.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 300); do [ -s "$ports" ] && break; sleep 0.1; done
  [ -s "$ports" ] || { echo "profile.sh: outrigger did not start:" >&2; cat "$tmp/proxy.log" >&2; exit 1; }
  echo "$pid"
}
listener_port() { awk '/^listener/{print $3}' "$1"; }
requests_of() { awk '/requests in/{print $1}' "$1"; }
# load SECONDS CONNECTIONS PORT: GET req_path for SECONDS; prints "N requests in" like wrk.
load() {
  local url="http://127.0.0.1:$3$req_path"
  if [ "$h2" = 1 ]; then
    h2load -c1 -m100 -D "$1" "$url" | awk '/^requests:/{print $8 " requests in"}'
  else
    wrk -t1 -c"$2" -d"$1s" --timeout 5s "$url"
  fi
}

# profile LABEL BINARY: writes $tmp/LABEL.{callgrind,strace,wrk-cg,wrk-st}
profile() {
  local label="$1" binary="$2" pid port
  # Instructions and allocations, under callgrind.
  pid=$(start "$tmp/ports" valgrind --tool=callgrind --callgrind-out-file="$tmp/$label.callgrind" \
        "$binary" -c "$tmp/outrigger.yaml" --ports-file "$tmp/ports")
  port=$(listener_port "$tmp/ports")
  load 1 10 "$port" >/dev/null
  callgrind_control --zero "$pid" >/dev/null 2>&1
  load "$SECONDS_PER_RUN" 50 "$port" >"$tmp/$label.wrk-cg"
  callgrind_control --dump "$pid" >/dev/null 2>&1
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # System calls, natively.
  pid=$(start "$tmp/ports" "$binary" -c "$tmp/outrigger.yaml" --ports-file "$tmp/ports")
  port=$(listener_port "$tmp/ports")
  load 1 10 "$port" >/dev/null
  strace -c -f -p "$pid" -o "$tmp/$label.strace" 2>/dev/null &
  local tracer=$!
  sleep 0.5
  load 3 50 "$port" >"$tmp/$label.wrk-st"
  kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

labels=()
if [ -n "${BEFORE:-}" ]; then
  profile before "$BEFORE"
  labels+=(before)
fi
profile now "$BUILD_DIR/outrigger"
labels+=(now)

python3 - "$tmp" "$out_md" "$(git -C "$root" rev-parse --short HEAD)" "${BEFORE_LABEL:-${BEFORE:-}}" "$policies" "$req_path" "$h2" "${labels[@]}" <<'PY'
import glob, re, subprocess, sys
tmp, out_md, commit, before, policies = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "1"
req_path = sys.argv[6]
h2 = sys.argv[7] == "1"
labels = sys.argv[8:]

def requests(path):
    m = re.search(r"(\d+) requests in", open(path).read())
    return int(m.group(1))

def callgrind(label):
    # The dump after the zeroing is the last part file.
    parts = sorted(glob.glob(f"{tmp}/{label}.callgrind*"), key=lambda p: (len(p), p))
    data = parts[-1]
    flat = subprocess.run(["callgrind_annotate", "--threshold=100", data], capture_output=True, text=True).stdout
    total = int(re.search(r"([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", flat).group(1).replace(",", ""))
    funcs = []
    for line in flat.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S.*)$", line)
        # Functions still on the stack at the dump (the loop, the thread) carry it all.
        if m and "PROGRAM TOTALS" not in line and int(m.group(1).replace(",", "")) < total / 2:
            name = re.sub(r"^\S*?:", "", m.group(2).split(" [")[0].replace("(anonymous namespace)::", ""), count=1)
            name = re.sub(r"\(.*", "", name).replace("std::__cxx11::", "")
            funcs.append((int(m.group(1).replace(",", "")), name))
    tree = subprocess.run(["callgrind_annotate", "--threshold=100", "--tree=caller", data], capture_output=True, text=True).stdout
    lines = tree.splitlines()
    allocations = 0
    for i, line in enumerate(lines):
        if re.search(r"\*\s+\S*malloc\.c:malloc \[", line):
            j = i - 1
            while j >= 0 and "<" in lines[j]:
                m = re.search(r"\(([\d,]+)x\)", lines[j])
                if m: allocations += int(m.group(1).replace(",", ""))
                j -= 1
            break
    return total, allocations, funcs

def syscalls(label):
    counts = {}
    for line in open(f"{tmp}/{label}.strace"):
        parts = line.split()
        if len(parts) >= 5 and parts[3].isdigit() and parts[-1] not in ("total",):
            counts[parts[-1]] = int(parts[3])
    return counts

rows = {}
for label in labels:
    n_cg = requests(f"{tmp}/{label}.wrk-cg")
    total, allocs, funcs = callgrind(label)
    n_st = requests(f"{tmp}/{label}.wrk-st")
    rows[label] = dict(n_cg=n_cg, ir=total / n_cg, allocs=allocs / n_cg, funcs=funcs,
                       n_st=n_st, sys=syscalls(label))

L = ["## Profile: cost per request inside outrigger" + (", h2c from the app" if h2 else ""), "",
     f"`bench/profile.sh` at {commit}: outrigger (Release, `workers: 1`, "
     + ("the policies of issue 6's target configured and none triggering (bench/policies-upstream.yaml), access log on to a file"
        " (`PROFILE_POLICIES=1`)" if policies else "access log off") + ") "
     f"proxying `GET {req_path}` to mock-upstream under "
     + ("`h2load -c1 -m100` (h2c from the app, HTTP/1.1 to the upstream)" if h2 else "`wrk -t1 -c50`")
     + ". Counted, not timed, so the "
     "figures do not drift with machine load: instructions and heap allocations per request "
     "under callgrind (after a warm-up that is not counted), system calls per request under "
     "`strace -c`." + (f" \"before\" is `{before}`." if before else ""), ""]
head = "| per request | " + " | ".join(labels) + " |"
L += [head, "|---" * (len(labels) + 1) + "|"]
L.append("| instructions (user space) | " + " | ".join(f"{rows[l]['ir']:,.0f}" for l in labels) + " |")
L.append("| heap allocations | " + " | ".join(f"{rows[l]['allocs']:.1f}" for l in labels) + " |")
names = sorted({k for l in labels for k in rows[l]["sys"]}, key=lambda k: -rows[labels[-1]]["sys"].get(k, 0))
total_sys = lambda l: sum(rows[l]["sys"].values()) / rows[l]["n_st"]
L.append("| system calls | " + " | ".join(f"{total_sys(l):.2f}" for l in labels) + " |")
for k in names:
    vals = [rows[l]["sys"].get(k, 0) / rows[l]["n_st"] for l in labels]
    if max(vals) >= 0.05:
        L.append(f"| &nbsp;&nbsp;{k} | " + " | ".join(f"{v:.2f}" for v in vals) + " |")
L += ["", f"Requests counted: " + ", ".join(f"{l} {rows[l]['n_cg']:,} (callgrind) / {rows[l]['n_st']:,} (strace)" for l in labels) + ".", ""]
for l in labels:
    L += [f"Top functions by instructions per request ({l}; self cost, libc and libuv included):", "",
          "| function | instructions per request | share |", "|---|---|---|"]
    for ir, name in rows[l]["funcs"][:12]:
        L.append(f"| `{name}` | {ir / rows[l]['n_cg']:,.0f} | {100 * ir / rows[l]['ir'] / rows[l]['n_cg']:.1f}% |")
    L.append("")
open(out_md, "w").write("\n".join(L))
print("\n".join(L))
PY
echo "profile.sh: wrote $out_md" >&2
