// The incident views on a real capture of an agent killed and restarted (tests/fixtures/
// incidents/spoe-forge-killed.pcap: refused connection attempts, resets by the agent's kernel,
// NOTIFYs never answered, frames sent after the other side closed): what happened (the
// verdict and its links), TCP marks and the attempts lane on the timeline, TCP event rows in the
// list, the packet column and "go to packet", the connection table's closed column and attempt
// rows, the statistics view, and the time display setting. The ground truth is the JS API's
// report (the engine's), whose TypeScript types are checked on this capture too; screenshots at
// 1440, 1280 and 800 px, light and dark, go to tests/e2e/artifacts/incidents-*.png. A capture
// written by `cargo run -p spop-tests --bin gen-tcp-events` (tests/fixtures/incidents/
// tcp-events.pcap) has every other kind of TCP event: zero window, window open, window full,
// retransmission, an unanswered attempt.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { ARTIFACTS, FIXTURES, ROOT, newPage, setup, shot } from "./lib.mjs";

const PKG = join(ROOT, "pkg");
if (!existsSync(join(PKG, "spop_inspector_bg.wasm"))) {
  throw new Error(`${PKG}/spop_inspector_bg.wasm is missing: build it first (source scripts/lib.sh && build_web)`);
}
const api = await import(join(PKG, "spop_inspector.js"));
api.initSync({ module: readFileSync(join(PKG, "spop_inspector_bg.wasm")) });

const NAME = "spoe-forge-killed.pcap";
const FILE = join(FIXTURES, "incidents", NAME);
const report = api.inspect(readFileSync(FILE));

const ctx = setup();

/** Every TCP event of the report (connections and attempts), with its owner. */
const allEvents = [
  ...report.connections.flatMap((c) => c.tcp_events.map((e) => ({ ...e, connection: c.id }))),
  ...report.attempts.flatMap((t) => t.tcp_events.map((e) => ({ ...e, attempt: t.id }))),
];
/** Time zero, seconds since the epoch: the capture's first packet. */
const zero = Math.min(...allEvents.map((e) => e.time), ...report.frames.map((f) => f.time));
/** `ns` as the page shows milliseconds: rounded half up to the µs, 3 decimals. */
const ms = (ns) => {
  const us = Math.floor(ns / 1000) + (ns % 1000 >= 500 ? 1 : 0);
  return `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, "0")}`;
};

/** A page with the capture opened (at a viewport width, in a color scheme). */
async function open(errors, { width = 1440, height = 900, colorScheme = "light", page = null } = {}) {
  page ??= await newPage(ctx.browser, errors, { viewport: { width, height }, colorScheme });
  await page.goto(ctx.server.url);
  await page.locator("#file").setInputFiles(FILE);
  // The rules ran (the verdict is shown) and a row is selected.
  await page.waitForSelector("details.verdict:not([hidden]) li", { timeout: 30_000 });
  await page.waitForSelector("#frames .row.selected", { timeout: 10_000 });
  return page;
}

/** The list's total rows (aria-rowcount), once it reads `n`. */
const waitRows = (page, n) =>
  page.waitForFunction((n) => document.querySelector("#frames")?.getAttribute("aria-rowcount") === String(n), n, {
    timeout: 10_000,
  });

/** The packet of the selected row, once it is `packet`. */
const waitSelectedPacket = (page, packet) =>
  page.waitForFunction((p) => document.querySelector("#frames .row.selected")?.dataset.packet === String(p), packet, {
    timeout: 10_000,
  });

/** Goes to packet `n` with the list bar's input. */
async function gotoPacket(page, n) {
  const input = page.locator("#goto-packet");
  await input.fill(String(n));
  await input.press("Enter");
}

