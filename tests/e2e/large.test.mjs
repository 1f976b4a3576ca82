// A ~100 MB realistic capture (gen-capture, cached in artifacts/): decoded in the worker with a
// progress bar while the page stays responsive, then browsed through a virtualised list that
// keeps a few dozen rows in the page out of 800 000 frames. Cancel abandons a decode.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  ARTIFACTS, FIXTURES, largeCapture, loaded, newPage, selectedFrame, setup, shot, summary, waitSelected, waitViewCount,
  n3, watchWorkers, workerTraffic,
} from "./lib.mjs";

const ctx = setup();
let big;
const timings = {};

before(async () => {
  const t0 = Date.now();
  big = await largeCapture();
  timings.prepare_ms = Date.now() - t0;
}, { timeout: 30 * 60_000 });

/** Samples the progress bar every 20 ms in the page, with the gap since the previous tick
 * (a late tick means the main thread was blocked). */
const sampleProgress = (page) =>
  page.evaluate(() => {
    window.__samples = [];
    let last = performance.now();
    window.__sampler = setInterval(() => {
      const now = performance.now();
      const p = document.querySelector("progress#progress");
      window.__samples.push({ t: now, gap: now - last, value: p ? p.value : null });
      last = now;
    }, 20);
  });

const rowsInPage = (page) => page.locator("#frames .row").count();

/** The file slices the page sent its worker (backend.rs: 8 MiB each, at most 2 not yet taken
 * by the worker's loader), checked against the file's `bytes`. */
async function assertSlices(page, bytes) {
  const { log, slices } = await workerTraffic(page);
  const SLICE = 8 * 2 ** 20;
  assert.equal(slices.length, Math.ceil(bytes / SLICE), `slices: ${slices}`);
  assert.ok(slices.slice(0, -1).every((n) => n === SLICE), `slices: ${slices}`);
  assert.equal(slices.reduce((a, b) => a + b, 0), bytes);
  // The file was never posted whole, and its load ended after the last slice.
  const file = log.filter((k) => /^>(id,load,settings|id,load_file,settings|slice|end)$/.test(k));
  assert.deepEqual(file, [">id,load_file,settings", ...slices.map(() => ">slice"), ">end"]);
  let unfed = 0;
  let most = 0;
  for (const k of log) {
    if (k === ">slice") most = Math.max(most, ++unfed);
    if (k === "<fed") unfed--;
  }
  assert.equal(unfed, 0, "the worker took every slice");
  assert.equal(most, 2, "at most two slices ahead of the worker");
}

