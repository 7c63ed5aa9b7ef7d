// sla-timer dashboard: the script of every page (the page is named by
// <body data-page>). Values from the server are only ever inserted with
// textContent or as attribute values, never as HTML: ticket ids, tenants and
// names come from users.
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

// ---------------------------------------------------------------- helpers

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function cell(row, text, cls) {
  const td = el("td", text === null || text === undefined ? "-" : text, cls);
  row.appendChild(td);
  return td;
}

function linkCell(row, href, text) {
  const td = el("td");
  const a = el("a", text);
  a.href = href;
  td.appendChild(a);
  row.appendChild(td);
  return a;
}

function ticketHref(id) { return "/ticket?id=" + encodeURIComponent(id); }

function badge(text, kind) { return el("span", text, "badge" + (kind ? " " + kind : "")); }

function human(ms) {
  if (ms === null || ms === undefined) return "-";
  const sign = ms < 0 ? "-" : "";
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400); s %= 86400;
  const h = Math.floor(s / 3600); s %= 3600;
  const m = Math.floor(s / 60); s %= 60;
  if (d) return sign + d + "d" + h + "h";
  if (h) return sign + h + "h" + m + "m";
  return sign + m + "m" + s + "s";
}

function when(iso) { return iso ? iso.replace("T", " ").replace(/\.000Z$|Z$/, "") : "-"; }

function token() { return localStorage.getItem("sla-token") || ""; }

async function fetchJson(url) {
  const headers = {};
  if (token()) headers["Authorization"] = "Bearer " + token();
  const res = await fetch(url, { headers, cache: "no-store" });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = new Error(url.split("?")[0] + ": " + res.status + " " + (body.error || res.statusText));
    e.status = res.status;
    throw e;
  }
  return body;
}

function setStatus(errors) {
  const s = $("status");
  s.textContent = errors.length ? errors.join("; ") : "updated " + new Date().toISOString().slice(11, 19) + " UTC";
  s.className = errors.length ? "error" : "";
}

// Runs `fn` now and every `ms`, reporting its errors in the header.
function poll(fn, ms) {
  const run = async () => {
    try { await fn(); setStatus([]); } catch (e) { setStatus([e.message]); }
  };
  run();
  if (ms) setInterval(run, ms);
  return run;
}

function header() {
  for (const a of document.querySelectorAll("header nav a")) {
    if (a.dataset.page === document.body.dataset.page) a.className = "here";
  }
  const input = $("token");
  if (!input) return;
  input.value = token();
  input.addEventListener("change", () => { localStorage.setItem("sla-token", input.value); location.reload(); });
}

// ---------------------------------------------------------------- overview

const kFilters = ["tenant", "plan", "severity", "metric", "within", "limit", "window", "bucket"];

function filterQuery() {
  const q = new URLSearchParams();
  q.set("at_risk_within", $("within").value);
  q.set("limit", $("limit").value || "200");
  for (const f of ["tenant", "plan", "severity", "metric"]) {
    const v = $(f).value.trim();
    if (v) q.set(f, v);
  }
  return q;
}

function keepFiltersInUrl() {
  const q = new URLSearchParams();
  for (const f of kFilters) {
    const v = $(f).value.trim();
    if (v) q.set(f, v);
  }
  history.replaceState(null, "", "/" + (q.toString() ? "?" + q.toString() : ""));
}

async function loadPolicyChoices() {
  const policy = await fetchJson("/v1/policy").catch(() => null);
  if (!policy) return;
  const severities = new Set();
  for (const p of policy.plans) {
    $("plan").appendChild(el("option", p.name));
    for (const s of p.severities) severities.add(s);
  }
  for (const s of severities) $("severity").appendChild(el("option", s));
}

function riskRow(t) {
  const tr = el("tr");
  if (t.overdue) tr.className = "overdue";
  else if (t.deadline_in_ms < 15 * 60 * 1000) tr.className = "soon";
  linkCell(tr, ticketHref(t.ticket_id), t.ticket_id).className = "ticket-link";
  cell(tr, t.tenant_id); cell(tr, t.metric); cell(tr, t.plan); cell(tr, t.severity);
  cell(tr, when(t.deadline)); cell(tr, human(t.deadline_in_ms), "num");
  return tr;
}

