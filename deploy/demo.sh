#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, then runs mock-upstream on
# 127.0.0.1:18080 and outrigger on config/demo.yaml (app port 15001, admin port 9901).
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh --build
TARGETS="outrigger mock-upstream" deploy/build.sh build

build/tests/support/mock-upstream --port 18080 --quiet &
mock_pid=$!
trap 'kill "$mock_pid" 2>/dev/null || true' EXIT

cat <<'MSG'

outrigger demo: the app side is http://127.0.0.1:15001, the admin side http://127.0.0.1:9901
  status page:  http://127.0.0.1:9901/   (open it in a browser)
  curl -i http://127.0.0.1:15001/flaky          # retried: 200, x-outrigger-attempts: 2
  curl -i 'http://127.0.0.1:15001/slow?ms=3000' # 504 upstream_timeout after 2s
  curl -s http://127.0.0.1:9901/upstreams
(the README's "A tour of the demo" has every step; Ctrl-C drains and stops)

MSG
build/outrigger -c config/demo.yaml
