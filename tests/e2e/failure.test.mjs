// A decode worker that fails under way never leaves the page stuck: whether its engine runs out
// of memory (while reading a capture, or while checking the rules), the worker vanishes in the
// middle of a question without any error event, or it is terminated while idle, the page says
// what failed in plain words, keeps what it showed usable (or goes back to the start screen),
// Retry decodes the capture again in a fresh worker, and another capture opens.
//
// The failures are real: a test-only boot script (pkg/failing-worker.js, added to a copy of the
// site) runs the real worker.js and, when the page's message of the chosen stage arrives, uses
// up the engine's wasm memory before the engine handles it, so the engine's own allocation
// fails (Rust's out-of-memory abort, a wasm trap) — or closes the worker at that moment.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DIST, FIXTURES, cli, expectedCounts, listRow, loaded, newPage, serve, setup, shot, summary } from "./lib.mjs";

const ctx = setup();
const INTERLEAVED = "haproxy26-interleaved-disconnect.pcap";
const CLEAN = "haproxy34-clean.pcapng";

const FAILING_WORKER = `
import "./worker.js";
import init from "./app.js";

// The engine's exports (init() hands back the instance worker.js started).
const wasm = await init();
const fail = new URL(self.location.href).searchParams.get("fail");
// Request::Check's tag in the page's postcard messages (web/src/engine/protocol.rs, its 12th variant).
const CHECK = 11;

// Grows the memory as far as it goes, then takes every free byte of the engine's allocator.
function exhaust() {
  for (let pages = 1 << 16; pages >= 1; pages >>= 1) {
    try { for (;;) wasm.memory.grow(pages); } catch {}
  }
  for (let size = 1 << 30; size >= 1; size >>= 1) {
    try { for (;;) wasm.__wbindgen_malloc(size, 1); } catch {}
  }
}

const answer = self.onmessage;
self.onmessage = (event) => {
  const d = event.data ?? {};
  const due = fail.startsWith("load")
    ? "load" in d || "load_file" in d
    : d.req instanceof Uint8Array && d.req.length === 1 && d.req[0] === CHECK;
  if (due) {
    if (fail.endsWith("close")) return self.close();
    exhaust();
  }
  return answer.call(self, event);
};
`;

let site;
let dir;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "spop-failing-worker-"));
  cpSync(DIST, dir, { recursive: true });
  writeFileSync(join(dir, "pkg/failing-worker.js"), FAILING_WORKER);
  site = await serve(dir);
});
after(async () => {
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A page whose first decode worker boots through failing-worker.js, failing at `fail`
 * (`load-oom`, `check-oom`, `check-close`; null: no failure); every worker made is kept in
 * `window.__workers`. */
async function failingPage(errors, fail) {
  const page = await newPage(ctx.browser, errors);
  await page.addInitScript((fail) => {
    const Real = window.Worker;
    let first = true;
    window.__workers = [];
    window.Worker = class extends Real {
      constructor(url, options) {
        if (fail && first) url = String(url).replace(/worker\.js$/, `failing-worker.js?fail=${fail}`);
        first = false;
        super(url, options);
        window.__workers.push(this);
      }
    };
  }, fail);
  await page.goto(site.url);
  await page.locator("textarea#input").waitFor();
  return page;
}

const bytesOf = (file) => readFileSync(join(FIXTURES, file)).length.toLocaleString("en-US");

/** The header shows the CLI's counts for `file`. */
async function assertCounts(page, file) {
  const report = cli(join(FIXTURES, file));
  await page.waitForFunction(() => document.querySelector(".summary-line .counts:not(#checking):not(#unchecked)"));
  const s = await summary(page);
  assert.ok(s.source.startsWith(file), s.source);
  for (const part of Object.values(expectedCounts(report))) assert.ok(s.text.includes(part), `"${part}" in "${s.text}"`);
}

/** Opens a capture through the file input (from the start screen). */
const choose = (page, file) => page.locator("#file").setInputFiles(join(FIXTURES, file));

/** Another capture opens and is shown with its counts. */
async function anotherCaptureOpens(page) {
  if (await page.locator("button.home").count()) await page.locator("button.home").click();
  await choose(page, CLEAN);
  await loaded(page, { source: CLEAN, frames: cli(join(FIXTURES, CLEAN)).summary.frames });
  await assertCounts(page, CLEAN);
  assert.equal(await page.locator("#engine-failure").count(), 0);
}

/** Screenshots at 1440 and 800 px wide, light and dark. */
async function shots(page, name) {
  for (const width of [1440, 800]) {
    await page.setViewportSize({ width, height: 760 });
    for (const scheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme: scheme });
      await shot(page, `${name}-${width}-${scheme}.png`);
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1280, height: 800 });
}

