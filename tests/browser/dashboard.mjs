// The dashboard pages in Debian's chromium, against a daemon fed events.py's
// stream (run.sh starts both): what the pages show equals what the API
// answers, and the API answers what the stream implies. Prints
// "N passed, M failed" and exits non-zero on any failure.
//   SLA_BASE=http://127.0.0.1:PORT [SLA_SHOTS=dir] node dashboard.mjs .../playwright-core/index.mjs
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const { chromium } = await import(process.argv[2]);
const base = process.env.SLA_BASE;
const shots = process.env.SLA_SHOTS || "";
if (shots) mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
const problems = [];  // console errors (CSP violations among them) and uncaught exceptions
let reportServed = true;  // false: the daemon has no report API, and its 404 is the one expected error
page.on("console", (m) => {
  if (m.type() !== "error") return;
  const url = m.location().url || "";
  if (!reportServed && url.includes("/v1/reports/compliance")) return;
  // The daemon computes one report at a time and answers 503 to another
  // (documented; the overview retries at its next refresh): the test's own
  // report requests can meet the page's.
  if (url.includes("/v1/reports/compliance") && / 503 /.test(m.text())) return;
  problems.push(m.text() + " " + (m.location().url || ""));
});
page.on("pageerror", (e) => problems.push(String(e)));

async function api(path) {
  const res = await fetch(base + path);
  assert.equal(res.status, 200, path);
  return res.json();
}

// Waits (bounded) until `fn` stops throwing; rethrows the last failure.
async function eventually(fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    try { return await fn(); } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

// A compliance report as the API gives it; 503 (another report being
// computed, such as the page's) is retried, bounded.
async function report(path) {
  return eventually(async () => {
    const res = await fetch(base + path);
    assert.equal(res.status, 200, path);
    return res.json();
  });
}

const text = (sel) => page.locator(sel).first().innerText();
const column = (tbody, n) => page.locator(`#${tbody} tr td:nth-child(${n})`).allInnerTexts();

async function shot(name) {
  if (shots) await page.screenshot({ path: join(shots, name + ".png"), fullPage: true });
}

let passed = 0, failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log("ok - " + name);
  } catch (e) {
    failed++;
    console.log("not ok - " + name + "\n" + String(e.stack || e).split("\n").slice(0, 8).join("\n"));
  }
}

await check("overview: tiles and rows equal the API's true totals", async () => {
  const risk = await api("/v1/tickets?at_risk_within=1h&limit=200");
  // The stream: B-1, B-4 and B-8 overdue; B-2 and B-3 due in 30 minutes.
  assert.equal(risk.count, 5);
  assert.equal(risk.overdue, 3);
  await page.goto(base + "/");
  await eventually(async () => assert.equal(await text("#n-risk"), String(risk.count)));
  assert.equal(await text("#n-overdue"), String(risk.overdue));
  assert.deepEqual(await column("tickets", 1), risk.tickets.map((t) => t.ticket_id));
  assert.deepEqual(await column("tickets", 2), risk.tickets.map((t) => t.tenant_id));
  const byRisk = await column("by-risk", 3);
  assert.deepEqual(byRisk.map(Number), risk.by_plan_severity.map((g) => g.at_risk));
  await eventually(async () => assert.notEqual(await text("#n-met"), "-"));
  await shot("overview");
});

await check("overview: a filter narrows the list, and the URL keeps it", async () => {
  await page.selectOption("#plan", "silver");
  const silver = await api("/v1/tickets?at_risk_within=1h&limit=200&plan=silver");
  assert.deepEqual(silver.tickets.map((t) => t.ticket_id), ["B-4"]);
  await eventually(async () => assert.deepEqual(await column("tickets", 1), ["B-4"]));
  assert.equal(await text("#n-risk"), "1");
  await page.selectOption("#plan", "");
  await page.fill("#tenant", "acme");
  await page.press("#tenant", "Enter");
  const acme = await api("/v1/tickets?at_risk_within=1h&limit=200&tenant=acme");
  assert.deepEqual(acme.tickets.map((t) => t.ticket_id).sort(), ["B-1", "B-2"]);
  await eventually(async () => assert.deepEqual((await column("tickets", 1)).sort(), ["B-1", "B-2"]));
  assert.equal(await text("#n-risk"), String(acme.count));
  assert.match(page.url(), /[?&]tenant=acme/);
  await page.goto(base + "/?within=1d&severity=P2");  // filters from the URL
  const p2 = await api("/v1/tickets?at_risk_within=1d&limit=200&severity=P2");
  await eventually(async () => assert.deepEqual(await column("tickets", 1), p2.tickets.map((t) => t.ticket_id)));
  assert.deepEqual(p2.tickets.map((t) => t.ticket_id).sort(), ["B-3", "B-5", "B-7"]);
});

