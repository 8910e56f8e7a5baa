#!/usr/bin/env bash
# The README's second command, and what CI runs: installs what is missing, builds, and runs
# every test (unit and integration), then the whole suite again under ASan+UBSan.
# SANITIZE=0 skips the sanitizer pass.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh --all

echo "== build (Release) and test"
deploy/build.sh build -DOUTRIGGER_TESTS=ON
ctest --test-dir build --output-on-failure -j 2 --timeout 180

if [ "${SANITIZE:-1}" = "1" ]; then
  echo "== build (ASan+UBSan) and test"
  BUILD_TYPE=RelWithDebInfo deploy/build.sh build-asan -DOUTRIGGER_SANITIZE=ON
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j 2 --timeout 300
fi
