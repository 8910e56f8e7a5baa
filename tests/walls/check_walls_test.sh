#!/usr/bin/env bash
# check_walls.sh must fail, naming FILE:LINE, on a tree that crosses each wall, and pass on
# one that crosses none: a check that cannot fail would let every wall fall silently.
set -euo pipefail
check="$(cd "$(dirname "$0")" && pwd)/check_walls.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# A tree that respects every wall, with the includes each module is allowed.
clean="$tmp/clean"
mkdir -p "$clean"/proxy/{policy,common,http,routing,io,app,exchange,upstream,metrics}
printf '#include "proxy/common/clock.h"\n#include <atomic>\n' > "$clean/proxy/policy/breaker.h"
printf '#include <llhttp.h>\n' > "$clean/proxy/http/parser.cc"
printf '#include <uv.h>\n#include <openssl/ssl.h>\n#include <hiredis/adapters/libuv.h>\n' \
  > "$clean/proxy/io/loop.cc"
printf '#include <uv.h>\n' > "$clean/proxy/app/main.cc"
printf '#include <prometheus/counter.h>\n' > "$clean/proxy/metrics/metrics.cc"
printf '// Never #include <uv.h> here.\n#include "proxy/http/message.h"\n' \
  > "$clean/proxy/exchange/exchange.cc"
if ! out=$(bash "$check" "$clean" 2>&1); then fail "a clean tree was rejected: $out"; fi

# expect_violation DESCRIPTION FILE LINE-NUMBER CONTENT: a tree that is clean except for
# FILE, whose line LINE-NUMBER is CONTENT, must fail and name FILE:LINE-NUMBER.
expect_violation() {
  local what=$1 file=$2 line=$3 content=$4
  local tree="$tmp/tree$RANDOM"
  cp -r "$clean" "$tree"
  mkdir -p "$(dirname "$tree/$file")"
  { for ((i = 1; i < line; i++)); do echo "// line $i"; done; echo "$content"; } > "$tree/$file"
  local out rc=0
  out=$(bash "$check" "$tree" 2>&1) || rc=$?
  if [ "$rc" -ne 1 ]; then
    fail "$what: exit $rc, expected 1 (output: $out)"
  elif ! grep -q "^$file:$line: " <<<"$out"; then
    fail "$what: $file:$line is not named in: $out"
  fi
}

expect_violation "uv.h in policy" proxy/policy/bulkhead.cc 3 '#include <uv.h>'
expect_violation "OpenSSL in common" proxy/common/random.h 2 '#include <openssl/rand.h>'
expect_violation "prometheus in http" proxy/http/message.h 5 '  #  include "prometheus/gauge.h"'
expect_violation "hiredis in routing" proxy/routing/router.cc 1 '#include <hiredis/hiredis.h>'
expect_violation "uv.h in upstream" proxy/upstream/pool.cc 4 '#include "uv.h"'
expect_violation "hiredis in app" proxy/app/redis.cc 2 '#include <hiredis/async.h>'
expect_violation "OpenSSL in upstream" proxy/upstream/tls.cc 2 '#include <openssl/ssl.h>'
expect_violation "llhttp in exchange" proxy/exchange/exchange.cc 6 '#include <llhttp.h>'
expect_violation "nghttp2 in upstream" proxy/upstream/h2.h 2 '#include <nghttp2/nghttp2.h>'
expect_violation "llhttp in policy" proxy/policy/outcome.h 3 '#include "llhttp.h"'
expect_violation "a codec in the exchange" proxy/exchange/exchange.h 2 '#include "proxy/http1/http1_attempt.h"'
expect_violation "a new module reaching into libuv" proxy/http2/session.cc 2 '#include <uv.h>'

if [ "$failures" -gt 0 ]; then
  echo "check_walls_test: $failures failure(s)"
  exit 1
fi
echo "check_walls_test: ok"
