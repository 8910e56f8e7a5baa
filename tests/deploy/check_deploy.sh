#!/usr/bin/env bash
# CI check for the deployment artefacts: deploy/kubernetes, deploy/prometheus and
# deploy/grafana. They are text that nothing else compiles, so without this check they
# drift silently from the binary (a renamed metric, a config key that is gone).
#
# Usage: bash tests/deploy/check_deploy.sh PATH_TO_outrigger PATH_TO_mock-upstream
# Runs from any directory. Needs /usr/bin/python3 with yaml (Debian: python3-yaml),
# promtool (Debian: prometheus) and curl. Binds only ephemeral loopback ports and
# finishes in about 2 s; every step runs inside one 25 s budget, so a hung tool cannot
# make the whole run take longer than that (plus ~2 s to stop the processes).
#
#  1. Parse every YAML file under deploy/kubernetes and deploy/prometheus (all
#     documents) and every JSON file under deploy/grafana; check that the manifests
#     agree with the sidecar config (admin port, drain vs grace period, no subPath).
#  2. promtool check rules (the rules, and the dashboard's queries as PromQL) and
#     promtool test rules.
#  3. outrigger --check on the outrigger.yaml held in the ConfigMap.
#  4. Run mock-upstream and outrigger with every policy configured, fetch /metrics, and
#     check that every metric (and label matcher) used by the rules and the dashboard
#     is in the real output. Also: the probe paths answer 200 and promtool check metrics.
set -euo pipefail

# ---- Pending: used by the artefacts, not yet in every binary -------------------
# Reported as PENDING, not as failures, while missing. Once a binary has them the
# script says so: then delete them here, so a later regression fails the check.
PENDING_METRICS=()
PENDING_CONFIG_KEYS=()
# ---------------------------------------------------------------------------------

PY=/usr/bin/python3   # Debian's, where python3-yaml installs; not a pyenv/venv shim

exec 3>&2   # the real stderr, for die() inside commands whose output is captured
die() { echo "check_deploy: FAIL: $*" >&3; exit 1; }
step() { echo "== $*"; }

BUDGET=25                        # seconds for all the steps together
deadline=$((SECONDS + BUDGET))
left() { echo $((deadline - SECONDS)); }
bounded() {   # bounded CMD ARGS...: CMD within what is left of the budget
  local rc=0
  [ "$(left)" -gt 0 ] || die "time budget (${BUDGET}s) used up before: $*"
  timeout -k 2 "$(left)" "$@" || rc=$?
  [ "$rc" -ne 124 ] || die "timed out (time budget ${BUDGET}s): $*"
  return "$rc"
}