test("a 100 MB capture decodes in the worker with progress, and the page stays responsive", { timeout: 10 * 60_000 }, async (t) => {
  const { summary: want, generated } = big;
  assert.ok(big.bytes > 95 * 2 ** 20, `${big.bytes} bytes`);
  // gen-capture's own counts agree with the CLI's.
  assert.equal(want.frames, generated.frames);
  assert.equal(want.connections, generated.connections);
  assert.equal(want.packets, generated.packets);
  assert.ok(want.frames > 200_000, `${want.frames} frames`);

  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await watchWorkers(page);
  await page.goto(ctx.server.url);
  await page.locator("textarea#input").waitFor();
  await sampleProgress(page);
  const t0 = Date.now();
  await page.locator("#file").setInputFiles(big.path);
  const progress = page.locator(".progress-box progress#progress");
  await progress.waitFor({ timeout: 120_000 });
  timings.progress_shown_ms = Date.now() - t0;
  assert.equal(await page.locator(".progress-box #cancel").count(), 1);
  assert.match(await page.locator(".progress-box").innerText(), new RegExp(`Decoding ${big.name} \\(${n3(big.bytes)} bytes\\)…`));
  // While it decodes, the page answers at once: a frame and a timer round trip.
  await page.waitForFunction(() => Number(document.querySelector("#progress")?.value) > 0, null, { polling: 10, timeout: 120_000 });
  const roundTrip = await page.evaluate(
    () => new Promise((resolve) => {
      const t = performance.now();
      requestAnimationFrame(() => setTimeout(() => resolve({ ms: performance.now() - t, decoding: !!document.querySelector("#progress") }), 0));
    }),
  );
  assert.ok(roundTrip.decoding, "still decoding after the round trip");
  assert.ok(roundTrip.ms < 500, `rAF + setTimeout round trip took ${roundTrip.ms} ms while decoding`);
  timings.round_trip_ms = Math.round(roundTrip.ms);
  await shot(page, "progress.png");

  await loaded(page, { frames: want.frames, timeout: 5 * 60_000 });
  timings.load_ms = Date.now() - t0;
  t.diagnostic(`100 MB load: ${timings.load_ms} ms from choosing the file to the first frame shown`);
  // The page read the file in slices while the worker decoded the ones before.
  await assertSlices(page, big.bytes);

  // Progress: shown from the start, values only growing, many of them.
  const samples = await page.evaluate(() => {
    clearInterval(window.__sampler);
    return window.__samples;
  });
  const during = samples.filter((s) => s.value !== null);
  const values = during.map((s) => s.value);
  assert.ok(values.length > 10, `${values.length} samples while decoding`);
  for (let i = 1; i < values.length; i++) assert.ok(values[i] >= values[i - 1], `progress went back: ${values[i - 1]} → ${values[i]}`);
  const distinct = new Set(values);
  assert.ok(distinct.size >= 10, `${distinct.size} distinct progress values`);
  assert.ok(values[0] < 0.1 && values.at(-1) >= 0.85, `from ${values[0]} to ${values.at(-1)}`);
  // The main thread was never blocked long while the worker decoded (the first ticks, when the
  // file is handed over, aside).
  const decoding = during.filter((s) => s.value > 0).slice(1);
  const worst = Math.max(...decoding.map((s) => s.gap));
  assert.ok(worst < 400, `the page froze for ${worst} ms while decoding`);
  timings.max_main_thread_gap_ms = Math.round(worst);
  timings.progress_samples = values.length;

  // The result: the CLI's counts.
  const s = await summary(page);
  assert.equal(s.source, `${big.name} (${n3(big.bytes)} bytes)`);
  assert.equal(s.input, big.input.label);
  assert.ok(s.text.includes(`${n3(want.connections)} connection(s) · ${n3(want.frames)} frame(s) · ${n3(want.packets)} packet(s)`), s.text);
  assert.ok(s.text.includes(`${want.errors} error(s) ${want.warnings} warning(s) ${want.infos} info`), s.text);
  assert.equal(await page.locator("#view-count").innerText(), `${n3(want.frames)} frames`);
  // Connection table: 50 rows and a "more" line that adds 200; the select offers them all.
  const connRows = () => page.locator("table.conn-table tr.conn").count();
  assert.equal(await connRows(), Math.min(want.connections, 50) + 1);
  if (want.connections > 50) {
    const more = page.locator("table.conn-table tr.more");
    assert.equal(await more.innerText(), `… and ${want.connections - 50} more: show ${Math.min(want.connections - 50, 200)}, or pick one with the connection filter`);
    await more.locator("button").click();
    await page.waitForFunction((n) => document.querySelectorAll("table.conn-table tr.conn").length === n, Math.min(want.connections, 250) + 1);
  }
  assert.equal(await page.locator("#filter-connection option").count(), want.connections + 1);
  // The timeline is binned, not 800 000 arrows.
  await page.waitForFunction(() => document.querySelectorAll("section.timeline g.bin").length > 0);
  assert.equal(await page.locator("section.timeline g.mark").count(), 0);
  assert.match(await page.locator("#timeline-info").innerText(), new RegExp(`^${n3(want.frames)} frame\\(s\\) in .* columns`));
  // A few paths (one per level and direction), not nodes per pixel column; the column under
  // the pointer is read out.
  assert.ok((await page.locator("section.timeline g.bin path").count()) <= 8);
  const plot = await page.locator("section.timeline svg").boundingBox();
  await page.mouse.move(plot.x + plot.width / 2, plot.y + plot.height / 2);
  assert.match(await page.locator("section.timeline .bin-hover text").textContent(), /^[\d,]+ HAProxy → agent · [\d,]+ agent → HAProxy$/);
  await shot(page, "large-hover.png");
  await page.mouse.move(plot.x + plot.width / 2, plot.y + plot.height + 40);
  assert.equal(await page.locator("section.timeline .bin-hover").count(), 0);
  // Virtualised: a few rows in the page.
  const rows = await rowsInPage(page);
  assert.ok(rows > 5 && rows < 200, `${rows} rows in the page`);
  await waitSelected(page, 0);
  await shot(page, "large.png");

  // Scrolling to the bottom shows the last frame (the scrollbar is scaled above 8M px).
  const list = page.locator("#frames");
  const scroll = (fraction) =>
    list.evaluate((el, f) => {
      el.scrollTop = (el.scrollHeight - el.clientHeight) * f;
      el.dispatchEvent(new Event("scroll"));
    }, fraction);
  const lastIndex = want.frames - 1;
  await scroll(1);
  await page.locator(`#frames .row[data-frame="${lastIndex}"]`).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator(`#frames .row[data-frame="${lastIndex}"] > span`).first().innerText(), String(want.frames));
  assert.ok((await list.evaluate((el) => el.scrollHeight)) <= 8_000_000 + 1000);
  const box = await list.boundingBox();
  const lastBox = await page.locator(`#frames .row[data-frame="${lastIndex}"]`).boundingBox();
  assert.ok(lastBox.y >= box.y && lastBox.y + lastBox.height <= box.y + box.height + 1, "the last row is inside the list's viewport");
  assert.ok((await rowsInPage(page)) < 200);
  await shot(page, "large-bottom.png");
  // The middle shows the middle.
  await scroll(0.5);
  await page.waitForFunction(
    (mid) => [...document.querySelectorAll("#frames .row")].some((r) => Math.abs(Number(r.dataset.frame) - mid) < 50),
    Math.floor(want.frames / 2),
  );
  assert.ok((await rowsInPage(page)) < 200);

  // Keyboard over 800 000 frames: the selected row is always in the page.
  const onScreen = async (index) => {
    await waitSelected(page, index);
    const r = await page.locator(`#frames .row[data-frame="${index}"]`).boundingBox();
    const l = await list.boundingBox();
    assert.ok(r && r.y >= l.y - 1 && r.y + r.height <= l.y + l.height + 1, `row ${index} is visible`);
  };
  await page.locator("#frames").focus();
  await page.keyboard.press("End");
  await onScreen(lastIndex);
  await page.keyboard.press("Home");
  await onScreen(0);
  await page.keyboard.press("PageDown");
  await onScreen(20);
  await page.keyboard.press("PageDown");
  await onScreen(40);
  await page.keyboard.press("j");
  await onScreen(41);
  await page.keyboard.press("PageUp");
  await onScreen(21);

  // Filtering 800 000 frames in the worker.
  let f0 = Date.now();
  await page.locator("#filter-type").selectOption("NOTIFY");
  await waitViewCount(page, `${n3(big.notifies)} of ${n3(want.frames)} frames`, 60_000);
  timings.filter_type_ms = Date.now() - f0;
  assert.ok((await rowsInPage(page)) < 200);
  const conn = want.connections - 1;
  await page.locator("#filter-type").selectOption("");
  await page.locator("#filter-connection").selectOption(String(conn));
  await waitViewCount(page, `${n3(big.connectionFrames[conn])} of ${n3(want.frames)} frames`, 60_000);
  f0 = Date.now();
  await page.locator("#filter-connection").selectOption("");
  await page.locator("#filter").fill("no such text in any frame");
  await waitViewCount(page, `0 of ${n3(want.frames)} frames`, 120_000);
  timings.filter_text_ms = Date.now() - f0;
  await page.locator("#clear-filters").click();
  await waitViewCount(page, `${n3(want.frames)} frames`, 60_000);

  // Findings come a page at a time; a finding far down the list still jumps to its frame.
  await page.keyboard.press("f");
  const total = want.errors + want.warnings + want.infos;
  assert.equal(await page.locator("#tab-findings").innerText(), `Findings (${total})`);
  const group = page.locator("ul.groups li.group").first();
  const count = Number(await group.locator(".count").innerText());
  const code = await group.getAttribute("data-code");
  assert.ok(count > 100, `${code}: ${count} findings`);
  await group.locator("button.group-head").click();
  const items = group.locator("ul.items li.finding");
  await page.waitForFunction((c) => document.querySelectorAll(`li.group[data-code="${c}"] li.finding`).length === 100, code);
  const more = group.locator("button.more");
  assert.equal(await more.innerText(), `Show more (${count - 100} left)`);
  await more.click();
  await page.waitForFunction((c) => document.querySelectorAll(`li.group[data-code="${c}"] li.finding`).length === 200, code);
  assert.equal(await more.innerText(), `Show more (${count - 200} left)`);
  const target = items.nth(150).locator("button.jump");
  const frame = Number(/frame #(\d+)/.exec(await target.innerText())[1]) - 1;
  await target.click();
  await waitSelected(page, frame);
  assert.match(await page.locator("#frames .row.selected .codes").innerText(), new RegExp(code));
  assert.ok((await page.locator("#details .byte.marked").count()) > 0, "the finding's bytes are marked");

  // Sharing a large capture starts with the selected frame's connection (small, quick); the
  // whole capture packs too, and the dialog says such a link cannot work.
  const selectedConn = Number(await page.locator("#frames .row.selected span[role=gridcell]").nth(1).innerText());
  f0 = Date.now();
  await page.locator("#share-button").click();
  await page.waitForFunction((c) => (document.querySelector("#share-size")?.textContent ?? "").includes(`connection #${c}: 1 connection(s), `), selectedConn, { timeout: 30_000 });
  timings.share_connection_ms = Date.now() - f0;
  assert.equal(await page.locator("#share-too-big").count(), 0);
  f0 = Date.now();
  await page.locator("#share-all").click();
  await page.locator("#share-too-big").waitFor({ timeout: 120_000 });
  timings.share_whole_ms = Date.now() - f0;
  assert.match(await page.locator("#share-size").innerText(), new RegExp(`the whole capture: ${n3(want.connections)} connection\\(s\\), ${n3(want.frames)} frame\\(s\\)`));
  assert.match(await page.locator("#share-too-big").innerText(), /Browsers do not open links over 2 MiB/);
  await page.keyboard.press("Escape");
  assert.deepEqual(errors, []);

  t.diagnostic(`timings: ${JSON.stringify(timings)}`);
  writeFileSync(join(ARTIFACTS, "timings.json"), JSON.stringify({ capture: { bytes: big.bytes, frames: want.frames }, ...timings }, null, 1));
  await page.context().close();
});

