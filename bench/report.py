#!/usr/bin/env python3
"""Turn bench/run.sh's raw per-run CSV into RESULTS.md, summary.csv and a PNG chart.

Usage: report.py --csv out/results.csv --meta out/meta.txt --md RESULTS.md
                 [--png results.png] [--out-dir out] [--stderr-log out/proxy-stderr.log]
                 [--policies-config out/outrigger-policies.yaml]

Exit status: 0, or 3 when an outrigger run (plain or outrigger-policies) crashed or saw
errors (socket errors, timeouts or non-2xx/3xx responses), so CI can gate on
`bench/run.sh --quick`.
"""
import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from report_goals import goals, measured_lines, policy_section, standing
from report_util import cell, col_opt, fmt, fnum, med, ratio, rng, spread

SCENARIO_INFO = {
    "c50-1cpu": "50 connections, wrk -t1; wrk, origin and proxy all pinned to CPU 0",
    "c1-1cpu": "1 connection, wrk -t1; wrk, origin and proxy all pinned to CPU 0",
    "c50-2cpu": "50 connections, wrk -t1; proxy on CPU 1, wrk and origin on CPU 0",
    "c200-2cpu": "200 connections, wrk -t1; proxy on CPU 1, wrk and origin on CPU 0",
    "c50-1cpu-policies": "50 connections, wrk -t1; wrk, origin and proxy all pinned to CPU 0; "
                         "outrigger plain vs outrigger-policies (the target's policies configured, none "
                         "triggering, access log on), alternating, the order flipped every round",
    "c50-1cpu-64k": "50 connections, wrk -t1, `GET /bytes/65536` (64 KiB responses); wrk, origin and "
                    "proxy all pinned to CPU 0",
    "c50-1cpu-idle1k": "50 connections, wrk -t1, while 1,000 more keep-alive connections (one "
                       "request each, then idle) stay open; wrk, origin and proxy all on CPU 0",
    "c200-2cpu-workers": "200 connections, wrk -t1; outrigger `workers: 1` vs `workers: 2` "
                         "(outrigger-w2), alternating; the proxy may use CPUs 0-1, wrk and origin on "
                         "CPU 0",
    "c50-1cpu-open": "50 connections, wrk -t1, all on CPU 0; plain outrigger vs outrigger-open (its "
                     "breaker is open: every answer is a local 503 circuit_open, by design counted "
                     "as a non-2xx by wrk), alternating",
    "c1-1cpu-open": "1 connection, wrk -t1, all on CPU 0; plain outrigger vs outrigger-open, "
                    "alternating",
}
EXPECTED_503 = "outrigger-open"  # every answer of this target is a 503, by design
PROXIES = ["outrigger", "haproxy", "nginx"]
CHART_TARGETS = ["outrigger", "outrigger-policies", "haproxy", "nginx"]
NOISE = 0.03  # run-to-run noise we assume even on a quiet machine


def read_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                meta[k] = v
    return meta


class Cell:
    """All runs of one target in one scenario."""

    def __init__(self, rows):
        self.rows = rows
        self.target = rows[0]["target"]
        col = lambda k: [fnum(r[k]) for r in rows]
        self.rps = col("rps")
        self.p50 = col("p50_us")
        self.p99 = col("p99_us")
        self.cpu = col("proxy_cpu_s")
        self.per_cpu = col("rps_per_proxy_cpu_s")
        self.user_share = col_opt(rows, "proxy_user_share")
        self.idle = col("idle_rss_kib")
        self.loaded = col("loaded_rss_kib")
        self.peak = col("peak_rss_kib")
        self.other = col("other_cpu_s")
        self.duration = col("duration_s")
        self.errors = {k: sum(int(r[k] or 0) for r in rows)
                       for k in ("err_connect", "err_read", "err_write", "err_status", "err_timeout")}
        self.crashes = sum(1 for r in rows if r["proxy_alive"] == "0")
        self.policy_events = sum(int(r.get("policy_events") or 0) for r in rows)
        self.access_log_lines = col_opt(rows, "access_log_lines")
        self.p50_added = []
        self.p99_added = []

    def unexpected_errors(self):
        """Errors that should not happen: for outrigger-open, any answer that was not a 503."""
        errs = dict(self.errors)
        if self.target == EXPECTED_503:
            answered = sum(int(float(r["requests"])) for r in self.rows)
            errs["err_status"] = answered - errs["err_status"]
        return errs

    def error_text(self):
        if self.target == EXPECTED_503:
            parts = [f"503 circuit_open {self.errors['err_status']:,} (expected)"]
            parts += [f"{k[4:]} {v}" for k, v in self.unexpected_errors().items() if v]
            return ", ".join(parts)
        parts = [f"{k[4:]} {v}" for k, v in self.errors.items() if v]
        if self.crashes:
            parts.append(f"**{self.crashes} crash(es)**")
        if self.policy_events:
            parts.append(f"**policy/failure counters moved {self.policy_events}×**")
        return ", ".join(parts) if parts else "0"


