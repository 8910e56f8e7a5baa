// The status page's JavaScript (see status_page.cc for the HTML and CSS around it): the
// per-upstream statistics and the page's polling and rendering. The Prometheus text parser
// and quantile maths are in status_page_script_math.cc. Kept apart from the markup so each
// file holds one kind of thing.

#include "proxy/admin/status_page_scripts.h"

namespace outrigger::admin {

// From two polls to what each row shows.
const std::string_view kStatusPageScriptStats = R"html(<script>
"use strict";
// Upstream names, sorted so rows keep their place. The "" upstream (requests that matched no
// route) is not a row.
function upstreamNames(metrics) {
  const names = new Set();
  for (const family of ["outrigger_circuit_breaker_state", "outrigger_requests_total",
                        "outrigger_pool_connections", "outrigger_bulkhead_active"]) {
    for (const sample of metrics.get(family) || []) {
      if (sample.labels.upstream) names.add(sample.labels.upstream);
    }
  }
  return [...names].sort();
}

// Everything one row shows. `before` is the previous poll's metrics (null on the first poll),
// `seconds` the time between the two polls, `openRemainingMs` from /upstreams (or undefined).
// Rates need two polls; the 5xx share and p99 cover the last interval, or everything since
// the start on the first poll.
function upstreamStats(name, now, before, seconds, openRemainingMs) {
  const mine = (labels) => labels.upstream === name;
  const gauge = (family, match = () => true) => total(now, family, (l) => mine(l) && match(l));
  const counters = (family, match = () => true) => {
    const all = (l) => mine(l) && match(l);
    return [total(now, family, all), before ? total(before, family, all) : null];
  };
  const rate = ([current, earlier]) => ratePerSecond(current, earlier, seconds);

  const requests = counters("outrigger_requests_total");
  const serverErrors = counters("outrigger_requests_total", (l) => /^5/.test(l.code || ""));
  const requestsInWindow = increase(...requests);
  // gRPC calls answer HTTP 200 whatever went wrong: their error share is the non-OK statuses.
  const grpcCalls = increase(...counters("outrigger_grpc_responses_total"));
  const grpcErrors = increase(...counters("outrigger_grpc_responses_total", (l) => l.grpc_status !== "ok"));

  const state = (now.get("outrigger_circuit_breaker_state") || []).find((s) => mine(s.labels));
  const breaker = (state && kBreakerStates[state.value]) || "unknown";

  const replies = [];
  for (const sample of now.get("outrigger_local_replies_total") || []) {
    if (!mine(sample.labels) || sample.value === 0) continue;
    const reason = sample.labels.reason || "";
    replies.push({ reason, total: sample.value,
                   rate: rate(counters("outrigger_local_replies_total", (l) => l.reason === reason)) });
  }
  replies.sort((a, b) => (a.reason < b.reason ? -1 : 1));

  const buckets = latencyBuckets(now, name);
  const recent = before ? bucketIncrease(buckets, latencyBuckets(before, name)) : buckets;

  return {
    name,
    breaker,
    openRemainingMs: breaker === "open" ? openRemainingMs : undefined,
    requestRate: rate(requests),
    serverErrorShare: requestsInWindow > 0 ? increase(...serverErrors) / requestsInWindow : null,
    grpcErrorShare: grpcCalls > 0 ? grpcErrors / grpcCalls : null,
    p99: histogramQuantile(0.99, recent),
    retryRate: rate(counters("outrigger_retries_total")),
    bulkheadActive: gauge("outrigger_bulkhead_active"),
    bulkheadQueued: gauge("outrigger_bulkhead_queued"),
    poolActive: gauge("outrigger_pool_connections", (l) => l.state === "active"),
    poolIdle: gauge("outrigger_pool_connections", (l) => l.state === "idle"),
    poolConnecting: gauge("outrigger_pool_connections", (l) => l.state === "connecting"),
    tunnels: gauge("outrigger_tunnels_active"),  // websocket, connect and tcp
    endpoints: (now.get("outrigger_endpoint_healthy") || []).filter((s) => mine(s.labels)).length,
    endpointsHealthy: gauge("outrigger_endpoint_healthy"),
    endpointsEjected: gauge("outrigger_endpoint_ejected"),
    replies,
  };
}

function formatRate(perSecond) {
  if (perSecond === null) return "–";
  if (perSecond >= 1000) return (perSecond / 1000).toFixed(1) + "k/s";
  return (perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond).toString()) + "/s";
}

function formatShare(fraction) {
  if (fraction === null) return "–";
  const percent = fraction * 100;
  return (percent === 0 || percent >= 10 ? Math.round(percent) : percent.toFixed(1)) + "%";
}

function formatSeconds(seconds) {
  if (seconds === null) return "–";
  if (seconds < 0.001) return Math.round(seconds * 1e6) + " µs";
  if (seconds < 1) return (seconds < 0.01 ? (seconds * 1000).toFixed(1) : Math.round(seconds * 1000)) + " ms";
  return seconds.toFixed(2) + " s";
}