test("the types of the report's new fields match this capture's real output exactly", () => {
  assert.ok(report.attempts.length > 0 && report.verdict.length > 0 && report.stats.latency);
  assert.ok(report.findings.some((f) => f.packets?.length));
  const literal = (v) =>
    Array.isArray(v)
      ? `[${v.map(literal).join(",")}]`
      : v !== null && typeof v === "object"
        ? `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${literal(x)}`).join(",")}}`
        : JSON.stringify(v);
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, "incidents-types-check.ts");
  writeFileSync(
    file,
    [
      'import type { InspectReport } from "../../../pkg/spop_inspector.js";',
      `export const report = ${literal(report)} satisfies InspectReport;`,
      "// @ts-expect-error: an outcome the types do not have fails",
      'export const bad = { ...report, attempts: [{ ...report.attempts[0], outcome: "lost" }] } satisfies InspectReport;',
      "",
    ].join("\n"),
  );
  const tsc = join(ROOT, "tests/e2e/node_modules/.bin/tsc");
  const run = spawnSync(tsc, ["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--skipLibCheck", file], {
    encoding: "utf8",
  });
  assert.deepEqual((run.stdout + run.stderr).split("\n").filter((l) => / error TS\d+/.test(l)), []);
});

test("what happened: the verdict's lines with their severity, each leading to its findings", async () => {
  const errors = [];
  const page = await open(errors);
  const lines = await page.locator("details.verdict li.verdict-line").evaluateAll((lis) =>
    lis.map((li) => ({
      cls: li.className,
      icon: li.querySelector(".sev-icon")?.getAttribute("aria-label"),
      text: li.querySelector(".verdict-text")?.textContent,
      count: li.querySelector(".verdict-count")?.textContent ?? null,
      link: li.querySelector("button.verdict-text") !== null,
    })),
  );
  assert.equal(lines.length, report.verdict.length);
  report.verdict.forEach((v, i) => {
    assert.equal(lines[i].text, v.text);
    assert.equal(lines[i].icon, v.severity);
    assert.match(lines[i].cls, new RegExp(`sev-${v.severity}`));
    assert.equal(lines[i].link, v.findings.length > 0);
    assert.equal(lines[i].count, v.findings.length ? `${v.findings.length} finding(s)` : null);
  });
  // The agent could not be reached: its finding points at packets, not frames; the line shows
  // it alone in the findings panel and selects its first packet (a refused SYN, as a TCP row).
  const unreachable = report.verdict.findIndex((v) => report.findings[v.findings[0]]?.code === "SPOP-N001");
  assert.equal(unreachable, 0, "the most serious line comes first");
  const n001 = report.findings[report.verdict[0].findings[0]];
  await page.locator(`button.verdict-text[data-line="0"]`).click();
  await page.waitForSelector(".line-findings li.finding");
  assert.equal(await page.locator("#tab-findings").getAttribute("aria-selected"), "true");
  assert.equal(await page.locator(".line-findings .line-head strong").innerText(), report.verdict[0].text);
  assert.deepEqual(
    await page.locator(".line-findings li.finding").allInnerTexts(),
    [`packet #${n001.packets[0]}: ${n001.message}`],
  );
  await waitSelectedPacket(page, n001.packets[0]);
  assert.equal(await page.locator("#show-tcp").isChecked(), true, "a packet's TCP event is shown in the list");
  // A line about frames: its first finding's frame, then (clicked again) the next one's.
  const late = report.verdict.findIndex((v) => v.findings.length > 1 && report.findings[v.findings[0]].frames.length);
  const ids = report.verdict[late].findings;
  const frameOf = (k) => report.findings[ids[k]].frames[0];
  await page.locator(`button.verdict-text[data-line="${late}"]`).click();
  await page.waitForFunction((f) => document.querySelector("#frames .row.selected")?.dataset.frame === String(f), frameOf(0));
  await page.locator(`button.verdict-text[data-line="${late}"]`).click();
  await page.waitForFunction((f) => document.querySelector("#frames .row.selected")?.dataset.frame === String(f), frameOf(1));
  assert.equal(await page.locator(".line-findings li.finding").count(), ids.length);
  // Back to every finding.
  await page.locator("#all-findings").click();
  await page.waitForSelector("ul.groups");
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("the timeline marks each TCP event on its sender's lane and each attempt on the attempts' lane", async () => {
  const errors = [];
  const page = await open(errors);
  await page.waitForSelector("section.timeline g.tcp");
  const marks = await page.locator("section.timeline g.tcp").evaluateAll((gs) =>
    gs.map((g) => ({ cls: g.getAttribute("class"), packet: Number(g.dataset.packet), title: g.querySelector("title").textContent })),
  );
  // One mark per event of the connections, one per attempt (at its first packet).
  const connEvents = allEvents.filter((e) => e.connection !== undefined);
  assert.equal(marks.length, connEvents.length + report.attempts.length);
  for (const e of connEvents) {
    const m = marks.find((m) => m.packet === e.packet);
    assert.ok(m, `a mark for packet #${e.packet}`);
    assert.equal(m.cls, `tcp ${e.kind} by-${e.by}`);
    assert.match(m.title, new RegExp(`^packet #${e.packet} · TCP .* · connection ${e.connection + 1} · `));
  }
  for (const t of report.attempts) {
    const m = marks.find((m) => m.packet === t.tcp_events[0].packet);
    assert.equal(m.cls, `tcp ${t.outcome} by-haproxy`);
    assert.match(m.title, new RegExp(`attempt ${t.id + 1} to ${t.agent.replace(/\./g, "\\.")}: ${t.outcome}`));
  }
  // Who closed: the agent's FINs and RSTs are on its lane; refused attempts on theirs.
  assert.ok(marks.some((m) => m.cls === "tcp fin by-agent") && marks.some((m) => m.cls === "tcp rst by-agent"));
  assert.ok(marks.some((m) => m.cls.startsWith("tcp refused")));
  assert.equal(await page.locator("section.timeline .attempts-lane").count(), 1);
  assert.match(await page.locator(".tcp-legend").textContent(), /SYN.*FIN.*RST.*zero window.*refused/);
  // A mark is a way to its packet: the list shows the TCP events and selects it.
  const rst = connEvents.find((e) => e.kind === "rst");
  await page.locator(`section.timeline g.tcp[data-packet="${rst.packet}"] circle.hit`).click({ force: true });
  await waitSelectedPacket(page, rst.packet);
  await page.waitForFunction((p) => document.querySelector("#details h2")?.textContent === `TCP RST · packet #${p}`, rst.packet);
  assert.match(await page.locator("#details").innerText(), new RegExp(`Connection ${rst.connection + 1}: HAProxy`));
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("the list shows TCP events as rows when asked (off by default, remembered), with packets and go to packet", async () => {
  const errors = [];
  const page = await open(errors);
  const frames = report.frames.length;
  assert.equal(await page.locator("#show-tcp").isChecked(), false);
  await waitRows(page, frames);
  // The packet column: each frame's packet.
  const shown = await page.locator("#frames .row").evaluateAll((rs) =>
    rs.map((r) => ({ frame: r.dataset.frame, packet: r.dataset.packet, cells: [...r.children].map((c) => c.textContent) })),
  );
  assert.ok(shown.length > 4, `${shown.length} rows`);
  for (const r of shown) {
    const f = report.frames[Number(r.frame)];
    assert.equal(r.cells[7], String(f.packet));
    assert.equal(r.packet, String(f.packet));
  }
  assert.equal(await page.locator(".list-head > span").nth(7).innerText(), "pkt");
  // Go to a frame's packet.
  const f = report.frames[30];
  await gotoPacket(page, f.packet);
  await page.waitForFunction((i) => document.querySelector("#frames .row.selected")?.dataset.frame === String(i), f.index);
  // A TCP event's packet while they are hidden: the nearest row, and why.
  const syn = report.attempts[3].tcp_events[0];
  await gotoPacket(page, syn.packet);
  await page.waitForFunction(() => /is a TCP SYN from HAProxy, not in the list: the nearest row is packet #\d+/.test(document.querySelector("#packet-note")?.textContent));
  await gotoPacket(page, 100_000);
  await page.waitForFunction((n) => document.querySelector("#packet-note")?.textContent.startsWith(`The capture has packets #1 to #${n}`), report.summary.packets);
  // Shown: every event is a row, in packet order with the frames.
  await page.locator("#show-tcp").check();
  await waitRows(page, frames + allEvents.length);
  assert.equal(await page.locator("#view-count").innerText(), `${frames} frames + ${allEvents.length} TCP events`);
  await gotoPacket(page, syn.packet);
  await waitSelectedPacket(page, syn.packet);
  assert.equal(await page.locator("#packet-note").innerText(), "");
  const row = await page.locator("#frames .row.selected").evaluate((r) => [...r.children].map((c) => c.textContent));
  assert.equal(row[0], "", "an event has no frame number");
  assert.equal(row[1], "", "an attempt has no connection");
  assert.equal(row[4], "TCP SYN");
  assert.equal(row[7], String(syn.packet));
  assert.match(row[8], new RegExp(`^attempt 4 to ${report.attempts[3].agent.replace(/\./g, "\\.")} \\(refused\\): HAProxy opens a connection`));
  await page.waitForFunction((p) => document.querySelector("#details h2")?.textContent === `TCP SYN · packet #${p}`, syn.packet);
  // ↓ steps to the next row: the agent's RST refusing it.
  await page.locator("#frames").focus();
  await page.keyboard.press("ArrowDown");
  await waitSelectedPacket(page, report.attempts[3].tcp_events[1].packet);
  assert.equal(await page.locator("#frames .row.selected > span:nth-child(5)").innerText(), "TCP RST");
  // Rows are in packet order across frames and events.
  const packets = await page.locator("#frames .row").evaluateAll((rs) => rs.map((r) => Number(r.dataset.packet)));
  assert.deepEqual(packets, [...packets].sort((a, b) => a - b));
  // Remembered: a new page (same browser profile) shows them at once.
  const again = await open(errors, { page: await page.context().newPage() });
  assert.equal(await again.locator("#show-tcp").isChecked(), true);
  await waitRows(again, frames + allEvents.length);
  await again.locator("#show-tcp").uncheck();
  await waitRows(again, frames);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("the connection table says who closed each connection and how, and lists the attempts without SPOP", async () => {
  const errors = [];
  const page = await open(errors);
  const heads = await page.locator("table.conn-table thead th").allInnerTexts();
  assert.equal(heads[3], "closed");
  const rows = await page.locator("table.conn-table tr.conn:not(.all)").evaluateAll((trs) =>
    trs.map((tr) => ({ closed: tr.cells[3].textContent, title: tr.cells[3].title, ended: tr.cells[2].textContent, findings: tr.cells[1].textContent })),
  );
  assert.equal(rows.length, report.connections.length);
  const who = (e) => `${e.kind.toUpperCase()} by ${e.by === "haproxy" ? "HAProxy" : "agent"}`;
  report.connections.forEach((c, i) => {
    const closes = c.tcp_events.filter((e) => e.kind === "fin" || e.kind === "rst");
    assert.equal(rows[i].closed, closes.length ? who(closes[0]) : "open", `connection ${i + 1}`);
    assert.equal(rows[i].title, closes.map((e) => `${who(e)} #${e.packet}`).join(", "));
    assert.equal(rows[i].ended, c.ended);
  });
  assert.ok(rows.some((r) => r.closed === "FIN by agent"));
  // Attempts, by outcome: how many, how they ended.
  const attempts = await page.locator("table.conn-table tr.attempts").evaluateAll((trs) =>
    trs.map((tr) => ({ cls: tr.className, text: tr.cells[2].textContent, closed: tr.cells[3].textContent, packet: Number(tr.dataset.packet) })),
  );
  const outcomes = [...new Set(report.attempts.map((t) => t.outcome))];
  assert.equal(attempts.length, outcomes.length);
  for (const o of outcomes) {
    const of = report.attempts.filter((t) => t.outcome === o);
    const row = attempts.find((a) => a.cls.includes(`outcome-${o}`));
    assert.equal(row.text, `${of.length} attempt(s) ${o} · no SPOP byte`);
    assert.equal(row.packet, of[0].tcp_events[0].packet);
    const end = of[0].tcp_events.find((e) => e.kind === "fin" || e.kind === "rst");
    assert.equal(row.closed, end ? who(end) : "–");
  }
  assert.equal(attempts.find((a) => a.cls.includes("refused")).closed, "RST by agent");
  // A click goes to the first attempt.
  const refused = attempts.find((a) => a.cls.includes("refused"));
  await page.locator("table.conn-table tr.outcome-refused").click();
  await waitSelectedPacket(page, refused.packet);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("the statistics view draws the engine's numbers: histogram, percentiles, time series", async () => {
  const errors = [];
  const page = await open(errors);
  await page.locator("#view-stats").click();
  await page.waitForSelector("#latency-table");
  assert.equal(await page.locator("#view-stats").getAttribute("aria-pressed"), "true");
  const s = report.stats;
  // The table: all NOTIFYs, per message, per connection; cells carry the engine's ns.
  const rows = await page.locator("#latency-table tbody tr").evaluateAll((trs) =>
    trs.map((tr) => ({
      cls: tr.className,
      name: tr.querySelector("th").textContent,
      count: tr.cells[1].textContent,
      ns: [...tr.querySelectorAll("td[data-ns]")].map((td) => Number(td.dataset.ns)),
      text: [...tr.querySelectorAll("td[data-ns]")].map((td) => td.textContent),
    })),
  );
  const want = [
    ["all", "all NOTIFYs", s.latency],
    ...s.by_message.map(([n, p]) => ["message", n, p]),
    ...s.by_connection.map(([c, p]) => ["connection", `connection ${c + 1}`, p]),
  ];
  assert.equal(rows.length, want.length);
  want.forEach(([cls, name, p], i) => {
    assert.deepEqual(rows[i], { cls, name, count: String(p.count), ns: [p.p50, p.p90, p.p99, p.max], text: [p.p50, p.p90, p.p99, p.max].map(ms) });
  });
  // The histogram: one bar per bucket, with the engine's count.
  const buckets = await page.locator("#stats svg.histogram g.bucket").evaluateAll((gs) => gs.map((g) => Number(g.dataset.count)));
  assert.deepEqual(buckets, s.histogram);
  // The series: NOTIFYs outstanding, connections open, failed attempts, frames.
  const strips = await page.locator("#stats svg.series g.strip").evaluateAll((gs) =>
    gs.map((g) => ({ id: g.getAttribute("class").split(" ")[1], max: Number(g.dataset.max), bars: g.querySelector("path.bars").getAttribute("d").split("M").length - 1 })),
  );
  const max = (k) => Math.max(...s.bins.map((b) => b[k]));
  const nonzero = (k) => s.bins.filter((b) => b[k] > 0).length;
  assert.deepEqual(
    strips,
    ["outstanding", "connections", "refused", "frames"].map((id) => ({ id, max: max(id), bars: nonzero(id) })),
  );
  assert.equal(max("refused") > 0, true);
  // Back to the frames: the timeline and the list are as they were.
  await page.locator("#view-frames").click();
  await page.waitForSelector("#frames .row.selected");
  assert.equal(await page.locator("section.stats").count(), 0);
  assert.ok((await page.locator("section.timeline svg").boundingBox()).width > 400);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("times: since the first packet, time of day or since the previous row, remembered", async () => {
  const errors = [];
  const page = await open(errors);
  const firstRows = () =>
    page.locator("#frames .row").evaluateAll((rs) => rs.slice(0, 6).map((r) => ({ frame: Number(r.dataset.frame), time: r.children[2].textContent })));
  // Since the first packet (a SYN: the first frame comes after the handshake).
  assert.equal(await page.locator(".list-head > span").nth(2).innerText(), "time (s)");
  for (const r of await firstRows()) {
    const want = report.frames[r.frame].time - zero;
    assert.ok(Math.abs(Number(r.time) - want) < 2e-6, `${r.time} vs ${want}`);
    assert.match(r.time, /^\d+\.\d{6}$/);
  }
  assert.notEqual((await firstRows())[0].time, "0.000000");
  // Time of day, in the browser's time zone.
  await page.locator("#time-mode").selectOption("clock");
  await page.waitForFunction(() => document.querySelector(".list-head > span:nth-child(3)")?.textContent === "time of day");
  const clock = await firstRows();
  for (const r of clock) {
    const t = report.frames[r.frame].time;
    const hms = await page.evaluate((ms) => {
      const d = new Date(ms);
      return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
    }, Math.floor(t) * 1000);
    assert.match(r.time, /^\d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal(r.time.slice(0, 8), hms);
    assert.ok(Math.abs(Number(r.time.slice(8)) - (t - Math.floor(t))) < 2e-6, `${r.time} vs ${t}`);
  }
  assert.equal(await page.locator("section.timeline text.tick-label").first().textContent(), "time of day");
  assert.match(await page.locator("section.timeline text.tick-label").nth(1).textContent(), /^\d\d:\d\d:\d\d/);
  const start = await page.locator("table.conn-table tr.conn:not(.all)").first().evaluate((tr) => tr.cells[8].textContent);
  assert.match(start, /^\d\d:\d\d:\d\d\.\d{6}$/);
  // Since the previous row.
  await page.locator("#time-mode").selectOption("delta");
  await page.waitForFunction(() => document.querySelector(".list-head > span:nth-child(3)")?.textContent === "Δt (s)");
  const delta = await firstRows();
  for (let i = 1; i < delta.length; i++) {
    const want = report.frames[delta[i].frame].time - report.frames[delta[i - 1].frame].time;
    assert.ok(Math.abs(Number(delta[i].time) - want) < 2e-6, `${delta[i].time} vs ${want}`);
  }
  // Remembered (local storage, as the other settings).
  await page.locator("#time-mode").selectOption("clock");
  assert.equal(await page.evaluate(() => localStorage.getItem("spop-inspector.time")), "clock");
  const again = await open(errors, { page: await page.context().newPage() });
  assert.equal(await again.locator("#time-mode").inputValue(), "clock");
  assert.equal(await again.locator(".list-head > span").nth(2).innerText(), "time of day");
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("every kind of TCP event (a capture written by gen-tcp-events): its mark, its row, its findings", async () => {
  const file = join(FIXTURES, "incidents", "tcp-events.pcap");
  const r = api.inspect(readFileSync(file));
  const events = [
    ...r.connections.flatMap((c) => c.tcp_events.map((e) => ({ ...e, connection: c.id }))),
    ...r.attempts.flatMap((t) => t.tcp_events.map((e) => ({ ...e, attempt: t.id }))),
  ];
  const kinds = new Set(events.map((e) => e.kind));
  assert.deepEqual([...kinds].sort(), ["fin", "retransmission", "rst", "syn", "window-full", "window-open", "zero-window"]);
  assert.deepEqual(r.attempts.map((t) => t.outcome).sort(), ["refused", "unanswered"]);
  const errors = [];
  const page = await newPage(ctx.browser, errors, { viewport: { width: 1440, height: 900 } });
  await page.goto(ctx.server.url);
  await page.locator("#file").setInputFiles(file);
  await page.waitForSelector("details.verdict:not([hidden]) li");
  await page.waitForSelector("section.timeline g.tcp");
  const marks = await page.locator("section.timeline g.tcp").evaluateAll((gs) => gs.map((g) => [Number(g.dataset.packet), g.getAttribute("class")]));
  const want = [
    ...events.filter((e) => e.connection !== undefined).map((e) => [e.packet, `tcp ${e.kind} by-${e.by}`]),
    ...r.attempts.map((t) => [t.tcp_events[0].packet, `tcp ${t.outcome} by-haproxy`]),
  ];
  assert.deepEqual(marks.sort((a, b) => a[0] - b[0]), want.sort((a, b) => a[0] - b[0]));
  await shot(page, "incidents-tcp-events-timeline.png");
  // The rows: one per event, the zero window's with the finding that points at its packet.
  await page.locator("#show-tcp").check();
  await waitRows(page, r.frames.length + events.length);
  const zero = events.find((e) => e.kind === "zero-window");
  const n007 = r.findings.find((f) => f.code === "SPOP-N007");
  assert.deepEqual(n007.packets, [zero.packet]);
  await gotoPacket(page, zero.packet);
  await waitSelectedPacket(page, zero.packet);
  const row = await page.locator("#frames .row.selected").evaluate((el) => ({ cls: el.className, cells: [...el.children].map((c) => c.textContent) }));
  assert.equal(row.cells[4], "TCP zero window");
  assert.equal(row.cells[8], "The agent stops reading (zero window)");
  assert.equal(row.cells[9], "SPOP-N007");
  assert.match(row.cls, /lvl-warning/);
  await page.waitForFunction(() => /SPOP-N007/.test(document.querySelector("#details")?.textContent));
  for (const [kind, label] of [["window-open", "TCP window open"], ["retransmission", "TCP retransmission"]]) {
    const e = events.find((e) => e.kind === kind);
    await gotoPacket(page, e.packet);
    await waitSelectedPacket(page, e.packet);
    assert.equal(await page.locator("#frames .row.selected > span:nth-child(5)").innerText(), label);
  }
  // The full window's packet also completes HAProxy's NOTIFY: going to it selects the frame,
  // and the event's row is beside it.
  const full = events.find((e) => e.kind === "window-full");
  await gotoPacket(page, full.packet);
  await waitSelectedPacket(page, full.packet);
  const labels = await page.locator("#frames .row > span:nth-child(5)").allInnerTexts();
  assert.ok(labels.includes("TCP window full"), labels.join(", "));
  await shot(page, "incidents-tcp-events-list.png");
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("screens: the timeline with TCP marks, event rows, connection table, verdict and statistics at 1440, 1280 and 800 px, light and dark", async () => {
  const errors = [];
  for (const colorScheme of ["light", "dark"]) {
    for (const width of [1440, 1280, 800]) {
      const page = await open(errors, { width, height: 900, colorScheme });
      await page.locator("#show-tcp").check();
      await waitRows(page, report.frames.length + allEvents.length);
      // The first refused attempt selected: its rows and the frames around it.
      await gotoPacket(page, report.attempts[0].tcp_events[0].packet);
      await waitSelectedPacket(page, report.attempts[0].tcp_events[0].packet);
      await page.waitForTimeout(150);
      const tag = `${width}-${colorScheme}`;
      await shot(page, `incidents-${tag}.png`, { fullPage: width <= 1000 });
      // The connection table scrolled to its last columns (ended, closed, findings).
      const table = page.locator("details.connections .table-wrap");
      await table.evaluate((el) => {
        el.scrollLeft = el.scrollWidth;
        el.scrollTop = el.scrollHeight;
      });
      await table.screenshot({ path: join(ARTIFACTS, `incidents-connections-${tag}.png`) });
      await table.evaluate((el) => (el.scrollLeft = 0));
      await table.screenshot({ path: join(ARTIFACTS, `incidents-attempts-${tag}.png`) });
      await page.locator("#view-stats").click();
      await page.waitForSelector("#latency-table");
      await page.waitForTimeout(100);
      await shot(page, `incidents-stats-${tag}.png`, { fullPage: width <= 1000 });
      // Nothing overflows the page sideways.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${tag}: the page is ${overflow}px wider than the window`);
      await page.context().close();
    }
  }
  assert.deepEqual(errors, []);
});