async function refreshRisk() {
  const data = await fetchJson("/v1/tickets?" + filterQuery().toString());
  $("tickets").replaceChildren(...data.tickets.map(riskRow));
  $("n-risk").textContent = data.count;
  $("n-overdue").textContent = data.overdue;
  $("n-returned").textContent = data.returned + " of " + data.count + " shown";
  $("n-view").textContent = data.view && data.view.loaded ? data.view.tickets : "-";
  $("by-risk").replaceChildren(...data.by_plan_severity.map((g) => {
    const tr = el("tr");
    cell(tr, g.plan); cell(tr, g.severity); cell(tr, g.at_risk, "num"); cell(tr, g.overdue, "num");
    return tr;
  }));
}

// The outcome figures (% met, breaches, by plan and severity, the trend) are
// the compliance report of the sla.escalations log: cluster-wide, each clock
// counted once, in the period where it was met or breached.
const kSpanMs = { "1h": 3600000, "6h": 21600000, "1d": 86400000, "24h": 86400000, "7d": 604800000, "30d": 2592000000 };

// [from, to): whole buckets from the one holding now - window to the end of
// the one holding now, so the bars are clock hours or UTC days and the
// latest outcomes are in.
function reportHref(now) {
  const w = kSpanMs[$("window").value] || kSpanMs["24h"];
  const b = kSpanMs[$("bucket").value] || kSpanMs["1h"];
  const iso = (ms) => new Date(ms).toISOString().slice(0, 19) + "Z";
  const q = new URLSearchParams({ from: iso(Math.floor((now - w) / b) * b), to: iso((Math.floor(now / b) + 1) * b),
                                  bucket: $("bucket").value || "1h", group_by: "plan,severity" });
  for (const f of ["tenant", "plan", "severity", "metric"]) {
    const v = $(f).value.trim();
    if (v) q.set(f, v);
  }
  return "/v1/reports/compliance?" + q.toString();
}

function pctText(p) { return p === null || p === undefined ? "-" : p.toFixed(1) + "%"; }

function drawTrend(r) {
  const max = Math.max(1, ...r.trend.map((b) => b.breached));
  $("trend").replaceChildren(...r.trend.map((b) => {
    const d = el("div");
    d.style.height = (100 * b.breached / max).toFixed(1) + "%";
    d.dataset.from = b.from;
    d.dataset.met = b.met;
    d.dataset.breached = b.breached;
    d.title = when(b.from) + " UTC: " + b.breached + " breached, " + b.met + " met (" + pctText(b.pct_met) + " met)";
    return d;
  }));
  $("trend-note").textContent = "breaches per " + $("bucket").value + " from " + when(r.from) + " to " + when(r.to) +
    " UTC (peak " + Math.max(0, ...r.trend.map((b) => b.breached)) + "); hover a bar for its figures" +
    (r.complete ? "" : "; incomplete: more clocks than the report keeps");
}

function drawReport(r) {
  const t = r.totals;
  $("n-met").textContent = pctText(t.pct_met);
  $("n-met-detail").textContent = t.met + " met, " + t.breached + " breached";
  $("n-breach").textContent = t.breached;
  drawTrend(r);
  const sorted = [...r.groups].sort((a, b) => b.breached - a.breached || a.plan.localeCompare(b.plan) ||
                                              a.severity.localeCompare(b.severity));
  $("by-breach").replaceChildren(...sorted.map((g) => {
    const tr = el("tr");
    cell(tr, g.plan); cell(tr, g.severity); cell(tr, g.started, "num"); cell(tr, g.met, "num");
    cell(tr, g.breached, "num"); cell(tr, pctText(g.pct_met), "num");
    return tr;
  }));
}

// The report is computed anew at most once a minute, or when the filters or
// the period change. The daemon computes one report at a time and answers
// 503 while another runs: the next refresh (5 s) retries.
const report = { href: "", at: 0, pending: "", seq: 0 };

function noReport(message) {
  for (const id of ["n-met", "n-breach"]) $(id).textContent = "-";
  $("n-met-detail").textContent = "";
  $("trend").replaceChildren();
  $("by-breach").replaceChildren();
  $("trend-note").textContent = message;
}

async function refreshReport() {
  const href = reportHref(Date.now());
  if (href === report.pending || (href === report.href && Date.now() - report.at < 60000)) return;
  $("report-link").href = href;
  const seq = ++report.seq;
  report.pending = href;
  let r;
  try {
    r = await fetchJson(href);
  } catch (e) {
    if (seq !== report.seq) return;
    report.pending = "";
    if (e.status !== 404 && e.status !== 501) throw e;
    noReport("This daemon does not serve the compliance report (" + e.message + ").");
    Object.assign(report, { href, at: Date.now() });
    return;
  }
  if (seq !== report.seq) return;  // the filters changed meanwhile: a newer answer is coming
  Object.assign(report, { href, at: Date.now(), pending: "" });
  drawReport(r);
}

