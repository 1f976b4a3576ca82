// The inspector boots from a sub-path under a strict Content-Security-Policy, decodes in a Web
// Worker, offers its bundled examples, explains unreadable input in the page, and has a help
// dialog and a dark theme.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DIST, FIXTURES, ROOT, cli, cliError, codesOf, expectedCounts, loaded, newPage, paste, setup, shot, summary,
} from "./lib.mjs";

const ctx = setup();

/** Records CSP violations in the page (none may happen). */
const watchCsp = (page) =>
  page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });

test("boots from a sub-path under a strict CSP whose hash matches the boot script", async () => {
  // The CSP in the shipped page allows exactly the inline boot script (by hash), no other
  // inline script, nothing remote.
  const html = readFileSync(join(DIST, "index.html"), "utf8");
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  assert.ok(csp, "index.html has a CSP meta tag");
  const directives = Object.fromEntries(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  assert.deepEqual(directives["default-src"], ["'none'"]);
  assert.deepEqual(directives["connect-src"], ["'self'"]);
  assert.ok(!directives["script-src"].includes("'unsafe-inline'") && !directives["script-src"].includes("'unsafe-eval'"));
  const inline = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).filter((s) => s.trim());
  assert.equal(inline.length, 1, "one inline boot script");
  const hash = `'sha256-${createHash("sha256").update(inline[0]).digest("base64")}'`;
  assert.ok(directives["script-src"].includes(hash), `script-src allows the boot script (${hash})`);
  assert.deepEqual(directives["script-src"].filter((s) => s.startsWith("'sha")), [hash], "and only it");

  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await watchCsp(page);
  const worker = page.waitForEvent("worker");
  await page.goto(ctx.server.url);
  // The decode worker starts from the sub-path.
  assert.equal((await worker).url(), `${ctx.server.url}pkg/worker.js`);
  await page.locator("textarea#input").waitFor();
  assert.equal(await page.title(), "spop-inspector");
  assert.equal(await page.locator("input#file").count(), 1);
  assert.equal(await page.locator(".summary-line").count(), 0);
  const examples = await page.locator("button.example").allInnerTexts();
  for (const label of ["An agent writing ACKs into its DISCONNECT", "A clean HAProxy 3.4 capture", "A Python agent (haproxyspoa)", "AGENT-DISCONNECT, then an ACK"]) {
    assert.ok(examples.some((e) => e.includes(label)), `example "${label}"`);
  }
  await shot(page, "start.png");
  // Every request stayed under the sub-path (relative URLs only).
  const outside = ctx.server.requests.filter((p) => !p.startsWith("/inspector/"));
  assert.deepEqual(outside, []);
  for (const p of ["/inspector/pkg/app.js", "/inspector/pkg/wasm.js", "/inspector/pkg/app_bg.wasm.xz", "/inspector/pkg/worker.js"]) {
    assert.ok(ctx.server.requests.includes(p), `${p} was loaded`);
  }
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  assert.deepEqual(errors, []);
});

