// Every way in: the file input, drag-and-drop anywhere, the bundled examples; unreadable
// files are explained in the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, ROOT, newPage, setup } from "./lib.mjs";

const ctx = setup();

const rowCount = () => (want) => document.querySelectorAll("table.frames tbody tr").length === want;

test("opens a capture with the file input", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  await page.locator("#file").setInputFiles(join(ROOT, "tests/fixtures/haproxy34-clean.pcapng"));
  await page.waitForFunction(rowCount(), 12);
  assert.match(await page.getByRole("status").innerText(), /Detected: pcapng file\. 1 connection\(s\), 12 frame\(s\)\. 0 error\(s\), 0 warning\(s\), 0 info/);
  assert.match(await page.locator(".loaded").innerText(), /Inspecting haproxy34-clean\.pcapng \(2920 bytes\)/);
  assert.deepEqual(errors, []);
});

test("a file dropped anywhere on the page is inspected", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  const b64 = readFileSync(join(ROOT, "tests/fixtures/haproxy26-interleaved-disconnect.pcap")).toString("base64");
  await page.locator("main").waitFor();
  await page.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], "dropped.pcap"));
    document.querySelector("main").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, b64);
  await page.waitForFunction(() => /SPOP-F010/.test(document.querySelector("table.frames")?.textContent ?? ""));
  assert.match(await page.locator(".loaded").innerText(), /dropped\.pcap/);
  assert.deepEqual(errors, []);
});

test("bundled examples are one click away", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  await page.getByRole("button", { name: "Agent writing ACKs into its DISCONNECT" }).click();
  await page.waitForFunction(rowCount(), 20);
  const table = await page.locator("table.frames").innerText();
  assert.match(table, /error SPOP-F010 interleaved-frames: AGENT-DISCONNECT \(57 bytes, offset 0x56\) contains 2 complete ACK frames/);
  await page.screenshot({ path: join(ARTIFACTS, "example-interleaved.png") });
  await page.getByRole("button", { name: "Clean HAProxy 3.4 capture" }).click();
  await page.waitForFunction(rowCount(), 12);
  await page.getByRole("button", { name: "Python agent (haproxyspoa)" }).click();
  await page.waitForFunction(rowCount(), 14);
  // Typing replaces the file.
  await page.locator("#input").fill("0000000767000000010101");
  await page.waitForFunction(rowCount(), 1);
  assert.equal(await page.locator(".loaded").count(), 0);
  assert.deepEqual(errors, []);
});

test("an unreadable file is explained in the page", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  await page.locator("#file").setInputFiles({ name: "photo.jpg", mimeType: "image/jpeg", buffer: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0]) });
  await page.waitForFunction(() => /not a pcap or pcapng file/.test(document.querySelector("[role=status]")?.textContent ?? ""));
  assert.deepEqual(errors, []);
});