test("out of memory while reading a capture: the start screen says so, Retry decodes it, another capture opens", async () => {
  const errors = [];
  const page = await failingPage(errors, "load-oom");
  await choose(page, INTERLEAVED);
  const alert = page.locator(".input-error[role=alert]");
  await alert.waitFor();
  assert.equal(
    await alert.innerText(),
    `${INTERLEAVED} (${bytesOf(INTERLEAVED)} bytes): the decoder ran out of memory while reading the capture`,
  );
  assert.equal(await page.locator(".progress-box").count(), 0, "no progress left behind");
  await shots(page, "failure-load");
  await page.locator("#retry").click();
  await loaded(page, { source: INTERLEAVED, frames: cli(join(FIXTURES, INTERLEAVED)).summary.frames });
  await assertCounts(page, INTERLEAVED);
  assert.equal(await page.locator(".input-error").count(), 0);
  await anotherCaptureOpens(page);
  assert.equal(await page.evaluate(() => window.__workers.length), 2, "a fresh worker took over");
  assert.deepEqual(errors, []);
});

test("out of memory while checking the rules: the timeline stays usable without findings, Retry checks them, another capture opens", async () => {
  const errors = [];
  const page = await failingPage(errors, "check-oom");
  await choose(page, INTERLEAVED);
  const banner = page.locator("#engine-failure");
  await banner.waitFor();
  assert.match(await banner.innerText(), /^The decoder ran out of memory while checking the rules\./);
  assert.equal(await page.locator("#unchecked").innerText(), "rules not checked");
  assert.equal(await page.locator("#checking").count(), 0, "not 'checking the rules…' forever");
  // The capture is decoded again in a fresh worker; then the frames answer again.
  await page.waitForFunction(() => document.querySelector("#engine-failure")?.textContent.includes("without findings"));
  await page.locator(`#frames .row[data-frame="1"]`).click();
  await page.locator("#details h2", { hasText: "Frame #2 ·" }).waitFor();
  await page.locator("#tab-findings").click();
  assert.match(await page.locator("#side-panel .hint").innerText(), /^No findings: the rules did not run\. The decoder ran out of memory/);
  await shots(page, "failure-rules");
  await page.locator("#tab-details").click();
  await page.locator("#retry").click();
  await assertCounts(page, INTERLEAVED);
  await page.locator("#details h2", { hasText: "Frame #2 ·" }).waitFor();
  assert.equal(await banner.count(), 0);
  await anotherCaptureOpens(page);
  assert.deepEqual(errors, []);
});

test("a worker vanishing mid-question (no error event): the page says it stopped, Retry works", async () => {
  const errors = [];
  const page = await failingPage(errors, "check-close");
  await choose(page, INTERLEAVED);
  const banner = page.locator("#engine-failure");
  await banner.waitFor();
  assert.match(await banner.innerText(), /^The decoder stopped while checking the rules\./);
  await page.locator("#retry").click();
  await assertCounts(page, INTERLEAVED);
  assert.equal(await banner.count(), 0);
  await anotherCaptureOpens(page);
  assert.deepEqual(errors, []);
});

test("a worker terminated while idle: said, the capture decoded again, the page keeps answering", async () => {
  const errors = [];
  const page = await failingPage(errors, null);
  await choose(page, INTERLEAVED);
  await loaded(page, { source: INTERLEAVED });
  await assertCounts(page, INTERLEAVED);
  await page.evaluate(() => window.__workers.at(-1).terminate());
  const banner = page.locator("#engine-failure");
  await banner.waitFor();
  await page.waitForFunction(() => document.querySelector("#engine-failure")?.textContent.includes("decoded again in a new decoder"));
  assert.match(await banner.innerText(), /^The decoder stopped unexpectedly\./);
  await (await listRow(page, 3)).click();
  await page.locator("#details h2", { hasText: "Frame #4 ·" }).waitFor();
  await assertCounts(page, INTERLEAVED);
  await page.locator("#retry").click();
  await assertCounts(page, INTERLEAVED);
  await anotherCaptureOpens(page);
  assert.deepEqual(errors, []);
});
