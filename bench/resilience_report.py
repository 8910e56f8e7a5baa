#!/usr/bin/env python3
"""Judge bench/resilience.sh's runs against the thresholds and write bench/resilience.md.

Usage: resilience_report.py --csv out/resilience.csv --md resilience.md
                            [--spike-seconds 6] [--chaos-path /chaos?...]

Exit status: 0 when outrigger met every threshold, 4 when it broke one (printed on stderr).
Peers are measured under the same thresholds for comparison; they do not change the exit status.
"""
import argparse
import csv
import datetime
import sys

# Thresholds. Spike: nothing fails, the tail stays bounded and throughput does not collapse.
SPIKE_MAX_ERROR_RATE = 0.001      # failed requests over all requests, spike and base phases
SPIKE_MAX_P99_US = 250_000        # p99 of the 490 new connections
SPIKE_MIN_THROUGHPUT = 0.7        # req/s during the spike over req/s before it
# Chaos: retries hide the origin's failures without making the tail much slower.
CHAOS_MIN_SUCCESS = 0.99          # 2xx answers over all requests the app made
CHAOS_MAX_P99_FACTOR = 3.0        # p99 under chaos over p99 without it, same target
JUDGED = {"spike": "outrigger", "chaos": "outrigger-retry"}


def load(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    runs = {}
    for r in rows:
        for k in ("requests", "err_socket", "err_status", "conns"):
            r[k] = int(r[k])
        for k in ("rps", "p50_us", "p95_us", "p99_us", "max_us", "duration_s"):
            r[k] = float(r[k])
        runs.setdefault((r["scenario"], r["target"]), {})[r["phase"]] = r
    return runs


def attempted(r):
    """Requests the app made: answered ones plus those lost to a socket error or timeout."""
    return r["requests"] + r["err_socket"]


def failed(r):
    return r["err_status"] + r["err_socket"]


def ms(us):
    return f"{us / 1000:,.1f}"


def pct(x):
    return f"{100 * x:.2f}%"


def check(ok, text):
    return ok, ("PASS" if ok else "FAIL") + ": " + text


def judge_spike(p):
    calm, spike, base = p["calm"], p["spike"], p["base"]
    total = attempted(spike) + attempted(base)
    err = (failed(spike) + failed(base)) / total if total else 1.0
    tput = spike["rps"] / calm["rps"] if calm["rps"] else 0.0
    return [
        check(err <= SPIKE_MAX_ERROR_RATE,
              f"error rate {pct(err)} (≤ {pct(SPIKE_MAX_ERROR_RATE)})"),
        check(spike["p99_us"] <= SPIKE_MAX_P99_US,
              f"p99 of the 490 new connections {ms(spike['p99_us'])} ms (≤ {ms(SPIKE_MAX_P99_US)} ms)"),
        check(tput >= SPIKE_MIN_THROUGHPUT,
              f"throughput during the spike {tput:.2f}× the calm one (≥ {SPIKE_MIN_THROUGHPUT}×)"),
    ]


def judge_chaos(p):
    calm, chaos = p["calm"], p["chaos"]
    total = attempted(chaos)
    success = (chaos["requests"] - chaos["err_status"]) / total if total else 0.0
    factor = chaos["p99_us"] / calm["p99_us"] if calm["p99_us"] else float("inf")
    return [
        check(success >= CHAOS_MIN_SUCCESS,
              f"success {pct(success)} (≥ {pct(CHAOS_MIN_SUCCESS)})"),
        check(factor <= CHAOS_MAX_P99_FACTOR,
              f"p99 {ms(chaos['p99_us'])} ms = {factor:.2f}× the calm p99 of {ms(calm['p99_us'])} ms "
              f"(≤ {CHAOS_MAX_P99_FACTOR:.0f}×)"),
    ]


def phase_rows(runs, scenario):
    out = ["| target | phase | connections | req/s | p50 ms | p95 ms | p99 ms | max ms "
           "| socket errors | non-2xx | error rate | retries (budget exhausted) |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for (s, t), phases in runs.items():
        if s != scenario:
            continue
        for ph, r in phases.items():
            tot = attempted(r)
            retries = f"{r['retries']} ({r['budget_exhausted']})" if r.get("retries") else "–"
            out.append(f"| {'**' + t + '**' if t.startswith('outrigger') else t} | {ph} | {r['conns']} "
                       f"| {r['rps']:,.0f} | {ms(r['p50_us'])} | {ms(r['p95_us'])} | {ms(r['p99_us'])} "
                       f"| {ms(r['max_us'])} | {r['err_socket']} | {r['err_status']} "
                       f"| {pct(failed(r) / tot) if tot else '–'} | {retries} |")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--spike-seconds", default="6")
    ap.add_argument("--chaos-path", default="/chaos?fail=20&reset=5")
    a = ap.parse_args()
    runs = load(a.csv)
    judges = {"spike": judge_spike, "chaos": judge_chaos}
    verdicts, broken = {}, []
    for (s, t), phases in runs.items():
        try:
            verdicts[s, t] = judges[s](phases)
        except KeyError:  # a phase is missing: the run did not finish
            verdicts[s, t] = [(False, "FAIL: not every phase was measured")]
        if JUDGED.get(s) == t:
            broken += [f"{s}/{t}: {text}" for ok, text in verdicts[s, t] if not ok]

    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    L = ["## Resilience under load: spike and chaos", "",
         f"`bench/resilience.sh` ({when}; `bench/run.sh` runs it after its scenarios). The proxy "
         "has CPU 1; wrk and mock-upstream share CPU 0. `wrk -t1 --timeout 2s`. A non-2xx answer, "
         "a socket error and a timeout all count as a failed request. Outrigger is judged "
         "(`bench/resilience.sh` exits 4 when it breaks a threshold); the peers run the same load "
         "for comparison.", "",
         "The calm row of each target is the run with the median p99 of three calm runs: one "
         "run's p99 swings several-fold on this machine, and the chaos threshold divides by it.",
         "",
         f"**Spike.** `GET /hello` with 10 connections, three runs of 3 s (calm); then 10 connections "
         f"(base) for {int(a.spike_seconds) + 4} s, with 490 more opened at once after 2 s and "
         f"kept for {a.spike_seconds} s (spike). Thresholds: error rate ≤ "
         f"{pct(SPIKE_MAX_ERROR_RATE)}, p99 of the spike ≤ {ms(SPIKE_MAX_P99_US)} ms, "
         f"throughput during the spike ≥ {SPIKE_MIN_THROUGHPUT}× calm.", ""]
    L += phase_rows(runs, "spike") + [""]
    L += [f"**Chaos.** 50 connections; calm is `GET /hello`, three runs of 3 s, chaos is `GET {a.chaos_path}`: "
          "mock-upstream answers 20% of calls with 503 and resets the connection on 5%. Outrigger "
          "as `outrigger-retry` (up to 4 tries on reset/502/503/504, no backoff: "
          "`backoff.initial: 0s`, as HAProxy retries; budget 50%); HAProxy as `haproxy-retry` (`retries 3`, `retry-on conn-failure "
          "empty-response response-timeout 502 503 504`); direct shows what the app would see "
          f"alone. Thresholds: success ≥ {pct(CHAOS_MIN_SUCCESS)}, p99 ≤ "
          f"{CHAOS_MAX_P99_FACTOR:.0f}× the same target's calm p99.", ""]
    L += phase_rows(runs, "chaos") + [""]
    L += ["Verdicts:", ""]
    for (s, t), vs in verdicts.items():
        judged = "" if JUDGED.get(s) == t else " (for comparison)"
        L.append(f"- {s} / {t}{judged}: " + "; ".join(text for _, text in vs) + ".")
    L.append("")
    with open(a.md, "w") as f:
        f.write("\n".join(L))
    for (s, t), vs in verdicts.items():
        for _, text in vs:
            print(f"resilience {s}/{t}: {text}", file=sys.stderr)
    if broken:
        print("resilience.sh: THRESHOLD BROKEN: " + "; ".join(broken), file=sys.stderr)
        return 4
    if not any(JUDGED.get(s) == t for s, t in verdicts):
        print("resilience.sh: outrigger was not measured", file=sys.stderr)
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main())
