// The in-browser benchmark (issue 7): the ~100 MB capture opened through the file input of the
// served site in headless Chromium, measured by the page itself (web/src/ui/state.rs):
//   - time from the file chosen to the first timeline on screen and to the findings shown
//     (performance marks spop:file-selected, spop:timeline, spop:findings);
//   - the wasm memory of the decode worker and of the page (spopInspectorStats());
//   - smoothness of the frame list scrolled for ~2 s (requestAnimationFrame intervals);
// then the bundle's sizes, raw and gzipped. Each load is measured on a fresh page, RUNS times;
// the table gives the median and the spread (min–max).
//
// It measures, it does not judge: a missed target is reported (MISS) with exit status 0. Only
// something broken (the page erring, a load not finishing, the list not scrolling) exits 1.
//
// Usage: node tests/e2e/bench.mjs [--runs N]   (needs dist/: source scripts/lib.sh && build_web)
// Prints one plain-text table on standard output (progress goes to standard error) and writes
// the same as JSON to tests/e2e/artifacts/bench-browser.json.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  ARTIFACTS, DIST, MARKS, inspectorStats, largeCapture, launch, loadMarks, loaded, newPage, serve, waitMarks,
} from "./lib.mjs";
import { BUNDLE_FILES, sizeOf } from "./bundle-size.mjs";

const args = process.argv.slice(2);
const RUNS = args[0] === "--runs" ? Number(args[1]) : 3;
if (!Number.isInteger(RUNS) || RUNS < 1 || (args.length && args[0] !== "--runs") || args.length > 2) {
  console.error("usage: node tests/e2e/bench.mjs [--runs N]");
  process.exit(2);
}

// Targets of issue 7 (reported against, not enforced).
const TARGET = {
  timelineMs: 1500,
  findingsMs: 3000,
  memoryPerCaptureByte: 3,
  bundleGzipBytes: 400_000, // wasm + JS, 400 KB
};
// The scroll: this many CSS pixels per animation frame (about 10 rows; above 8 M px of rows
// the list's scrollbar is scaled, so on the 100 MB capture it is about 24 rows a frame), for
// this long.
const SCROLL_STEP_PX = 240;
const SCROLL_MS = 2000;
const LOAD_TIMEOUT_MS = 5 * 60_000;

const log = (...a) => console.error("bench:", ...a);

