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

SCENARIO_INFO = {
    "c50-1cpu": "50 connections, wrk -t1; wrk, origin and proxy all pinned to CPU 0",
    "c1-1cpu": "1 connection, wrk -t1; wrk, origin and proxy all pinned to CPU 0",
    "c50-2cpu": "50 connections, wrk -t1; proxy on CPU 1, wrk and origin on CPU 0",
    "c200-2cpu": "200 connections, wrk -t1; proxy on CPU 1, wrk and origin on CPU 0",
    "c50-1cpu-policies": "50 connections, wrk -t1; wrk, origin and proxy all pinned to CPU 0; "
                         "outrigger plain vs outrigger-policies (every policy configured, none "
                         "triggering, access log on), alternating, the order flipped every round",
}
PROXIES = ["outrigger", "haproxy", "nginx"]
CHART_TARGETS = ["outrigger", "outrigger-policies", "haproxy", "nginx"]
POLICY_SCENARIO = "c50-1cpu-policies"
POLICY_CPU_LIMIT = 1.05  # policies on may cost at most 5% more proxy CPU per request
NOISE = 0.03  # run-to-run noise we assume even on a quiet machine


def fnum(v):
    return float(v) if v not in ("", None) else None


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def rng(xs):
    xs = [x for x in xs if x is not None]
    return (min(xs), max(xs)) if xs else (None, None)


def fmt(x, digits=0):
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"


def cell(xs, digits=0, scale=1.0):
    """'median (min–max)' of a list; just the value when there is one run."""
    xs = [x / scale for x in xs if x is not None]
    if not xs:
        return "–"
    m = statistics.median(xs)
    if len(xs) == 1:
        return fmt(m, digits)
    return f"{fmt(m, digits)} ({fmt(min(xs), digits)}–{fmt(max(xs), digits)})"


def ratio(a, b, digits=2):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.{digits}f}×"


def col_opt(rows, k):
    """A column that older CSVs may not have."""
    return [fnum(r.get(k)) for r in rows]


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
        col = lambda k: [fnum(r[k]) for r in rows]
        self.rps = col("rps")
        self.p50 = col("p50_us")
        self.p99 = col("p99_us")
        self.cpu = col("proxy_cpu_s")
        self.per_cpu = col("rps_per_proxy_cpu_s")
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

    def error_text(self):
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


def spread(xs):
    xs = [x for x in xs if x is not None]
    if len(xs) < 2 or statistics.median(xs) == 0:
        return None
    return (max(xs) - min(xs)) / statistics.median(xs)


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


