#!/usr/bin/env bash
# The walls of DESIGN §2, checked on the includes of proxy/: prints FILE:LINE: what is wrong
# for every crossing, and exits 1 if there is one. Usage: check_walls.sh [SOURCE_ROOT]
# (default: this checkout). tests/walls/check_walls_test.sh proves it catches each wall.
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$root"
[ -d proxy ] || { echo "check_walls: no proxy/ under $root" >&2; exit 2; }

violations=0

# includes PATTERN DIR...: every "#include" of a header matching PATTERN (an extended regex
# on the path inside <> or ""), as FILE:LINE:TEXT.
includes() {
  local pattern=$1
  shift
  local dirs=()
  for d in "$@"; do [ -d "$d" ] && dirs+=("$d"); done
  [ ${#dirs[@]} -eq 0 ] && return 0
  grep -rnE --include='*.h' --include='*.cc' --include='*.cpp' --include='*.hpp' \
    "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($pattern)" "${dirs[@]}" || true
}

# report WHY < FILE:LINE:TEXT lines, skipping those whose file matches the ALLOWED regex.
report() {
  local why=$1 allowed=${2:-^$}
  local file line text
  while IFS=: read -r file line text; do
    [ -z "$file" ] && continue
    [[ "$file" =~ $allowed ]] && continue
    echo "$file:$line: $why: $(echo "$text" | sed 's/^[[:space:]]*//')"
    violations=$((violations + 1))
  done
}

pure_dirs=(proxy/policy proxy/common proxy/http proxy/routing)
report "policy/, common/, http/ and routing/ use no libuv, OpenSSL, prometheus-cpp or hiredis" \
  < <(includes 'uv\.h|uv/|openssl/|prometheus/|hiredis' "${pure_dirs[@]}")
report "only proxy/io/ (and proxy/app/ for wiring) includes uv.h" '^proxy/(io|app)/' \
  < <(includes 'uv\.h|uv/' proxy)
report "only proxy/io/ includes hiredis" '^proxy/io/' < <(includes 'hiredis' proxy)
report "only proxy/io/ includes OpenSSL" '^proxy/io/' < <(includes 'openssl/' proxy)
report "the exchange, policies and pools never see llhttp or nghttp2 types" \
  < <(includes 'llhttp|nghttp2/' proxy/exchange proxy/policy proxy/upstream)
report "the exchange never branches on a protocol: it includes no codec (http1/, http2/)" \
  < <(includes 'proxy/http[12]/' proxy/exchange)

if [ "$violations" -gt 0 ]; then
  echo "check_walls: $violations include(s) cross a wall of DESIGN §2" >&2
  exit 1
fi
echo "check_walls: ok"
