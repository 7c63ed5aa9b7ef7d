// The SRE dashboard served at `/`: one self-contained page (inline CSS and
// JS, no external assets; the handler's Content-Security-Policy enforces it).
// It polls /v1/tickets for the at-risk list (counts by plan and severity)
// and /metrics for breaches by plan and severity. Every value from the server
// is inserted with textContent, never innerHTML: ticket ids come from users.
#include "sla/http/handler.hpp"

namespace sla::http {

namespace {

constexpr std::string_view kDashboard = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sla-timer</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 16px; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0 12px 0 0; }
  header label { font-size: 13px; }
  header input, header select { margin-left: 4px; }
  main { padding: 16px; display: grid; gap: 16px; grid-template-columns: 1fr 1fr; }
  section { background: #fff; border-radius: 6px; padding: 12px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e6eb; white-space: nowrap; }
  th { font-weight: 600; color: #535b6b; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.overdue td { background: #fde8e8; }
  tr.soon td { background: #fff6dd; }
  #status { font-size: 12px; opacity: .8; }
  .tiles { display: flex; gap: 12px; }
  .tile { flex: 1; background: #eef1f6; border-radius: 6px; padding: 8px 12px; }
  .tile b { display: block; font-size: 24px; }
</style>
</head>
<body>
<header>
  <h1>sla-timer</h1>
  <label>at risk within
    <select id="within">
      <option>15m</option><option>30m</option><option selected>1h</option><option>4h</option><option>1d</option><option>7d</option>
    </select>
  </label>
  <label>limit <input id="limit" type="number" min="1" max="1000" value="200" style="width:5em"></label>
  <label>token <input id="token" type="password" placeholder="bearer token (if required)" size="24"></label>
  <span id="status">loading...</span>
</header>
<main>
  <section class="wide">
    <div class="tiles">
      <div class="tile"><span>at risk</span><b id="n-risk">-</b></div>
      <div class="tile"><span>overdue</span><b id="n-overdue">-</b></div>
      <div class="tile"><span>breaches (since start)</span><b id="n-breach">-</b></div>
      <div class="tile"><span>open tickets</span><b id="n-open">-</b></div>
    </div>
  </section>
  <section>
    <h2>At risk by plan and severity</h2>
    <table><thead><tr><th>plan</th><th>severity</th><th>at risk</th><th>overdue</th></tr></thead><tbody id="by-risk"></tbody></table>
  </section>
  <section>
    <h2>Breaches by plan and severity</h2>
    <table><thead><tr><th>plan</th><th>severity</th><th>breaches</th><th>escalations</th><th>pages</th></tr></thead><tbody id="by-breach"></tbody></table>
  </section>
  <section class="wide">
    <h2>At-risk tickets, soonest deadline first</h2>
    <table><thead><tr><th>ticket</th><th>metric</th><th>plan</th><th>severity</th><th>deadline (UTC)</th><th>remaining</th></tr></thead><tbody id="tickets"></tbody></table>
  </section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const tokenInput = $("token");
tokenInput.value = localStorage.getItem("sla-token") || "";
tokenInput.addEventListener("change", () => { localStorage.setItem("sla-token", tokenInput.value); refresh(); });
$("within").addEventListener("change", refresh);
$("limit").addEventListener("change", refresh);

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = String(text);
  if (cls) td.className = cls;
  row.appendChild(td);
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function human(ms) {
  const sign = ms < 0 ? "-" : "";
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400); s %= 86400;
  const h = Math.floor(s / 3600); s %= 3600;
  const m = Math.floor(s / 60); s %= 60;
  if (d) return sign + d + "d" + h + "h";
  if (h) return sign + h + "h" + m + "m";
  return sign + m + "m" + s + "s";
}

async function fetchJson(url) {
  const headers = {};
  if (tokenInput.value) headers["Authorization"] = "Bearer " + tokenInput.value;
  const res = await fetch(url, { headers, cache: "no-store" });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(url.split("?")[0] + ": " + res.status + " " + (body.error || res.statusText));
  return body;
}

// Prometheus text -> [{name, labels, value}], enough for our own families.
function parseMetrics(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line[0] === "#") continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    let l;
    while ((l = re.exec(m[3] || "")) !== null) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => c === "n" ? "\n" : c);
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

async function refreshRisk() {
  const within = encodeURIComponent($("within").value);
  const limit = encodeURIComponent($("limit").value || "200");
  const data = await fetchJson("/v1/tickets?at_risk_within=" + within + "&limit=" + limit);
  let overdue = 0;
  const rows = data.tickets.map((t) => {
    const tr = document.createElement("tr");
    if (t.overdue) { tr.className = "overdue"; overdue++; }
    else if (t.deadline_in_ms < 15 * 60 * 1000) tr.className = "soon";
    cell(tr, t.ticket_id); cell(tr, t.metric); cell(tr, t.plan); cell(tr, t.severity);
    cell(tr, t.deadline); cell(tr, human(t.deadline_in_ms), "num");
    return tr;
  });
  fill($("tickets"), rows);
  $("n-risk").textContent = data.count;
  $("n-overdue").textContent = overdue;
  fill($("by-risk"), data.by_plan_severity.map((g) => {
    const tr = document.createElement("tr");
    cell(tr, g.plan); cell(tr, g.severity); cell(tr, g.at_risk, "num"); cell(tr, g.overdue, "num");
    return tr;
  }));
}

async function refreshMetrics() {
  const res = await fetch("/metrics", { cache: "no-store" });
  if (!res.ok) throw new Error("/metrics: " + res.status);
  const samples = parseMetrics(await res.text());
  const groups = new Map();
  let breaches = 0;
  for (const s of samples) {
    if (s.name === "sla_open_tickets") $("n-open").textContent = s.value;
    if (s.name !== "sla_fired_total") continue;
    const key = s.labels.plan + "\u0000" + s.labels.severity;
    const g = groups.get(key) || { plan: s.labels.plan, severity: s.labels.severity, breached: 0, escalated: 0, page: 0 };
    if (s.labels.kind in g) g[s.labels.kind] += s.value;
    if (s.labels.kind === "breached") breaches += s.value;
    groups.set(key, g);
  }
  $("n-breach").textContent = breaches;
  const sorted = [...groups.values()].sort((a, b) => b.breached - a.breached || a.plan.localeCompare(b.plan));
  fill($("by-breach"), sorted.map((g) => {
    const tr = document.createElement("tr");
    cell(tr, g.plan); cell(tr, g.severity); cell(tr, g.breached, "num"); cell(tr, g.escalated, "num"); cell(tr, g.page, "num");
    return tr;
  }));
}

async function refresh() {
  const errors = [];
  await Promise.all([refreshRisk().catch((e) => errors.push(e.message)),
                     refreshMetrics().catch((e) => errors.push(e.message))]);
  $("status").textContent = errors.length ? errors.join("; ") : "updated " + new Date().toISOString().slice(11, 19) + " UTC";
}

refresh();
setInterval(refresh, 5000);
</script>
</body>
</html>
)html";

}  // namespace

std::string_view dashboard_html() noexcept { return kDashboard; }

}  // namespace sla::http
