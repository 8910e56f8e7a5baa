#!/usr/bin/env bash
# Configures and builds outrigger (Release by default) into build/, or into $1; further
# arguments go to CMake. TARGETS="a b" builds only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
# Hash paths relative to the checkout, so a fresh clone elsewhere still hits ccache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
build_dir="${1:-build}"
shift || true
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@" >/dev/null
if [ -n "${TARGETS:-}" ]; then
  # shellcheck disable=SC2086  # TARGETS is a list of words on purpose
  cmake --build "$build_dir" -j "${JOBS:-2}" --target $TARGETS
else
  cmake --build "$build_dir" -j "${JOBS:-2}"
fi
