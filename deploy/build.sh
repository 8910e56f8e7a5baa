#!/usr/bin/env bash
# Configures and builds outrigger (Release) into build/, or into $1.
set -euo pipefail
cd "$(dirname "$0")/.."
# Hash paths relative to the checkout, so a fresh clone elsewhere still hits ccache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
build_dir="${1:-build}"
shift || true
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@" >/dev/null
cmake --build "$build_dir" -j "${JOBS:-2}"
