#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -DOUTRIGGER_FUZZ=ON) if needed, replays the saved
# regressions, then fuzzes each target for SECONDS on a temporary copy of its seed corpus.
# Exits non-zero on any crash, property violation, leak, timeout or out-of-memory, and
# prints the executions, speed and coverage of each target.
#
# Usage: tests/fuzz/run.sh [BUILD_DIR] [SECONDS]           defaults: build-fuzz 20
#   FUZZ_TARGETS="fuzz_config"   only these targets
#   FUZZ_KEEP=DIR                keep each grown corpus and any crash under DIR/<target>/
#   JOBS=N                       build parallelism (default 2)
# Reproduce a failure: BUILD_DIR/tests/fuzz/<target> <crash-file>
# (fuzz_body_framing: OUTRIGGER_FUZZ_TRACE=1 also prints what each side received).
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
build_dir="${1:-build-fuzz}"
seconds="${2:-20}"
read -r -a targets <<<"${FUZZ_TARGETS:-fuzz_request_head fuzz_body_framing fuzz_config fuzz_http2_server}"

started=$SECONDS

# --- build -------------------------------------------------------------------------------
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DOUTRIGGER_FUZZ=ON -DOUTRIGGER_TESTS=OFF >/dev/null
elif ! grep -q '^OUTRIGGER_FUZZ:BOOL=ON' "$build_dir/CMakeCache.txt"; then
  echo "fuzz: $build_dir is not a fuzz build (configure it with CC=clang CXX=clang++ -DOUTRIGGER_FUZZ=ON)" >&2
  exit 2
fi
build_start=$SECONDS
cmake --build "$build_dir" -j "${JOBS:-2}" --target "${targets[@]}"
echo "fuzz: build took $((SECONDS - build_start)) s"

# --- per-target settings ------------------------------------------------------------------
seeds_of() {  # seed directories of a target
  case "$1" in
    fuzz_request_head) echo "tests/fuzz/corpus/request_head" ;;
    fuzz_body_framing) echo "tests/fuzz/corpus/body_framing" ;;
    fuzz_config) echo "tests/fuzz/corpus/config config config/examples" ;;
    fuzz_http2_server) echo "tests/fuzz/corpus/http2_server" ;;
  esac
}
options_of() {
  # -timeout: seconds per input (typical inputs take well under 10 ms); the memory limit
  # keeps yaml-cpp's pathological inputs from taking the machine (tests/fuzz/README.md).
  local common="-rss_limit_mb=2048 -max_len=4096 -print_final_stats=1"
  case "$1" in
    fuzz_request_head) echo "$common -timeout=10 -dict=tests/fuzz/dict/http.dict" ;;
    fuzz_body_framing) echo "$common -timeout=10 -dict=tests/fuzz/dict/http.dict" ;;
    fuzz_config) echo "$common -timeout=10 -dict=tests/fuzz/dict/config.dict" ;;
    fuzz_http2_server) echo "$common -timeout=10" ;;
  esac
}

work="$(mktemp -d "${TMPDIR:-/tmp}/outrigger-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
summary=()
for target in "${targets[@]}"; do
  bin="$build_dir/tests/fuzz/$target"
  dir="$work/$target"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  # Plain copies (never symlinks): libFuzzer writes new inputs into the corpus directory.
  for seeds in $(seeds_of "$target"); do
    find "$seeds" -maxdepth 1 -type f \( -name '*.yaml' -o -path 'tests/fuzz/*' \) \
      -exec cp {} "$dir/corpus/" \;
  done
  seed_count=$(find "$dir/corpus" -type f | wc -l)
  read -r -a opts <<<"$(options_of "$target")"

  # Saved crashes must stay fixed: each file once, known bugs not tolerated.
  if [ -d "tests/fuzz/regressions/$target" ]; then
    passed=0
    while IFS= read -r input; do
      if OUTRIGGER_FUZZ_STRICT=1 "$bin" "${opts[@]}" "$input" >"$dir/regression.log" 2>&1; then
        passed=$((passed + 1))
      else
        echo "fuzz: $target: regression FAILS: $input" >&2
        grep -a -A1 -E 'violated|ERROR: (Address|Leak|libFuzzer: (timeout|out-of-memory))|runtime error' \
          "$dir/regression.log" | grep -v '^--$' | head -4 | sed 's/^/    /' >&2
        failed+=("$target:$(basename "$input")")
      fi
    done < <(find "tests/fuzz/regressions/$target" -type f ! -name '*.md' | sort)
    echo "fuzz: $target: $passed regression input(s) pass"
  fi

  echo "fuzz: $target: ${seconds}s on $seed_count seed(s)"
  rc=0
  "$bin" "${opts[@]}" -max_total_time="$seconds" -artifact_prefix="$dir/artifacts/" \
    "$dir/corpus" >"$dir/fuzz.log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/fuzz.log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$dir/fuzz.log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$dir/fuzz.log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  line="$target: ${runs:-?} runs, ${speed:-?}/s, cov ${cov:-?}, ft ${ft:-?}, corpus $seed_count -> ${corpus:-?}, peak RSS ${rss:-?} MB"
  summary+=("$line")
  if [ -n "${FUZZ_KEEP:-}" ]; then
    mkdir -p "$FUZZ_KEEP/$target"
    cp -r "$dir/." "$FUZZ_KEEP/$target/"
  fi
  if [ "$rc" -ne 0 ]; then
    echo "fuzz: $target FAILED (exit $rc); the end of its log:" >&2
    grep -vE '^#[0-9]+|^INFO:' "$dir/fuzz.log" | tail -40 >&2
    for crash in "$dir"/artifacts/*; do
      [ -e "$crash" ] || continue
      echo "fuzz: input: $(basename "$crash") ($(wc -c <"$crash") bytes), base64:" >&2
      base64 -w 100 "$crash" | head -60 >&2
    done
    failed+=("$target")
  fi
  echo "fuzz: $line"
done

echo "== fuzz summary ($((SECONDS - started)) s in all)"
for line in "${summary[@]}"; do echo "  $line"; done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all targets passed"