// The report the overview asked for (its link), and what the page shows of
// it: % met, breaches, the rows by plan and severity, the trend's bars.
async function overviewReport() {
  const href = await page.getAttribute("#report-link", "href");
  assert.match(href, /^\/v1\/reports\/compliance\?/);
  return { q: new URL(href, base).searchParams, r: await report(href) };
}

async function assertShows(r) {
  const pct = (p) => (p === null ? "-" : p.toFixed(1) + "%");
  assert.equal(await text("#n-met"), pct(r.totals.pct_met));
  assert.equal(await text("#n-met-detail"), `${r.totals.met} met, ${r.totals.breached} breached`);
  assert.equal(await text("#n-breach"), String(r.totals.breached));
  const bars = await page.locator("#trend div").evaluateAll((ds) => ds.map((d) => (
    { from: d.dataset.from, met: Number(d.dataset.met), breached: Number(d.dataset.breached) })));
  assert.deepEqual(bars, r.trend.map((b) => ({ from: b.from, met: b.met, breached: b.breached })));
  const rows = await page.locator("#by-breach tr").evaluateAll((trs) => trs.map((tr) =>
    [...tr.children].map((td) => td.textContent).join("|")));
  assert.deepEqual(rows.sort(), r.groups.map((g) =>
    [g.plan, g.severity, g.started, g.met, g.breached, pct(g.pct_met)].join("|")).sort());
}

// The stream decides four response clocks, all in the last 24 h: B-6 met
// (acme gold/P1); B-1 (acme gold/P1), B-4 (initech silver/P1) and B-8
// (globex gold/P1) breached.
await check("overview: % met, outcomes and trend are the compliance report's, cluster-wide", async () => {
  // First the daemon's report holds the four outcomes (its reader of
  // sla.escalations may trail the engine), then the page asks for its own.
  const day = new URLSearchParams({ from: new Date(Date.now() - 2 * 86400000).toISOString().slice(0, 19) + "Z",
                                    to: new Date(Date.now() + 3600000).toISOString().slice(0, 19) + "Z" });
  await eventually(async () => {
    const r = await report("/v1/reports/compliance?" + day.toString());
    assert.deepEqual([r.totals.met, r.totals.breached], [1, 3], JSON.stringify(r.totals));
  }, 30000);
  await page.goto(base + "/");
  const all = await eventually(async () => {
    const { q, r } = await overviewReport();
    assert.deepEqual([r.totals.met, r.totals.breached], [1, 3], JSON.stringify(r.totals));
    return { q, r };
  }, 30000);
  assert.equal(all.q.get("bucket"), "1h");
  const span = Date.parse(all.q.get("to")) - Date.parse(all.q.get("from"));
  assert.equal(span, 25 * 3600000);  // the last 24 h in whole hours, the current one included
  assert.equal(all.r.trend.length, 25);
  assert.equal(all.r.totals.pct_met, 25);
  assert.deepEqual([all.r.trend.reduce((n, b) => n + b.met, 0), all.r.trend.reduce((n, b) => n + b.breached, 0)], [1, 3]);
  await eventually(async () => assertShows(all.r), 30000);
  assert.equal(await text("#n-met"), "25.0%");
});

