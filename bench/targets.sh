# Sourced by bench/run.sh and bench/resilience.sh (after harness.sh): the origin and the
# proxies under test, each started fresh with a generated config in $tmp.
#
#   start_origin                      mock-upstream on CPU 0; sets origin_pid, origin_port
#   start_target TARGET CPU [PATH]    direct | outrigger[-w2|-policies|-open|-retry] |
#                                     haproxy[-retry] | nginx
#   stop_target                       SIGTERM the target started last; sets stop_ms
# ---------------------------------------------------------------- targets
origin_pid="" origin_port=""
admin_port=""

start_origin() {
  rm -f "$tmp/origin.port"
  start_pinned 0 "$tmp/origin.log" "$mock_bin" --port 0 --port-file "$tmp/origin.port" --quiet
  origin_pid="$last_pid"
  wait_for 10 "$origin_pid" test -s "$tmp/origin.port" || die "mock-upstream did not start: $(cat "$tmp/origin.log")"
  origin_port="$(cat "$tmp/origin.port")"
  wait_for 10 "$origin_pid" http_ok "http://127.0.0.1:$origin_port/hello" || die "mock-upstream does not answer"
}

# write_outrigger_config FILE VARIANT DIR: the outrigger targets differ only here.
#   outrigger           workers: 1, no policy, access log off
#   outrigger-w2        the same with workers: 2
#   outrigger-policies  the target's policies configured, none triggering; access log on (unless
#                       POLICIES_ACCESS_LOG=off)
#   outrigger-open      the upstream's only endpoint refuses connections and one failure opens
#                       the breaker for an hour: every request is a local 503 circuit_open; access
#                       log on, for the time each reply took inside the proxy
#   outrigger-retry     retries tuned for an upstream that fails often (the chaos scenario)
write_outrigger_config() {
  local file="$1" variant="$2" dir="$3" log="off" workers=1 endpoint="127.0.0.1:$origin_port"
  case "$variant" in
    outrigger-policies) [ "$POLICIES_ACCESS_LOG" = on ] && log="$dir/access.log" ;;
    outrigger-open) log="$dir/access.log"; endpoint="127.0.0.1:$(free_port)" ;;
    outrigger-w2) workers=2 ;;
  esac
  # drain: the stop after each run takes 0.1 s instead of the default 5 s grace; it does not
  # change how requests are served.
  cat >"$file" <<EOF
workers: $workers
admin: { listen: 127.0.0.1:0 }
access_log: { path: $log }
drain: { grace: 100ms, timeout: 2s }
listeners:
  - name: bench
    listen: 127.0.0.1:0
    routes: [ { path_prefix: /, upstream: origin } ]
upstreams:
  origin:
    endpoints: [ "$endpoint" ]
    pool: { max_connections: 256, max_idle: 256 }
EOF
  case "$variant" in
    # Limits that /hello traffic from one healthy origin never reaches (config/policies.md). A
    # policy that does act shows up in the metrics read after the run (policy_events).
    outrigger-policies) cat "$here/policies-upstream.yaml" >>"$file" ;;
    outrigger-open) cat >>"$file" <<EOF
    circuit_breaker: { failure_threshold: 1, open_for: 1h }
EOF
    ;;
    # A quarter of the attempts fail: up to 4 tries (all four fail: 0.25^4 = 0.4%), a budget
    # that allows a retry for half the requests, and no breaker, which would (rightly) open at
    # this failure rate. The failures are independent, so retries go at once (initial 0s), as
    # haproxy-retry's do: a 1-5 ms backoff alone put p99 at 9.6x the calm p99 of 0.7 ms.
    outrigger-retry) cat >>"$file" <<EOF
    retry:
      max_attempts: 4
      retry_on: [ connect_failed, reset, 502, 503, 504 ]
      backoff: { initial: 0s }
      budget: { ratio: 50%, min_per_second: 10, window: 10s }
EOF
    ;;
  esac
  return 0
}

