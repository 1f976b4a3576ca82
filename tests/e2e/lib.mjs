// Shared helpers for the end-to-end tests: a static server for dist/, a headless Chromium, the
// CLI's JSON report as ground truth, hex dumps of captures, and waits on the page's state.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, basename } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { before, after } from "node:test";
import { chromium } from "playwright-core";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const DIST = join(ROOT, "dist");
export const ARTIFACTS = join(ROOT, "tests/e2e/artifacts");
export const FIXTURES = join(ROOT, "tests/fixtures");
const TARGET = process.env.CARGO_TARGET_DIR ?? join(ROOT, "target");

/** The single-file build (scripts/single_file.py), which works from disk. */
export const SINGLE_FILE = join(DIST, "spop-inspector.html");

/** The single file's file:// URL, with `fragment` (e.g. `"#x=1"`) appended as given. */
export const singleFileUrl = (fragment = "") => pathToFileURL(SINGLE_FILE).href + fragment;

/** The corpus: every capture in tests/fixtures. */
export const CORPUS = readdirSync(FIXTURES)
  .filter((f) => /\.(pcap|pcapng)$/.test(f))
  .sort();

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".json": "application/json",
  ".pcap": "application/octet-stream",
};

/** Serves `dir` under `prefix` (a sub-path, to prove relative URLs) on a free port. Every
 * request is recorded in `requests` (method and path). */