await check("overview: a filter or another period changes % met and the trend as the API says", async () => {
  await page.goto(base + "/");
  await eventually(async () => assert.equal(await text("#n-met"), "25.0%"), 30000);
  await page.fill("#tenant", "acme");
  await page.press("#tenant", "Enter");
  const acme = await eventually(async () => {
    const { q, r } = await overviewReport();
    assert.equal(q.get("tenant"), "acme");
    await assertShows(r);
    return r;
  }, 30000);
  assert.deepEqual([acme.totals.met, acme.totals.breached, acme.totals.pct_met], [1, 1, 50]);
  assert.equal(await text("#n-met"), "50.0%");
  await page.fill("#tenant", "");
  await page.selectOption("#plan", "silver");
  const silver = await eventually(async () => {
    const { q, r } = await overviewReport();
    assert.equal(q.get("plan"), "silver");
    assert.equal(q.get("tenant"), null);
    await assertShows(r);
    return r;
  }, 30000);
  assert.deepEqual([silver.totals.met, silver.totals.breached], [0, 1]);
  assert.equal(await text("#n-met"), "0.0%");
  await page.selectOption("#plan", "");
  await page.selectOption("#window", "7d");
  await page.selectOption("#bucket", "6h");
  const week = await eventually(async () => {
    const { q, r } = await overviewReport();
    assert.equal(q.get("bucket"), "6h");
    await assertShows(r);
    return r;
  }, 30000);
  assert.equal(week.trend.length, 29);  // 7 days of 6 h buckets, the current one included
  assert.deepEqual([week.totals.met, week.totals.breached], [1, 3]);
  assert.match(page.url(), /[?&]window=7d/);
  assert.match(page.url(), /[?&]bucket=6h/);
});

await check("overview -> ticket: a click reaches the ticket page with the API's clocks", async () => {
  await page.goto(base + "/");
  await eventually(async () => assert.ok((await column("tickets", 1)).includes("B-2")));
  await page.click('#tickets a:text-is("B-2")');
  await page.waitForURL(/\/ticket\?id=B-2$/);
  const t = await api("/v1/tickets/B-2");
  await eventually(async () => assert.equal(await page.locator("#clocks tr").count(), t.clocks.length));
  assert.equal(await text("#ticket-id"), "B-2");
  const response = t.clocks.find((c) => c.metric === "response");
  const row = page.locator('#clocks tr[data-metric="response"]');
  assert.equal(await row.locator("td:nth-child(8)").innerText(), response.deadline.replace("T", " ").replace("Z", ""));
  assert.match(await page.locator("#facts").innerText(), /acme/);
});

await check("ticket: paused time is shown apart from counted time", async () => {
  await page.goto(base + "/ticket?id=B-7");
  const t = await api("/v1/tickets/B-7");
  const c = t.clocks.find((x) => x.metric === "response");
  // 2 h open, 30 min of it pending_customer: about 1h30m counted.
  assert.ok(Math.abs(c.wall_ms - c.elapsed_ms - 30 * 60000) < 60000, JSON.stringify(c));
  const row = page.locator('#clocks tr[data-metric="response"]');
  await eventually(async () => assert.match(await row.locator("td:nth-child(6)").innerText(), /^30m/));
  await shot("ticket");
});

await check("ticket: the timeline and the paused stretches on screen are the API's", async () => {
  await page.goto(base + "/ticket?id=B-7");
  const c = (await api("/v1/tickets/B-7")).clocks.find((x) => x.metric === "response");
  // opened 2 h ago, pending_customer from 90 to 60 min ago: counted, paused, counted.
  assert.deepEqual(c.stretches.map((s) => [s.kind, s.status]),
                   [["counted", null], ["status", "pending_customer"], ["counted", null]], JSON.stringify(c));
  assert.equal(c.stretches[1].ms, 30 * 60000);
  assert.equal(c.stretches[0].from, c.started_at);
  assert.equal(c.stretches[0].ms + c.stretches[2].ms, c.elapsed_ms);
  const segs = page.locator('#clocks tr[data-metric="response"] .bar .seg:not([data-over])');
  await eventually(async () => assert.deepEqual(
      await segs.evaluateAll((ds) => ds.map((d) => [d.dataset.kind, d.dataset.status || null, d.dataset.from, d.dataset.to])),
      c.stretches.map((s) => [s.kind, s.status, s.from, s.to])));
  const paused = c.stretches.filter((s) => s.kind !== "counted");
  const rows = page.locator('#paused tr[data-metric="response"]');
  assert.equal(await rows.count(), paused.length);
  const cells = (cls) => rows.locator("td." + cls).allInnerTexts();
  assert.deepEqual(await cells("reason"), ["paused by status"]);
  assert.deepEqual(await cells("status"), paused.map((s) => s.status));
  assert.deepEqual(await cells("from"), paused.map((s) => s.from.replace("T", " ").replace(/\.000Z$|Z$/, "")));
  assert.deepEqual(await cells("to"), paused.map((s) => s.to.replace("T", " ").replace(/\.000Z$|Z$/, "")));
  // The legend names every kind in its colour.
  assert.match(await text(".legend"), /paused by status.*outside hours.*holiday/);
});