test("a file that cannot be read to its end is explained, and the next one loads", { timeout: 5 * 60_000 }, async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await watchWorkers(page);
  // The third slice's read fails, as when the file changes on disk while it is read; later,
  // reads take half a second.
  await page.addInitScript(() => {
    const read = Blob.prototype.arrayBuffer;
    let reads = 0;
    Blob.prototype.arrayBuffer = function () {
      if (window.__failThirdRead && ++reads === 3) return Promise.reject(new DOMException("changed", "NotReadableError"));
      if (window.__slowReads) return new Promise((wait) => setTimeout(wait, 500)).then(() => read.call(this));
      return read.call(this);
    };
  });
  await page.goto(ctx.server.url);
  await page.locator("textarea#input").waitFor();
  await page.evaluate(() => (window.__failThirdRead = true));
  await page.locator("#file").setInputFiles(big.path);
  const alert = page.locator(".input-error[role=alert]");
  await alert.waitFor({ timeout: 60_000 });
  assert.equal(await alert.innerText(), `${big.name} (${n3(big.bytes)} bytes): ${big.name}: the browser could not read this file`);
  assert.equal(await page.locator(".progress-box").count(), 0);
  // Two slices went, then the end of the load: no more reads.
  const { log, slices } = await workerTraffic(page);
  assert.deepEqual(slices, [8 * 2 ** 20, 8 * 2 ** 20]);
  assert.deepEqual(log.filter((k) => /^>(id,load_file,settings|slice|end)$/.test(k)), [">id,load_file,settings", ">slice", ">slice", ">end"]);
  await page.evaluate(() => {
    window.__failThirdRead = false;
    window.__slowReads = true;
  });
  await page.locator("#file").setInputFiles(join(FIXTURES, "haproxy34-clean.pcapng"));
  // While the next file decodes, the error is not shown under its name.
  await page.locator(".progress-box").waitFor();
  assert.equal(await page.locator(".input-error").count(), 0);
  await loaded(page, { source: "haproxy34-clean.pcapng", frames: 12 });
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("cancel abandons a decode and returns to the start screen", { timeout: 5 * 60_000 }, async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  await page.locator("textarea#input").waitFor();
  await page.locator("#file").setInputFiles(big.path);
  await page.waitForFunction(() => Number(document.querySelector("#progress")?.value) > 0.05, null, { polling: 10, timeout: 120_000 });
  await page.locator("#cancel").click();
  const alert = page.locator(".input-error[role=alert]");
  await alert.waitFor();
  assert.equal(await alert.innerText(), `${big.name} (${n3(big.bytes)} bytes): Decoding cancelled.`);
  assert.equal(await page.locator(".progress-box").count(), 0);
  assert.equal(await page.locator("textarea#input").count(), 1);
  assert.equal(await page.locator(".summary-line").count(), 0);
  // The abandoned decode never shows up later.
  await page.waitForTimeout(8_000);
  assert.equal(await page.locator(".summary-line").count(), 0);
  assert.equal(await alert.innerText(), `${big.name} (${n3(big.bytes)} bytes): Decoding cancelled.`);
  // A fresh worker decodes the next input.
  await page.locator("#file").setInputFiles(join(FIXTURES, "haproxy34-clean.pcapng"));
  await loaded(page, { source: "haproxy34-clean.pcapng", frames: 12 });
  assert.equal(await selectedFrame(page), 0);
  assert.deepEqual(errors, []);
});

