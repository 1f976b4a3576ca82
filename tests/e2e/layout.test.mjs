// The layout of a loaded capture: the connection table (diagnostic columns first, sortable,
// resizable), the frame list (resizable columns, a splitter, kept), the 800 px layout (tabs),
// and the timeline (latency arcs in lanes, labels that fit, zoom that keeps the selection,
// an axis of frame order for inputs without times). Screenshots of each in artifacts/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { FIXTURES, cli, largeCapture, loaded, newPage, paste, setup, shot, waitSelected } from "./lib.mjs";

const ctx = setup();
const RELOAD = "incidents/reload.pcap";
const STORM = "incidents/reconnect-storm.pcap";
const WIDE = { width: 1440, height: 900 };

async function open(file, { viewport = WIDE, colorScheme = "light", page: reuse } = {}) {
  const errors = reuse?.errors ?? [];
  const page = reuse?.page ?? (await newPage(ctx.browser, errors, { viewport, colorScheme }));
  await page.goto(ctx.server.url);
  await page.locator("#file").setInputFiles(file.startsWith("/") ? file : join(FIXTURES, file));
  await loaded(page, { source: file.split("/").at(-1) });
  return { page, errors };
}

/** Drags from the centre of `locator` by `dx` px (real pointer events). */
async function drag(page, locator, dx) {
  const b = await locator.boundingBox();
  const x = b.x + b.width / 2;
  const y = b.y + b.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 5; i++) await page.mouse.move(x + (dx * i) / 5, y);
  await page.mouse.up();
}

const heads = (page) => page.locator("table.conn-table thead th").allInnerTexts();
const cellTexts = (page, col) =>
  page.locator("table.conn-table tr.conn:not(.all)").evaluateAll((trs, col) => trs.map((tr) => tr.cells[col].textContent), col);

