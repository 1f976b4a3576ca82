// The inspector loads from a sub-path, decodes pasted bytes through the wasm engine and shows
// the frames; input errors are shown in the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ARTIFACTS, newPage, setup } from "./lib.mjs";

const ctx = setup();

test("decodes the example and pasted hex", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  await page.getByRole("button", { name: /DISCONNECT then ACK/ }).click();
  const rows = page.locator("table.frames tbody tr");
  await rows.first().waitFor();
  assert.equal(await rows.count(), 2);
  assert.match(await rows.nth(0).innerText(), /AGENT-DISCONNECT[\s\S]*status-code=99 \(an unknown error occurred\)/);
  assert.match(await rows.nth(1).innerText(), /ACK[\s\S]*249011\/1[\s\S]*set-var\(txn\.allowed=true\)/);
  // The engine's findings show under the frame they concern: the DISCONNECT is followed by an ACK.
  assert.match(await rows.nth(0).innerText(), /error SPOP-T001 after-agent-disconnect: the agent sent 1 frame\(s\) after its AGENT-DISCONNECT: ACK 249011\/1/);
  assert.match(await page.getByRole("status").innerText(), /Detected: raw SPOP byte stream \(pasted as plain hex\)\. 1 connection\(s\), 2 frame\(s\)\. 1 error\(s\)/);
  await page.screenshot({ path: join(ARTIFACTS, "smoke-example.png"), fullPage: true });

  await page.locator("#input").fill("00 00 00 07 67 00 00 00 01 01 01");
  await page.waitForFunction(() => document.querySelectorAll("table.frames tbody tr").length === 1);
  assert.match(await rows.nth(0).innerText(), /ACK[\s\S]*\(no actions\)/);
  assert.deepEqual(errors, []);
});

test("a real capture pasted as tshark Follow output shows its findings", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  const { readFileSync } = await import("node:fs");
  const { ROOT } = await import("./lib.mjs");
  await page.locator("#input").fill(readFileSync(join(ROOT, "tests/fixtures/text/tshark-follow-hex.haproxy26-pyagent.txt"), "utf8"));
  const rows = page.locator("table.frames tbody tr");
  await rows.first().waitFor();
  assert.equal(await rows.count(), 8);
  assert.match(await page.getByRole("status").innerText(), /tshark Follow TCP Stream \(hex\)\. 1 connection\(s\), 8 frame\(s\)\. 0 error\(s\), 0 warning\(s\), 3 info/);
  // HAProxy and agent frames interleave in the order the text gives them.
  assert.match(await rows.nth(1).innerText(), /AGENT-HELLO/);
  assert.match(await page.locator("table.frames").innerText(), /info SPOP-X010 typed-var-name/);
  await page.screenshot({ path: join(ARTIFACTS, "pyagent-follow.png"), fullPage: false });
  assert.deepEqual(errors, []);
});

test("shows input errors in the page", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  await page.locator("#input").fill("0000000767000000010101 00000000");
  await page.waitForFunction(() => /SPOP-F001 runt-frame[\s\S]*LENGTH 0/.test(document.querySelector("table.frames")?.textContent ?? ""));
  await page.locator("#input").fill("0000000767000000010101 0000 0007 67");
  await page.waitForFunction(() => /SPOP-F011[\s\S]*ends inside a frame/.test(document.querySelector("table.frames")?.textContent ?? ""));
  await page.locator("#input").fill("zz not hex at all");
  await page.waitForFunction(() => /\S/.test(document.querySelector("[role=status] .error")?.textContent ?? ""));
  assert.deepEqual(errors, []);
});
