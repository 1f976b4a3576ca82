// The inspector loads from a sub-path, decodes pasted bytes through the wasm engine and shows
// the frames; input errors are shown in the page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, launch, newPage, serve } from "./lib.mjs";

let server, browser;
before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await serve();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test("decodes the example and pasted hex", async () => {
  const errors = [];
  const page = await newPage(browser, errors);
  await page.goto(server.url);
  await page.getByRole("button", { name: /Load example/ }).click();
  const rows = page.locator("table.frames tbody tr");
  await rows.first().waitFor();
  assert.equal(await rows.count(), 2);
  assert.match(await rows.nth(0).innerText(), /AGENT-DISCONNECT[\s\S]*status-code=99 \(an unknown error occurred\)/);
  assert.match(await rows.nth(1).innerText(), /ACK[\s\S]*249011[\s\S]*set-var\(txn\.allowed=true\)/);
  assert.match(await page.getByRole("status").innerText(), /Detected: raw SPOP byte stream \(pasted as plain hex\)\. 1 connection\(s\), 2 frame\(s\)\./);
  await page.screenshot({ path: join(ARTIFACTS, "smoke-example.png"), fullPage: true });

  await page.locator("#input").fill("00 00 00 07 67 00 00 00 01 01 01");
  await page.waitForFunction(() => document.querySelectorAll("table.frames tbody tr").length === 1);
  assert.match(await rows.nth(0).innerText(), /ACK[\s\S]*\(no actions\)/);
  assert.deepEqual(errors, []);
});

test("shows input errors in the page", async () => {
  const errors = [];
  const page = await newPage(browser, errors);
  await page.goto(server.url);
  await page.locator("#input").fill("0000000767000000010101 00000000");
  await page.waitForFunction(() => /LENGTH 0 is below the 7-byte minimum/.test(document.querySelector("table.frames")?.textContent ?? ""));
  await page.locator("#input").fill("0000000767000000010101 0000 0007 67");
  await page.waitForFunction(() => /ends inside a frame/.test(document.querySelector("table.frames")?.textContent ?? ""));
  await page.locator("#input").fill("zz not hex at all");
  await page.waitForFunction(() => /\S/.test(document.querySelector("[role=status] .error")?.textContent ?? ""));
  assert.deepEqual(errors, []);
});