def build(rows):
    scenarios, targets, cells = [], [], {}
    for r in rows:
        if r["scenario"] not in scenarios:
            scenarios.append(r["scenario"])
        if r["target"] not in targets:
            targets.append(r["target"])
    for s in scenarios:
        for t in targets:
            rs = [r for r in rows if r["scenario"] == s and r["target"] == t]
            if rs:
                cells[s, t] = Cell(rs)
        # Added latency is paired per run: runs alternate targets, so run i of a proxy and
        # run i of direct saw the same machine state.
        direct = {r["run"]: r for r in rows if r["scenario"] == s and r["target"] == "direct"}
        for t in targets:
            c = cells.get((s, t))
            if not c or t == "direct":
                continue
            for r in c.rows:
                d = direct.get(r["run"])
                if d:
                    c.p50_added.append(float(r["p50_us"]) - float(d["p50_us"]))
                    c.p99_added.append(float(r["p99_us"]) - float(d["p99_us"]))
    return scenarios, targets, cells


def write_summary_csv(path, scenarios, targets, cells):
    fields = ["scenario", "target", "runs",
              "rps_med", "rps_min", "rps_max",
              "p50_us_med", "p99_us_med", "p50_added_us_med", "p99_added_us_med",
              "proxy_cpu_s_med", "rps_per_proxy_cpu_s_med", "rps_per_proxy_cpu_s_min",
              "rps_per_proxy_cpu_s_max", "idle_rss_kib_med", "loaded_rss_kib_med",
              "peak_rss_kib_med", "errors", "crashes"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(fields)
        for s in scenarios:
            for t in targets:
                c = cells.get((s, t))
                if not c:
                    continue
                lo, hi = rng(c.rps)
                plo, phi = rng(c.per_cpu)
                vals = [s, t, len(c.rows), med(c.rps), lo, hi, med(c.p50), med(c.p99),
                        med(c.p50_added) if c.p50_added else None,
                        med(c.p99_added) if c.p99_added else None,
                        med(c.cpu), med(c.per_cpu), plo, phi, med(c.idle), med(c.loaded),
                        med(c.peak), sum(c.errors.values()), c.crashes]
                w.writerow(["" if v is None else
                            (f"{v:.3f}".rstrip("0").rstrip(".") if isinstance(v, float) else v)
                            for v in vals])


def write_chart(png, scenarios, cells):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot or not png:
        return False
    proxies = [p for p in CHART_TARGETS if any((s, p) in cells for s in scenarios)]
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "chart.dat")
        with open(data, "w") as f:
            f.write("scenario " + " ".join(proxies) + "\n")
            for s in scenarios:
                vals = []
                for p in proxies:
                    c = cells.get((s, p))
                    v = med(c.per_cpu) if c else None
                    vals.append(f"{v:.0f}" if v is not None else "?")
                f.write(f"{s} " + " ".join(vals) + "\n")
        plot = ", ".join(
            f"'{data}' using {i + 2}:xtic(1) title columnheader({i + 2})"
            for i in range(len(proxies)))
        script = f"""
set terminal pngcairo size 900,500 font ',10'
set output '{png}'
set title 'Requests per proxy CPU-second (median; higher is better)'
set style data histograms
set style histogram clustered gap 1
set xtics noenhanced
set key noenhanced
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set ylabel 'requests / proxy CPU-second'
set key outside top center horizontal
set datafile missing '?'
plot {plot}
"""
        try:
            subprocess.run([gnuplot], input=script, text=True, check=True,
                           capture_output=True, timeout=30)
        except (subprocess.SubprocessError, OSError) as e:
            print(f"report.py: gnuplot failed: {e}", file=sys.stderr)
            return False
    return True


def percent_cell(xs):
    xs = [x * 100 for x in xs if x is not None]
    return cell(xs) + "%" if xs else "–"