/** Nearest-rank percentile of numbers. */
function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Scrolls #frames down by `step` px every animation frame for `ms`, timing the frames. */
const scrollList = (page, step, ms) =>
  page.evaluate(
    async ({ step, ms }) => {
      const list = document.querySelector("#frames");
      const rowAtTop = () => {
        const r = list.getBoundingClientRect();
        const row = document.elementFromPoint(r.left + 20, r.top + 5)?.closest("#frames .row");
        return row ? Number(row.getAttribute("aria-rowindex")) : null;
      };
      const before = { top: list.scrollTop, row: rowAtTop() };
      const intervals = [];
      await new Promise((resolve) => {
        let start;
        let last;
        const tick = (now) => {
          if (start === undefined) start = now;
          else intervals.push(now - last);
          last = now;
          if (now - start >= ms) return resolve();
          list.scrollTop += step;
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
      return { before, after: { top: list.scrollTop }, intervals };
    },
    { step, ms },
  );

/** The aria-rowindex of the row at the top of the list, once the rows there have arrived. */
const rowAtTopAfter = (page, minimum) =>
  page
    .waitForFunction(
      (minimum) => {
        const list = document.querySelector("#frames");
        const r = list.getBoundingClientRect();
        const row = document.elementFromPoint(r.left + 20, r.top + 5)?.closest("#frames .row");
        const index = row ? Number(row.getAttribute("aria-rowindex")) : 0;
        return index > minimum ? index : false;
      },
      minimum,
      { timeout: 10_000, polling: 20 },
    )
    .then((h) => h.jsonValue());

async function measureLoad(browser, url, big, run) {
  const errors = [];
  const page = await newPage(browser, errors);
  try {
    await page.goto(url);
    await page.locator("textarea#input").waitFor();
    await page.locator("#file").setInputFiles(big.path);
    await waitMarks(page, LOAD_TIMEOUT_MS);
    const marks = await loadMarks(page);
    for (const name of Object.values(MARKS)) {
      if (marks[name].length !== 1) throw new Error(`run ${run}: ${marks[name].length} "${name}" marks`);
    }
    const selected = marks[MARKS.selected][0];
    const timelineMs = marks[MARKS.timeline][0] - selected;
    const findingsMs = marks[MARKS.findings][0] - selected;
    // The whole capture is there (the CLI's frame count) before anything else is measured.
    await loaded(page, { frames: big.summary.frames, timeout: LOAD_TIMEOUT_MS });
    const afterLoad = await inspectorStats(page);
    if (!afterLoad.inWorker || !afterLoad.engineMemory) throw new Error(`run ${run}: no decode worker memory: ${JSON.stringify(afterLoad)}`);
    const scroll = await scrollList(page, SCROLL_STEP_PX, SCROLL_MS);
    if (!(scroll.after.top > scroll.before.top)) throw new Error(`run ${run}: the list did not scroll`);
    // The rows followed the scroll (fetched from the worker and drawn).
    const rowAfter = await rowAtTopAfter(page, scroll.before.row ?? 0);
    const afterScroll = await inspectorStats(page);
    if (errors.length) throw new Error(`run ${run}: the page reported errors:\n${errors.join("\n")}`);
    const iv = scroll.intervals;
    return {
      timeline_ms: timelineMs,
      findings_ms: findingsMs,
      worker_wasm_memory: afterLoad.engineMemory,
      page_wasm_memory: afterLoad.pageMemory,
      worker_wasm_memory_after_scroll: afterScroll.engineMemory,
      page_wasm_memory_after_scroll: afterScroll.pageMemory,
      scroll: {
        frames: iv.length,
        px: scroll.after.top - scroll.before.top,
        rows: rowAfter - (scroll.before.row ?? 0),
        p50_ms: percentile(iv, 50),
        p95_ms: percentile(iv, 95),
        max_ms: Math.max(...iv),
        over_50ms: iv.filter((x) => x > 50).length,
      },
    };
  } finally {
    await page.context().close();
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting.

const fmtMs = (x) => `${Math.round(x)} ms`;
const fmtKB = (b) => `${(b / 1000).toFixed(1)} KB`;
const fmtMiB = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const spread = (values, fmt) => (values.length > 1 ? `${fmt(Math.min(...values))} – ${fmt(Math.max(...values))}` : "");
/** "0.62x ok" / "1.40x MISS" against an upper bound. */
const verdict = (value, target) => `${(value / target).toFixed(2)}x ${value < target ? "ok" : "MISS"}`;

function table(rows) {
  const head = ["measure", "value", `spread (${RUNS} runs)`, "target", "vs target"];
  const cells = [head, ...rows.map((r) => [r.measure, r.shown, r.spread ?? "", r.targetShown ?? "-", r.verdict ?? "-"])];
  const widths = head.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  const line = (c) => c.map((x, i) => x.padEnd(widths[i])).join("  ").trimEnd();
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

// ---------------------------------------------------------------------------------------------

async function main() {
  for (const f of ["index.html", ...BUNDLE_FILES, "spop-inspector.html"]) {
    if (!existsSync(join(DIST, f))) throw new Error(`${join(DIST, f)} is missing: build the site first (source scripts/lib.sh && build_web)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  log("preparing the 100 MB capture (cached in tests/e2e/artifacts/)");
  const big = await largeCapture();
  const server = await serve();
  const browser = await launch();
  const browserVersion = browser.version();
  const runs = [];
  try {
    for (let i = 1; i <= RUNS; i++) {
      log(`run ${i}/${RUNS}: loading ${big.name} (${big.bytes} bytes) on a fresh page`);
      const r = await measureLoad(browser, server.url, big, i);
      log(`run ${i}/${RUNS}: timeline ${fmtMs(r.timeline_ms)}, findings ${fmtMs(r.findings_ms)}, worker wasm ${fmtMiB(r.worker_wasm_memory)}, scroll p95 ${r.scroll.p95_ms.toFixed(1)} ms`);
      runs.push(r);
    }
  } finally {
    await browser.close();
    await server.close();
  }

  const sizes = {
    ...Object.fromEntries(BUNDLE_FILES.map((f) => [f, sizeOf(join(DIST, f))])),
    "spop-inspector.html": sizeOf(join(DIST, "spop-inspector.html")),
  };
  const bundle = BUNDLE_FILES.reduce(
    (t, k) => ({ raw: t.raw + sizes[k].raw, gzip: t.gzip + sizes[k].gzip }),
    { raw: 0, gzip: 0 },
  );

  const rows = [];
  /** A measure over the runs: median shown, spread (min – max, `spreadFmt`), optional
   * upper-bound target. */
  const measured = (measure, key, values, fmt, { target, targetShown, spreadFmt = fmt } = {}) => {
    const value = median(values);
    rows.push({
      measure, key, value, values, shown: fmt(value), spread: spread(values, spreadFmt),
      target, targetShown: target === undefined ? undefined : targetShown ?? `< ${fmt(target)}`,
      verdict: target === undefined ? undefined : verdict(value, target), ok: target === undefined ? undefined : value < target,
    });
  };
  const fixed = (measure, key, value, fmt, target) =>
    rows.push({
      measure, key, value, shown: fmt(value), target, targetShown: target === undefined ? undefined : `< ${fmt(target)}`,
      verdict: target === undefined ? undefined : verdict(value, target), ok: target === undefined ? undefined : value < target,
    });
  const of = (f) => runs.map(f);
  const ms1 = (x) => `${x.toFixed(1)} ms`;
  const count = (x) => String(x);

  measured("first timeline on screen (after file chosen)", "timeline_ms", of((r) => r.timeline_ms), fmtMs, { target: TARGET.timelineMs });
  measured("findings shown (after file chosen)", "findings_ms", of((r) => r.findings_ms), fmtMs, { target: TARGET.findingsMs });
  const captureX = (b) => `${fmtMiB(b)} (${(b / big.bytes).toFixed(2)}x capture)`;
  const memTarget = TARGET.memoryPerCaptureByte * big.bytes;
  measured("wasm memory, decode worker", "worker_wasm_memory", of((r) => r.worker_wasm_memory), captureX, { spreadFmt: fmtMiB });
  measured("wasm memory, page", "page_wasm_memory", of((r) => r.page_wasm_memory), fmtMiB);
  measured("wasm memory, worker + page", "wasm_memory", of((r) => r.worker_wasm_memory + r.page_wasm_memory), captureX, {
    target: memTarget,
    targetShown: `< ${TARGET.memoryPerCaptureByte}x capture (${fmtMiB(memTarget)})`,
    spreadFmt: fmtMiB,
  });
  measured(`scroll: frames in ${SCROLL_MS / 1000} s (${SCROLL_STEP_PX} px/frame)`, "scroll_frames", of((r) => r.scroll.frames), count);
  measured("scroll: frame interval p50", "scroll_p50_ms", of((r) => r.scroll.p50_ms), ms1);
  measured("scroll: frame interval p95", "scroll_p95_ms", of((r) => r.scroll.p95_ms), ms1);
  measured("scroll: frame interval max", "scroll_max_ms", of((r) => r.scroll.max_ms), ms1);
  measured("scroll: frames over 50 ms", "scroll_over_50ms", of((r) => r.scroll.over_50ms), count);
  for (const [name, s] of Object.entries(sizes).filter(([n]) => n.startsWith("pkg/"))) {
    fixed(`${name} raw`, `${name}:raw`, s.raw, fmtKB);
    fixed(`${name} gzip -9`, `${name}:gzip`, s.gzip, fmtKB);
  }
  fixed("wasm + JS raw", "bundle:raw", bundle.raw, fmtKB);
  fixed("wasm + JS gzip -9", "bundle:gzip", bundle.gzip, fmtKB, TARGET.bundleGzipBytes);
  fixed("single file (spop-inspector.html) raw", "single:raw", sizes["spop-inspector.html"].raw, fmtKB);
  fixed("single file (spop-inspector.html) gzip -9", "single:gzip", sizes["spop-inspector.html"].gzip, fmtKB);

  const title =
    `In the browser: ${big.name}, ${big.bytes.toLocaleString("en-US")} bytes, ${big.summary.frames.toLocaleString("en-US")} frames; ` +
    `Chromium ${browserVersion} headless; median of ${RUNS} fresh page(s)`;
  const text = `${title}\n${table(rows)}`;
  console.log(text);

  const json = {
    generated: new Date().toISOString(),
    browser: `Chromium ${browserVersion} (headless)`,
    capture: { name: big.name, bytes: big.bytes, frames: big.summary.frames, connections: big.summary.connections },
    runs: RUNS,
    scroll: { step_px_per_frame: SCROLL_STEP_PX, duration_ms: SCROLL_MS },
    targets: TARGET,
    measures: rows.map(({ measure, key, value, values, target, ok }) => ({ measure, key, value, values, target, ok })),
    per_run: runs,
    sizes: { ...sizes, "wasm+js": bundle },
    table: text,
  };
  writeFileSync(join(ARTIFACTS, "bench-browser.json"), JSON.stringify(json, null, 1) + "\n");
  log(`wrote ${join(ARTIFACTS, "bench-browser.json")}`);
}

main().catch((e) => {
  console.error(`bench: ${e.stack ?? e}`);
  process.exit(1);
});