[ $# -eq 2 ] || { echo "usage: $0 PATH_TO_outrigger PATH_TO_mock-upstream" >&2; exit 2; }
outrigger=$(realpath -e "$1") || die "no such file: $1"
mock=$(realpath -e "$2") || die "no such file: $2"
[ -x "$outrigger" ] || die "$outrigger is not executable"
[ -x "$mock" ] || die "$mock is not executable"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
for tool in "$PY" promtool curl timeout; do
  command -v "$tool" >/dev/null || die "$tool not found (Debian packages: python3-yaml, prometheus, curl)"
done
"$PY" -c 'import yaml' 2>/dev/null || die "$PY cannot import yaml: apt-get install python3-yaml"

tmp=$(mktemp -d)
pids=()
cleanup() {
  local pid _
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do   # up to 2 s each, then SIGKILL: never hang CI
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 1. Parse, extract, cross-check ---------------------------------------------
step "1. parse deploy/ YAML and JSON; cross-check the manifests"
# Writes into $tmp: sidecar.yaml (the ConfigMap's config), refs.tsv (metric, labels,
# where), rule-files.txt, rule-tests.txt, dashboard-rules.yaml, probe-paths.txt.
bounded "$PY" - "$root" "$tmp" <<'PY' || die "step 1 (parse and cross-check); see above"
import glob, json, os, re, sys
import yaml

root, tmp = sys.argv[1], sys.argv[2]
errors = []
def err(msg): errors.append(msg)
def rel(p): return os.path.relpath(p, root)

def files(sub, exts):
    out = []
    for dirpath, _, names in os.walk(os.path.join(root, sub)):
        out += [os.path.join(dirpath, n) for n in names if n.endswith(exts)]
    return sorted(out)

docs = {}   # path -> list of YAML documents
for path in files("deploy/kubernetes", (".yaml", ".yml")) + files("deploy/prometheus", (".yaml", ".yml")):
    try:
        with open(path) as f:
            docs[path] = [d for d in yaml.safe_load_all(f) if d is not None]
        print(f"  ok   {rel(path)} ({len(docs[path])} document(s))")
    except yaml.YAMLError as e:
        err(f"{rel(path)}: YAML parse error: {e}")
dashboards = {}
for path in files("deploy/grafana", (".json",)):
    try:
        with open(path) as f:
            dashboards[path] = json.load(f)
        print(f"  ok   {rel(path)}")
    except ValueError as e:
        err(f"{rel(path)}: JSON parse error: {e}")
if not docs or not dashboards:
    err("no YAML under deploy/kubernetes, deploy/prometheus or no JSON under deploy/grafana")
if errors:
    print("\n".join("  " + e for e in errors), file=sys.stderr); sys.exit(1)

k8s = [(p, d) for p, ds in docs.items() if "/deploy/kubernetes/" in p for d in ds]

# -- The sidecar config, from the ConfigMap that holds outrigger.yaml.
cms = [(p, d) for p, d in k8s if d.get("kind") == "ConfigMap" and "outrigger.yaml" in (d.get("data") or {})]
if len(cms) != 1:
    err(f"expected one ConfigMap with data.outrigger.yaml under deploy/kubernetes, found {len(cms)}")
    print("\n".join("  " + e for e in errors), file=sys.stderr); sys.exit(1)
cm_path, cm = cms[0]
config_text = cm["data"]["outrigger.yaml"]
with open(os.path.join(tmp, "sidecar.yaml"), "w") as f:
    f.write(config_text)
config = yaml.safe_load(config_text)
# Where the block starts in the manifest, so step 3 can point errors at the real file.
for node in yaml.compose_all(open(cm_path)):
    data = dict((k.value, v) for k, v in node.value).get("data")
    block = data and dict((k.value, v) for k, v in data.value).get("outrigger.yaml")
    if block is not None:
        first = block.start_mark.line + 1            # 0-based line of the block's first line
        line = open(cm_path).read().splitlines()[first]
        indent = len(line) - len(line.lstrip(" "))
        with open(os.path.join(tmp, "sidecar.where"), "w") as f:
            f.write(f"{rel(cm_path)} {first} {indent}\n")

def seconds(d):   # "30s", "1m", "500ms" -> seconds
    m = re.fullmatch(r"([0-9.]+)(ms|s|m|h)", str(d))
    if not m: return None
    return float(m[1]) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m[2]]

# -- The pod that mounts it: a native sidecar, probes and scrape port on admin.listen.
admin_listen = str((config.get("admin") or {}).get("listen", "127.0.0.1:9901"))
admin_host, _, admin_port = admin_listen.rpartition(":")
if admin_host in ("127.0.0.1", "localhost", "[::1]"):
    err(f"{rel(cm_path)}: admin.listen is {admin_listen}: kubelet probes and Prometheus cannot reach loopback")
probe_paths = set()
# A shared store (the fleet's Redis, redis.yaml) is not an outrigger pod.
workloads = [(p, d) for p, d in k8s if d.get("kind") in ("Deployment", "StatefulSet", "DaemonSet")
             and d["metadata"].get("labels", {}).get("app.kubernetes.io/component") != "shared-store"]
if not workloads:
    err("no Deployment under deploy/kubernetes")
for path, w in workloads:
    where = f"{rel(path)}: {w['kind']} {w['metadata']['name']}"
    pod = w["spec"]["template"]
    spec = pod["spec"]
    vols = [v["name"] for v in spec.get("volumes", [])
            if (v.get("configMap") or {}).get("name") == cm["metadata"]["name"]]
    sidecars = [c for c in spec.get("initContainers", [])
                if any(m["name"] in vols for m in c.get("volumeMounts", []))]
    if len(sidecars) != 1:
        err(f"{where}: expected one initContainer mounting ConfigMap {cm['metadata']['name']}, found {len(sidecars)}")
        continue
    c = sidecars[0]
    if c.get("restartPolicy") != "Always":
        err(f"{where}: initContainer {c['name']} needs restartPolicy: Always (native sidecar)")
    for m in c.get("volumeMounts", []):
        if m["name"] in vols and "subPath" in m:
            err(f"{where}: {c['name']} mounts the config with subPath: ConfigMap updates would never reach it")
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = (c.get(probe) or {}).get("httpGet")
        if not get:
            err(f"{where}: {c['name']} has no {probe}.httpGet"); continue
        port = ports.get(get["port"], get["port"])
        if str(port) != admin_port:
            err(f"{where}: {probe} uses port {port}, admin.listen is {admin_listen}")
        probe_paths.add(get["path"])
    ann = pod["metadata"].get("annotations", {})
    if "prometheus.io/port" in ann and ann["prometheus.io/port"] != admin_port:
        err(f"{where}: prometheus.io/port is {ann['prometheus.io/port']}, admin.listen is {admin_listen}")
    drain = config.get("drain") or {}
    timeout = seconds(drain.get("timeout", "30s"))
    grace = spec.get("terminationGracePeriodSeconds", 30)
    if timeout is None or grace <= timeout:
        err(f"{where}: terminationGracePeriodSeconds {grace} must be longer than drain.timeout "
            f"{drain.get('timeout', '30s')}, or the kubelet kills outrigger mid-drain")
    env_names = {e["name"] for e in c.get("env", [])}
    for var in sorted(set(re.findall(r"\$\{(\w+)\}", config_text))):   # ${VAR} without a default
        if var not in env_names:
            err(f"{where}: {c['name']} does not set {var}, which {rel(cm_path)} needs")
with open(os.path.join(tmp, "probe-paths.txt"), "w") as f:
    f.write("\n".join(sorted(probe_paths)) + "\n")

# -- Metric names (and label matchers) used by the rules and the dashboards.
NAME = re.compile(r"\b((?:outrigger|process)_[A-Za-z0-9_]*)\s*(\{[^}]*\})?")
MATCHER = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)")
refs = []
def collect(expr, where):
    for m in NAME.finditer(expr):
        labels = MATCHER.findall(m[2] or "")
        refs.append((m[1], ",".join(labels), where))