await check("ticket: pages with responder and ack state", async () => {
  await page.goto(base + "/ticket?id=B-1");
  await eventually(async () => assert.equal(await page.locator("#pages tr").count(), 1));
  assert.equal(await text("#pages td.responder"), "ana");
  assert.match(await text("#pages tr"), /paging/);
  await page.goto(base + "/ticket?id=B-8");
  await eventually(async () => assert.equal(await page.locator("#pages tr").count(), 1));
  assert.match(await text("#pages tr"), /acknowledged/);
  const acked = (await api("/v1/tickets/B-8")).pages[0].acked;
  assert.equal(acked.by, "ana");  // who acknowledged, and when, as the API says
  assert.equal(await text("#pages td.acked-by"), "ana");
  assert.equal(await text("#pages td.acked-at"), acked.at.replace("T", " ").replace(/\.000Z$|Z$/, ""));
  await shot("ticket-paged");
});

await check("on call: current and next per rotation, overrides marked", async () => {
  const oc = await api("/v1/oncall");
  await page.goto(base + "/oncall");
  await eventually(async () => assert.equal(await page.locator("#rotations tr").count(), oc.rotations.length));
  assert.equal(await text('#rotations tr[data-rotation="primary"] td.current'), "ana");
  assert.equal(await text('#rotations tr[data-rotation="primary"] td.next'), "ana");
  assert.match(await text('#rotations tr[data-rotation="secondary"] td.current'), /^max\s+override$/);
  assert.equal(oc.rotations.find((r) => r.name === "secondary").current.member, "max");
  assert.match(await text("#targets"), /ana \(primary, ack 12h\) then L1 max \(secondary, ack 12h\)/);
  await shot("oncall");
});

await check("unacknowledged pages: the API's list, with the responder", async () => {
  const un = await api("/v1/pages?state=unacked");
  assert.deepEqual(un.pages.map((p) => p.ticket_id), ["B-1"]);  // B-8's was acknowledged
  await page.goto(base + "/pages");
  await eventually(async () => assert.equal(await text("#n-unacked"), String(un.count)));
  assert.deepEqual(await column("unacked", 1), ["B-1"]);
  assert.equal(await text("#unacked td.responder"), "ana");
  await shot("pages");
  await page.click('#unacked a:text-is("B-1")');
  await page.waitForURL(/\/ticket\?id=B-1$/);
});

await check("compliance: the report's figures as the API gives them (or why there are none)", async () => {
  const now = new Date();
  const q = new URLSearchParams({ from: new Date(now - 86400000).toISOString().slice(0, 19) + "Z",
                                  to: new Date(now.getTime() + 60000).toISOString().slice(0, 19) + "Z" });
  const res = await fetch(base + "/v1/reports/compliance?" + q.toString());
  reportServed = res.status === 200;
  await page.goto(base + "/compliance?" + q.toString());
  if (reportServed) {
    const r = await res.json();
    await eventually(async () => assert.equal(await text("#r-started"), String(r.totals.started)));
    assert.equal(await page.locator("#groups tr").count(), r.groups.length);
    assert.equal(await page.locator("#breaches tr").count(), r.groups.reduce((n, g) => n + g.breaches.length, 0));
  } else {
    await eventually(async () => assert.match(await text("#report-state"), /does not serve the compliance report/));
  }
  await shot("compliance");
});

await check("compliance page links the report for the period, and back", async () => {
  await page.goto(base + "/compliance");
  await page.fill("#tenant", "acme");
  await eventually(async () => assert.match(await page.getAttribute("#report-link", "href"),
                                            /^\/v1\/reports\/compliance\?from=.*&to=.*&tenant=acme$/));
  await page.click('header nav a:text-is("overview")');
  // The overview writes its filters into the URL as soon as its script runs
  // (often before the load event), so only the path is certain here.
  await page.waitForURL((url) => url.pathname === "/");
  assert.equal(new URL(page.url()).origin, base);
  await eventually(async () => assert.match(await text("#n-risk"), /^\d+$/));
});

await check("no console errors, no content-security-policy violations", async () => {
  assert.deepEqual(problems, []);
});

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
