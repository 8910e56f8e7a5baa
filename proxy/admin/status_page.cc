#include "proxy/admin/status_page.h"

#include "proxy/admin/status_page_scripts.h"

#include <string>

namespace outrigger::admin {
namespace {

// The page is plain HTML, CSS and JS kept in raw strings (no build step, nothing to fetch).
// The browser enforces self-containment too: the CSP allows inline style and script and
// same-origin fetch() only.
constexpr std::string_view kHead = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; connect-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<link rel="icon" href="data:,">
<title>outrigger status</title>
)html";

constexpr std::string_view kStyle = R"html(<style>
:root {
  --bg: #f5f6f8; --panel: #ffffff; --text: #1c2230; --muted: #6b7383; --line: #e3e6eb;
  --head: #fafbfc; --accent: #2d5be3;
  --ok: #11774f; --ok-bg: #e2f4ea; --bad: #c0262d; --bad-bg: #fde8e8;
  --warn: #a15c00; --warn-bg: #fff1d6;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #101318; --panel: #181c23; --text: #e5e8ec; --muted: #939bab; --line: #2a303a;
    --head: #1c212a; --accent: #86a2ff;
    --ok: #48d597; --ok-bg: #12352a; --bad: #ff7070; --bad-bg: #3d1719;
    --warn: #ffb84d; --warn-bg: #3b2a10;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
.mono, .version, .reason { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
.topbar {
  display: flex; align-items: center; gap: 12px; padding: 12px 24px;
  background: var(--panel); border-bottom: 1px solid var(--line);
}
.brand { font-size: 18px; font-weight: 700; letter-spacing: 0.01em; }
.version {
  font-size: 12px; color: var(--muted); padding: 1px 8px;
  border: 1px solid var(--line); border-radius: 999px;
}
.topbar nav { margin-left: auto; display: flex; gap: 18px; }
.topbar nav a { color: var(--accent); text-decoration: none; }
.topbar nav a:hover { text-decoration: underline; }
main { max-width: 1440px; margin: 0 auto; padding: 20px 24px; }
.summary { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; margin-bottom: 16px; }
.tile { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; }
.tile-label { color: var(--muted); font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em; }
.tile-value { margin-top: 2px; font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; overflow-x: auto; }
table { width: 100%; border-collapse: collapse; }
th {
  text-align: left; vertical-align: bottom; padding: 10px 12px; background: var(--head);
  border-bottom: 1px solid var(--line); color: var(--muted); font-size: 12px; font-weight: 600; white-space: nowrap;
}
td { padding: 10px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
tbody tr:last-child td { border-bottom: 0; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.sub { display: block; color: var(--muted); font-size: 12px; font-weight: 400; }
.name { font-weight: 600; overflow-wrap: anywhere; }
.breaker {
  display: inline-flex; align-items: center; gap: 6px; padding: 2px 10px;
  border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap;
}
.breaker::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: currentColor; }
.breaker-closed { color: var(--ok); background: var(--ok-bg); }
.breaker-open { color: var(--bad); background: var(--bad-bg); }
.breaker-half-open { color: var(--warn); background: var(--warn-bg); }
.breaker-unknown { color: var(--muted); background: var(--head); }
tr.row-open td:first-child { box-shadow: inset 3px 0 0 var(--bad); }
tr.row-half-open td:first-child { box-shadow: inset 3px 0 0 var(--warn); }
.alert { color: var(--bad); }
.muted { color: var(--muted); }
/* One grid for all reasons, so their rates and totals line up in columns. */
.replies { display: grid; grid-template-columns: 1fr auto auto; column-gap: 12px; align-items: baseline; list-style: none; margin: 0; padding: 0; white-space: nowrap; }
.replies li { display: contents; }
.reason { font-size: 12px; }
.status { display: flex; align-items: center; gap: 8px; margin: 12px 2px; color: var(--muted); font-size: 12px; }
.pulse { width: 8px; height: 8px; border-radius: 50%; background: var(--muted); }
.pulse.ok { background: var(--ok); }
.pulse.error { background: var(--bad); }
.stale tbody { opacity: 0.5; }
</style>
</head>
)html";

constexpr std::string_view kBody = R"html(<body>
<header class="topbar">
  <span class="brand">outrigger</span>
  <span class="version" id="version">version –</span>
  <nav>
    <a href="/help">help</a>
    <a href="/metrics">metrics</a>
    <a href="/upstreams">upstreams</a>
    <a href="/config">config</a>
  </nav>
</header>
<main id="main" data-polls="0">
  <section class="summary">
    <div class="tile"><div class="tile-label">Resident memory</div><div class="tile-value" id="rss">–</div></div>
    <div class="tile"><div class="tile-label">Downstream connections</div><div class="tile-value" id="downstream">–</div></div>
    <div class="tile"><div class="tile-label">Requests</div><div class="tile-value" id="total-rate">–</div></div>
    <div class="tile"><div class="tile-label">Breakers open</div><div class="tile-value" id="open-count">–</div></div>
  </section>
  <div class="panel" id="panel">
    <table>
      <thead>
        <tr>
          <th>Upstream</th>
          <th>Circuit breaker</th>
          <th class="num">Requests</th>
          <th class="num">5xx share</th>
          <th class="num">p99 latency</th>
          <th class="num">Retries</th>
          <th class="num">Bulkhead<span class="sub">active / queued</span></th>
          <th class="num">Pool<span class="sub">active / idle</span></th>
          <th class="num">Endpoints<span class="sub">healthy / total</span></th>
          <th>Local replies<span class="sub">by reason</span></th>
        </tr>
      </thead>
      <tbody id="upstreams">
        <tr id="placeholder"><td colspan="10" class="muted">Loading /metrics…</td></tr>
      </tbody>
    </table>
  </div>
  <p class="status" id="store" hidden><span class="pulse" id="store-pulse"></span><span id="store-text"></span></p>
  <p class="status"><span class="pulse" id="pulse"></span><span id="status-text">Waiting for the first poll…</span></p>
  <noscript><p>This page needs JavaScript. The raw data is at <a href="/metrics">/metrics</a>.</p></noscript>
</main>
)html";

}  // namespace

std::string_view statusPageHtml() {
  static const std::string page =
      std::string(kHead) + std::string(kStyle) + std::string(kBody) +
      std::string(kStatusPageScriptMath) + std::string(kStatusPageScriptStats) +
      std::string(kStatusPageScriptPage);
  return page;
}

}  // namespace outrigger::admin