rule_files, test_files = [], []
for path, ds in docs.items():
    if "/deploy/prometheus/" not in path: continue
    for d in ds:
        if "groups" in d:
            rule_files.append(path)
            for g in d["groups"]:
                for r in g.get("rules", []):
                    collect(r["expr"], f"{rel(path)}: {r.get('alert') or r.get('record')}")
                    if "alert" in r:
                        for key in ("severity",):
                            if key not in (r.get("labels") or {}):
                                err(f"{rel(path)}: alert {r['alert']} has no {key} label")
                        for key in ("summary", "description"):
                            if key not in (r.get("annotations") or {}):
                                err(f"{rel(path)}: alert {r['alert']} has no {key} annotation")
        if "tests" in d:
            test_files.append(path)

dash_rules = []
for path, d in dashboards.items():
    names = {v.get("name") for v in d.get("templating", {}).get("list", [])}
    for want in ("datasource", "upstream"):
        if want not in names:
            err(f"{rel(path)}: no '{want}' template variable")
    def walk(node, where):
        if isinstance(node, dict):
            if isinstance(node.get("title"), str) and "targets" in node:   # a panel
                where = f"{rel(path)}: panel '{node['title']}'"
            if isinstance(node.get("expr"), str):
                collect(node["expr"], where)
                dash_rules.append((node["expr"], where))
                ds = node.get("datasource") or {}
                if ds and ds.get("uid") != "${datasource}":
                    err(f"{where}: target datasource is {ds}, not the ${{datasource}} variable")
            for key in ("query", "definition"):   # template variable queries
                q = node.get(key)
                q = q.get("query") if isinstance(q, dict) else q
                if isinstance(q, str) and node.get("type") == "query":
                    collect(q, f"{where}: variable {node.get('name')}")
            for v in node.values():
                walk(v, where)
        elif isinstance(node, list):
            for v in node: walk(v, where)
    walk(d, rel(path))

# The dashboard's queries as recording rules, so promtool checks their PromQL syntax.
def grafana_to_promql(expr):
    expr = re.sub(r"\$(__rate_interval|__interval|__range)\b", "5m", expr)
    return re.sub(r"\$\{?\w+\}?", ".*", expr)
with open(os.path.join(tmp, "dashboard-rules.yaml"), "w") as f:
    yaml.safe_dump({"groups": [{"name": "dashboard-queries", "rules": [
        {"record": f"dashboard:query_{i}", "expr": grafana_to_promql(e)} for i, (e, _) in enumerate(dash_rules)]}]}, f)