export async function serve(dir = DIST, prefix = "/inspector/") {
  const requests = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    requests.push(url.pathname);
    if (!url.pathname.startsWith(prefix)) {
      res.writeHead(404).end();
      return;
    }
    let path = normalize(join(dir, decodeURIComponent(url.pathname.slice(prefix.length))));
    if (!path.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(path)).isDirectory()) path = join(path, "index.html");
      const body = await readFile(path);
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}${prefix}`;
  return { url, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Debian's Chromium, headless, with the flags this environment needs (Playwright gives each
 * launch a fresh profile directory). */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A page that records any console error or uncaught exception in `errors` (each test asserts
 * it empty). `options` go to browser.newContext (e.g. colorScheme, permissions). */
export async function newPage(browser, errors, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  // The decode worker's errors too.
  page.on("worker", (w) => w.on("console", (m) => m.type() === "error" && errors.push(`worker: ${m.text()}`)));
  page.on("crash", () => errors.push("page crashed"));
  return page;
}

/** Per-file set-up: a server for dist/ on a sub-path and a browser, closed after the file's
 * tests. Returns an object whose `server` and `browser` are filled in before the tests run. */
export function setup() {
  const ctx = {};
  before(async () => {
    if (!existsSync(join(DIST, "index.html"))) {
      throw new Error(`${DIST}/index.html is missing: build the site first (source scripts/lib.sh && build_web)`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    ctx.server = await serve();
    ctx.browser = await launch();
  });
  after(async () => {
    await ctx.browser?.close();
    await ctx.server?.close();
  });
  return ctx;
}

export const shot = (page, name, options = {}) => page.screenshot({ path: join(ARTIFACTS, name), ...options });

// ---------------------------------------------------------------------------------------------
// Ground truth: the CLI.

let cliBuilt = null;
/** target/debug/spop-inspect, built (or brought up to date) once per test process. */
export function cliPath() {
  if (process.env.SPOP_INSPECT) return process.env.SPOP_INSPECT;
  if (!cliBuilt) {
    execFileSync("cargo", ["build", "--quiet", "-p", "spop-inspect"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    cliBuilt = join(TARGET, "debug/spop-inspect");
  }
  return cliBuilt;
}

const reports = new Map();
/** The CLI's JSON report for a file (a path) or for text/bytes given on standard input. */
export function cli(input) {
  const key = typeof input === "string" ? input : null;
  if (key && reports.has(key)) return reports.get(key);
  const args = ["--format", "json", "--fail-on", "never", key ?? "-"];
  const out = execFileSync(cliPath(), args, { input: key ? undefined : input, maxBuffer: 1 << 30 });
  const report = JSON.parse(out.toString("utf8"));
  if (key) reports.set(key, report);
  return report;
}

/** The CLI's error message for unreadable input (exit status 2), without its "spop-inspect: standard input: " prefix. */
export function cliError(input) {
  const run = spawnSync(cliPath(), ["-"], { input });
  if (run.status !== 2) throw new Error(`spop-inspect read the input (exit ${run.status})`);
  return run.stderr.toString("utf8").trim().replace(/^spop-inspect: standard input: /, "");
}

/** Distinct finding codes of a report, sorted. */
export const codesOf = (report) => [...new Set(report.findings.map((f) => f.code))].sort();

/** Worst severity (0 none, 1 info, 2 warning, 3 error) of the findings shown under each frame. */
export function worstByFrame(report) {
  const level = { info: 1, warning: 2, error: 3 };
  return report.frames.map((fr) => Math.max(0, ...fr.findings.map((i) => level[report.findings[i].severity])));
}

/** Timeline indexes of the frames the text filter keeps: the needle (case-insensitive) in the
 * frame's type, summary, or the code, name and message of a finding shown under it. */
export function textMatches(report, needle) {
  const n = needle.trim().toLowerCase();
  return report.frames
    .filter((fr) => {
      let text = `${fr.type} ${fr.summary}`;
      for (const i of fr.findings) {
        const f = report.findings[i];
        text += ` ${f.code} ${f.name} ${f.message}`;
      }
      return text.toLowerCase().includes(n);
    })
    .map((fr) => fr.index);
}

/** The summary line the page should show for a report. */
export function expectedCounts(report) {
  const s = report.summary;
  return {
    // An input without packets (a pasted byte stream) says so, as the engine does everywhere.
    line: `${n3(s.connections)} connection(s) · ${n3(s.frames)} frame(s) · ${s.packets ? `${n3(s.packets)} packet(s)` : "no packets (a byte stream)"}`,
    errors: `${s.errors} error(s)`,
    warnings: `${s.warnings} warning(s)`,
    infos: `${s.infos} info`,
  };
}

// ---------------------------------------------------------------------------------------------
// Text forms of a capture, as a user would paste them (byte-identical to xxd and hexdump -C).

const hex2 = (b) => b.toString(16).padStart(2, "0");
const printable = (chunk) => [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");

/** `xxd FILE` */
export function xxd(buf) {
  let out = "";
  for (let o = 0; o < buf.length; o += 16) {
    const chunk = buf.subarray(o, o + 16);
    let hex = "";
    for (let i = 0; i < 16; i += 2) {
      hex += (i < chunk.length ? hex2(chunk[i]) : "  ") + (i + 1 < chunk.length ? hex2(chunk[i + 1]) : "  ") + " ";
    }
    out += `${o.toString(16).padStart(8, "0")}: ${hex} ${printable(chunk)}\n`;
  }
  return out;
}

/** `hexdump -C FILE` (without the `*` for repeated lines). */
export function hexdumpC(buf) {
  let out = "";
  for (let o = 0; o < buf.length; o += 16) {
    const chunk = buf.subarray(o, o + 16);
    let hex = "";
    for (let i = 0; i < 16; i++) hex += (i < chunk.length ? `${hex2(chunk[i])} ` : "   ") + (i === 7 ? " " : "");
    out += `${o.toString(16).padStart(8, "0")}  ${hex} |${printable(chunk)}|\n`;
  }
  return out + `${buf.length.toString(16).padStart(8, "0")}\n`;
}

// ---------------------------------------------------------------------------------------------
// The page.

/** Dispatches a real `paste` ClipboardEvent carrying `text` on the element matched by
 * `selector` (or on the document body). */
export async function paste(page, text, selector = "body") {
  await page.locator(selector).evaluate((el, text) => {
    const data = new DataTransfer();
    data.setData("text/plain", text);
    el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
}

/** Waits until a capture is shown: no progress box, the summary names `source`, the list has
 * `frames` rows in all, and a frame is selected. */
export async function loaded(page, { source, frames, timeout = 30_000 } = {}) {
  await page.waitForFunction(
    ({ source, frames }) => {
      if (document.querySelector(".progress-box")) return false;
      const src = document.querySelector(".summary-line .source")?.textContent ?? "";
      if (source !== undefined && !src.startsWith(source)) return false;
      const list = document.querySelector("#frames");
      if (!list || (frames !== undefined && list.getAttribute("aria-rowcount") !== String(frames))) return false;
      return document.querySelector("#frames .row.selected") !== null && document.querySelector("#details h2") !== null;
    },
    { source, frames },
    { timeout, polling: 50 },
  );
}

/** The summary line's parts. */
export async function summary(page) {
  const line = page.locator(".summary-line");
  return {
    source: await line.locator(".source").innerText(),
    // The input's label (not the counts, which are muted too while the rules are checked).
    input: await page.locator(".summary-line > span.muted:not(.counts)").innerText(),
    text: (await line.innerText()).replace(/\s+/g, " "),
  };
}

/** The list row of timeline position `pos`, scrolled into the list's view first: the list draws
 * only the rows on screen, and opening a capture scrolls it to the first finding. */
export async function listRow(page, pos) {
  await page.locator("#frames").evaluate((el, pos) => {
    el.scrollTop = pos * 24; // web/src/ui/list.rs ROW_HEIGHT
  }, pos);
  const row = page.locator(`#frames .row[data-frame="${pos}"]`);
  await row.waitFor();
  return row;
}

