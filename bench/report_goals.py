"""The issue's performance targets, checked against one bench/run.sh run, and the sections of
RESULTS.md built around paired variants (policies on/off, 1 vs 2 workers, breaker open)."""
import statistics

from report_util import fmt, fnum, med, rng

PROXIES = ["outrigger", "haproxy", "nginx"]
POLICY_SCENARIO = "c50-1cpu-policies"
POLICY_CPU_LIMIT = 1.05  # policies on may cost at most 5% more proxy CPU per request
OPEN_SCENARIOS = ("c1-1cpu-open", "c50-1cpu-open")
OPEN_P99_LIMIT_US = 100  # a circuit-open rejection, inside the proxy


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

    for scenario, factor, goal in (("c50-1cpu", 1.2, "at 50 connections on one CPU ≥ 1.2× HAProxy"),
                                   ("c200-2cpu", 1.0, "at 200 connections ≥ HAProxy's")):
        o, h = cells.get((scenario, "outrigger")), cells.get((scenario, "haproxy"))
        if o and h and med(o.per_cpu) and med(h.per_cpu):
            r = med(o.per_cpu) / med(h.per_cpu)
            lines.append(f"- Requests per proxy CPU-second {goal}: {fmt(med(o.per_cpu))} vs "
                         f"{fmt(med(h.per_cpu))}, **{r:.2f}×**, {verdict(r >= factor)}"
                         f"{overlap_note(o.per_cpu, h.per_cpu, factor)}.")
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
        lines.append(f"- Policies on within 5% of off (proxy CPU per request, the target's policies configured "
                     f"but none triggering, access log {log}, vs plain outrigger; 50 connections on one "
                     f"CPU): on/off **{r:.3f}×** ("
                     + (f"median of {len(pol)} paired rounds, "
                        f"{min(x['cpu_ratio'] for x in pol):.3f}–{max(x['cpu_ratio'] for x in pol):.3f}"
                        if len(pol) > 1 else "one round")
                     + f"), "
                     f"{verdict(r <= POLICY_CPU_LIMIT)}"
                     f"{policy_overlap_note(pol)}.")
    lines += open_breaker_goals(cells, verdict)
    lines += body_goal(cells, verdict)
    return lines, met, len(lines)


def open_breaker_goals(cells, verdict):
    """Circuit-open fast fail: cheaper than proxying, and quick inside the proxy."""
    lines = []
    pairs = paired_runs(cells, "c50-1cpu-open", "outrigger-open")
    if pairs:
        r = med([x["cpu_ratio"] for x in pairs])
        lo, hi = min(x["cpu_ratio"] for x in pairs), max(x["cpu_ratio"] for x in pairs)
        lines.append(f"- Circuit-open fast fail costs less CPU than a proxied request (50 connections "
                     f"on one CPU, paired rounds): CPU per request rejected/proxied **{r:.2f}×** "
                     f"({lo:.2f}–{hi:.2f}; the rejecting variant also writes the access log), "
                     f"{verdict(hi < 1)}.")
    p99s = {s: [fnum(r.get("log_p99_us")) for r in cells[s, "outrigger-open"].rows]
            for s in OPEN_SCENARIOS if (s, "outrigger-open") in cells}
    every = [x for xs in p99s.values() for x in xs if x is not None]
    if every:
        parts = [f"{s}: {fmt(med(xs))} µs" for s, xs in p99s.items() if med(xs) is not None]
        c1 = cells.get(("c1-1cpu-open", "outrigger-open"))
        wrk = f"; seen from wrk at 1 connection, round trip included: p99 {fmt(med(c1.p99))} µs" if c1 else ""
        lines.append(f"- Circuit-open p99 inside the proxy < {OPEN_P99_LIMIT_US} µs (the access log's "
                     f"`duration_ms` of the measured run's requests): " + ", ".join(parts)
                     + f" (worst run {fmt(max(every))} µs){wrk}, {verdict(max(every) < OPEN_P99_LIMIT_US)}.")
    return lines


def body_ratios(cells, target, scenario="c50-1cpu-64k"):
    """req/s of target over direct's, per round."""
    c, d = cells.get((scenario, target)), cells.get((scenario, "direct"))
    if not c or not d:
        return []
    direct = {r["run"]: fnum(r["rps"]) for r in d.rows}
    return [fnum(r["rps"]) / direct[r["run"]] for r in c.rows if direct.get(r["run"])]