async function overview() {
  await loadPolicyChoices();
  for (const f of kFilters) if (params.get(f)) $(f).value = params.get(f);
  const refresh = poll(async () => {
    keepFiltersInUrl();
    const errors = [];
    await Promise.all([refreshRisk().catch((e) => errors.push(e.message)),
                       refreshReport().catch((e) => errors.push(e.message))]);
    if (errors.length) throw new Error(errors.join("; "));
  }, 5000);
  $("filters").addEventListener("change", refresh);
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); refresh(); });
}

// ---------------------------------------------------------------- ticket

function fact(dl, name, value) {
  dl.appendChild(el("dt", name));
  const dd = el("dd");
  if (value instanceof Node) dd.appendChild(value); else dd.textContent = value === null || value === undefined ? "-" : String(value);
  dl.appendChild(dd);
}

// A bar over the cycle's wall time: counted time (blue, red past the
// target), what was not counted (paused, outside hours: the grey rest), the
// deadline as a tick when it falls inside the span shown.
function timeline(c, wallMs, startIso) {
  const bar = el("div", null, "bar");
  const start = startIso ? Date.parse(startIso) : null;
  const deadline = c.deadline ? Date.parse(c.deadline) : null;
  const end = start !== null ? start + (wallMs || 0) : null;
  const span = Math.max(wallMs || 0, deadline && start ? deadline - start : 0, c.elapsed_ms || 0, 1);
  const counted = el("div", null, "counted");
  const within = c.target_ms ? Math.min(c.elapsed_ms, c.target_ms) : c.elapsed_ms;
  counted.style.width = (100 * within / span).toFixed(2) + "%";
  bar.appendChild(counted);
  if (c.target_ms && c.elapsed_ms > c.target_ms) {
    const over = el("div", null, "over");
    over.style.left = (100 * c.target_ms / span).toFixed(2) + "%";
    over.style.width = (100 * (c.elapsed_ms - c.target_ms) / span).toFixed(2) + "%";
    bar.appendChild(over);
  }
  if (deadline && start !== null) {
    const tick = el("div", null, "deadline");
    tick.style.left = Math.min(99.5, 100 * (deadline - start) / span).toFixed(2) + "%";
    tick.title = "deadline " + when(c.deadline);
    bar.appendChild(tick);
  }
  bar.title = "counted " + human(c.elapsed_ms) + " of " + human(wallMs) + " wall time" +
              (end ? " (" + when(startIso) + " to " + new Date(end).toISOString().slice(0, 19) + ")" : "");
  return bar;
}

// The cycle drawn from its stretches (counted, paused by status, outside
// hours, holiday, stopped until a reopen resumed it), counted time past the
// target in red, the deadline as a tick. Each piece carries its kind and times (data-*) and a tooltip.
const kStretchNames = { counted: "counted", status: "paused by status", outside_hours: "outside hours", holiday: "holiday",
                        stopped: "stopped until reopened" };

function stretchTitle(s) {
  return kStretchNames[s.kind] + (s.status ? " (" + s.status + ")" : "") + ": " + when(s.from) + " to " + when(s.to) + ", " + human(s.ms);
}

function stretchTimeline(c) {
  const bar = el("div", null, "bar stretches");
  const start = Date.parse(c.stretches[0].from);
  const end = Date.parse(c.stretches[c.stretches.length - 1].to);
  const deadline = c.deadline ? Date.parse(c.deadline) : null;
  const span = Math.max(end - start, deadline ? deadline - start : 0, 1);
  const pct = (ms) => (100 * ms / span).toFixed(3) + "%";
  // Counted time before the first stretch shown (they were truncated) is
  // unknown here: the red part is drawn only for a complete list.
  let counted = 0;
  const piece = (s, from, to, cls) => {
    const d = el("div", null, "seg " + cls);
    d.style.left = pct(from - start);
    d.style.width = pct(to - from);
    d.title = stretchTitle(s);
    d.dataset.kind = s.kind; d.dataset.from = s.from; d.dataset.to = s.to;
    if (s.status) d.dataset.status = s.status;
    bar.appendChild(d);
    return d;
  };
  for (const s of c.stretches) {
    const from = Date.parse(s.from), to = Date.parse(s.to);
    if (s.kind === "counted" && c.target_ms !== null && !c.stretches_truncated && counted + s.ms > c.target_ms) {
      // One stretch, two pieces: the second (past the target) is marked data-over.
      const split = from + Math.max(0, c.target_ms - counted);
      if (split > from) piece(s, from, split, "counted");
      const over = piece(s, split, to, "over");
      if (split > from) over.dataset.over = "1";
    } else {
      piece(s, from, to, s.kind);
    }
    if (s.kind === "counted") counted += s.ms;
  }
  if (deadline) {
    const tick = el("div", null, "deadline");
    tick.style.left = Math.min(99.5, 100 * (deadline - start) / span).toFixed(2) + "%";
    tick.title = "deadline " + when(c.deadline);
    bar.appendChild(tick);
  }
  return bar;
}