with open(os.path.join(tmp, "dashboard-rules-where.txt"), "w") as f:
    f.writelines(f"dashboard:query_{i}\t{w}\n" for i, (_, w) in enumerate(dash_rules))

with open(os.path.join(tmp, "refs.tsv"), "w") as f:
    f.writelines(f"{n}\t{l}\t{w}\n" for n, l, w in refs)
with open(os.path.join(tmp, "rule-files.txt"), "w") as f:
    f.write("".join(p + "\n" for p in sorted(set(rule_files))))
with open(os.path.join(tmp, "rule-tests.txt"), "w") as f:
    f.write("".join(p + "\n" for p in sorted(set(test_files))))
if not rule_files: err("no rule file (with groups:) under deploy/prometheus")
if not test_files: err("no promtool test file (with tests:) under deploy/prometheus")

print(f"  ok   {len(refs)} metric references, {len(dash_rules)} dashboard queries, "
      f"probes on {', '.join(sorted(probe_paths))} at admin port {admin_port}")
if errors:
    print("\n".join("  " + e for e in errors), file=sys.stderr); sys.exit(1)
PY

# ---- 2. promtool ----------------------------------------------------------------
step "2. promtool check rules / test rules"
while read -r f; do
  bounded promtool check rules "$f" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; die "promtool check rules ${f#"$root"/}"; }
  echo "  ok   check rules ${f#"$root"/}"
done <"$tmp/rule-files.txt"
if ! bounded promtool check rules "$tmp/dashboard-rules.yaml" >"$tmp/out" 2>&1; then
  cat "$tmp/out" >&2; echo "(query N is:)" >&2; cat "$tmp/dashboard-rules-where.txt" >&2
  die "a dashboard query is not valid PromQL"
fi
echo "  ok   dashboard queries are valid PromQL"
while read -r f; do
  bounded promtool test rules "$f" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; die "promtool test rules ${f#"$root"/}"; }
  echo "  ok   test rules ${f#"$root"/}"
done <"$tmp/rule-tests.txt"

# ---- 3. The shipped sidecar config ----------------------------------------------
step "3. outrigger --check on the ConfigMap's outrigger.yaml"
rc=0
OUTRIGGER_ADMIN_TOKEN=check-deploy-token REDIS_PASSWORD=check-deploy-redis bounded "$outrigger" --check -c "$tmp/sidecar.yaml" \
  >"$tmp/check.out" 2>&1 || rc=$?
if [ "$rc" -eq 0 ]; then
  echo "  ok   the ConfigMap's config is valid"
  for key in "${PENDING_CONFIG_KEYS[@]}"; do
    echo "  note $key is accepted by this binary: remove it from PENDING_CONFIG_KEYS"
  done