def scenario_table(s, targets, cells):
    out = [f"### {s}", "", SCENARIO_INFO.get(s, ""), "",
           "| target | req/s | p50 µs | p99 µs | p50 added µs | p99 added µs | proxy CPU-s "
           "| req per proxy CPU-s | proxy CPU in user space | idle RSS MiB | loaded RSS MiB "
           "| peak RSS MiB | errors |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for t in targets:
        c = cells.get((s, t))
        if not c:
            continue
        out.append("| " + " | ".join([
            f"**{t}**" if t.startswith("outrigger") else t,
            cell(c.rps), cell(c.p50), cell(c.p99),
            cell(c.p50_added) if c.p50_added else "–",
            cell(c.p99_added) if c.p99_added else "–",
            cell(c.cpu, 2), cell(c.per_cpu),
            percent_cell(c.user_share),
            cell(c.idle, 1, 1024), cell(c.loaded, 1, 1024), cell(c.peak, 1, 1024),
            c.error_text()]) + " |")
    out.append("")
    return out


def ratio_table(scenarios, cells):
    out = ["## Ratios (outrigger ÷ peer, medians)", "",
           "For req per CPU-s higher is better; for added latency and RSS lower is better. "
           "Ratios of added latency are unstable when the peer adds only a few µs.", "",
           "| scenario | peer | req per CPU-s | p50 added | p99 added | idle RSS | loaded RSS |",
           "|---|---|---:|---:|---:|---:|---:|"]
    for s in scenarios:
        o = cells.get((s, "outrigger"))
        if not o:
            continue
        for peer in ("haproxy", "nginx"):
            p = cells.get((s, peer))
            if not p:
                continue
            out.append(f"| {s} | {peer} | {ratio(med(o.per_cpu), med(p.per_cpu))} "
                       f"| {ratio(med(o.p50_added), med(p.p50_added))} "
                       f"| {ratio(med(o.p99_added), med(p.p99_added))} "
                       f"| {ratio(med(o.idle), med(p.idle))} "
                       f"| {ratio(med(o.loaded), med(p.loaded))} |")
    out.append("")
    return out


def noise_lines(meta, scenarios, targets, cells):
    spreads = [spread(c.rps) for c in cells.values()]
    spreads = [x for x in spreads if x is not None]
    others, durs = [], []
    for c in cells.values():
        others += [x for x in c.other if x is not None]
        durs += [x for x in c.duration if x is not None]
    lines = []
    runs = int(meta.get("runs", "1"))
    if spreads:
        lines.append(f"Run-to-run spread of req/s (max−min over median, per target and scenario): "
                     f"median {100 * statistics.median(spreads):.1f}%, worst {100 * max(spreads):.1f}%.")
    elif runs == 1:
        lines.append("One run per target (quick mode): no spread is measured, so treat every "
                     "number as ±10% at best.")
    if others and durs:
        busy = statistics.median(others) / statistics.median(durs)
        lines.append(f"Other processes on the machine (not wrk, the origin or the proxy) kept "
                     f"on average {busy:.2f} of the {meta.get('nproc', '?')} CPUs busy during the "
                     f"measured windows (median over runs; load average "
                     f"{meta.get('loadavg_start', '?')} at the start, {meta.get('loadavg_end', '?')} "
                     f"at the end).")
    per_scen = []
    for s in scenarios:
        busy = [c.other[i] / c.duration[i] for (s2, t), c in cells.items() if s2 == s
                for i in range(len(c.rows)) if c.other[i] is not None and c.duration[i]]
        if busy:
            per_scen.append(f"{s} {statistics.median(busy):.2f} ({min(busy):.2f}–{max(busy):.2f})")
    if len(per_scen) > 1:
        lines.append("CPUs kept busy by other processes, by scenario (median, min–max over runs): "
                     + ", ".join(per_scen) + ".")
    lines.append(f"Treat differences below ±{100 * NOISE:.0f}% (or the spread above, if larger) "
                 f"as noise.")
    if meta.get("busiest_start"):
        lines.append(f"Busiest other processes when the bench started: {meta['busiest_start']}.")
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--png")
    ap.add_argument("--out-dir")
    ap.add_argument("--stderr-log")
    ap.add_argument("--policies-config")
    ap.add_argument("--resilience-md")
    a = ap.parse_args()

    with open(a.csv) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        print("report.py: no runs in the CSV", file=sys.stderr)
        return 1
    meta = read_meta(a.meta)
    scenarios, targets, cells = build(rows)
    out_dir = a.out_dir or os.path.dirname(a.csv)
    write_summary_csv(os.path.join(out_dir, "summary.csv"), scenarios, targets, cells)
    chart = write_chart(os.path.abspath(a.png), scenarios, cells) if a.png else False

    md_dir = os.path.dirname(os.path.abspath(a.md))
    rel = lambda p: os.path.relpath(os.path.abspath(p), md_dir)
    L = ["# outrigger benchmark results", "",
         "Generated by `bench/run.sh` (see [README.md](README.md) for how each number is "
         "measured). Do not edit by hand; re-run the bench instead.", "",
         "## Setup", "",
         f"- Date: {meta.get('date')}; the run took {int(meta.get('elapsed_s', 0)) // 60} min "
         f"{int(meta.get('elapsed_s', 0)) % 60} s",
         f"- Command: `{meta.get('command')}`",
         f"- Machine: {meta.get('nproc')} CPUs ({meta.get('cpu_model')}), {meta.get('mem_total')}, "
         f"{meta.get('kernel')}",
         f"- outrigger: {meta.get('outrigger_version')} at {meta.get('outrigger_commit')} "
         f"(Release build of {meta.get('outrigger_built', '?')}, `workers: 1`, access log off; "
         "the outrigger-policies variant has the target's policies configured and the access log "
         f"{meta.get('policies_access_log', 'on')})",
         f"- Peers: {meta.get('haproxy_version')}; {meta.get('nginx_version')}",
         f"- Load: {meta.get('wrk_version')}, `wrk -t1 --timeout 2s`, {meta.get('duration')} per run "
         f"after a {meta.get('warmup')} warm-up, {meta.get('runs')} alternating run(s) per target, "
         f"`GET {meta.get('req_path')}` from mock-upstream (single-threaded libuv origin)",
         f"- Machine load: load average (1/5/15 min) {meta.get('loadavg_start', '?')} before the "
         f"run, {meta.get('loadavg_end', '?')} after; other processes' CPU use per scenario is "
         "under \"Noise\" below",
         "- Cells show the median over runs and (min–max). \"added\" = the proxy's latency "
         "percentile minus direct's in the same run round.",
         ""]
    L += ["## Where we stand", ""]
    goal_lines, met, total = goals(cells, meta)
    L += [standing(cells, met, total), ""]
    L += goal_lines
    extra = measured_lines(cells)
    if extra:
        L += ["", "Also measured (no target):", ""] + extra
    L += ["", "Noise: " + " ".join(noise_lines(meta, scenarios, targets, cells)), ""]

    bad = []
    for (s, t), c in cells.items():
        if t != "direct" and (sum(c.unexpected_errors().values()) or c.crashes or c.policy_events):
            bad.append(f"{t} in {s}: {c.error_text()}")
    if bad:
        L += ["**Errors seen:** " + "; ".join(bad) + ".", ""]
    else:
        L += ["No proxy returned a non-2xx/3xx response, had a socket error or timeout, "
              "or crashed in any run; no outrigger policy acted (retry, breaker, bulkhead, rate "
              "limit, ejection, fallback) and no upstream attempt failed.", ""]
    if a.stderr_log and os.path.exists(a.stderr_log) and os.path.getsize(a.stderr_log):
        with open(a.stderr_log) as f:
            lines = f.read().splitlines()
        L += [f"Proxy warnings/errors on stderr ({len(lines)} lines, first 10):", "", "```"]
        L += lines[:10] + ["```", ""]

    if chart:
        L += [f"![requests per proxy CPU-second]({rel(a.png)})", ""]
    config_text = ""
    if a.policies_config and os.path.exists(a.policies_config):
        with open(a.policies_config) as f:
            config_text = f.read()
    L += policy_section(cells, meta, config_text)
    if a.resilience_md and os.path.exists(a.resilience_md):
        with open(a.resilience_md) as f:
            L += f.read().rstrip("\n").splitlines() + [""]
    L += ["## Results by scenario", ""]
    for s in scenarios:
        L += scenario_table(s, targets, cells)
    L += ratio_table(scenarios, cells)
    # The last bench/profile.sh (policies off and on, a 1 KiB body, routes), bench/idle.sh,
    # bench/slow_clients.sh, bench/soak.sh, bench/redis.sh, bench/h2.sh and bench/tunnels.sh
    # results, kept across runs.
    for extra in ("profile.md", "profile-policies.md", "profile-1k.md", "profile-routes.md",
                  "idle-connections.md", "slow-clients.md", "soak.md", "redis.md", "fleet.md", "h2.md", "profile-h2.md",
                  "tunnels.md"):
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), extra)
        if os.path.exists(path):
            with open(path) as f:
                L += f.read().rstrip("\n").splitlines() + [""]
    L += ["## Raw data", "",
          f"Per-run rows: `{rel(a.csv)}`; medians: `{rel(os.path.join(out_dir, 'summary.csv'))}` "
          "(bench/out/ is not committed).", ""]
    with open(a.md, "w") as f:
        f.write("\n".join(L))

    o_bad = [c for (s, t), c in cells.items()
             if t.startswith("outrigger") and (sum(c.unexpected_errors().values()) or c.crashes)]
    if o_bad:
        print("report.py: outrigger had errors or crashed; see " + a.md, file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