test("every bundled example loads and matches the CLI", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await watchCsp(page);
  await page.goto(ctx.server.url);
  for (const [label, file] of [
    ["An agent writing ACKs into its DISCONNECT", "haproxy26-interleaved-disconnect.pcap"],
    ["A clean HAProxy 3.4 capture", "haproxy34-clean.pcapng"],
    ["A Python agent (haproxyspoa)", "haproxy26-pyagent.pcap"],
  ]) {
    const report = cli(join(FIXTURES, file));
    await page.locator("button.example", { hasText: label }).click();
    await loaded(page, { source: file, frames: report.summary.frames });
    const s = await summary(page);
    const want = expectedCounts(report);
    assert.equal(s.source, file);
    assert.equal(s.input, report.input.label);
    for (const part of Object.values(want)) assert.ok(s.text.includes(part), `${file}: "${part}" in "${s.text}"`);
    assert.equal(await page.locator("table.conn-table tr.conn").count(), report.summary.connections + 1);
    await page.locator("button.home").click();
    await page.locator("textarea#input").waitFor();
  }
  // The hex example: two frames pasted as text, the same as the CLI reads them.
  const hex = /const HEX_EXAMPLE: &str = "([^"]+)";/.exec(readFileSync(join(ROOT, "web/src/ui/start.rs"), "utf8"))[1].replaceAll("\\n", "\n");
  const report = cli(Buffer.from(hex));
  assert.equal(report.summary.frames, 2);
  await page.locator("button.example", { hasText: "AGENT-DISCONNECT, then an ACK" }).click();
  await loaded(page, { source: "pasted text", frames: 2 });
  const s = await summary(page);
  assert.equal(s.input, report.input.label);
  for (const part of Object.values(expectedCounts(report))) assert.ok(s.text.includes(part), `"${part}" in "${s.text}"`);
  // An error, so the first error frame is selected; its codes are the CLI's.
  await page.locator("#tab-findings").click();
  const codes = await page.locator("li.group").evaluateAll((gs) => gs.map((g) => g.dataset.code).sort());
  assert.deepEqual(codes, codesOf(report));
  // Home shows the start screen again, with the example's text in the paste area.
  await page.locator("button.home").click();
  assert.equal(await page.locator("textarea#input").inputValue(), hex);
  assert.equal(await page.locator(".summary-line").count(), 0);
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  assert.deepEqual(errors, []);
});

/** A little-endian pcapng: one interface of link type `linkType`, one 16-byte packet. */
function pcapngOfLinkType(linkType) {
  const block = (type, body) => {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    const len = 12 + padded.length;
    const b = Buffer.alloc(len);
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(len, 4);
    padded.copy(b, 8);
    b.writeUInt32LE(len, len - 4);
    return b;
  };
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.fill(0xff, 8);
  const idb = Buffer.alloc(8);
  idb.writeUInt16LE(linkType, 0);
  idb.writeUInt32LE(65535, 4);
  const data = Buffer.alloc(16, 0xab);
  const epb = Buffer.alloc(20);
  epb.writeUInt32LE(data.length, 12);
  epb.writeUInt32LE(data.length, 16);
  return Buffer.concat([block(0x0a0d0d0a, shb), block(1, idb), block(6, Buffer.concat([epb, data]))]);
}

test("unreadable input is explained in the page, in the CLI's words", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  const alert = page.locator(".input-error[role=alert]");

  // The files of cli/tests/unreadable.rs: each explained as the CLI explains it.
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0]);
  const pcapHead = Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0]);
  for (const [name, mimeType, buffer, says] of [
    ["empty.pcap", "application/octet-stream", Buffer.alloc(0), "the input is empty"],
    ["photo.jpg", "image/jpeg", jpeg, "a JPEG image, not a capture"],
    ["cut.pcap", "application/octet-stream", pcapHead, "needs 24 bytes, only 10"],
    ["odd-link.pcapng", "application/octet-stream", pcapngOfLinkType(999), "link type 999 is not supported"],
  ]) {
    await page.locator("#file").setInputFiles({ name, mimeType, buffer });
    await page.waitForFunction((n) => document.querySelector(".input-error")?.textContent.startsWith(n), name);
    const said = await alert.innerText();
    assert.equal(said, `${name} (${buffer.length} bytes): ${cliError(buffer)}`);
    assert.ok(said.includes(says), said);
    assert.equal(await page.locator(".summary-line").count(), 0, `${name}: nothing loaded`);
  }

  // Typed text decodes after a pause.
  const junk = "zz not hex at all";
  await page.locator("#input").fill(junk);
  await page.waitForFunction((t) => document.querySelector(".input-error")?.textContent.includes(t), "not a format I know");
  assert.equal(await alert.innerText(), `pasted text: ${cliError(Buffer.from(junk))}`);

  // A valid paste replaces the error with the workspace; a blank paste outside inputs is ignored.
  await paste(page, "00 00 00 07 67 00 00 00 01 01 01", "#input");
  await loaded(page, { source: "pasted text", frames: 1 });
  assert.equal(await alert.count(), 0);
  await paste(page, "   \n ");
  await page.waitForTimeout(300);
  assert.equal(await page.locator("#frames").getAttribute("aria-rowcount"), "1");
  assert.deepEqual(errors, []);
});