test("connection table: what diagnoses is in view at 1440 px; columns sort (click, again, keyboard) and resize", async () => {
  const report = cli(join(FIXTURES, STORM));
  const { page, errors } = await open(STORM);
  const names = (await heads(page)).map((h) => h.replace(/ [▲▼]$/, ""));
  assert.deepEqual(names.slice(0, 7), ["#", "findings", "ended", "closed", "latency median/max", "HAProxy", "frames →/←"]);
  // The diagnostic columns are inside the table's visible width, no sideways scroll needed.
  const clipped = await page.evaluate(() => {
    const wrap = document.querySelector(".table-wrap").getBoundingClientRect();
    return [...document.querySelectorAll("table.conn-table thead th")]
      .slice(0, 7)
      .filter((th) => th.getBoundingClientRect().right > wrap.right + 0.5)
      .map((th) => th.textContent);
  });
  assert.deepEqual(clipped, [], "diagnostic columns cut off");
  await shot(page, "layout-connections-1440-light.png", { clip: await page.locator("details.connections").boundingBox() });

  // Sort by frames: largest first, then reversed; the indicator and aria-sort follow.
  const frames = (t) => t.split(" / ").reduce((a, b) => a + Number(b), 0);
  const th = page.locator("table.conn-table thead th").nth(6);
  await th.locator("button").click();
  assert.equal(await th.getAttribute("aria-sort"), "descending");
  assert.match(await th.innerText(), /▼$/);
  // The table shows its first rows: the first of all the connections in that order.
  let got = (await cellTexts(page, 6)).map(frames);
  const want = report.connections.map((c) => c.frames_to_agent + c.frames_to_haproxy).sort((a, b) => b - a);
  assert.deepEqual(got, want.slice(0, got.length));
  await th.locator("button").click();
  assert.equal(await th.getAttribute("aria-sort"), "ascending");
  got = (await cellTexts(page, 6)).map(frames);
  assert.deepEqual(got, [...want].reverse().slice(0, got.length));
  // The keyboard: Tab to a heading's button, Enter sorts (by number, here: 1, 2, …).
  const num = page.locator("table.conn-table thead th").nth(0);
  await num.locator("button").focus();
  await page.keyboard.press("Enter");
  assert.equal(await num.getAttribute("aria-sort"), "ascending");
  assert.equal(await th.getAttribute("aria-sort"), "none");
  const numbers = (await cellTexts(page, 0)).map((t) => Number.parseInt(t));
  assert.deepEqual(numbers, report.connections.map((c) => c.id + 1).slice(0, numbers.length));
  await page.keyboard.press(" ");
  assert.equal(await num.getAttribute("aria-sort"), "descending");

  // Resize "ended" by dragging its edge; kept across loads.
  const ended = page.locator("table.conn-table thead th").nth(2);
  const before = (await ended.boundingBox()).width;
  await drag(page, ended.locator(".col-resize"), 90);
  const after = (await ended.boundingBox()).width;
  assert.ok(Math.abs(after - before - 90) < 6, `ended: ${before} → ${after}`);
  assert.equal(await num.getAttribute("aria-sort"), "descending", "a drag on the edge does not sort");
  await open(STORM, { page: { page, errors } });
  const kept = (await page.locator("table.conn-table thead th").nth(2).boundingBox()).width;
  assert.ok(Math.abs(kept - after) < 2, `kept: ${after} vs ${kept}`);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("connection table: 3,000 connections sort at once", async () => {
  const big = await largeCapture({ size: "6M", seed: 3, requests: 1 });
  assert.ok(big.summary.connections >= 3000, `${big.summary.connections} connections`);
  const errors = [];
  const page = await newPage(ctx.browser, errors, { viewport: WIDE });
  await page.goto(ctx.server.url);
  await page.locator("#file").setInputFiles(big.path);
  await loaded(page, { source: big.name, timeout: 120_000 });
  // Sorting by findings (most first) waits for the rules' counts.
  await page.waitForFunction(() => !document.querySelector("table.conn-table td.counts")?.textContent.includes("…"), null, { timeout: 120_000 });
  for (const [col, dir] of [[4, "descending"], [9, "descending"], [9, "ascending"]]) {
    const t0 = Date.now();
    await page.locator("table.conn-table thead th").nth(col).locator("button").click();
    await page.waitForFunction(([c, d]) => document.querySelectorAll("table.conn-table thead th")[c].getAttribute("aria-sort") === d, [col, dir]);
    const ms = Date.now() - t0;
    assert.ok(ms < 1500, `sorting ${big.summary.connections} connections by column ${col}: ${ms} ms`);
  }
  const seconds = (await cellTexts(page, 9)).map((t) => Number.parseFloat(t));
  assert.deepEqual(seconds, [...seconds].sort((a, b) => a - b));
  // The whole workspace of a dense capture, the table scrolled back to its first columns.
  await page.locator(".table-wrap").evaluate((w) => (w.scrollLeft = 0));
  for (const viewport of [WIDE, { width: 1280, height: 720 }]) {
    for (const theme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme: theme });
      await page.setViewportSize(viewport);
      await shot(page, `layout-dense-${viewport.width}-${theme}.png`);
    }
  }
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("frame list: headings whole at 1280 px, the summary has room, columns and the splitter drag and are kept", async () => {
  const { page, errors } = await open(RELOAD, { viewport: { width: 1280, height: 720 } });
  // Each heading's text against its column (the resize handle overhangs on purpose).
  const cut = await page.$$eval(".list-head > span", (spans) =>
    spans
      .filter((s) => {
        const range = document.createRange();
        range.selectNodeContents(s);
        const text = [...s.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE);
        const w = text.reduce((sum, n) => (range.selectNodeContents(n), sum + range.getBoundingClientRect().width), 0);
        return w > s.getBoundingClientRect().width + 0.5;
      })
      .map((s) => s.textContent),
  );
  assert.deepEqual(cut, [], "headings cut at 1280 px");
  await page.setViewportSize(WIDE);
  const summaryW = () => page.locator(".list-head > span").nth(8).evaluate((s) => s.getBoundingClientRect().width);
  const w0 = await summaryW();
  assert.ok(w0 >= 240, `summary column at 1440 px: ${w0}px`);
  // The splitter: dragged right, the frames gain what the side panel loses.
  const splitter = page.locator(".splitter");
  const side0 = (await page.locator("aside.right").boundingBox()).width;
  await drag(page, splitter, 150);
  const side1 = (await page.locator("aside.right").boundingBox()).width;
  assert.ok(Math.abs(side0 - side1 - 150) < 6, `side panel ${side0} → ${side1}`);
  const w1 = await summaryW();
  assert.ok(Math.abs(w1 - w0 - 150) < 6, `summary ${w0} → ${w1}`);
  // The keyboard moves it too.
  await splitter.focus();
  await page.keyboard.press("ArrowLeft");
  const side2 = (await page.locator("aside.right").boundingBox()).width;
  assert.ok(Math.abs(side2 - side1 - 24) < 2, `← : ${side1} → ${side2}`);
  // A column: the type column wider by dragging its heading's edge; the rows follow.
  const type = page.locator(".list-head > span").nth(4);
  const t0 = (await type.boundingBox()).width;
  await drag(page, type.locator(".col-resize"), 40);
  const t1 = (await type.boundingBox()).width;
  assert.ok(Math.abs(t1 - t0 - 40) < 4, `type ${t0} → ${t1}`);
  const rowType = (await page.locator("#frames .row").first().locator("span").nth(4).boundingBox()).width;
  assert.ok(Math.abs(rowType - t1) < 1, `rows follow: ${rowType} vs ${t1}`);
  await shot(page, "layout-frames-1440-light.png");
  // Kept on the next visit.
  await open(RELOAD, { page: { page, errors } });
  assert.ok(Math.abs((await page.locator("aside.right").boundingBox()).width - side2) < 2, "side panel kept");
  assert.ok(Math.abs((await page.locator(".list-head > span").nth(4).boundingBox()).width - t1) < 1, "column kept");
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("800 px wide: the details are one tab away, above the fold", async () => {
  for (const theme of ["light", "dark"]) {
    const { page, errors } = await open(RELOAD, { viewport: { width: 800, height: 900 }, colorScheme: theme });
    const inView = async (sel) => {
      const b = await page.locator(sel).boundingBox();
      return b !== null && b.y >= 0 && b.y + Math.min(b.height, 20) <= 900;
    };
    assert.ok(await inView("#tab-details"), "the Details tab is on the first screen");
    assert.ok(await inView("#frames .row.selected"), "the list is shown");
    await shot(page, `layout-800-frames-${theme}.png`);
    await page.locator("#tab-details").click();
    assert.equal(await page.locator("#tab-details").getAttribute("aria-selected"), "true");
    assert.ok(await inView("#details h2"), "the details' heading is on the first screen");
    assert.equal(await page.locator("#frames").isVisible(), false);
    await shot(page, `layout-800-details-${theme}.png`);
    await page.locator("#tab-frames").click();
    assert.ok(await inView("#frames .row.selected"));
    // Enter on a frame brings its details forward.
    await page.locator("#frames").focus();
    await page.keyboard.press("Enter");
    await page.locator("#details").waitFor({ state: "visible" });
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 800, "no sideways scrolling");
    assert.deepEqual(errors, []);
    await page.context().close();
  }
});

/** The timeline's arcs: `[x1, x2]`, apex depth (the control point's y) and lane. */
const arcs = (page) =>
  page.$$eval("section.timeline g.link path", (ps) =>
    ps.map((p) => {
      const [x1, , cx, cy, x2] = p.getAttribute("d").match(/-?[\d.]+/g).map(Number);
      return { x1, x2, cy, title: p.querySelector("title").textContent };
    }),
  );

test("timeline: overlapping NOTIFY→ACK arcs in lanes, latency labels only where they fit", async () => {
  const report = cli(join(FIXTURES, RELOAD));
  for (const [theme, viewport] of [["light", WIDE], ["dark", WIDE], ["light", { width: 1280, height: 720 }], ["dark", { width: 800, height: 900 }]]) {
    const { page, errors } = await open(RELOAD, { viewport, colorScheme: theme });
    await page.waitForSelector("section.timeline g.link");
    const all = await arcs(page);
    assert.equal(all.length, report.frames.filter((f) => f.type === "NOTIFY" && f.pair !== null).length);
    let overlapping = 0;
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        const [a, b] = [all[i], all[j]];
        if (a.x1 <= b.x2 && b.x1 <= a.x2) {
          overlapping++;
          assert.notEqual(a.cy, b.cy, `overlapping pairs on one line: ${a.title} / ${b.title}`);
        }
      }
    }
    assert.ok(overlapping > 0, "the reload capture has overlapping pairs");
    // Every arc says its latency on hover.
    for (const a of all) assert.match(a.title, /^NOTIFY #\d+ → ACK #\d+: \d/);
    // Drawn labels: inside their arc, apart from each other.
    const labels = await page.$$eval("section.timeline g.link", (gs) =>
      gs
        .filter((g) => g.querySelector("text"))
        .map((g) => {
          const b = g.querySelector("text").getBBox();
          const [x1, , , , x2] = g.querySelector("path").getAttribute("d").match(/-?[\d.]+/g).map(Number);
          return { l: b.x, r: b.x + b.width, x1, x2, text: g.querySelector("text").textContent };
        }),
    );
    for (const l of labels) assert.ok(l.l >= l.x1 - 1 && l.r <= l.x2 + 1, `label ${l.text} fits its arc`);
    const sorted = [...labels].sort((a, b) => a.l - b.l);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i].l >= sorted[i - 1].r, `labels ${sorted[i - 1].text} and ${sorted[i].text} overlap`);
    await shot(page, `layout-timeline-${viewport.width}-${theme}.png`, { clip: await page.locator("section.timeline").boundingBox() });
    assert.deepEqual(errors, []);
    await page.context().close();
  }
});

