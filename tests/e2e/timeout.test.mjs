// HAProxy's `timeout processing` as a setting (the SPOP-X008 slow-ack threshold): typed as the
// SPOE configuration writes it, it flags the ACKs the CLI's --timeout-processing flags; it is
// remembered in this browser, stated in the Markdown report, and carried in a share link to a
// browser that never set it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { FIXTURES, cliPath, loaded, newPage, setup, shot } from "./lib.mjs";

const ctx = setup();
const CAPTURE = "haproxy34-clean.pcap";

/** The CLI's SPOP-X008 findings for the capture with `--timeout-processing value`. */
function slowAcks(value) {
  const args = ["--format", "json", "--fail-on", "never", "--timeout-processing", value, join(FIXTURES, CAPTURE)];
  return JSON.parse(execFileSync(cliPath(), args).toString("utf8")).findings.filter((f) => f.code === "SPOP-X008").length;
}

/** Opens the capture and waits until its rules ran. */
async function open(page) {
  await page.locator("#file").setInputFiles(join(FIXTURES, CAPTURE));
  await loaded(page, { source: CAPTURE });
  await page.locator(".summary-line .counts:not(#checking)").waitFor();
}

/** Waits until the capture, checked again with a new value, is shown with its rules' counts. */
const rechecked = (page) =>
  page.waitForFunction(() => !document.querySelector(".progress-box") && document.querySelector(".summary-line .counts:not(#checking)"));

/** The SPOP-X008 count in the findings panel (0 when the group is absent), once the rules ran. */
async function x008(page) {
  await page.locator("#tab-findings").click();
  await page.locator("#side-panel .groups, #side-panel .hint:not(:has-text('Checking'))").first().waitFor();
  const group = page.locator('li.group[data-code="SPOP-X008"] .count');
  return (await group.count()) ? Number(await group.innerText()) : 0;
}

/** Types `value` into a timeout field and commits it (Enter). */
async function setTimeout_(page, field, value) {
  await page.locator(field).fill(value);
  await page.locator(field).press("Enter");
}

/** Screenshots at 1440 and 800 px wide, light and dark, with `focus` scrolled into view. */
async function shots(page, name, focus) {
  for (const width of [1440, 800]) {
    await page.setViewportSize({ width, height: 760 });
    await page.locator(focus).scrollIntoViewIfNeeded();
    for (const scheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme: scheme });
      await shot(page, `${name}-${width}-${scheme}.png`);
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1280, height: 800 });
}

test("timeout processing: flags slow ACKs as the CLI does, is remembered, and travels in share links and reports", async () => {
  const expected = slowAcks("300us");
  assert.ok(expected > 0, "the capture has ACKs slower than 300us");
  assert.equal(slowAcks("10s"), 0);
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(ctx.server.url);
  await open(page);
  assert.equal(await x008(page), 0, "no threshold, no SPOP-X008");
  const field = "#findings-timeout-processing";
  assert.equal(await page.inputValue(field), "");
  // Not a time: said, and nothing changes.
  await setTimeout_(page, field, "5 sec");
  const error = page.locator("#findings-timeout-processing-error");
  assert.match(await error.innerText(), /^"5 sec": unknown unit "sec"; write a time as HAProxy does: 500ms, 2s, 1m/);
  assert.equal(await page.getAttribute(field, "aria-invalid"), "true");
  await shots(page, "timeout-invalid", field);
  // A bare number is milliseconds, as in HAProxy; the field shows it as HAProxy writes it.
  await setTimeout_(page, field, "0.3");
  await page.waitForFunction((f) => document.querySelector(f)?.value === "300us", field);
  assert.equal(await error.innerText(), "");
  await rechecked(page);
  assert.equal(await x008(page), expected, "the CLI's SPOP-X008 findings");
  await page.locator('li.group[data-code="SPOP-X008"] .group-head').click();
  await page.locator('li.group[data-code="SPOP-X008"] .finding').first().waitFor();
  await shots(page, "timeout-findings", field);
  // Above every latency: none.
  await setTimeout_(page, field, "10s");
  await page.waitForFunction((f) => document.querySelector(f)?.value === "10s", field);
  await rechecked(page);
  assert.equal(await x008(page), 0);
  await setTimeout_(page, field, "300us");
  await page.waitForFunction((f) => document.querySelector(f)?.value === "300us", field);
  await rechecked(page);
  assert.equal(await x008(page), expected);

  // Remembered: after a reload the start screen has it, and the next capture uses it.
  await page.reload();
  await page.locator("#timeout-processing").waitFor();
  assert.equal(await page.inputValue("#timeout-processing"), "300us");
  await shots(page, "timeout-start", "#timeout-processing");
  await open(page);
  assert.equal(await x008(page), expected);

  // In the share link and the report.
  await page.locator("#share-button").click();
  await page.waitForSelector("#share-link");
  const link = await page.inputValue("#share-link");
  await page.locator("#copy-markdown").click();
  await page.waitForSelector("#markdown");
  assert.match(await page.inputValue("#markdown"), /\n- \*\*timeout processing:\*\* 300us \(ACKs later than this after their NOTIFY are `SPOP-X008` findings\)\n/);
  await page.locator("#share-close").click();

  // Changed on the start screen, then Back to the capture: checked again with it.
  await page.locator("button.home").click();
  await setTimeout_(page, "#timeout-processing", "1m");
  await page.waitForFunction(() => document.querySelector("#timeout-processing")?.value === "1m");
  await page.goBack();
  await page.locator(".summary-line").waitFor();
  await rechecked(page);
  assert.equal(await x008(page), 0);
  assert.equal(await page.inputValue(field), "1m");

  // A browser that never set it opens the link with it.
  const fresh = await newPage(ctx.browser, errors);
  await fresh.goto(link);
  await fresh.locator(".summary-line").waitFor();
  await rechecked(fresh);
  assert.equal(await x008(fresh), expected);
  assert.equal(await fresh.inputValue(field), "300us");
  assert.equal(await fresh.evaluate(() => localStorage.getItem("spop-inspector.timeout-processing")), null, "shown, not remembered");
  assert.deepEqual(errors, []);
});
