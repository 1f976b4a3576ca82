// Share links, notes and marks, the bundle download and the Markdown report, end to end: what
// a sender sees comes back in a fresh browser (no shared storage) from the link alone; hostile
// links explain themselves.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { deflateRawSync } from "node:zlib";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { setup, newPage, loaded, paste, summary, cli, cliPath, expectedCounts, FIXTURES, waitSelected, selectedFrame, shot, singleFileUrl } from "./lib.mjs";

const ctx = setup();
const PYAGENT = join(FIXTURES, "haproxy26-pyagent.pcap");
const INTERLEAVED = join(FIXTURES, "haproxy26-interleaved-disconnect.pcap");

async function open(file, errors, options) {
  const page = await newPage(ctx.browser, errors, options);
  await page.goto(ctx.server.url);
  await page.setInputFiles("input[type=file]", file);
  await loaded(page, {});
  return page;
}

/** What a person sees: counts, the view, selection, filters, panel, notes, flags. */
async function seen(page) {
  return page.evaluate(() => {
    const q = (s) => document.querySelector(s);
    return {
      counts: q(".summary-line .counts")?.textContent,
      // Without the input format (a pcap then a bundle).
      line: [...document.querySelectorAll(".summary-line > span")].slice(1).map((s) => s.textContent).join(" | "),
      view: q("#view-count")?.textContent,
      window: q("#timeline-info")?.textContent,
      ticks: [...document.querySelectorAll(".timeline .tick-label")].map((t) => t.textContent).join(" "),
      selected: q("#frames .row.selected")?.dataset.frame,
      type: q("#filter-type")?.value,
      text: q("#filter")?.value,
      connection: q("#filter-connection")?.value,
      panel: q("[role=tab][aria-selected=true]")?.id,
      notesTab: q("#tab-notes")?.textContent,
      flags: [...document.querySelectorAll(".flag")].map((f) => f.dataset.frame).sort(),
      badges: [...document.querySelectorAll("#frames .row")].filter((r) => r.querySelector(".note-badge")).map((r) => [r.dataset.frame, r.querySelector(".note-badge").textContent, r.querySelector(".note-badge").title]),
      findings: [...document.querySelectorAll(".group-head")].map((g) => g.textContent),
    };
  });
}

async function note(page, text) {
  await page.fill("#note", text);
  await page.locator("#note").press("Escape");
}

async function shareLink(page) {
  await page.click("#share-button");
  await page.waitForSelector("#share-link");
  return page.inputValue("#share-link");
}

/** A fresh browser context (no local storage) opening `url`. */
async function fresh(url, errors) {
  const page = await newPage(ctx.browser, errors);
  await page.goto(url);
  return page;
}