else
  # Every error line names its key path; drop the ones about pending keys only.
  cp "$tmp/check.out" "$tmp/rest"
  pending_hit=()
  for key in "${PENDING_CONFIG_KEYS[@]}"; do
    pat=": ${key%.*}: unknown key '${key##*.}'"
    if grep -qF -- "$pat" "$tmp/rest"; then
      pending_hit+=("$key"); grep -vF -- "$pat" "$tmp/rest" >"$tmp/rest2" || true; mv "$tmp/rest2" "$tmp/rest"
    fi
  done
  # The closing "outrigger: FILE: N error(s)" line is not an error of its own.
  grep -vE '^outrigger: .*: [0-9]+ error\(s\)$' "$tmp/rest" >"$tmp/rest2" || true
  if [ "$rc" -ne 2 ] || [ -s "$tmp/rest2" ] || [ ${#pending_hit[@]} -eq 0 ]; then
    # FILE:LINE:COL counts inside the extracted block; shift it to the manifest.
    read -r cm_file cm_line cm_indent <"$tmp/sidecar.where"
    awk -v tmpf="$tmp/sidecar.yaml:" -v f="$cm_file" -v dl="$cm_line" -v dc="$cm_indent" '
      index($0, tmpf) == 1 && split(substr($0, length(tmpf) + 1), p, ":") >= 3 && p[1] ~ /^[0-9]+$/ {
        rest = substr($0, length(tmpf) + length(p[1]) + length(p[2]) + 3)
        printf "  %s:%d:%d:%s\n", f, p[1] + dl, p[2] + dc, rest; next }
      { print "  " $0 }' "$tmp/check.out" >&2
    die "outrigger --check rejects the outrigger.yaml in $cm_file (exit $rc)"
  fi
  echo "  PENDING the only errors are about keys this binary does not know yet: ${pending_hit[*]}"
  printf '%s\n' "${pending_hit[@]}" >>"$tmp/pending"
fi

# ---- 4. Real /metrics against the names the artefacts use -----------------------
step "4. run mock-upstream + outrigger (every policy), compare /metrics"
wait_for() {   # wait_for FILE PID WHAT: up to 5 s for FILE to appear while PID runs
  local _
  for _ in $(seq 50); do
    [ -s "$1" ] && return 0
    [ "$(left)" -gt 0 ] || die "time budget (${BUDGET}s) used up waiting for $3"
    kill -0 "$2" 2>/dev/null || { sed 's/^/  /' "$tmp/$3.log" >&2; die "$3 exited early"; }
    sleep 0.1
  done
  sed 's/^/  /' "$tmp/$3.log" >&2; die "$3 did not write $1 within 5 s"
}

"$mock" --host 127.0.0.1 --port 0 --port-file "$tmp/mock.port" --quiet >"$tmp/mock-upstream.log" 2>&1 3>&- &
pids+=($!)
wait_for "$tmp/mock.port" "${pids[-1]}" mock-upstream
mock_port=$(cat "$tmp/mock.port")

# Every policy on, so every per-policy metric family is registered; a second upstream
# uses a profile and shadow mode. Loopback and port 0 only.
cat >"$tmp/full.yaml" <<'EOF'
workers: 1
log_level: warn
admin: { listen: 127.0.0.1:0 }
access_log: { path: off }
drain: { grace: 100ms, timeout: 2s }
# Nothing listens there: the store metrics exist all the same, and /ready must not wait.
redis: { address: "unix:/nonexistent/check-deploy-redis.sock", timeouts: { connect: 100ms } }
listeners:
  - name: outbound
    listen: 127.0.0.1:0
    routes:
      - { path_prefix: /, upstream: backend }
      - { path_prefix: /hello, upstream: shadowed }
      - { path_prefix: /fleet, upstream: fleet }
upstreams:
  backend:
    endpoints: [ "127.0.0.1:${MOCK_PORT}" ]
    load_balancing: least_request
    pool: { max_connections: 8, max_idle: 4 }
    timeouts: { connect: 1s, read: 2s, per_try: 2s, request: 5s }
    retry:
      max_attempts: 3
      backoff: { initial: 10ms, max: 100ms }
      retry_on: [ connect_failed, reset, timeout, 503 ]
      budget: { ratio: 20%, min_per_second: 10, window: 10s }
    circuit_breaker: { failure_threshold: 5, failure_rate: 50%, window: 10s, minimum_requests: 20, open_for: 5s }
    bulkhead: { max_concurrent: 10, max_queue: 10, queue_timeout: 1s }
    rate_limit: { requests_per_second: 1000, burst: 100 }
    outlier_detection: { consecutive_failures: 5, base_ejection: 5s }
    health_check: { path: /health, interval: 1s, timeout: 500ms }
    fallback:
      stale_if_error: { ttl: 60s, max_entries: 10 }
      response: { status: 503, body: '{"degraded":true}' }
  shadowed:
    endpoints: [ "127.0.0.1:${MOCK_PORT}" ]
    profile: fast-microservice
    rate_limit: { requests_per_second: 1 }
    shadow: [ rate_limit, circuit_breaker, bulkhead ]
  fleet:
    endpoints: [ "127.0.0.1:${MOCK_PORT}" ]
    rate_limit: { requests_per_second: 100, scope: global, on_store_error: allow }
EOF
MOCK_PORT=$mock_port "$outrigger" -c "$tmp/full.yaml" --ports-file "$tmp/ports" >"$tmp/outrigger.log" 2>&1 3>&- &
pids+=($!)
wait_for "$tmp/ports" "${pids[-1]}" outrigger
admin_port=$(awk '$1 == "admin" { print $2 }' "$tmp/ports")
listen_port=$(awk '$1 == "listener" && $2 == "outbound" { print $3 }' "$tmp/ports")
if [ -z "$admin_port" ] || [ -z "$listen_port" ]; then
  cat "$tmp/ports" >&2; die "the ports file lacks the admin or the listener line"
fi

get() {   # get URL [OUT]: prints the status code (000 if no answer within 3 s)
  local t; t=$(left); [ "$t" -lt 3 ] || t=3; [ "$t" -gt 0 ] || t=1
  curl -s -o "${2:-/dev/null}" -w '%{http_code}' --max-time "$t" "$1" || true
}
code=000
for _ in $(seq 50); do   # /ready turns 200 after the first DNS lookups
  code=$(get "http://127.0.0.1:$admin_port/ready"); [ "$code" = 200 ] && break; sleep 0.1
done
[ "$code" = 200 ] || die "/ready answered $code, not 200, within 5 s"
while read -r path; do   # the paths the Kubernetes probes use
  [ -n "$path" ] || continue
  code=$(get "http://127.0.0.1:$admin_port$path")
  [ "$code" = 200 ] || die "probe path $path answered $code, not 200"
  echo "  ok   probe path $path answers 200"
done <"$tmp/probe-paths.txt"
for path in /get /hello; do   # some traffic, so the histogram has samples
  code=$(get "http://127.0.0.1:$listen_port$path")
  [ "$code" = 200 ] || die "GET $path through outrigger answered $code, not 200"
done
code=$(get "http://127.0.0.1:$admin_port/metrics" "$tmp/metrics.txt")
[ "$code" = 200 ] || die "/metrics answered $code"
bounded promtool check metrics <"$tmp/metrics.txt" >"$tmp/out" 2>&1 \
  || { cat "$tmp/out" >&2; die "promtool check metrics finds problems in /metrics"; }
echo "  ok   /metrics: $(grep -c '^# TYPE' "$tmp/metrics.txt") families, promtool check metrics passes"

bounded "$PY" - "$tmp/metrics.txt" "$tmp/refs.tsv" "${PENDING_METRICS[@]}" <<'PY' || die "metrics or labels used by deploy/ are not in the real /metrics (list above)"
import os, re, sys
metrics_file, refs_file, pending = sys.argv[1], sys.argv[2], set(sys.argv[3:])

types, labels = {}, {}     # family -> type; family -> label names seen on its samples
for line in open(metrics_file):
    if line.startswith("# TYPE "):
        _, _, name, typ = line.split()[:4]
        types[name] = typ
    elif line.strip() and not line.startswith("#"):
        m = re.match(r"([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s", line)
        if m:
            labels.setdefault(m[1], set()).update(re.findall(r'([A-Za-z_]\w*)="', m[3] or ""))

def family(name):   # a histogram's _bucket/_sum/_count series belong to its base name
    if name in types: return name
    for suffix, kinds in (("_bucket", {"histogram"}), ("_sum", {"histogram", "summary"}),
                          ("_count", {"histogram", "summary"})):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and types.get(base) in kinds: return base
    return None

# Labels Prometheus adds at scrape time, so they are never in outrigger's own output.
TARGET_LABELS = {"namespace", "pod", "container", "job", "instance", "service", "endpoint"}
missing, bad_labels, pending_missing, used = {}, [], set(), set()
for line in open(refs_file):
    name, lbls, where = line.rstrip("\n").split("\t")
    used.add(name)
    if family(name) is None:
        (pending_missing.add(name) if name in pending else missing.setdefault(name, []).append(where))
        continue
    seen = labels.get(name, set())
    if not seen: continue   # no samples to compare with
    for l in filter(None, lbls.split(",")):
        if l not in seen and l not in TARGET_LABELS:
            bad_labels.append(f"{where}: {name} has no label '{l}' (it has: {', '.join(sorted(seen))})")

print(f"  ok   {len(used - set(missing) - pending_missing)} of {len(used)} metric names used by deploy/ are in /metrics")
for name in sorted(pending_missing):
    print(f"  PENDING {name}: not in this binary yet (listed in PENDING_METRICS)")
    with open(os.path.join(os.path.dirname(refs_file), "pending"), "a") as f:
        f.write(name + "\n")
for name in sorted(pending - pending_missing - set(missing)):
    if family(name):
        print(f"  note {name} is now exported: remove it from PENDING_METRICS")
for name, wheres in sorted(missing.items()):
    print(f"  MISSING {name}  (used in: {'; '.join(sorted(set(wheres)))})", file=sys.stderr)
for b in bad_labels:
    print(f"  BAD LABEL {b}", file=sys.stderr)
sys.exit(1 if missing or bad_labels else 0)
PY

if [ -s "$tmp/pending" ]; then
  echo "check_deploy: all checks passed, except $(wc -l <"$tmp/pending") pending item(s) not in this binary yet: $(tr '\n' ' ' <"$tmp/pending")"
else
  echo "check_deploy: all checks passed"
fi