/** The selected frame's arrow on the timeline, if drawn inside the plot. */
const selectedMark = (page) =>
  page.evaluate(() => {
    const svg = document.querySelector("section.timeline svg");
    const m = svg.querySelector("g.mark.selected line:not(.hit)");
    if (!m) return null;
    const x = Number(m.getAttribute("x1"));
    return x >= 78 && x <= svg.width.baseVal.value - 14 ? x : null;
  });

test("timeline: zooming keeps the selected frame in view (buttons, keys, wheel)", async () => {
  const report = cli(join(FIXTURES, RELOAD));
  const { page, errors } = await open(RELOAD);
  // A frame near the end of the capture, far from the middle.
  const frame = report.frames.length - 3;
  await page.locator("section.timeline g.mark").nth(frame).dispatchEvent("click");
  await waitSelected(page, frame);
  const info = () => page.locator("#timeline-info").textContent();
  for (let i = 0; i < 3; i++) {
    const before = await info();
    await page.getByRole("button", { name: "Zoom in" }).click();
    await page.waitForFunction((t) => document.querySelector("#timeline-info").textContent !== t, before);
    assert.notEqual(await selectedMark(page), null, `zoom-in ${i + 1} lost the selected frame`);
  }
  // The + key, twice more.
  for (let i = 0; i < 2; i++) {
    const before = await info();
    await page.locator("#frames").focus();
    await page.keyboard.press("+");
    await page.waitForFunction((t) => document.querySelector("#timeline-info").textContent !== t, before);
    assert.notEqual(await selectedMark(page), null, `+ ${i + 1} lost the selected frame`);
  }
  // Fit, then the wheel over the frame: it stays under the pointer.
  await page.getByRole("button", { name: /^Fit/ }).click();
  await page.waitForFunction(() => document.querySelectorAll("section.timeline g.mark").length > 20);
  const x0 = await selectedMark(page);
  const svg = await page.locator("section.timeline svg").boundingBox();
  await page.mouse.move(svg.x + x0, svg.y + 50);
  for (let i = 0; i < 3; i++) {
    await page.mouse.wheel(0, -100);
    await page.waitForTimeout(150);
  }
  const x1 = await selectedMark(page);
  assert.notEqual(x1, null, "the wheel lost the selected frame");
  assert.ok(Math.abs(x1 - x0) < 3, `the frame under the pointer stays there: ${x0} → ${x1}`);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("timeline of an input without times: an axis of frame order, labels apart and inside", async () => {
  const text = readFileSync(join(FIXTURES, "text/tshark-follow-raw.haproxy34-clean.txt"), "utf8");
  const report = cli(Buffer.from(text));
  const n = report.frames.length;
  for (const [theme, viewport] of [["light", WIDE], ["dark", { width: 800, height: 900 }]]) {
    const errors = [];
    const page = await newPage(ctx.browser, errors, { viewport, colorScheme: theme });
    await page.goto(ctx.server.url);
    await paste(page, text, "textarea#input");
    await loaded(page, { frames: n });
    await page.waitForSelector("section.timeline g.mark");
    assert.match(await page.locator("#timeline-info").textContent(), new RegExp(`^${n} frame\\(s\\) in frame order`));
    const ticks = await page.$$eval("section.timeline text.tick-label", (ts) =>
      ts.map((t) => {
        const b = t.getBBox();
        return { text: t.textContent, l: b.x, r: b.x + b.width };
      }),
    );
    assert.equal(ticks[0].text, "order");
    const labels = ticks.slice(1).map((t) => t.text);
    assert.ok(labels.length >= 3, labels.join(" "));
    assert.equal(labels[0], "frame 1");
    for (const l of labels) assert.match(l, /^frame \d+$/);
    assert.ok(labels.every((l) => Number(l.slice(6)) <= n));
    const width = await page.locator("section.timeline svg").evaluate((s) => s.width.baseVal.value);
    for (let i = 1; i < ticks.length; i++) {
      assert.ok(ticks[i].l >= ticks[i - 1].r, `${ticks[i - 1].text} and ${ticks[i].text} overlap`);
      assert.ok(ticks[i].r <= width, `${ticks[i].text} clipped`);
    }
    // Frames in order: the arrows left to right as the list numbers them.
    const xs = await page.$$eval("section.timeline g.mark", (gs) =>
      gs.map((g) => [Number(g.dataset.frame), Number(g.querySelector("line").getAttribute("x1"))]),
    );
    assert.equal(xs.length, n);
    for (let i = 1; i < xs.length; i++) assert.ok(xs[i][1] > xs[i - 1][1], `frame ${xs[i][0] + 1} after ${xs[i - 1][0] + 1}`);
    await shot(page, `layout-timeline-notimes-${viewport.width}-${theme}.png`, { clip: await page.locator("section.timeline").boundingBox() });
    assert.deepEqual(errors, []);
    await page.context().close();
  }
});
