#!/usr/bin/env bash
# The one list of what outrigger needs on Debian 12. README, Dockerfile and .ci/run call this.
# Usage: deploy/install-deps.sh [--runtime|--build|--all]   (default --all: build, test and bench tools)
set -euo pipefail

mode="${1:---all}"

runtime=(libuv1 libssl3 libyaml-cpp0.7 libprometheus-cpp-core1.0 libhiredis0.14 libnghttp2-14
         ca-certificates)
build=(build-essential cmake pkg-config ccache
       libuv1-dev node-llhttp libssl-dev libyaml-cpp-dev prometheus-cpp-dev libhiredis-dev
       libnghttp2-dev libgtest-dev libgmock-dev redis-server)
tools=(curl python3 prometheus wrk slowhttptest haproxy nginx-light libnginx-mod-stream
       libbenchmark-dev gnuplot-nox
       clang libclang-rt-14-dev procps chromium fonts-dejavu-core python3-yaml
       valgrind strace
       # Real peers the integration tests and the bench drive: HTTP/2, gRPC, WebSocket,
       # Redis and TLS clients and servers, and the slow-client attack tool.
       python3-h2 nghttp2-client nghttp2-server python3-grpcio python3-websockets
       python3-redis redis-tools openssl slowhttptest)

case "$mode" in
  --runtime) want=("${runtime[@]}") ;;
  --build) want=("${runtime[@]}" "${build[@]}") ;;
  --all) want=("${runtime[@]}" "${build[@]}" "${tools[@]}") ;;
  *) echo "usage: $0 [--runtime|--build|--all]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
# Services from these packages (nginx, haproxy, prometheus) must not start on install:
# the bench and tests run their own instances on loopback ports.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${sudo_cmd[@]}" chmod +x /usr/sbin/policy-rc.d
  trap '"${sudo_cmd[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
fi
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
