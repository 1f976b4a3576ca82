// Every capture of the corpus, opened with the file input and pasted as text (xxd into the
// paste area, hexdump -C onto the page), shows what the CLI reports: counts, connections,
// frames, findings. The interleaved capture's F010 leads to the DISCONNECT with the ACKs
// written inside it struck through and the finding's bytes marked.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  CORPUS, FIXTURES, cli, codesOf, expectedCounts, hexdumpC, loaded, newPage, offsets, paste, setup, shot, summary,
  waitSelected, worstByFrame, xxd,
  n3,
} from "./lib.mjs";

const ctx = setup();
const reports = {};

before(() => {
  for (const file of CORPUS) reports[file] = cli(join(FIXTURES, file));
});

test("the corpus is the five captures of tests/fixtures", () => {
  assert.deepEqual(CORPUS, [
    "haproxy26-clean.pcap",
    "haproxy26-interleaved-disconnect.pcap",
    "haproxy26-pyagent.pcap",
    "haproxy34-clean.pcap",
    "haproxy34-clean.pcapng",
  ]);
});

/** Asserts that the loaded page shows `report` (the CLI's JSON for the same input). */
async function assertShows(page, report, { source, input }) {
  const { summary: s0, frames, connections, findings } = report;
  const s = await summary(page);
  assert.equal(s.source, source);
  assert.equal(s.input, input);
  for (const part of Object.values(expectedCounts(report))) assert.ok(s.text.includes(part), `"${part}" in "${s.text}"`);

  // Connections: "all" and one row per connection, as the CLI numbers them.
  const rows = await page.locator("table.conn-table tr.conn").evaluateAll((trs) =>
    trs.map((tr) => ({ all: tr.classList.contains("all"), cells: [...tr.cells].map((c) => c.textContent.trim()) })),
  );
  assert.equal(rows.length, s0.connections + 1);
  assert.ok(rows[0].all && rows.slice(1).every((r) => !r.all));
  assert.equal(await page.locator("details.connections > summary").innerText(), `Connections (${s0.connections})`);
  connections.forEach((c, i) => {
    const cells = rows[i + 1].cells;
    assert.equal(cells[0].replace(" ♥", ""), String(c.id + 1));
    if (c.haproxy) assert.equal(cells[7], `${c.haproxy} → ${c.agent}`);
    assert.equal(cells[6], `${c.frames_to_agent} / ${c.frames_to_haproxy}`);
    const trouble = [c.errors && `${c.errors} E`, c.warnings && `${c.warnings} W`].filter(Boolean).join("");
    assert.equal(cells[1], trouble || "–");
  });
  assert.equal(await page.locator("#filter-connection option").count(), s0.connections + 1);

  // Frames: the list's size, and every rendered row against the CLI's frame.
  assert.equal(await page.locator("#frames").getAttribute("aria-rowcount"), String(s0.frames));
  assert.equal(await page.locator("#view-count").innerText(), `${s0.frames} frames`);
  const shown = await page.locator("#frames .row").evaluateAll((rs) =>
    rs.map((r) => ({
      frame: Number(r.dataset.frame),
      embedded: r.classList.contains("embedded"),
      cells: [...r.children].map((c) => c.textContent),
    })),
  );
  assert.ok(shown.length > 0 && shown.length < 60, `${shown.length} rows rendered`);
  for (const r of shown) {
    const f = frames[r.frame];
    assert.equal(r.cells[0], String(f.index + 1));
    assert.equal(r.cells[1], String(f.connection + 1));
    assert.equal(r.cells[4].replace(/^↳ /, ""), f.type);
    assert.equal(r.cells[5], `${f.stream_id}/${f.frame_id}`);
    assert.equal(r.cells[6], String(f.length));
    assert.equal(r.cells[7], String(f.packet));
    assert.equal(r.cells[9], f.findings.map((i) => findings[i].code).join(" "));
    assert.equal(r.embedded, f.embedded_in !== null, `frame ${f.index} embedded`);
  }
  // The frame selected at load: the first with an error, else the first.
  const worst = worstByFrame(report);
  const first = s0.errors > 0 ? worst.indexOf(3) : 0;
  await waitSelected(page, first);
  assert.equal(await page.locator("#details h2").innerText(), `Frame #${first + 1} · ${frames[first].type}`);

  // Timeline: one arrow per frame, one arc per answered NOTIFY, errors in red.
  assert.ok(s0.frames <= 400);
  await page.waitForFunction((n) => document.querySelectorAll("section.timeline g.mark[data-frame]").length === n, s0.frames);
  const marks = await page.locator("section.timeline g.mark").evaluateAll((gs) => gs.map((g) => Number(g.dataset.frame)).sort((a, b) => a - b));
  assert.deepEqual(marks, frames.map((f) => f.index));
  const arcs = frames.filter((f) => f.type === "NOTIFY" && f.pair !== null).length;
  assert.equal(await page.locator("section.timeline g.link").count(), arcs);
  const red = await page.locator("section.timeline g.mark.lvl-error").evaluateAll((gs) => gs.map((g) => Number(g.dataset.frame)).sort((a, b) => a - b));
  assert.deepEqual(red, worst.flatMap((w, i) => (w === 3 ? [i] : [])));
  assert.match(await page.locator("#timeline-info").innerText(), new RegExp(`^${s0.frames} frame\\(s\\) in `));

  // Findings: exactly the CLI's rule codes, with their counts, each finding under its frame.
  await page.locator("#tab-findings").click();
  assert.equal(await page.locator("#tab-findings").innerText(), `Findings (${findings.length})`);
  assert.equal(await page.locator("#tab-findings").getAttribute("aria-selected"), "true");
  if (findings.length === 0) {
    assert.match(await page.locator(".panel").innerText(), /No findings: every rule passed\./);
    assert.equal(await page.locator("li.group").count(), 0);
    return;
  }
  const groups = await page.locator("ul.groups li.group").evaluateAll((gs) =>
    gs.map((g) => ({ code: g.dataset.code, count: Number(g.querySelector(".count").textContent), cls: g.className })),
  );
  assert.deepEqual(groups.map((g) => g.code).sort(), codesOf(report));
  const severity = { info: 1, warning: 2, error: 3 };
  const groupLevel = (code) => Math.max(...findings.filter((f) => f.code === code).map((f) => severity[f.severity]));
  for (const g of groups) {
    const mine = findings.filter((f) => f.code === g.code);
    assert.equal(g.count, mine.length, g.code);
    assert.match(g.cls, new RegExp(`sev-${["", "info", "warning", "error"][groupLevel(g.code)]}`));
  }
  // Most severe first.
  const levels = groups.map((g) => groupLevel(g.code));
  assert.deepEqual(levels, [...levels].sort((a, b) => b - a));
  for (const g of groups) {
    const group = page.locator(`li.group[data-code="${g.code}"]`);
    await group.locator("button.group-head").click();
    assert.equal(await group.locator("button.group-head").getAttribute("aria-expanded"), "true");
    assert.ok((await group.locator(".explanation").innerText()).length > 40, `${g.code} has an explanation`);
    const mine = findings.filter((f) => f.code === g.code);
    await page.waitForFunction(
      ({ code, n }) => document.querySelectorAll(`li.group[data-code="${code}"] ul.items li.finding`).length === n,
      { code: g.code, n: mine.length },
    );
    const items = await group.locator("ul.items li.finding").allInnerTexts();
    items.forEach((text, i) => {
      const f = mine[i];
      const where = f.frames.length ? `frame #${f.frames[0] + 1}` : f.connection !== null ? `connection ${f.connection + 1}` : "capture";
      assert.equal(text, `${where}: ${f.message}`);
    });
  }
}

