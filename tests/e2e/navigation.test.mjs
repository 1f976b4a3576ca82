// Moving through a capture: next/previous finding at a chosen severity (and what happens when
// there is none), quick key repeats, the stream-id filter as you type, a selection hidden by a
// filter and brought back, compressed captures, and the empty paste area.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { FIXTURES, cli, loaded, newPage, selectedFrame, setup, waitSelected, waitViewCount, worstByFrame, n3 } from "./lib.mjs";

const ctx = setup();
const WARNINGS_ONLY = join(FIXTURES, "incidents/killed-mid-request.pcap");
const MANY_FINDINGS = join(FIXTURES, "incidents/reload.pcap");
const CLEAN = join(FIXTURES, "haproxy34-clean.pcapng");
const PYAGENT = join(FIXTURES, "haproxy26-pyagent.pcap");

async function open(file, errors) {
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  await page.locator("#file").setInputFiles(file);
  await loaded(page, {});
  return page;
}

const framesAtLeast = (report, level) => worstByFrame(report).flatMap((w, i) => (w >= level ? [i] : []));

test("next/previous: a capture of warnings only walks its warnings; the severity is selectable; none is said and disables the buttons", async () => {
  const errors = [];
  const report = cli(WARNINGS_ONLY);
  assert.equal(report.findings.filter((f) => f.severity === "error").length, 0);
  const warnings = framesAtLeast(report, 2);
  const any = framesAtLeast(report, 1);
  assert.ok(warnings.length >= 2 && any.length > warnings.length, `${warnings} ${any}`);
  const page = await open(WARNINGS_ONLY, errors);
  await waitSelected(page, 0);
  // No error: the buttons stop at warnings, and say so.
  await page.waitForFunction(() => document.querySelector("#stop-at")?.value === "2");
  assert.equal(await page.getAttribute("#next-error", "title"), "Next warning (n)");
  assert.equal(await page.locator("#stop-at option:checked").textContent(), "warnings");
  for (const w of warnings.filter((w) => w > 0)) {
    await page.keyboard.press("n");
    await waitSelected(page, w);
  }
  // Past the last: it stays, and says why.
  await page.keyboard.press("n");
  await page.waitForFunction(() => /No later warning\./.test(document.querySelector("#seek-note").textContent));
  await waitSelected(page, warnings.at(-1));
  await page.keyboard.press("N");
  await waitSelected(page, warnings.at(-2));
  // Any finding: infos too.
  await page.selectOption("#stop-at", "1");
  await page.keyboard.press("Home");
  await waitSelected(page, 0);
  for (const f of any.filter((f) => f > 0).slice(0, 4)) {
    await page.locator("#next-error").click();
    await waitSelected(page, f);
  }
  // Errors: there are none, so the buttons are disabled and the page says so.
  await page.selectOption("#stop-at", "3");
  await page.waitForFunction(() => document.querySelector("#next-error").disabled && document.querySelector("#prev-error").disabled);
  // The control itself says there are none.
  assert.equal(await page.locator("#stop-at option:checked").textContent(), "no errors");
  const before = await selectedFrame(page);
  await page.keyboard.press("n");
  await page.waitForTimeout(200);
  assert.equal(await selectedFrame(page), before);

  // A capture without findings: nothing to choose, and it says so.
  const clean = await open(CLEAN, errors);
  await clean.waitForFunction(() => document.querySelector("#next-error").disabled && document.querySelector("#stop-at").disabled);
  assert.equal(await clean.locator("#stop-at option:checked").textContent(), "no findings");
  assert.deepEqual(errors, []);
});

test("ten quick n presses move ten findings", async () => {
  const errors = [];
  const report = cli(MANY_FINDINGS);
  const any = framesAtLeast(report, 1).filter((f) => f > 0);
  assert.ok(any.length >= 11, `${any.length}`);
  const page = await open(MANY_FINDINGS, errors);
  await page.selectOption("#stop-at", "1");
  await page.keyboard.press("Home");
  await waitSelected(page, 0);
  // Presses as fast as the keyboard sends them, without waiting for the page in between.
  for (let i = 0; i < 10; i++) await page.keyboard.press("n");
  await waitSelected(page, any[9]);
  await page.waitForTimeout(300);
  assert.equal(await selectedFrame(page), any[9]);
  for (let i = 0; i < 3; i++) await page.keyboard.press("N");
  await waitSelected(page, any[6]);
  assert.deepEqual(errors, []);
});