// The paused stretches of every clock's current cycle, newest first.
function pausedRows(clocks) {
  const rows = [];
  for (const c of clocks) {
    for (const s of c.stretches || []) {
      if (s.kind === "counted") continue;
      const tr = el("tr");
      tr.dataset.metric = c.metric;
      cell(tr, c.metric); cell(tr, c.cycle, "num");
      cell(tr, kStretchNames[s.kind], "reason");
      cell(tr, s.status || "-", "status");
      cell(tr, when(s.from), "from"); cell(tr, when(s.to), "to");
      cell(tr, human(s.ms), "num");
      rows.push([s.from, tr]);
    }
  }
  rows.sort((a, b) => (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0));
  return rows.map((r) => r[1]);
}

function stateBadge(state) {
  const kind = { breached: "bad", met: "good", paused: "warn", running: "", cancelled: "" }[state];
  return badge(state, kind);
}

function clockRow(c) {
  const tr = el("tr");
  tr.dataset.metric = c.metric;
  cell(tr, c.metric);
  cell(tr, c.cycle, "num");
  const st = el("td"); st.appendChild(stateBadge(c.state));
  if (c.pause_reason) st.appendChild(el("span", " " + c.pause_reason + (c.pause_status ? " (" + c.pause_status + ")" : ""), "muted"));
  tr.appendChild(st);
  cell(tr, when(c.started_at));
  cell(tr, human(c.elapsed_ms), "num counted");
  cell(tr, c.wall_ms === null ? "-" : human(c.wall_ms - c.elapsed_ms), "num");
  cell(tr, c.target_ms === null ? "open-ended" : human(c.target_ms), "num");
  cell(tr, when(c.deadline));
  cell(tr, c.remaining_ms === null ? "-" : human(c.remaining_ms), "num");
  const bar = el("td");
  bar.appendChild(c.stretches && c.stretches.length ? stretchTimeline(c) : timeline(c, c.wall_ms, c.started_at));
  if (c.stretches_truncated) bar.appendChild(el("div", "earlier part not listed", "muted"));
  tr.appendChild(bar);
  cell(tr, c.fired.length ? c.fired.join(", ") : "-", "wrap fired");
  return tr;
}

function historyRow(h) {
  const tr = el("tr");
  cell(tr, h.metric); cell(tr, h.cycle, "num"); cell(tr, h.outcome);
  cell(tr, when(h.started_at)); cell(tr, when(h.ended_at));
  cell(tr, human(h.elapsed_ms), "num"); cell(tr, human(h.wall_ms - h.elapsed_ms), "num");
  const bar = el("td"); bar.appendChild(timeline({ elapsed_ms: h.elapsed_ms, target_ms: null }, h.wall_ms, h.started_at)); tr.appendChild(bar);
  return tr;
}

function pageRow(p) {
  const tr = el("tr");
  const kind = { paging: "bad", exhausted: "bad", acknowledged: "good", pending: "warn" }[p.state];
  cell(tr, p.target); cell(tr, p.metric + " #" + p.cycle);
  const st = el("td"); st.appendChild(badge(p.state, kind)); tr.appendChild(st);
  cell(tr, p.pages_sent + " / " + p.pages_total, "num");
  const last = p.last_page;
  cell(tr, last ? last.responder : "-", "responder");
  cell(tr, last ? (last.rotation || "member") + " L" + last.level + " #" + last.attempt : "-");
  cell(tr, last ? when(last.at) : "-");
  cell(tr, last ? when(last.ack_deadline) : "-");
  cell(tr, when(p.next_page_at));
  cell(tr, p.acked ? (p.acked.by || "(not named)") : "-", "acked-by");
  cell(tr, p.acked ? when(p.acked.at) : "-", "acked-at");
  return tr;
}

