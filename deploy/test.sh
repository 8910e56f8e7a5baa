#!/usr/bin/env bash
# The README's second command, and what CI runs: checks the module walls (tests/walls),
# installs what is missing, builds, and runs every test (unit and integration), replays the
# fuzz regressions and fuzzes each target briefly (tests/fuzz/run.sh), then runs the whole
# suite again under ASan+UBSan.
# FUZZ=0 skips the fuzz step, FUZZ_SECONDS=N fuzzes each target N s (default 20);
# SANITIZE=0 skips the sanitizer pass.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== walls of DESIGN §2"
bash tests/walls/check_walls.sh
bash tests/walls/check_walls_test.sh

deploy/install-deps.sh --all

echo "== build (Release) and test"
deploy/build.sh build -DOUTRIGGER_TESTS=ON
ctest --test-dir build --output-on-failure -j 2 --timeout 180

if [ "${FUZZ:-1}" = "1" ]; then
  echo "== fuzz (clang build-fuzz/: regressions, then ${FUZZ_SECONDS:-20} s per target)"
  tests/fuzz/run.sh build-fuzz "${FUZZ_SECONDS:-20}"
fi

if [ "${SANITIZE:-1}" = "1" ]; then
  echo "== build (ASan+UBSan) and test"
  BUILD_TYPE=RelWithDebInfo deploy/build.sh build-asan -DOUTRIGGER_SANITIZE=ON
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j 2 --timeout 300
fi