test("help dialog: ? opens it, Escape, Close and the backdrop close it", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  const help = page.locator(".help[role=dialog]");
  // From the start screen too (focus not in the paste area).
  await page.locator("textarea#input").waitFor();
  await page.keyboard.press("?");
  await help.waitFor();
  await page.keyboard.press("Escape");
  await help.waitFor({ state: "detached" });

  await page.locator("button.example", { hasText: "ACKs into its DISCONNECT" }).click();
  await loaded(page);
  await page.keyboard.press("?");
  await help.waitFor();
  assert.equal(await help.locator("h2").innerText(), "Keyboard shortcuts");
  const keys = await help.locator("dt kbd").allInnerTexts();
  assert.deepEqual(keys, ["↓ / j", "↑ / k", "PgDn / PgUp", "Home / End", "Enter", "n / N", "/", "f", "m", "− / + / 0", "?", "Esc"]);
  await shot(page, "help.png");
  // While it is open, navigation keys do nothing.
  const before = await page.locator("#frames .row.selected").getAttribute("data-frame");
  await page.keyboard.press("j");
  await page.waitForTimeout(200);
  assert.equal(await page.locator("#frames .row.selected").getAttribute("data-frame"), before);
  await page.keyboard.press("Escape");
  await help.waitFor({ state: "detached" });

  await page.getByRole("button", { name: "Keyboard shortcuts" }).click();
  await help.waitFor();
  await help.getByRole("button", { name: "Close" }).click();
  await help.waitFor({ state: "detached" });

  await page.keyboard.press("?");
  await help.waitFor();
  await page.mouse.click(5, 790); // the backdrop
  await help.waitFor({ state: "detached" });
  assert.deepEqual(errors, []);
});

test("dark theme follows the system colour scheme", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto(ctx.server.url);
  await page.locator("textarea#input").waitFor();
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(await bg(), "rgb(18, 20, 23)");
  await shot(page, "dark-start.png");
  await page.locator("button.example", { hasText: "ACKs into its DISCONNECT" }).click();
  await loaded(page);
  await shot(page, "dark.png");
  await page.emulateMedia({ colorScheme: "light" });
  assert.equal(await bg(), "rgb(246, 247, 249)");
  assert.deepEqual(errors, []);
});

test("a file dragged over the page: the page says it is the drop target; dropped, the file loads", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  await page.locator("textarea#input").waitFor();
  const file = "haproxy26-clean.pcap";
  const bytes = readFileSync(join(FIXTURES, file)).toString("base64");
  // The events a browser sends while a file is dragged in from outside: over (repeatedly),
  // leave with no element to go to (out of the window), then over again and drop.
  const drag = (type, withFile = true) =>
    page.locator("div.app").evaluate((el, [type, name, bytes, withFile]) => {
      const data = new DataTransfer();
      if (withFile) data.items.add(new File([Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0))], name));
      else data.setData("text/plain", "some text");
      el.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true, relatedTarget: null }));
    }, [type, file, bytes, withFile]);
  const target = page.locator(".drop-target");
  await drag("dragover", false);
  await page.waitForTimeout(100);
  assert.equal(await target.count(), 0, "dragged text is not a file to drop");
  await drag("dragover");
  await target.waitFor();
  assert.equal(await target.innerText(), "Drop the file to inspect it");
  await shot(page, "drop-target.png");
  await drag("dragleave");
  await target.waitFor({ state: "detached" });
  await drag("dragover");
  await target.waitFor();
  await drag("drop");
  await loaded(page, { source: file });
  assert.equal(await target.count(), 0);
  assert.deepEqual(errors, []);
});