async function ticket() {
  const id = params.get("id");
  if (!id) { setStatus(["no ticket id: open a ticket from the overview"]); return; }
  document.title = id + " - sla-timer";
  $("ticket-id").textContent = id;
  poll(async () => {
    let t;
    try {
      t = await fetchJson("/v1/tickets/" + encodeURIComponent(id));
    } catch (e) {
      if (e.status === 404) $("facts").replaceChildren(el("p", "No open ticket '" + id + "' in the view (unknown, or closed).", "error"));
      throw e;
    }
    const dl = el("dl", null, "facts");
    fact(dl, "tenant", t.tenant_id); fact(dl, "plan", t.plan); fact(dl, "severity", t.severity);
    fact(dl, "status", t.status + (t.resolved ? " (resolved)" : ""));
    fact(dl, "opened", when(t.opened_at)); fact(dl, "next due", when(t.next_due));
    fact(dl, "snapshot", when(t.snapshot_as_of)); fact(dl, "now", when(t.now));
    $("facts").replaceChildren(dl);
    $("clocks").replaceChildren(...t.clocks.map(clockRow));
    const paused = pausedRows(t.clocks);
    $("paused").replaceChildren(...paused);
    $("no-paused").hidden = paused.length > 0;
    $("history").replaceChildren(...t.history.map(historyRow));
    $("no-history").hidden = t.history.length > 0;
    $("pages").replaceChildren(...t.pages.map(pageRow));
    $("no-pages").hidden = t.pages.length > 0;
  }, 5000);
}

// ---------------------------------------------------------------- on call

function shiftText(s) { return s ? when(s.from) + " to " + when(s.until) : "-"; }

function rotationRow(r) {
  const tr = el("tr");
  tr.dataset.rotation = r.name;
  cell(tr, r.name);
  const cur = el("td", r.current.member, "current");
  if (r.current.overridden) { cur.appendChild(document.createTextNode(" ")); cur.appendChild(badge("override", "warn")); }
  tr.appendChild(cur);
  cell(tr, shiftText(r.current));
  cell(tr, r.next ? r.next.member : "-", "next");
  cell(tr, r.next ? when(r.next.from) : "-");
  cell(tr, r.shift + (r.handoff ? ", " + r.handoff : "") + " " + r.timezone);
  cell(tr, r.members.join(", "), "wrap");
  cell(tr, r.overrides.length
    ? r.overrides.map((o) => o.member + " " + o.from_local + " to " + o.to_local + (o.active ? " (now)" : "")).join("; ")
    : "-", "wrap");
  return tr;
}

function targetRow(t) {
  const tr = el("tr");
  cell(tr, t.name);
  cell(tr, t.levels.map((l, i) => "L" + i + " " + l.responder + " (" + (l.rotation || "member") + ", ack " + l.ack_timeout + ")").join(" then "), "wrap");
  cell(tr, t.repeat, "num");
  return tr;
}

async function oncall() {
  if (params.get("at")) $("at").value = params.get("at");
  const refresh = poll(async () => {
    const at = $("at").value.trim();
    const data = await fetchJson("/v1/oncall" + (at ? "?at=" + encodeURIComponent(at) : ""));
    $("oncall-at").textContent = when(data.at) + " UTC";
    $("rotations").replaceChildren(...data.rotations.map(rotationRow));
    $("targets").replaceChildren(...data.targets.map(targetRow));
  }, 30000);
  $("at-form").addEventListener("submit", (e) => { e.preventDefault(); refresh(); });
}

// ---------------------------------------------------------------- unacknowledged pages

function unackedRow(p) {
  const tr = el("tr");
  if (p.ack_overdue) tr.className = "overdue";
  linkCell(tr, ticketHref(p.ticket_id), p.ticket_id).className = "ticket-link";
  cell(tr, p.tenant_id); cell(tr, p.plan + " / " + p.severity); cell(tr, p.metric);
  cell(tr, p.target);
  cell(tr, p.responder, "responder");
  cell(tr, (p.rotation || "member") + " L" + p.level + " #" + p.attempt);
  cell(tr, when(p.paged_at)); cell(tr, human(p.waiting_ms), "num");
  cell(tr, when(p.ack_deadline));
  const st = el("td"); st.appendChild(badge(p.state, "bad")); tr.appendChild(st);
  cell(tr, p.page_id, "muted");
  return tr;
}