for (const file of CORPUS) {
  test(`${file} through the file input`, async () => {
    const report = reports[file];
    const errors = [];
    const page = await newPage(ctx.browser, errors);
    await page.goto(ctx.server.url);
    await page.locator("#file").setInputFiles(join(FIXTURES, file));
    await loaded(page, { frames: report.summary.frames });
    const size = statSync(join(FIXTURES, file)).size;
    await assertShows(page, report, { source: `${file} (${n3(size)} bytes)`, input: report.input.label });
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test(`${file} pasted as an xxd dump into the paste area`, async () => {
    const text = xxd(readFileSync(join(FIXTURES, file)));
    // The CLI reads the same text the same way as the file.
    const report = cli(Buffer.from(text));
    assert.deepEqual(report.summary, reports[file].summary);
    assert.match(report.input.format, /^xxd\//);
    const errors = [];
    const page = await newPage(ctx.browser, errors);
    await page.goto(ctx.server.url);
    await paste(page, text, "textarea#input");
    await loaded(page, { source: "pasted text", frames: report.summary.frames });
    assert.equal(await page.locator("textarea#input").count(), 0, "the workspace replaced the start screen");
    await assertShows(page, report, { source: "pasted text", input: report.input.label });
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test(`${file} pasted as hexdump -C anywhere on the page`, async () => {
    const text = hexdumpC(readFileSync(join(FIXTURES, file)));
    const report = cli(Buffer.from(text));
    assert.deepEqual(report.summary, reports[file].summary);
    assert.match(report.input.format, /^hexdump-c\//);
    const errors = [];
    const page = await newPage(ctx.browser, errors);
    await page.goto(ctx.server.url);
    await page.locator("textarea#input").waitFor();
    await paste(page, text, "section.examples h2");
    await loaded(page, { source: "pasted text", frames: report.summary.frames });
    await assertShows(page, report, { source: "pasted text", input: report.input.label });
    assert.deepEqual(errors, []);
    await page.context().close();
  });
}

test("Ctrl+V into the paste area and typed text decode too", async () => {
  const file = "haproxy34-clean.pcap";
  const text = xxd(readFileSync(join(FIXTURES, file)));
  const report = cli(Buffer.from(text));
  const errors = [];
  const page = await newPage(ctx.browser, errors, { permissions: ["clipboard-read", "clipboard-write"] });
  await page.goto(ctx.server.url);
  await page.locator("textarea#input").click();
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await page.keyboard.press("Control+V");
  await loaded(page, { source: "pasted text", frames: report.summary.frames });
  assert.ok((await summary(page)).text.includes(expectedCounts(report).line));

  // Typing decodes after a pause (here: a whole hexdump typed in at once).
  await page.locator("button.home").click();
  const other = hexdumpC(readFileSync(join(FIXTURES, "haproxy26-pyagent.pcap")));
  const pyagent = reports["haproxy26-pyagent.pcap"];
  await page.locator("textarea#input").fill(other);
  await loaded(page, { source: "pasted text", frames: pyagent.summary.frames });
  assert.ok((await summary(page)).text.includes(expectedCounts(pyagent).line));
  // A paste while a capture is shown replaces it.
  await paste(page, xxd(readFileSync(join(FIXTURES, "haproxy26-clean.pcap"))));
  await loaded(page, { source: "pasted text", frames: reports["haproxy26-clean.pcap"].summary.frames });
  assert.deepEqual(errors, []);
});

test("interleaved capture: F010 explained, its finding jumps to the DISCONNECT with the ACKs struck through", async () => {
  const file = "haproxy26-interleaved-disconnect.pcap";
  const report = reports[file];
  const f010 = report.findings.filter((f) => f.code === "SPOP-F010");
  assert.equal(f010.length, 2, "the CLI sees F010 on two connections");
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  await page.locator("#file").setInputFiles(join(FIXTURES, file));
  await loaded(page, { frames: report.summary.frames });
  await shot(page, "interleaved.png");

  await page.keyboard.press("f");
  const group = page.locator('ul.groups li.group[data-code="SPOP-F010"]');
  await group.waitFor();
  assert.match(await group.getAttribute("class"), /sev-error/);
  assert.match(await group.locator("button.group-head").innerText(), /error\s+SPOP-F010\s+interleaved-frames\s+2/);
  assert.equal(await group.locator("button.group-head").getAttribute("aria-expanded"), "false");
  assert.equal(await group.locator(".explanation").count(), 0);
  await group.locator("button.group-head").click();
  const explanation = await group.locator(".explanation").innerText();
  assert.match(explanation, /DISCONNECT|interleav|writer/i);
  await group.locator("ul.items li.finding button.jump").nth(1).waitFor();
  await shot(page, "findings.png");

  for (const [n, finding] of f010.entries()) {
    if (n > 0) {
      await page.locator("#tab-findings").click();
      await group.locator("button.group-head").click(); // re-rendered: collapsed again
      await group.locator("ul.items li.finding button.jump").nth(n).waitFor();
    }
    const frame = finding.frames[0];
    const disconnect = report.frames[frame];
    assert.equal(disconnect.type, "AGENT-DISCONNECT");
    await group.locator("ul.items li.finding button.jump").nth(n).click();
    await waitSelected(page, frame);
    assert.equal(await page.locator("#tab-details").getAttribute("aria-selected"), "true");
    assert.equal(await page.locator("#details h2").innerText(), `Frame #${frame + 1} · AGENT-DISCONNECT`);

    // The ACKs written inside it.
    const inside = report.frames.filter((f) => f.embedded_in === frame);
    assert.equal(inside.length, 2);
    // The hex view covers the DISCONNECT from its first to its last byte: its own bytes
    // before the ACKs, the ACKs, then the rest of its own bytes from where they resume.
    const before = inside[0].offset - disconnect.offset;
    const end = disconnect.resumes_at + (4 + disconnect.length - before);
    assert.deepEqual(await offsets(page, ""), range(disconnect.offset, end));
    // The ACKs' bytes are struck through, exactly them.
    assert.ok(inside.every((f) => f.type === "ACK"));
    const foreign = await offsets(page, ".foreign");
    assert.deepEqual(foreign, inside.flatMap((f) => range(f.offset, f.offset + 4 + f.length)));
    assert.equal(foreign.length, 36);
    assert.equal(inside[inside.length - 1].offset + 4 + inside[inside.length - 1].length, disconnect.resumes_at);
    // The finding's bytes are marked: its locations in this stream.
    const marked = await offsets(page, ".marked");
    const want = [...new Set(finding.locations.flatMap((l) => range(l.start, l.end)))].sort((a, b) => a - b);
    assert.deepEqual(marked, want);
    // The note names the ACKs, and the list shows them as written inside.
    const notes = await page.locator("#details ul.embedded-note li").allInnerTexts();
    assert.deepEqual(notes.map((t) => t.split(" was ")[0]), inside.map((f) => `ACK #${f.index + 1}`));
    for (const f of inside) {
      const row = page.locator(`#frames .row[data-frame="${f.index}"]`);
      assert.match(await row.getAttribute("class"), /\bembedded\b/);
      assert.equal(await row.locator(".type").innerText(), "↳ ACK");
    }
    // The DISCONNECT's own finding list names F010.
    assert.match(await page.locator("#details ul.findings").innerText(), /SPOP-F010 interleaved-frames: AGENT-DISCONNECT \(57 bytes, offset 0x56\) contains 2 complete ACK frames/);
    assert.match(await page.locator("#frames .row.selected .codes").innerText(), /SPOP-F010/);
  }
  await shot(page, "interleaved-jump.png");
  assert.deepEqual(errors, []);
});

const range = (a, b) => Array.from({ length: b - a }, (_, i) => a + i);
