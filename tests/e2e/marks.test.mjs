// The page measures its own loads (web/src/ui/state.rs): performance marks when an input is chosen,
// when the timeline first shows the new capture's frames and when its findings are shown, and
// `spopInspectorStats()` for the wasm memory. tests/e2e/bench.mjs reads them on the 100 MB
// capture; here a corpus capture proves they exist, come once per load, in order, and only
// once what they name is on screen.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURES, MARKS, cli, expectedCounts, inspectorStats, loadMarks, loaded, newPage, setup, waitMarks } from "./lib.mjs";

const ctx = setup();

/** Before the page's scripts run: each load mark records what the page shows at that moment. */
const snapshotAtMarks = (page) =>
  page.addInitScript((names) => {
    window.__atMark = [];
    const mark = performance.mark.bind(performance);
    performance.mark = (name, ...rest) => {
      if (names.includes(name)) {
        window.__atMark.push({
          name,
          timelineFrames: document.querySelectorAll("section.timeline g.mark, section.timeline g.bin").length,
          counts: document.querySelector(".summary-line .counts")?.textContent ?? null,
          findingsTab: document.querySelector("#tab-findings")?.textContent ?? null,
        });
      }
      return mark(name, ...rest);
    };
  }, Object.values(MARKS));

/** Lets two animation frames pass (the marks are set just before a paint). */
const twoFrames = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

test("each load marks its input, first timeline and findings once, in order, when they are shown", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await snapshotAtMarks(page);
  await page.goto(ctx.server.url);
  await page.locator("textarea#input").waitFor();
  // Opening the page is not a load.
  assert.deepEqual(await loadMarks(page), { [MARKS.selected]: [], [MARKS.timeline]: [], [MARKS.findings]: [] });

  // A file picked in the file input.
  const file = "haproxy26-interleaved-disconnect.pcap";
  const report = cli(join(FIXTURES, file));
  const want = expectedCounts(report);
  await page.locator("#file").setInputFiles(join(FIXTURES, file));
  await loaded(page, { source: file, frames: report.summary.frames });
  await waitMarks(page);
  await twoFrames(page);
  const first = await loadMarks(page);
  for (const name of Object.values(MARKS)) assert.equal(first[name].length, 1, `${name}: ${first[name]}`);
  const [selected] = first[MARKS.selected];
  assert.ok(first[MARKS.timeline][0] > selected, "timeline after the input");
  assert.ok(first[MARKS.findings][0] > selected, "findings after the input");
  const now = await page.evaluate(() => performance.now());
  assert.ok(first[MARKS.timeline][0] < now && first[MARKS.findings][0] < now);
  // What each mark names was on screen when it was set.
  const at = await page.evaluate(() => window.__atMark);
  assert.equal(at.length, 3);
  assert.equal(at[0].name, MARKS.selected);
  const atTimeline = at.find((m) => m.name === MARKS.timeline);
  assert.ok(atTimeline.timelineFrames > 0, "the timeline showed frames");
  const atFindings = at.find((m) => m.name === MARKS.findings);
  assert.equal(atFindings.counts, `${want.errors}${want.warnings}${want.infos}`);
  assert.equal(atFindings.findingsTab, `Findings (${report.findings.length})`);

  // The engine's wasm memory, from the decode worker, and the page's.
  const stats = await inspectorStats(page);
  assert.equal(stats.inWorker, true);
  for (const m of [stats.engineMemory, stats.pageMemory]) {
    assert.ok(Number.isInteger(m) && m > 0 && m % 65_536 === 0, `wasm memory ${m}`);
  }

  // A second load (a bundled example, the in-page load path) replaces the first one's marks.
  const example = cli(join(FIXTURES, "haproxy34-clean.pcapng"));
  await page.locator("button.home").click();
  await page.locator("button.example", { hasText: "A clean HAProxy 3.4 capture" }).click();
  await loaded(page, { source: "haproxy34-clean.pcapng", frames: example.summary.frames });
  await waitMarks(page);
  await twoFrames(page);
  const second = await loadMarks(page);
  for (const name of Object.values(MARKS)) assert.equal(second[name].length, 1, `${name}: ${second[name]}`);
  assert.ok(second[MARKS.selected][0] > first[MARKS.findings][0] && second[MARKS.selected][0] > first[MARKS.timeline][0]);
  assert.ok(second[MARKS.timeline][0] > second[MARKS.selected][0]);
  assert.ok(second[MARKS.findings][0] > second[MARKS.selected][0]);

  // An unreadable file: chosen, but no timeline and no findings.
  await page.locator("button.home").click();
  await page.locator("#file").setInputFiles({ name: "photo.jpg", mimeType: "image/jpeg", buffer: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]) });
  await page.locator(".input-error[role=alert]").waitFor();
  await twoFrames(page);
  const third = await loadMarks(page);
  assert.equal(third[MARKS.selected].length, 1);
  assert.ok(third[MARKS.selected][0] > second[MARKS.findings][0]);
  assert.deepEqual([third[MARKS.timeline], third[MARKS.findings]], [[], []]);
  assert.deepEqual(errors, []);
});