def scenario_table(s, targets, cells):
    out = [f"### {s}", "", SCENARIO_INFO.get(s, ""), "",
           "| target | req/s | p50 µs | p99 µs | p50 added µs | p99 added µs | proxy CPU-s "
           "| req per proxy CPU-s | idle RSS MiB | loaded RSS MiB | peak RSS MiB | errors |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
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


def overlap_note(mine, theirs, factor=1.0):
    """Whether the min-max ranges of two cells overlap once `theirs` is scaled by factor."""
    lo1, hi1 = rng(mine)
    lo2, hi2 = rng(theirs)
    if None in (lo1, hi1, lo2, hi2) or (len(mine) < 2 and len(theirs) < 2):
        return ""
    if lo1 <= hi2 * factor and lo2 * factor <= hi1:
        return " (the run ranges overlap: not conclusive on this machine)"
    return " (the run ranges do not overlap)"


def goals(cells, meta):
    """The targets from the issue, checked against this run. Returns (markdown lines, met, total)."""
    lines, met = [], 0

    def verdict(ok):
        nonlocal met
        met += bool(ok)
        return "**met**" if ok else "**not met**"

    o, h = cells.get(("c50-1cpu", "outrigger")), cells.get(("c50-1cpu", "haproxy"))
    if o and h and med(o.per_cpu) and med(h.per_cpu):
        r = med(o.per_cpu) / med(h.per_cpu)
        lines.append(f"- Requests per proxy CPU-second at 50 connections on one CPU ≥ 1.2× HAProxy: "
                     f"{fmt(med(o.per_cpu))} vs {fmt(med(h.per_cpu))}, **{r:.2f}×**, {verdict(r >= 1.2)}"
                     f"{overlap_note(o.per_cpu, h.per_cpu, 1.2)}.")
    o = cells.get(("c1-1cpu", "outrigger"))
    peers = [cells.get(("c1-1cpu", p)) for p in ("haproxy", "nginx")]
    peers = [p for p in peers if p and p.p50_added]
    if o and o.p50_added and peers:
        bestc = min(peers, key=lambda p: med(p.p50_added))
        best = med(bestc.p50_added)
        mine = med(o.p50_added)
        lines.append(f"- p50 added at 1 connection ≤ 0.8× the better peer: outrigger adds "
                     f"{fmt(mine)} µs, the better peer {fmt(best)} µs "
                     f"(goal ≤ {fmt(0.8 * best)} µs), {verdict(mine <= 0.8 * best)}"
                     f"{overlap_note(o.p50_added, bestc.p50_added, 0.8)}.")
    o, h = cells.get(("c50-2cpu", "outrigger")), cells.get(("c50-2cpu", "haproxy"))
    if o and h and o.p99_added and h.p99_added:
        mine, theirs = med(o.p99_added), med(h.p99_added)
        lines.append(f"- p99 added at 50 connections (proxy on its own CPU) ≤ HAProxy: "
                     f"{fmt(mine)} µs vs {fmt(theirs)} µs, {verdict(mine <= theirs)}"
                     f"{overlap_note(o.p99_added, h.p99_added)}.")
    idle = [x for (s, t), c in cells.items() if t == "outrigger" for x in c.idle if x is not None]
    if idle:
        m, hi = statistics.median(idle) / 1024, max(idle) / 1024
        lines.append(f"- Idle RSS ≤ 8 MiB: median {m:.1f} MiB, max {hi:.1f} MiB over all "
                     f"{len(idle)} starts, {verdict(hi <= 8)}.")
    o = cells.get(("c200-2cpu", "outrigger"))
    if o and med(o.loaded):
        m, pk = med(o.loaded) / 1024, med(o.peak) / 1024
        lines.append(f"- Loaded RSS ≤ 16 MiB after 200 connections: {m:.1f} MiB right after the run "
                     f"(peak VmHWM {pk:.1f} MiB), {verdict(max(m, pk) <= 16)}.")
    pol = policy_pairs(cells)
    if pol:
        r = med([x["cpu_ratio"] for x in pol])
        log = "on" if meta.get("policies_access_log", "on") == "on" else "off"
        lines.append(f"- Policies on within 5% of off (proxy CPU per request, every policy configured "
                     f"but none triggering, access log {log}, vs plain outrigger; 50 connections on one "
                     f"CPU): on/off **{r:.3f}×** ("
                     + (f"median of {len(pol)} paired rounds, "
                        f"{min(x['cpu_ratio'] for x in pol):.3f}–{max(x['cpu_ratio'] for x in pol):.3f}"
                        if len(pol) > 1 else "one round")
                     + f"), "
                     f"{verdict(r <= POLICY_CPU_LIMIT)}"
                     f"{policy_overlap_note(pol)}.")
    return lines, met, len(lines)


def policy_pairs(cells):
    """Rounds of c50-1cpu-policies with both variants measured: on/off ratios per round."""
    off, on = cells.get((POLICY_SCENARIO, "outrigger")), cells.get((POLICY_SCENARIO, "outrigger-policies"))
    if not off or not on:
        return []
    offr = {r["run"]: r for r in off.rows}
    pairs = []
    for r in on.rows:
        o = offr.get(r["run"])
        if not o or not fnum(r["rps_per_proxy_cpu_s"]) or not fnum(o["rps_per_proxy_cpu_s"]):
            continue
        g = lambda row, k: fnum(row[k])
        pairs.append({
            "run": r["run"], "off": o, "on": r,
            # CPU per request on/off = (req per CPU-s off) / (req per CPU-s on)
            "cpu_ratio": g(o, "rps_per_proxy_cpu_s") / g(r, "rps_per_proxy_cpu_s"),
            "rps_ratio": g(r, "rps") / g(o, "rps") if g(o, "rps") else None,
            "p50_ratio": g(r, "p50_us") / g(o, "p50_us") if g(o, "p50_us") else None,
            "p99_ratio": g(r, "p99_us") / g(o, "p99_us") if g(o, "p99_us") else None,
        })
    return pairs


def policy_overlap_note(pairs):
    if len(pairs) < 2:
        return ""
    lo, hi = min(x["cpu_ratio"] for x in pairs), max(x["cpu_ratio"] for x in pairs)
    if lo <= POLICY_CPU_LIMIT < hi:
        return " (the rounds straddle 1.05: not conclusive on this machine)"
    return f" ({'every' if len(pairs) > 2 else 'each'} round on the same side of 1.05)"


def policy_section(cells, meta, config_text):
    pairs = policy_pairs(cells)
    if not pairs:
        return []
    log_on = meta.get("policies_access_log", "on") == "on"
    if log_on:
        log_text = ("**and turns the access log on** (one JSON line per request to a file in the "
                    f"temp dir, on {meta.get('tmp_fs') or '?'}), so the ratio is policies + access "
                    "log together. The access log line count and the policy counters from "
                    "`/metrics` are checked after each run.")
    else:
        log_text = ("with the access log **off** (`POLICIES_ACCESS_LOG=off`), so the ratio is the "
                    "policies alone. The policy counters from `/metrics` are checked after each run.")
    off = cells[(POLICY_SCENARIO, "outrigger")]
    on = cells[(POLICY_SCENARIO, "outrigger-policies")]
    out = ["## Policies on vs off", "",
           f"Scenario `{POLICY_SCENARIO}`: 50 connections, wrk, origin and proxy all on CPU 0 (as "
           "`c50-1cpu`). Each round runs plain outrigger (off: no policy blocks, access log off) and "
           "outrigger-policies (on) one after the other, each in a fresh process, the order flipped "
           "every round (off on, on off, ...). **on** configures every policy of "
           "[config/policies.md](../config/policies.md) on the upstream, with limits that `/hello` "
           "from one healthy origin never reaches, " + log_text, ""]
    if config_text:
        out += ["<details><summary>outrigger-policies config (first round)</summary>", "", "```yaml"]
        out += config_text.rstrip("\n").splitlines() + ["```", "", "</details>", ""]
    out += ["| round | order | req/s off | req/s on | req per CPU-s off | req per CPU-s on "
            "| CPU per request on/off | p50 µs off / on | p99 µs off / on | access log lines "
            "| policy events |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for x in pairs:
        o, n = x["off"], x["on"]
        order = "off, on" if int(x["run"]) % 2 else "on, off"
        reqs = int(float(n["requests"]))
        alog = fmt(fnum(n.get("access_log_lines")))
        out.append(f"| {x['run']} | {order} | {fmt(fnum(o['rps']))} | {fmt(fnum(n['rps']))} "
                   f"| {fmt(fnum(o['rps_per_proxy_cpu_s']))} | {fmt(fnum(n['rps_per_proxy_cpu_s']))} "
                   f"| {x['cpu_ratio']:.3f}× | {fmt(fnum(o['p50_us']))} / {fmt(fnum(n['p50_us']))} "
                   f"| {fmt(fnum(o['p99_us']))} / {fmt(fnum(n['p99_us']))} "
                   f"| {alog} (measured run: {reqs:,} requests) | {n.get('policy_events') or '–'} |")
    cr = med([x["cpu_ratio"] for x in pairs])
    rr = med([x["rps_ratio"] for x in pairs])
    p50r = med([x["p50_ratio"] for x in pairs])
    p99r = med([x["p99_ratio"] for x in pairs])
    out += ["", f"Medians over {len(pairs)} paired round(s), on ÷ off: **proxy CPU per request "
            f"{cr:.3f}×** (goal ≤ {POLICY_CPU_LIMIT:.2f}×; ratio of the medians "
            f"{med(off.per_cpu) / med(on.per_cpu):.3f}×), req/s {rr:.3f}×, p50 {p50r:.3f}×, "
            f"p99 {p99r:.3f}×. Idle RSS {med(on.idle) / 1024:.1f} vs {med(off.idle) / 1024:.1f} MiB, "
            f"peak {med(on.peak) / 1024:.1f} vs {med(off.peak) / 1024:.1f} MiB.", "",
            ("The access log holds every request since the start (the readiness check, the "
             "warm-up and the measured run), so it has more lines than the measured run. "
             if log_on else "") +
            "Policy events count retries, breaker transitions, fallbacks, local replies "
            "(429/503...), failed attempts, ejections and unhealthy endpoints; 0 means no policy "
            "acted.", ""]
    return out


def standing(cells, met, total):
    """One paragraph in words: where outrigger stands against the peers in this run."""
    parts = [f"{met} of {total} goals met in this run."]
    effs = []
    for s in ("c50-1cpu", "c1-1cpu", "c50-2cpu", "c200-2cpu"):
        o, h, n = (cells.get((s, t)) for t in PROXIES)
        if o and h and n and med(o.per_cpu) and med(h.per_cpu) and med(n.per_cpu):
            effs.append(f"{s} {med(o.per_cpu) / med(h.per_cpu):.2f}×/{med(o.per_cpu) / med(n.per_cpu):.2f}×")
    if effs:
        parts.append("Efficiency (requests per proxy CPU-second, outrigger ÷ HAProxy / ÷ nginx): "
                     + ", ".join(effs) + ".")
    o = [c for (s, t), c in cells.items() if t == "outrigger"]
    p = [c for (s, t), c in cells.items() if t in ("haproxy", "nginx")]
    if o and p:
        oi = statistics.median([x for c in o for x in c.idle if x is not None]) / 1024
        pi = min(statistics.median([x for x in c.idle if x is not None]) for c in p) / 1024
        parts.append(f"Idle RSS: outrigger {oi:.1f} MiB, the smaller peer {pi:.1f} MiB.")
    return " ".join(parts)


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
         "the outrigger-policies variant has every policy configured and the access log "
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
    L += ["", "Noise: " + " ".join(noise_lines(meta, scenarios, targets, cells)), ""]

    bad = []
    for (s, t), c in cells.items():
        if t != "direct" and (sum(c.errors.values()) or c.crashes or c.policy_events):
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
    L += ["## Results by scenario", ""]
    for s in scenarios:
        L += scenario_table(s, targets, cells)
    L += ratio_table(scenarios, cells)
    # The last bench/profile.sh, bench/idle.sh and bench/soak.sh results, kept across runs.
    for extra in ("profile.md", "idle-connections.md", "soak.md"):
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
             if t.startswith("outrigger") and (sum(c.errors.values()) or c.crashes)]
    if o_bad:
        print("report.py: outrigger had errors or crashed; see " + a.md, file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