function formatBytes(bytes) {
  if (bytes >= 1 << 30) return (bytes / (1 << 30)).toFixed(2) + " GiB";
  return (bytes / (1 << 20)).toFixed(1) + " MiB";
}

function formatRemaining(ms) {
  const seconds = Math.ceil(ms / 1000);
  return seconds < 60 ? seconds + " s" : Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
}
</script>
)html";

// The DOM and the poll loop. Text from the metrics only ever reaches the page through
// textContent and dataset, never as markup.
const std::string_view kStatusPageScriptPage = R"html(<script>
"use strict";
const kColumns = ["name", "breaker", "requests", "errors", "p99", "retries", "bulkhead", "pool",
                  "endpoints", "replies"];
const kNumeric = new Set(["requests", "errors", "p99", "retries", "bulkhead", "pool", "endpoints"]);
const rows = new Map();  // upstream name -> {row, cells}; rows are updated in place
let polls = 0;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setCell(cell, text, sub, alert) {
  cell.replaceChildren(el("span", alert ? "alert" : "", text));
  if (sub) cell.append(el("span", "sub", sub));
}

function createRow(name) {
  const row = el("tr");
  row.dataset.upstream = name;
  const cells = {};
  for (const column of kColumns) {
    cells[column] = el("td", kNumeric.has(column) ? "num" : "");
    cells[column].dataset.stat = column;
    row.append(cells[column]);
  }
  cells.name.append(el("span", "name", name));
  return { row, cells };
}

function updateRow({ row, cells }, s) {
  row.className = "row-" + s.breaker;
  const badge = el("span", "breaker breaker-" + s.breaker, s.breaker);
  badge.dataset.breakerState = s.breaker;
  cells.breaker.replaceChildren(badge);
  if (s.openRemainingMs !== undefined) {
    cells.breaker.append(el("span", "sub", formatRemaining(s.openRemainingMs) + " left"));
  }
  setCell(cells.requests, formatRate(s.requestRate));
  setCell(cells.errors, formatShare(s.serverErrorShare),
          s.grpcErrorShare === null ? null : "gRPC errors " + formatShare(s.grpcErrorShare),
          s.serverErrorShare > 0 || s.grpcErrorShare > 0);
  setCell(cells.p99, formatSeconds(s.p99));
  cells.p99.title = s.p99 === null ? "no requests in the last interval" : "";
  setCell(cells.retries, formatRate(s.retryRate));
  setCell(cells.bulkhead, s.bulkheadActive + " / " + s.bulkheadQueued, null, s.bulkheadQueued > 0);
  const poolNotes = [];
  if (s.poolConnecting > 0) poolNotes.push(s.poolConnecting + " connecting");
  if (s.tunnels > 0) poolNotes.push(s.tunnels + (s.tunnels === 1 ? " tunnel" : " tunnels") + " open");
  setCell(cells.pool, s.poolActive + " / " + s.poolIdle, poolNotes.length ? poolNotes.join(", ") : null);
  setCell(cells.endpoints, s.endpointsHealthy + " / " + s.endpoints,
          s.endpointsEjected > 0 ? s.endpointsEjected + " ejected" : null,
          s.endpointsHealthy < s.endpoints);
  const list = el("ul", "replies");
  for (const reply of s.replies) {
    const item = el("li");
    item.dataset.reason = reply.reason;
    item.append(el("span", "reason", reply.reason), el("span", "num", formatRate(reply.rate)),
                el("span", "num muted", reply.total + " total"));
    list.append(item);
  }
  cells.replies.replaceChildren(s.replies.length ? list : el("span", "muted", "none"));
}

// Under the name: where its stale copies are kept, and its share of a fleet-wide rate limit.
function showUpstreamNotes({ cells }, staleStore, globalLimit) {
  const note = (className) =>
    cells.name.querySelector("." + className) || cells.name.appendChild(el("span", "sub " + className));
  note("stale-store").textContent = staleStore ? "stale copies: " + staleStore : "";
  const limit = note("global-limit");
  limit.textContent = globalLimit ? globalLimitText(globalLimit) : "";
  limit.classList.toggle("alert", Boolean(globalLimit && !globalLimit.store_ok));
}

function globalLimitText(g) {
  const fleet = "fleet of " + g.fleet_size;
  const share = g.store_ok ? "lease " + g.lease + ", " + g.tokens_left + " left" : "Redis unreachable, on_store_error applies";
  return "global limit " + formatRate(g.requests_per_second) + " · " + fleet + " · " + share;
}

// The Redis store under the table: its address, whether it is connected, and its last error.
function showStore(store) {
  const line = document.getElementById("store");
  line.hidden = !store;
  if (!store) return;
  document.getElementById("store-pulse").className = "pulse " + (store.connected ? "ok" : "error");
  const text = "Redis store " + store.address + ": " + (store.connected ? "connected" : "not connected") +
               (store.last_error ? " · last error: " + store.last_error : "");
  const span = document.getElementById("store-text");
  span.textContent = text;
  span.dataset.connected = String(store.connected);
}