test("the stream-id filter applies as you type", async () => {
  const errors = [];
  const report = cli(PYAGENT);
  const page = await open(PYAGENT, errors);
  const id = report.frames.find((f) => f.type === "NOTIFY").stream_id;
  const n = report.frames.filter((f) => String(f.stream_id) === String(id)).length;
  assert.ok(n > 0 && n < report.frames.length);
  await page.locator("#filter-stream").click();
  // Typed, no change event (no Enter, no blur).
  await page.keyboard.type(String(id));
  await waitViewCount(page, `${n3(n)} of ${n3(report.frames.length)} frames`);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "filter-stream");
  // "id/frame", as the list shows ids, filters by the stream, and what is typed stays.
  await page.keyboard.type("/");
  await page.waitForTimeout(400);
  await page.keyboard.type("1");
  await page.waitForTimeout(400);
  assert.equal(await page.inputValue("#filter-stream"), `${id}/1`);
  await waitViewCount(page, `${n3(n)} of ${n3(report.frames.length)} frames`);
  await page.locator("#filter-stream").fill("");
  await waitViewCount(page, `${n3(report.frames.length)} frames`);
  assert.deepEqual(errors, []);
});

test("a filter that hides the selected frame keeps the selection: clearing it brings it back, and j goes on from it", async () => {
  const errors = [];
  const report = cli(PYAGENT);
  const page = await open(PYAGENT, errors);
  const notify = report.frames.find((f) => f.type === "NOTIFY" && f.index > 2).index;
  await page.keyboard.press("Home");
  await waitSelected(page, 0);
  for (let i = 0; i < notify; i++) await page.keyboard.press("j");
  await waitSelected(page, notify);
  // Only ACKs: the NOTIFY is hidden.
  await page.selectOption("#filter-type", "ACK");
  const acks = report.frames.filter((f) => f.type === "ACK").length;
  await waitViewCount(page, `${n3(acks)} of ${n3(report.frames.length)} frames`);
  await page.click("#clear-filters");
  await waitViewCount(page, `${n3(report.frames.length)} frames`);
  await waitSelected(page, notify);
  await page.keyboard.press("j");
  await waitSelected(page, notify + 1);
  assert.deepEqual(errors, []);
});

test("a .pcap.gz and a .pcapng.gz open as the captures they hold; a gzip bomb and a ZIP say what they are", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  for (const name of ["haproxy26-interleaved-disconnect.pcap", "haproxy34-clean.pcapng"]) {
    const report = cli(join(FIXTURES, name));
    await page.locator("#file").setInputFiles({
      name: `${name}.gz`,
      mimeType: "application/gzip",
      buffer: gzipSync(readFileSync(join(FIXTURES, name))),
    });
    await loaded(page, { source: `${name}.gz`, frames: String(report.frames.length) });
    assert.match(await page.textContent(".summary-line"), new RegExp(`${report.summary.frames ?? report.frames.length} frame\\(s\\)`));
    await page.click(".home");
    await page.waitForSelector("textarea#input");
  }
  // 300 MiB of zeros in well under a megabyte.
  await page.locator("#file").setInputFiles({ name: "bomb.pcap.gz", mimeType: "application/gzip", buffer: gzipSync(Buffer.alloc(300 << 20), { level: 9 }) });
  await page.waitForFunction(() => /inflates past 256 MiB/.test(document.querySelector(".input-error")?.textContent ?? ""), null, { timeout: 60_000 });
  await page.locator("#file").setInputFiles({ name: "capture.zip", mimeType: "application/zip", buffer: Buffer.from("PK\x03\x04\x14\x00\x00\x00\x08\x00", "latin1") });
  await page.waitForFunction(() => /a ZIP archive, not a capture: unzip it/.test(document.querySelector(".input-error")?.textContent ?? ""));
  assert.deepEqual(errors, []);
});

test("Inspect with an empty paste area says so", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  await page.waitForSelector("textarea#input");
  await page.click("#inspect-text");
  await page.waitForSelector("#input-empty");
  assert.match(await page.textContent("#input-empty"), /The paste area is empty/);
  // Typing clears it.
  await page.locator("textarea#input").type("00");
  await page.waitForSelector("#input-empty", { state: "detached" });
  assert.deepEqual(errors, []);
});