async function pages() {
  if (params.get("tenant")) $("tenant").value = params.get("tenant");
  const refresh = poll(async () => {
    const q = new URLSearchParams({ state: "unacked", limit: "500" });
    if ($("tenant").value.trim()) q.set("tenant", $("tenant").value.trim());
    const data = await fetchJson("/v1/pages?" + q.toString());
    $("n-unacked").textContent = data.count;
    $("n-ack-overdue").textContent = data.pages.filter((p) => p.ack_overdue).length;
    $("unacked").replaceChildren(...data.pages.map(unackedRow));
    $("none").hidden = data.pages.length > 0;
  }, 5000);
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); refresh(); });
  $("filters").addEventListener("change", refresh);
}

// ---------------------------------------------------------------- compliance

function figure(times, which) {
  if (!times) return "-";
  if (times[which + "_over_target"]) return "over target";
  return times[which + "_ms"] === null ? "-" : human(times[which + "_ms"]);
}

function groupRow(g) {
  const tr = el("tr");
  for (const k of ["metric", "plan", "severity", "tenant"]) cell(tr, g[k] || "all");
  cell(tr, g.started, "num"); cell(tr, g.met, "num"); cell(tr, g.breached, "num");
  cell(tr, g.pct_met === null ? "-" : g.pct_met.toFixed(1) + "%", "num");
  cell(tr, figure(g.business, "median"), "num"); cell(tr, figure(g.business, "p90"), "num");
  cell(tr, figure(g.wall, "median"), "num"); cell(tr, figure(g.wall, "p90"), "num");
  return tr;
}

function breachRow(b) {
  const tr = el("tr");
  linkCell(tr, ticketHref(b.ticket_id), b.ticket_id).className = "ticket-link";
  cell(tr, b.tenant); cell(tr, b.metric); cell(tr, b.cycle, "num");
  cell(tr, when(b.deadline)); cell(tr, when(b.breached_at));
  return tr;
}

async function loadReport(url) {
  let r;
  try {
    r = await fetchJson(url);
  } catch (e) {
    $("report-state").textContent = e.status === 404 || e.status === 501
      ? "This daemon does not serve the compliance report (" + e.message + "): use slactl report."
      : e.message;
    return;
  }
  const t = r.totals;
  $("r-pct").textContent = t.pct_met === null ? "-" : t.pct_met.toFixed(1) + "%";
  $("r-counts").textContent = t.met + " met, " + t.breached + " breached";
  $("r-started").textContent = t.started;
  $("r-median").textContent = figure(t.business, "median");
  $("r-p90").textContent = "p90 " + figure(t.business, "p90");
  $("groups").replaceChildren(...r.groups.map(groupRow));
  $("breaches").replaceChildren(...r.groups.flatMap((g) => g.breaches).map(breachRow));
  $("report-state").textContent = "from " + when(r.from) + " to " + when(r.to) + " UTC, from " + r.source +
    (r.complete ? "" : " (incomplete: more clocks than the report keeps)");
}

// The period defaults to the last 30 days; the link follows the form.
async function compliance() {
  const now = new Date();
  const from = new Date(now.getTime() - 30 * 86400000);
  const iso = (d) => d.toISOString().slice(0, 19) + "Z";
  $("from").value = params.get("from") || iso(from);
  $("to").value = params.get("to") || iso(now);
  if (params.get("tenant")) $("tenant").value = params.get("tenant");
  const update = () => {
    const q = new URLSearchParams({ from: $("from").value.trim(), to: $("to").value.trim() });
    if ($("tenant").value.trim()) q.set("tenant", $("tenant").value.trim());
    const href = "/v1/reports/compliance?" + q.toString();
    $("report-link").href = href;
    $("report-link").textContent = href;
  };
  update();
  $("report-form").addEventListener("input", update);
  $("report-form").addEventListener("change", () => loadReport($("report-link").getAttribute("href")));
  $("report-form").addEventListener("submit", (e) => { e.preventDefault(); loadReport($("report-link").getAttribute("href")); });
  await loadReport($("report-link").getAttribute("href"));
  setStatus([]);
}

// ---------------------------------------------------------------- start

const kPages = { overview, ticket, oncall, pages, compliance };
header();
(kPages[document.body.dataset.page] || (() => {}))();