# policy_events ADMIN_PORT FILE: saves /metrics to FILE and prints how many times something
# other than a plain success happened: retries, spent retry budget, breaker transitions or
# a breaker not closed, fallbacks, shadow rejections, health panic, ejected or unhealthy
# endpoints, local replies (429 rate_limited, 503 bulkhead_*/circuit_open, 502, 504...) and
# failed attempts. Cancelled attempts (wrk closing connections at the end) do not count.
# Prints nothing when /metrics could not be read.
policy_events() {
  curl -fsS -m 2 -o "$2" "http://127.0.0.1:$1/metrics" 2>/dev/null || return 0
  awk '/^#/ { next }
    /^outrigger_(retries_total|retry_budget_exhausted_total|circuit_breaker_transitions_total|circuit_breaker_state|fallbacks_total|shadow_rejections_total|health_panic_total|local_replies_total|endpoint_ejected)[{ ]/ { n += $NF; next }
    /^outrigger_upstream_attempts_total[{ ]/ && !/outcome="(success|cancelled)"/ { n += $NF; next }
    /^outrigger_endpoint_healthy[{ ]/ && $NF == 0 { n++ }
    END { print n + 0 }' "$2"
}

# The metric series behind a non-zero policy_events, for proxy-stderr.log.
policy_event_series() {
  awk '/^#/ { next }
    /^outrigger_(retries_total|retry_budget_exhausted_total|circuit_breaker_transitions_total|circuit_breaker_state|fallbacks_total|shadow_rejections_total|health_panic_total|local_replies_total|endpoint_ejected)[{ ]/ && $NF != 0 { printf "%s%s", (c++ ? ", " : ""), $0 }
    /^outrigger_upstream_attempts_total[{ ]/ && !/outcome="(success|cancelled)"/ && $NF != 0 { printf "%s%s", (c++ ? ", " : ""), $0 }
    /^outrigger_endpoint_healthy[{ ]/ && $NF == 0 { printf "%s%s", (c++ ? ", " : ""), $0 }' "$1"
}

write_haproxy_config() {  # file port [retry]: retry adds L7 retries (the chaos scenario)
  local retry=""
  [ "${3:-}" = retry ] && retry="  retries 3
  retry-on conn-failure empty-response response-timeout 502 503 504"
  cat >"$1" <<EOF
global
  nbthread 1
  maxconn 4096

defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 2s
  timeout client 60s
  timeout server 15s
  timeout http-keep-alive 60s

frontend bench
  bind 127.0.0.1:$2
  default_backend origin

backend origin
$retry
  server origin1 127.0.0.1:$origin_port
EOF
}

write_nginx_config() {  # file port prefix
  local user_line=""
  [ "$(id -u)" -eq 0 ] && user_line="user root;"
  cat >"$1" <<EOF
$user_line
daemon off;
master_process on;
worker_processes 1;
pid $3/nginx.pid;
error_log $3/error.log warn;

events {
  worker_connections 4096;
}

http {
  access_log off;
  keepalive_timeout 60s;
  keepalive_requests 1000000;
  client_body_temp_path $3/client_body;
  proxy_temp_path $3/proxy;
  fastcgi_temp_path $3/fastcgi;
  uwsgi_temp_path $3/uwsgi;
  scgi_temp_path $3/scgi;

  upstream origin {
    server 127.0.0.1:$origin_port;
    keepalive 64;
    keepalive_requests 1000000;
  }

  server {
    listen 127.0.0.1:$2;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
}

# breaker_open URL: the answer is outrigger's own 503 circuit_open
breaker_open() {
  curl -sS -m 1 -o /dev/null -D - "$1" 2>/dev/null | grep -qi '^x-outrigger-reason: circuit_open'
}

# start_target TARGET CPU [PATH]: sets proxy_pid (empty for direct), target_url (for PATH,
# default $REQ_PATH) and target_port. Returns once the target answers GET /hello (for
# outrigger-open: once its breaker is open).
start_target() {
  local target="$1" cpu="$2" path="${3:-$REQ_PATH}" dir="$tmp/$1" port
  rm -rf "$dir"
  mkdir -p "$dir"
  chmod 755 "$dir"
  proxy_pid=""
  case "$target" in
    direct)
      target_port="$origin_port"
      target_url="http://127.0.0.1:$origin_port$path"
      return 0 ;;
    outrigger*)
      write_outrigger_config "$dir/outrigger.yaml" "$target" "$dir"
      if [ "$target" = outrigger-policies ] && [ ! -s "$OUT_DIR/outrigger-policies.yaml" ]; then
        cp "$dir/outrigger.yaml" "$OUT_DIR/outrigger-policies.yaml"
      fi
      start_pinned "$cpu" "$dir/stderr.log" "$outrigger_bin" -c "$dir/outrigger.yaml" --ports-file "$dir/ports"
      proxy_pid="$last_pid"
      wait_for 10 "$proxy_pid" grep -q '^listener bench ' "$dir/ports" \
        || die "$target did not start: $(cat "$dir/stderr.log")"
      port="$(awk '$1 == "listener" && $2 == "bench" { print $3 }' "$dir/ports")"
      admin_port="$(awk '$1 == "admin" { print $2 }' "$dir/ports")" ;;
    haproxy|haproxy-retry)
      port="$(free_port)"
      write_haproxy_config "$dir/haproxy.cfg" "$port" "${target#haproxy-}"
      start_pinned "$cpu" "$dir/stderr.log" haproxy -f "$dir/haproxy.cfg" -db
      proxy_pid="$last_pid" ;;
    nginx)
      port="$(free_port)"
      write_nginx_config "$dir/nginx.conf" "$port" "$dir"
      start_pinned "$cpu" "$dir/stderr.log" nginx -p "$dir" -c "$dir/nginx.conf"
      proxy_pid="$last_pid" ;;
  esac
  target_port="$port"
  target_url="http://127.0.0.1:$port$path"
  local ready=http_ok
  [ "$target" = outrigger-open ] && ready=breaker_open
  wait_for 10 "$proxy_pid" "$ready" "http://127.0.0.1:$port/hello" \
    || die "$target does not answer on port $port: $(cat "$dir/stderr.log" "$dir/error.log" 2>/dev/null)"
}

# stop_target TARGET: SIGTERM, then SIGKILL after 10 s; notes how long the stop took
stop_target() {
  [ -n "$proxy_pid" ] || return 0
  local t0 t1
  t0="$(date +%s%N)"
  kill_tree "$proxy_pid" 10
  t1="$(date +%s%N)"
  stop_ms=$(( (t1 - t0) / 1000000 ))
}
