// A capture is untrusted, and so is a link someone posts: a capture whose SPOP strings are
// HTML, script, javascript: links, Markdown, terminal escapes, bidi overrides and invalid
// UTF-8 (tests/src/hostile.rs) is shown as text everywhere: the list, the details, the
// findings, notes, the Markdown export, and again from a share link in a fresh page. No
// script runs, no element is injected, nothing is fetched.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { ARTIFACTS, ROOT, setup, newPage, loaded, waitSelected, shot } from "./lib.mjs";

const ctx = setup();
const FRAMES = 13;

/** The capture, written by the gen-hostile binary (built once). */
function hostileCapture() {
  execFileSync("cargo", ["build", "--quiet", "-p", "spop-tests", "--bin", "gen-hostile"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const path = join(ARTIFACTS, "hostile.pcap");
  const target = process.env.CARGO_TARGET_DIR ?? join(ROOT, "target");
  execFileSync(join(target, "debug/gen-hostile"), [path]);
  return path;
}

/** A page that records what a successful injection would leave behind. */
async function guardedPage(errors) {
  const page = await newPage(ctx.browser, errors);
  const trace = { dialogs: [], requests: [] };
  page.on("dialog", (d) => {
    trace.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on("request", (r) => trace.requests.push(r.url()));
  await page.addInitScript(() => {
    window.__injected = [];
    new MutationObserver((records) => {
      for (const r of records)
        for (const n of r.addedNodes) {
          if (n.nodeType !== 1) continue;
          for (const el of [n, ...n.querySelectorAll("*")]) {
            // The page's own elements are fine; anything carrying a payload (its marker, its
            // URLs, an inline handler, a javascript: target) came from the capture.
            // (Text attributes such as title may quote a payload: they are inert.)
            const payload = /__pwned|example\.invalid|^x$|javascript:/i;
            const live = [...el.attributes].filter(
              (a) => a.name.startsWith("on") || (/^(src|href|xlink:href|action|formaction|data|srcdoc)$/i.test(a.name) && payload.test(a.value)),
            );
            if (live.length || (el.tagName === "SCRIPT" && payload.test(el.textContent)))
              window.__injected.push(`${el.tagName.toLowerCase()} ${live.map((a) => `${a.name}=${a.value}`).join(" ")}`);
          }
        }
    }).observe(document, { childList: true, subtree: true });
  });
  return { page, trace };
}

/** Nothing ran, nothing was injected, nothing left the page. */
async function assertInert(page, trace, errors, base) {
  const state = await page.evaluate(() => ({ pwned: window.__pwned ?? null, injected: window.__injected }));
  assert.equal(state.pwned, null, "a hostile string ran as script");
  assert.deepEqual(state.injected, [], "elements injected from capture strings");
  assert.deepEqual(trace.dialogs, []);
  const foreign = trace.requests.filter((u) => !u.startsWith(base) && !u.startsWith("data:") && !u.startsWith("blob:"));
  assert.deepEqual(foreign, [], "requests outside the site");
  assert.ok(!trace.requests.some((u) => u.includes("example.invalid") || /\/x(\.png)?$/.test(u)), "a capture URL was fetched");
  assert.deepEqual(errors, []);
}

/** Visits every frame (details and hex), the findings (all groups open) and the notes. */
async function walk(page) {
  for (let i = 0; i < FRAMES; i++) {
    await page.click(`#frames .row[data-frame="${i}"]`);
    await waitSelected(page, i);
  }
  await page.click("#tab-findings");
  for (const head of await page.locator(".group-head").all()) await head.click();
  await page.click("#tab-notes");
  await page.click("#tab-details");
}

test("hostile capture strings render as inert text in the page, the report and a share link", async () => {
  const file = hostileCapture();
  const errors = [];
  const { page, trace } = await guardedPage(errors);
  await page.goto(ctx.server.url);
  await page.setInputFiles("input[type=file]", file);
  await loaded(page, { frames: FRAMES });
  await walk(page);
  // Shown as the text it is.
  await page.click(`#frames .row[data-frame="2"]`);
  await waitSelected(page, 2);
  const text = await page.evaluate(() => document.body.innerText);
  for (const s of ["<img src=x onerror=", "</script><script>", "<svg onload=", "javascript:window.__pwned"]) assert.ok(text.includes(s), `${s} shown`);
  // Overrides and terminal escapes are shown escaped, never applied.
  assert.ok(!/[\u202a-\u202e\u2066-\u2069\u001b]/.test(text), "a raw bidi override or escape in the page");
  // A note with the same payloads.
  await page.fill("#note", `${"<img src=x onerror=\"window.__pwned='note'\">"} [x](javascript:window.__pwned='n') \u202eevil`);
  await page.locator("#note").press("Escape");
  await page.click("#tab-notes");
  await page.click("#tab-details");
  // The Markdown export.
  await page.click("#share-button");
  await page.waitForSelector("#share-link");
  const link = await page.inputValue("#share-link");
  await page.click("#copy-markdown");
  await page.waitForSelector("#markdown");
  const md = await page.inputValue("#markdown");
  assert.ok(md.includes("\\<img src=x onerror="), "HTML escaped in the report");
  assert.ok(md.includes("\\u{202e}evil"), "the note's override shown escaped");
  assert.ok(!/[\u202a-\u202e\u2066-\u2069\u001b]/.test(md), "a raw bidi override or escape in the report");
  // Outside code (fenced, or indented four spaces, also inside quotes) nothing is live: every
  // bracket and angle bracket of the capture's strings is backslash-escaped.
  let fenced = false;
  for (const line of md.split("\n")) {
    if (/^\s*(>\s*)?```/.test(line)) fenced = !fenced;
    if (fenced || /^(\s*>)?( {4,}|\t)/.test(line)) continue;
    assert.ok(!/(^|[^\\])\]\(\s*javascript:/i.test(line), `a live javascript: link: ${line}`);
    assert.ok(!/(^|[^\\])<\/?(img|script|svg|iframe|b)\b/i.test(line), `raw HTML: ${line}`);
  }
  await shot(page, "hostile.png");
  await assertInert(page, trace, errors, ctx.server.url.replace(/\/[^/]*$/, "/"));
  await page.close();

  // The same capture, and the note, from the link in a fresh page.
  const again = await guardedPage(errors);
  await again.page.goto(link);
  await loaded(again.page, { frames: FRAMES });
  await walk(again.page);
  await again.page.click("#tab-notes");
  const noteText = await again.page.evaluate(() => document.body.innerText);
  assert.ok(noteText.includes("<img src=x onerror=\"window.__pwned='note'\">"), "the link's note shown as text");
  await assertInert(again.page, again.trace, errors, ctx.server.url.replace(/\/[^/]*$/, "/"));
});