/** Timeline index of the selected row (null if none). */
export const selectedFrame = (page) =>
  page.evaluate(() => {
    const r = document.querySelector("#frames .row.selected");
    return r ? Number(r.dataset.frame) : null;
  });

/** Waits until the selected row is frame `index` (0-based) and, on the Details tab, its
 * details are shown. */
export async function waitSelected(page, index, timeout = 10_000) {
  await page.waitForFunction(
    (index) =>
      document.querySelector("#frames .row.selected")?.dataset.frame === String(index) &&
      (document.querySelector("#tab-details")?.getAttribute("aria-selected") !== "true" ||
        (document.querySelector("#details h2")?.textContent ?? "").startsWith(`Frame #${index + 1} ·`)),
    index,
    { timeout, polling: 50 },
  );
}

/** Waits until `#view-count` reads `text`. */
export const waitViewCount = (page, text, timeout = 10_000) =>
  page.waitForFunction((t) => document.querySelector("#view-count")?.textContent === t, text, { timeout, polling: 50 });

/** Data-offsets of the bytes matching a selector in the hex view. */
export const offsets = (page, selector) =>
  page.$$eval(`#details .byte${selector}`, (els) => els.map((e) => Number(e.dataset.offset)));

// ---------------------------------------------------------------------------------------------
// A large realistic capture (gen-capture), generated once and cached in artifacts/.

/** Reads the CLI's JSON for `path` only as far as the connections (input, summary,
 * connections), then stops it: the frames of a large capture would be hundreds of MB. */
function cliHead(path) {
  return new Promise((resolve, reject) => {
    const child = spawn(cliPath(), ["--format", "json", "--fail-on", "never", path], { stdio: ["ignore", "pipe", "inherit"] });
    const chunks = [];
    let size = 0;
    let done = false;
    child.stdout.on("data", (c) => {
      if (done) return;
      chunks.push(c);
      size += c.length;
      const text = Buffer.concat(chunks, size).toString("utf8");
      const at = text.indexOf(',"frames":[');
      if (at >= 0) {
        done = true;
        child.kill();
        resolve(JSON.parse(text.slice(0, at) + "}"));
      }
    });
    child.on("error", reject);
    child.on("close", (code) => done || reject(new Error(`spop-inspect exited ${code} before its frames`)));
  });
}

/** The ~100 MB capture (or another size; `requests`: per connection, fewer for more
 * connections): its path, gen-capture's counts and the CLI's summary and connections. */