def body_goal(cells, verdict):
    """64 KiB responses: throughput relative to direct no worse than HAProxy's."""
    mine, theirs = body_ratios(cells, "outrigger"), body_ratios(cells, "haproxy")
    if not mine or not theirs:
        return []
    n = body_ratios(cells, "nginx")
    return [f"- 64 KiB responses, throughput ÷ direct ≥ HAProxy's (50 connections on one CPU): "
            f"outrigger **{med(mine):.2f}**, HAProxy {med(theirs):.2f}"
            + (f", nginx {med(n):.2f}" if n else "")
            + f", {verdict(med(mine) >= med(theirs))}{overlap_note(mine, theirs)}."]


def measured_lines(cells):
    """Figures the issue asks to record without a target: 1 vs 2 workers, 1k idle + load."""
    lines = []
    pairs = paired_runs(cells, "c200-2cpu-workers", "outrigger-w2")
    if pairs:
        one, two = cells["c200-2cpu-workers", "outrigger"], cells["c200-2cpu-workers", "outrigger-w2"]
        lines.append(f"- 1 vs 2 workers (200 connections; the proxy may use both CPUs, wrk and the "
                     f"origin share CPU 0): req/s {fmt(med(one.rps))} vs {fmt(med(two.rps))} "
                     f"({med([x['rps_ratio'] for x in pairs]):.2f}×), req per proxy CPU-s "
                     f"{fmt(med(one.per_cpu))} vs {fmt(med(two.per_cpu))}, p99 {fmt(med(one.p99))} vs "
                     f"{fmt(med(two.p99))} µs, loaded RSS {med(one.loaded) / 1024:.1f} vs "
                     f"{med(two.loaded) / 1024:.1f} MiB.")
    for scenario in ("c50-1cpu", "c1-1cpu"):
        split = {t: cells.get((scenario, t)) for t in PROXIES}
        if all(c and med(c.user_share) is not None and med(c.per_cpu) for c in split.values()):
            lines.append(
                f"- Where the proxy's CPU goes ({scenario}, microseconds of proxy CPU per request, "
                "user space + kernel, from utime and stime): " + ", ".join(
                    f"{t} {1e6 / med(c.per_cpu) * med(c.user_share):.1f} + "
                    f"{1e6 / med(c.per_cpu) * (1 - med(c.user_share)):.1f}"
                    for t, c in split.items()) + ". The kernel's part (system calls, loopback TCP, "
                "wake-ups and context switches) is the larger one for every proxy.")
    idle = {t: cells.get(("c50-1cpu-idle1k", t)) for t in PROXIES}
    if all(idle.values()):
        held = [fnum(r.get("idle_held")) for c in idle.values() for r in c.rows]
        lines.append("- 1,000 idle keep-alive connections held open during a 50-connection run: RSS "
                     "right after the run " + ", ".join(
                         f"{t} {med(c.loaded) / 1024:.1f} MiB (peak {med(c.peak) / 1024:.1f})"
                         for t, c in idle.items())
                     + f"; idle connections answered before the run: {fmt(min(h for h in held if h is not None) if any(h is not None for h in held) else None)} at least.")
    return lines


def policy_pairs(cells):
    """Rounds of c50-1cpu-policies with both variants measured: on/off ratios per round."""
    return paired_runs(cells, POLICY_SCENARIO, "outrigger-policies")


def paired_runs(cells, scenario, variant):
    """Rounds of a paired scenario with plain outrigger (off) and the variant (on) both measured,
    with on/off ratios per round. cpu_ratio is proxy CPU per request, on over off."""
    off, on = cells.get((scenario, "outrigger")), cells.get((scenario, variant))
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
           "every round (off on, on off, ...). **on** configures the policies the target lists "
           "(retry, circuit breaker, bulkhead, rate limit, outlier detection) and an active health "
           "check on the upstream, with limits that `/hello` from one healthy origin never "
           "reaches, " + log_text + " The stale-copy fallback is not configured: the target does "
           "not list it, and it copies every good response (bench/README.md gives its cost).", ""]
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
