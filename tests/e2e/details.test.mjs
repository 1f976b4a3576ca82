// Frame details: the engine's field tree and the frame's bytes, highlighted both ways, with
// the TCP packet that carried each byte; frames written into another frame's bytes are
// shown struck through inside it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ARTIFACTS, newPage, setup } from "./lib.mjs";

const ctx = setup();

const lit = (page) => page.locator(".hex .byte.lit");

test("field ↔ bytes highlighting on the interleaved DISCONNECT", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  await page.getByRole("button", { name: "Agent writing ACKs into its DISCONNECT" }).click();
  const row = page.locator("table.frames tbody tr", { hasText: "AGENT-DISCONNECT" }).first();
  await row.click();
  const details = page.getByRole("region", { name: "Frame details" });
  await details.waitFor();
  assert.match(await details.locator("h2").innerText(), /Frame #12 · AGENT-DISCONNECT · agent → HAProxy · connection 1 · 97 bytes at 0x56/);
  assert.equal(await row.getAttribute("aria-selected"), "true");

  // Field → bytes: STREAM-ID is the first byte after the two embedded ACKs.
  await details.getByRole("button", { name: /^STREAM-ID/ }).click();
  assert.equal(await lit(page).count(), 1);
  assert.match(await lit(page).first().getAttribute("title"), /offset 0x83, packet \d+/);

  // Bytes → field: the first byte is the LENGTH prefix (4 bytes).
  await page.locator(".hex .byte").first().click();
  assert.equal(await lit(page).count(), 4);
  assert.match(await details.locator("button.field.selected").innerText(), /^LENGTH 57/);

  // A byte of an embedded ACK belongs to another frame: struck through, selects nothing new.
  const foreign = page.locator(".hex .byte.foreign");
  assert.equal(await foreign.count(), 36);
  await foreign.first().click();
  assert.match(await details.locator("button.field.selected").innerText(), /^LENGTH 57/);

  // A value deep in the payload: the message text's bytes.
  await details.getByRole("button", { name: /^value "agent is shutting down now"/ }).click();
  assert.equal(await lit(page).count(), 26);
  await page.screenshot({ path: join(ARTIFACTS, "details-interleaved.png") });

  // Keyboard: Enter on a focused row opens its details.
  await page.locator("table.frames tbody tr").nth(2).focus();
  await page.keyboard.press("Enter");
  assert.match(await details.locator("h2").innerText(), /Frame #3 · NOTIFY/);
  assert.deepEqual(errors, []);
});