export async function largeCapture({ size = "100M", seed = 1, requests = null } = {}) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `large-${size}-seed${seed}${requests ? `-r${requests}` : ""}.pcap`);
  const meta = `${path}.json`;
  if (existsSync(path) && existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, "utf8"));
    const st = statSync(path);
    if (m.bytes === st.size && m.mtimeMs === st.mtimeMs && m.generated && m.summary && m.connectionFrames) return { path, ...m };
  }
  execFileSync("cargo", ["build", "--quiet", "--release", "-p", "spop-tests", "--bin", "gen-capture"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const gen = join(TARGET, "release/gen-capture");
  // It prints "OUT: B bytes, P packets, F SPOP frames, C connections" on standard error.
  const args = [path, "--size", size, "--seed", String(seed), ...(requests ? ["--requests", String(requests)] : [])];
  const run = spawnSync(gen, args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`gen-capture failed: ${run.stderr}`);
  const said = /(\d+) bytes, (\d+) packets, (\d+) SPOP frames, (\d+) connections/.exec(run.stderr);
  if (!said) throw new Error(`gen-capture said: ${run.stderr}`);
  const generated = { bytes: +said[1], packets: +said[2], frames: +said[3], connections: +said[4] };
  const head = await cliHead(path);
  const st = statSync(path);
  const m = {
    bytes: st.size,
    mtimeMs: st.mtimeMs,
    name: basename(path),
    generated,
    summary: head.summary,
    input: head.input,
    notifies: head.connections.reduce((n, c) => n + c.notifies, 0),
    connectionFrames: head.connections.map((c) => c.frames_to_agent + c.frames_to_haproxy),
  };
  writeFileSync(meta, JSON.stringify(m, null, 1));
  return { path, ...m };
}

/** A count as the page shows it: `803200` → `"803,200"`. */
export const n3 = (n) => Number(n).toLocaleString("en-US");

// ---------------------------------------------------------------------------------------------
// The decode worker.

/** Before the page's scripts run, records what the page posts to its workers and what they
 * answer, as the sorted keys of each message (`"id,load,settings"`, `"id,req"`, `"id,reply"`,
 * `"progress,stage"`, `"ready"`; `"module"` for a compiled WebAssembly.Module): in `sent` and
 * `received`, and both in the order they happened in `log` (`">slice"` sent, `"<fed"`
 * received). `slices` has the byte length of each file slice sent. Read them with
 * {@link workerTraffic}. */
export const watchWorkers = (page) =>
  page.addInitScript(() => {
    const kind = (m) => (m instanceof WebAssembly.Module ? "module" : Object.keys(m ?? {}).sort().join(","));
    const traffic = { sent: [], received: [], log: [], slices: [] };
    Object.defineProperty(window, "__workerTraffic", { value: traffic });
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (message, ...rest) {
      if (!this.__watched) {
        this.__watched = true;
        this.addEventListener("message", (e) => {
          traffic.received.push(kind(e.data));
          traffic.log.push(`<${kind(e.data)}`);
        });
      }
      traffic.sent.push(kind(message));
      traffic.log.push(`>${kind(message)}`);
      if (message?.slice instanceof Uint8Array) traffic.slices.push(message.slice.byteLength);
      return post.call(this, message, ...rest);
    };
  });

/** What {@link watchWorkers} recorded: `{ sent, received }`. */
export const workerTraffic = (page) => page.evaluate(() => window.__workerTraffic);

// ---------------------------------------------------------------------------------------------
// The page's own measurements (web/src/ui/state.rs): performance marks of a load and the
// `spopInspectorStats()` global.

/** The marks of a load, in the order a person sees them happen: the input chosen, then the
 * timeline's first frames and the findings (in either order). */
export const MARKS = { selected: "spop:file-selected", timeline: "spop:timeline", findings: "spop:findings" };

/** Waits until the current load has set its timeline and findings marks. */
export const waitMarks = (page, timeout = 30_000) =>
  page.waitForFunction(
    (names) => names.every((n) => performance.getEntriesByName(n, "mark").length > 0),
    [MARKS.selected, MARKS.timeline, MARKS.findings],
    { timeout, polling: 20 },
  );

/** Every load mark in the page: `{ name: [startTime, …] }` (ms since the page's time origin). */
export const loadMarks = (page) =>
  page.evaluate((names) => Object.fromEntries(names.map((n) => [n, performance.getEntriesByName(n, "mark").map((e) => e.startTime)])), Object.values(MARKS));

/** `spopInspectorStats()`: `{ inWorker, engineMemory, pageMemory }` (wasm memory in bytes). */
export const inspectorStats = (page) => page.evaluate(() => window.spopInspectorStats());