// Shows one poll: `before` is the previous poll's metrics or null.
function render(now, before, seconds, info) {
  const build = (now.get("outrigger_build_info") || [])[0];
  document.getElementById("version").textContent =
    "version " + ((build && build.labels.version) || "unknown");
  const rss = (now.get("process_resident_memory_bytes") || [])[0];
  document.getElementById("rss").textContent = rss ? formatBytes(rss.value) : "–";
  const listeners = now.get("outrigger_downstream_connections") || [];
  const downstream = document.getElementById("downstream");
  downstream.textContent = String(total(now, "outrigger_downstream_connections", () => true));
  downstream.title = listeners.map((s) => s.labels.listener + ": " + s.value).join(", ");

  const tbody = document.getElementById("upstreams");
  const names = upstreamNames(now);
  for (const [name, entry] of rows) {
    if (!names.includes(name)) { entry.row.remove(); rows.delete(name); }  // gone after a reload
  }
  let totalRate = null;
  let open = 0;
  for (const name of names) {
    if (!rows.has(name)) rows.set(name, createRow(name));
    const stats = upstreamStats(name, now, before, seconds, info.openRemaining.get(name));
    updateRow(rows.get(name), stats);
    showUpstreamNotes(rows.get(name), info.staleStores.get(name), info.globalLimits.get(name));
    tbody.append(rows.get(name).row);  // moves an existing row: keeps the sorted order
    if (stats.requestRate !== null) totalRate = (totalRate || 0) + stats.requestRate;
    if (stats.breaker === "open") open++;
  }
  const placeholder = document.getElementById("placeholder");
  if (placeholder) placeholder.hidden = names.length > 0;
  if (placeholder && names.length === 0) placeholder.firstChild.textContent = "No upstreams configured.";
  document.getElementById("total-rate").textContent = formatRate(totalRate);
  const openCount = document.getElementById("open-count");
  openCount.textContent = String(open);
  openCount.className = "tile-value" + (open > 0 ? " alert" : "");
  showStore(info.store);
}

async function fetchWithTimeout(path) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), kFetchTimeoutMs);
  try {
    return await fetch(path, { cache: "no-store", signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

// What only /upstreams tells: open breakers' remaining time, where stale copies are kept and
// each global rate limit's share (by upstream name), and the Redis store. Optional: an
// outrigger without /upstreams (404) is not asked again, and a failure just leaves them out.
let upstreamsEndpoint = true;
async function fetchUpstreamsInfo() {
  const info = { openRemaining: new Map(), staleStores: new Map(), globalLimits: new Map(), store: null };
  if (!upstreamsEndpoint) return info;
  try {
    const response = await fetchWithTimeout("/upstreams");
    if (response.status === 404) upstreamsEndpoint = false;
    if (!response.ok) return info;
    const body = await response.json();
    if (body && body.store && typeof body.store.address === "string") info.store = body.store;
    for (const upstream of (body && body.upstreams) || []) {
      if (!upstream || typeof upstream.name !== "string") continue;
      const ms = upstream.circuit_breaker && upstream.circuit_breaker.open_remaining_ms;
      if (typeof ms === "number") info.openRemaining.set(upstream.name, ms);
      if (typeof upstream.stale_store === "string") info.staleStores.set(upstream.name, upstream.stale_store);
      const limit = upstream.rate_limit;
      if (limit && limit.scope === "global") info.globalLimits.set(upstream.name, limit);
    }
  } catch (error) {
    // ignored: see above
  }
  return info;
}

async function fetchMetrics() {
  const response = await fetchWithTimeout("/metrics");
  if (!response.ok) throw new Error("HTTP " + response.status);
  return parseMetrics(await response.text());
}

function showStatus(ok, text) {
  document.getElementById("pulse").className = "pulse " + (ok ? "ok" : "error");
  document.getElementById("status-text").textContent = text;
  document.getElementById("panel").classList.toggle("stale", !ok);
}

// Polls forever, one request at a time: the next poll is scheduled when this one ends, so a
// slow admin port never piles up requests. A failed poll keeps the last data on screen, dimmed.
let previous = null;  // {metrics, at} of the last successful poll
async function poll() {
  try {
    const [metrics, info] = await Promise.all([fetchMetrics(), fetchUpstreamsInfo()]);
    const at = performance.now();
    const seconds = previous ? (at - previous.at) / 1000 : 0;
    render(metrics, previous && previous.metrics, seconds, info);
    previous = { metrics, at };
    document.getElementById("main").dataset.polls = String(++polls);
    showStatus(true, "Updated " + new Date().toLocaleTimeString() + " · refreshes every " +
                     kPollMs / 1000 + " s");
  } catch (error) {
    showStatus(false, "Cannot read /metrics (" + (error.name === "AbortError" ? "timed out" :
                      error.message) + "); retrying every " + kPollMs / 1000 + " s");
  } finally {
    setTimeout(poll, kPollMs);
  }
}
poll();
</script>
</body>
</html>
)html";

}  // namespace outrigger::admin