test("more connections than a list holds: the connection filter takes a typed number", { timeout: 5 * 60_000 }, async () => {
  // One request per connection: some 6,000 connections in 7 MB.
  const many = await largeCapture({ size: "7M", requests: 1 });
  const want = many.summary;
  assert.ok(want.connections > 5_000, `${want.connections} connections`);
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  await page.locator("#file").setInputFiles(many.path);
  await loaded(page, { source: many.name, frames: want.frames });
  const filter = page.locator("#filter-connection");
  assert.equal(await filter.evaluate((el) => el.tagName), "INPUT", "a number to type, not a list of thousands");
  assert.match(await filter.getAttribute("title"), new RegExp(`1 to ${n3(want.connections)}`));
  // The last connection: the table lists only the first ones.
  await filter.fill(String(want.connections));
  await filter.press("Enter");
  const last = many.connectionFrames[want.connections - 1];
  await waitViewCount(page, `${n3(last)} of ${n3(want.frames)} frames`, 60_000);
  const conns = await page.$$eval("#frames .row > span:nth-child(2)", (els) => els.map((e) => e.textContent.trim()));
  assert.ok(conns.length > 0 && conns.every((c) => c === String(want.connections)), conns.join(" "));
  await shot(page, "many-connections.png");
  // A number out of range is no filter.
  await filter.fill(String(want.connections + 1));
  await filter.press("Enter");
  await waitViewCount(page, `${n3(want.frames)} frames`, 60_000);
  assert.equal(await filter.inputValue(), "");
  // The table grows on request, and starts again from 50 rows with the next capture loaded.
  const connRows = (n) => page.waitForFunction((n) => document.querySelectorAll("table.conn-table tr.conn").length === n, n);
  await connRows(51);
  await page.locator("table.conn-table tr.more button").click();
  await connRows(251);
  // Dropped on the page, a file replaces the capture shown (the table stays in the page).
  const drop = async (path) => {
    const bytes = (await readFile(path)).toString("base64");
    await page.locator("div.app").evaluate((el, [name, bytes]) => {
      const data = new DataTransfer();
      data.items.add(new File([Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0))], name));
      el.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    }, [basename(path), bytes]);
  };
  await drop(many.path);
  await waitViewCount(page, `${n3(want.frames)} frames`, 60_000);
  await connRows(51);
  assert.deepEqual(errors, []);
  await page.close();
});