test("round trip: notes, marks, filters, selection, panel and window travel in the link to a fresh page", async () => {
  const errors = [];
  const page = await open(PYAGENT, errors);
  // A note on the first frame, a mark (m) on the third, a note + mark on the fourth.
  await waitSelected(page, 0);
  await note(page, "HELLO with \"quotes\" & a # and ```fences```");
  await page.keyboard.press("j");
  await page.keyboard.press("j");
  await waitSelected(page, 2);
  await page.keyboard.press("m");
  await page.waitForSelector("#mark[aria-pressed=true]");
  await page.keyboard.press("j");
  await waitSelected(page, 3);
  await note(page, "slow ACK?\nsecond line");
  await page.click("#mark");
  await page.waitForSelector("#mark[aria-pressed=true]");
  // Filter to ACKs, select the second, open the Notes panel.
  await page.selectOption("#filter-type", "ACK");
  await page.waitForFunction(() => /of 14 frames/.test(document.querySelector("#view-count").textContent));
  // The ACK selected before the filter stays selected; j moves to the next one (wait for it:
  // selection goes through the worker).
  const first = await selectedFrame(page);
  await page.keyboard.press("j");
  await page.waitForFunction((f) => {
    const r = document.querySelector("#frames .row.selected");
    return r && r.dataset.frame !== String(f);
  }, first);
  const sel = await selectedFrame(page);
  await page.click("#tab-notes");
  await page.waitForSelector("#notes-list");
  // A zoomed window, not the one a fresh view fits to.
  const fitted = await page.textContent("#timeline-info");
  await page.click("[aria-label='Zoom in']");
  await page.waitForFunction((f) => document.querySelector("#timeline-info").textContent !== f, fitted);
  const before = await seen(page);
  assert.equal(before.notesTab, "Notes (3)");
  assert.equal(before.panel, "tab-notes");
  await shot(page, "share-sender.png");

  const link = await shareLink(page);
  assert.match(link, new RegExp(`^${ctx.server.url.replace(/[.?]/g, "\\$&")}#spop=[A-Za-z0-9_-]+$`));
  const size = await page.textContent("#share-size");
  assert.match(size, /KiB · the whole capture: 2 connection\(s\), 14 frame\(s\), 3 note\(s\)/);
  assert.equal(await page.locator("#share-too-big").count(), 0, "a small link is not flagged");
  await shot(page, "share-dialog.png");

  const other = await fresh(link, errors);
  // The sender was on the Notes panel, so no details: wait for the selection and the notes.
  await other.waitForFunction(
    (frame) => !document.querySelector(".progress-box") && document.querySelector("#frames .row.selected")?.dataset.frame === frame,
    String(sel),
  );
  await other.waitForSelector("#notes-list");
  await other.waitForFunction((n) => document.querySelectorAll(".flag").length === n, before.flags.length);
  const after = await seen(other);
  assert.deepEqual({ ...after, badges: undefined }, { ...before, badges: undefined });
  assert.equal(after.selected, String(sel));
  assert.equal((await summary(other)).input, "spop-inspector share bundle");
  // Notes and marks, word for word.
  const notes = await other.locator("#notes-list li").allInnerTexts();
  assert.equal(notes.length, 3);
  assert.match(notes[0], /#1 HAPROXY-HELLO/);
  assert.match(notes[0], /HELLO with "quotes" & a # and ```fences```/);
  assert.match(notes[1], /★ #3 NOTIFY/);
  assert.match(notes[2], /★ #4 ACK[^]*slow ACK\?\nsecond line/);
  // The details of a noted frame show its note.
  await other.click("#notes-list li:nth-child(3) button");
  await other.click("#tab-details");
  await waitSelected(other, 3);
  assert.equal(await other.inputValue("#note"), "slow ACK?\nsecond line");
  assert.equal(await other.getAttribute("#mark", "aria-pressed"), "true");
  // The address keeps the link, so a reload restores it again.
  assert.equal(other.url(), link);
  // Until the user goes back to the start screen: then a reload must not reopen it.
  await other.click(".home");
  await other.waitForSelector("textarea#input");
  assert.equal(other.url(), link.slice(0, link.indexOf("#")));
  // Back shows the link's capture again, as it was left, without decoding it again.
  const chosen = await other.evaluate(() => performance.getEntriesByName("spop:file-selected").length);
  await other.goBack();
  await waitSelected(other, 3);
  assert.equal(other.url(), link);
  assert.equal(await other.evaluate(() => performance.getEntriesByName("spop:file-selected").length), chosen);
  await other.goForward();
  await other.waitForSelector("textarea#input");

  // The single-file build from disk opens the same fragment to the same state.
  const fragment = link.slice(link.indexOf("#"));
  const offline = await fresh(singleFileUrl(fragment), errors);
  await offline.waitForFunction(
    (frame) => !document.querySelector(".progress-box") && document.querySelector("#frames .row.selected")?.dataset.frame === frame,
    String(sel),
  );
  await offline.waitForSelector("#notes-list");
  await offline.waitForFunction((n) => document.querySelectorAll(".flag").length === n, before.flags.length);
  assert.deepEqual({ ...(await seen(offline)), badges: undefined }, { ...before, badges: undefined });
  assert.deepEqual(await offline.locator("#notes-list li").allInnerTexts(), notes);
  // Its own share links point at the file, and open again.
  const again = await shareLink(offline);
  assert.ok(again.startsWith(singleFileUrl("#spop=")), again.slice(0, 80));
  assert.deepEqual(errors, []);
});

test("notes survive a reload in local storage, and also come back through any form of the capture", async () => {
  const errors = [];
  const page = await open(INTERLEAVED, errors);
  const first = await selectedFrame(page);
  await note(page, "the split DISCONNECT");
  await page.reload();
  await page.setInputFiles("input[type=file]", INTERLEAVED);
  await loaded(page, {});
  await waitSelected(page, first);
  assert.equal(await page.inputValue("#note"), "the split DISCONNECT");
  // The same capture pasted as a hex dump is the same content: the note is found again.
  await page.click(".home");
  const hex = readFileSync(INTERLEAVED).toString("hex").match(/.{1,32}/g).join("\n");
  await page.fill("#input", hex);
  await loaded(page, { source: "pasted" });
  await page.click("#tab-notes");
  assert.match(await page.locator("#notes-list").innerText(), /the split DISCONNECT/);
  // Clearing the note removes it everywhere.
  await page.click("#notes-list button");
  await page.click("#tab-details");
  await page.fill("#note", "");
  await page.click("#tab-notes");
  await page.waitForSelector("#notes-empty");
  assert.deepEqual(errors, []);
});

test("above the size limit: a warning and smaller shares; near it: none; a one-connection link opens alone", async () => {
  const errors = [];
  const page = await open(PYAGENT, errors);
  await page.selectOption("#filter-connection", "1");
  await page.waitForFunction(() => /of 14 frames/.test(document.querySelector("#view-count").textContent));
  const link = await shareLink(page);
  const kib = link.length / 1024;
  // Near the limit, under it: no warning.
  await page.fill("#share-limit", String(Math.ceil(kib)));
  await page.locator("#share-limit").dispatchEvent("change");
  assert.equal(await page.locator("#share-too-big").count(), 0);
  // Over it (the limit is configurable; 1 KiB here): the warning and the offers.
  await page.fill("#share-limit", "1");
  await page.locator("#share-limit").dispatchEvent("change");
  await page.waitForSelector("#share-too-big");
  assert.match(await page.textContent("#share-too-big"), /This link is [\d.]+ KiB, above 1 KiB, the size you chose: chat tools, issue trackers and some browsers cut long links/);
  await shot(page, "share-too-big.png");
  assert.equal(await page.textContent("#share-connection"), "Only this connection (#2)");
  await page.click("#share-connection");
  await page.waitForFunction(() => /connection #2: 1 connection\(s\), 6 frame\(s\)/.test(document.querySelector("#share-size")?.textContent ?? ""));
  const small = await page.inputValue("#share-link");
  assert.ok(small.length < link.length, `${small.length} < ${link.length}`);
  // The limit is remembered.
  await page.reload();
  await page.setInputFiles("input[type=file]", PYAGENT);
  await loaded(page, {});
  await page.click("#share-button");
  assert.equal(await page.inputValue("#share-limit"), "1");

  const other = await fresh(small, errors);
  // A link names the capture it was made from.
  await loaded(other, { source: "haproxy26-pyagent.pcap (share link)" });
  const pcap = cli(PYAGENT);
  const conn = pcap.connections[1];
  assert.equal(await other.textContent("#view-count"), "6 frames");
  assert.match((await summary(other)).text, /1 connection\(s\) · 6 frame\(s\)/);
  assert.match(await other.locator(".conn-table").innerText(), new RegExp(conn.agent.replace(/\./g, "\\.")));
  assert.deepEqual(errors, []);
});

test("download bundle: the .spop file opens like any capture, with its notes", async () => {
  const errors = [];
  const page = await open(INTERLEAVED, errors, { acceptDownloads: true });
  await note(page, "in the bundle");
  await page.click("#share-button");
  await page.waitForSelector("#share-link");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-bundle")]);
  assert.equal(download.suggestedFilename(), "haproxy26-interleaved-disconnect.spop");
  const path = await download.path();
  const bytes = readFileSync(path);
  assert.equal(bytes.subarray(0, 5).toString(), "SPOPB");
  await page.waitForFunction(() => /Saved haproxy26-interleaved-disconnect\.spop/.test(document.querySelector("#share-status").textContent));
  // Same frames and findings as the pcap, per the CLI and per a fresh page.
  const pcap = cli(INTERLEAVED);
  const bundle = cli(path);
  assert.deepEqual(bundle.summary, { ...pcap.summary, packets: bundle.summary.packets });
  assert.deepEqual(bundle.findings, pcap.findings);
  const other = await newPage(ctx.browser, errors);
  await other.goto(ctx.server.url);
  await other.setInputFiles("input[type=file]", path);
  await loaded(other, {});
  const want = expectedCounts(pcap);
  assert.ok((await summary(other)).text.includes(want.errors));
  await other.click("#tab-notes");
  assert.match(await other.locator("#notes-list").innerText(), /in the bundle/);
  assert.deepEqual(errors, []);
});

test("Copy as Markdown: the report with the notes, the annotated frames' fields and hex, and the link", async () => {
  const errors = [];
  const page = await open(INTERLEAVED, errors, { permissions: ["clipboard-read", "clipboard-write"] });
  const frame = await selectedFrame(page);
  await note(page, "ACKs written into this DISCONNECT");
  const link = await shareLink(page);
  await page.click("#copy-markdown");
  await page.waitForSelector("#markdown");
  await page.waitForFunction(() => /Markdown report copied/.test(document.querySelector("#share-status").textContent));
  const md = await page.inputValue("#markdown");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), md);
  assert.match(md, /^## SPOP capture report/);
  assert.ok(md.includes(link), "the share link is in the report");
  assert.match(md, /Annotated frames/);
  assert.match(md, /ACKs written into this DISCONNECT/);
  assert.match(md, new RegExp(`#${frame + 1}\\b`));
  assert.match(md, /SPOP-F010/);
  assert.match(md, /\n0000  [0-9a-f]{2} [0-9a-f]{2} /, "a hex dump");
  // Copy link too.
  await page.click("#copy-link");
  await page.waitForFunction(() => /Link copied/.test(document.querySelector("#share-status").textContent));
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
  // Esc closes the dialog.
  await page.keyboard.press("Escape");
  assert.equal(await page.locator(".share").count(), 0);
  assert.deepEqual(errors, []);
});

test("hostile links: truncated, decompression bomb, future version, malformed, not a bundle: each explains itself", async () => {
  const errors = [];
  const page = await open(INTERLEAVED, errors);
  const link = await shareLink(page);
  const b64 = (buf) => buf.toString("base64url");
  const bundle = (version, body) => b64(Buffer.concat([Buffer.from("SPOPB"), Buffer.from([version]), deflateRawSync(body)]));
  // 80 MiB of zeros deflate to about 80 KiB: past the 64 MiB cap.
  const bomb = bundle(1, Buffer.alloc(80 << 20));
  assert.ok(bomb.length < 200_000, `${bomb.length}`);
  const cases = [
    [link.slice(0, link.length - 37), /damaged or cut short \(was the link copied whole\?\)/],
    [`${ctx.server.url}#spop=${bomb}`, /expands to more than 64 MiB, the most accepted/],
    [`${ctx.server.url}#spop=${bundle(9, Buffer.from("x"))}`, /format version 9, newer than this spop-inspector reads \(2\); open it with a newer version/],
    [`${ctx.server.url}#spop=${bundle(1, Buffer.from([0, 0, 0, 0, 0xff, 0xff, 0xff, 0x0f]))}`, /this bundle is malformed: bad/],
    [`${ctx.server.url}#spop=hello-there`, /not an spop-inspector share bundle/],
  ];
  for (const [url, message] of cases) {
    const p = await fresh(url, errors);
    const alert = p.locator(".input-error[role=alert]");
    await alert.waitFor({ timeout: 20_000 });
    assert.match(await alert.innerText(), message, url.slice(0, 120));
    await p.close();
  }
  assert.deepEqual(errors, []);
});

test("the share dialog holds the keyboard: focus moves in, Tab stays in, Escape gives it back", async () => {
  const errors = [];
  const page = await open(INTERLEAVED, errors);
  await page.click("#share-button");
  await page.waitForSelector("#copy-link");
  const inDialog = () => page.evaluate(() => !!document.activeElement?.closest(".share"));
  assert.ok(await inDialog(), "focus moved into the dialog");
  const controls = await page.locator(".share button, .share input, .share textarea, .share select, .share a[href]").count();
  for (let i = 0; i < controls + 2; i++) {
    await page.keyboard.press("Tab");
    assert.ok(await inDialog(), `Tab ${i + 1} stays in the dialog`);
  }
  await page.keyboard.press("Shift+Tab");
  assert.ok(await inDialog(), "Shift+Tab too");
  await page.keyboard.press("Escape");
  await page.waitForSelector(".share", { state: "detached" });
  assert.equal(await page.evaluate(() => document.activeElement?.id), "share-button");
  // The help dialog too.
  await page.keyboard.press("?");
  await page.locator(".help[role=dialog]").waitFor();
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press("Tab");
    assert.ok(await page.evaluate(() => !!document.activeElement?.closest(".help")), `help: Tab ${i + 1} stays in`);
  }
  await page.keyboard.press("Escape");
  await page.locator(".help").waitFor({ state: "detached" });
  assert.deepEqual(errors, []);
});

test("a link made by the CLI (no page state in it) keeps its address, and Back returns to it", async () => {
  const errors = [];
  const link = execFileSync(cliPath(), ["--fail-on", "never", "--link", ctx.server.url, INTERLEAVED]).toString().trim();
  const page = await fresh(link, errors);
  await loaded(page, {});
  assert.equal(page.url(), link);
  const chosen = await page.evaluate(() => performance.getEntriesByName("spop:file-selected").length);
  await page.click(".home");
  await page.waitForSelector("textarea#input");
  assert.equal(page.url(), ctx.server.url);
  await page.goBack();
  await page.waitForSelector("#frames .row.selected");
  assert.equal(page.url(), link);
  // Shown again as it was, not decoded again.
  assert.equal(await page.evaluate(() => performance.getEntriesByName("spop:file-selected").length), chosen);
  assert.deepEqual(errors, []);
});

test("a link brings back the capture's name and the selected field; the size limit reads as a warning threshold", async () => {
  const errors = [];
  const page = await open(INTERLEAVED, errors);
  // Select the third field of the selected frame's tree.
  const fields = page.locator("#details ul.tree button.field");
  await fields.nth(2).click();
  await page.waitForSelector("#details ul.tree button.field.selected");
  const label = await page.locator("#details ul.tree button.field.selected .field-label").textContent();
  const sel = await selectedFrame(page);
  // Nobody set a limit: the warning does not say anyone did.
  await page.click("#share-button");
  await page.waitForSelector("#share-link");
  assert.match(await page.locator(".share-limit").innerText(), /Warn when a link is over/);
  const link = await page.inputValue("#share-link");

  const other = await fresh(link, errors);
  await loaded(other, { source: "haproxy26-interleaved-disconnect.pcap (share link)" });
  await waitSelected(other, sel);
  await other.waitForSelector("#details ul.tree button.field.selected");
  assert.equal(await other.locator("#details ul.tree button.field.selected .field-label").textContent(), label);
  assert.equal(await other.locator("#details ul.tree button.field.selected").count(), 1);
  assert.deepEqual(errors, []);
});

test("the size warning of an unchanged limit does not claim the user set it", async () => {
  const errors = [];
  // 200 NOTIFYs carrying 200 random bytes each, pasted as hex: the link is over the default
  // 32 KiB (random bytes do not deflate).
  const frames = [];
  for (let i = 0; i < 200; i++) {
    const payload = Buffer.concat([Buffer.from([4]), Buffer.from("test"), Buffer.from([1, 1]), Buffer.from("b"), Buffer.from([0x09, 200]), randomBytes(200)]);
    const body = Buffer.concat([Buffer.from([3, 0, 0, 0, 1, i + 1, 1]), payload]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    frames.push(len, body);
  }
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  await paste(page, Buffer.concat(frames).toString("hex"), "#input");
  await loaded(page, { source: "pasted text" });
  await page.click("#share-button");
  await page.waitForSelector("#share-link");
  const size = (await page.inputValue("#share-link")).length;
  assert.ok(size > 32 * 1024, `${size} bytes`);
  await page.waitForSelector("#share-too-big");
  const text = await page.textContent("#share-too-big");
  assert.match(text, /above 32 KiB, where links start getting cut/);
  assert.doesNotMatch(text, /you set|you chose/);
  assert.deepEqual(errors, []);
});
