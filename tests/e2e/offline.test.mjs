// Offline and static hosting: the served site asks for nothing but its own static files, under
// its sub-path; the single-file build works from disk (file://) with its decoding in a Web
// Worker, asks for nothing at all, and keeps the URL's fragment; a worker that cannot start
// leaves decoding to the page, one that dies under way is reported and replaced.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DIST, FIXTURES, SINGLE_FILE, cli, expectedCounts, listRow, loaded, newPage, serve, setup, shot, singleFileUrl, summary,
  watchWorkers, workerTraffic,
} from "./lib.mjs";

const ctx = setup();
const INTERLEAVED = "haproxy26-interleaved-disconnect.pcap";

/** The CSP of a page as { directive: [sources] }, and its inline scripts (those that run). */
function policy(html) {
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  assert.ok(csp, "a CSP meta tag");
  const directives = Object.fromEntries(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
    .filter(([, attrs]) => !/type="(?!module")/.test(attrs)) // data blocks do not run
    .map(([, , body]) => body)
    .filter((s) => s.trim());
  return { directives, scripts };
}

const sha256 = (text) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/** Every request the page and its workers make (Playwright reports workers' requests on their
 * page), and any CSP violation reported in the page. */
async function recordRequests(page) {
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return requests;
}

const local = (url) => url.startsWith("data:") || url.startsWith("blob:");

/** Opens a capture through the file input and waits until it is shown. */
async function open(page, file) {
  const report = cli(join(FIXTURES, file));
  await page.locator("#file").setInputFiles(join(FIXTURES, file));
  await loaded(page, { source: file, frames: report.summary.frames });
  return report;
}

/** The header shows the CLI's counts for `report`. */
async function assertCounts(page, file, report) {
  const s = await summary(page);
  assert.ok(s.source.startsWith(file), s.source);
  assert.equal(s.input, report.input.label);
  for (const part of Object.values(expectedCounts(report))) assert.ok(s.text.includes(part), `"${part}" in "${s.text}"`);
}

/** Every question the page asked went to a worker, and a worker answered each one. */
async function assertDecodedInWorker(page) {
  const { sent, received } = await workerTraffic(page);
  const asked = sent.filter((k) => k.startsWith("id,"));
  // A file is handed over as a File (the worker reads it), other input as bytes.
  assert.ok(asked.includes("id,load,settings") || asked.includes("id,load_file,settings"), `the capture went to a worker (sent: ${sent})`);
  assert.ok(asked.includes("id,req"), `questions went to a worker (sent: ${sent})`);
  assert.equal(received.filter((k) => k === "id,reply").length, asked.length, `every question answered by a worker (received: ${received})`);
}

test("served from a sub-path, the site asks for its own static files and nothing else", async () => {
  // The site's CSP: sources are the site itself, inline CSS, data: images and the hashed boot
  // script; no remote origin, no blob:, nothing unsafe for scripts.
  const { directives } = policy(readFileSync(join(DIST, "index.html"), "utf8"));
  const allowed = new Set(["'none'", "'self'", "'wasm-unsafe-eval'", "'unsafe-inline'", "data:"]);
  for (const [name, sources] of Object.entries(directives)) {
    for (const s of sources) assert.ok(allowed.has(s) || /^'sha256-[A-Za-z0-9+/]+=*'$/.test(s), `${name} ${s}`);
  }
  assert.deepEqual(directives["default-src"], ["'none'"]);
  assert.deepEqual(directives["connect-src"], ["'self'"], "the wasm is fetched from the site");
  assert.deepEqual(directives["worker-src"], ["'self'"]);
  assert.ok(!directives["script-src"].includes("'unsafe-inline'"));
  assert.deepEqual(directives["style-src"], ["'unsafe-inline'"]);
  assert.deepEqual(directives["img-src"], ["data:"]);

  const server = ctx.server;
  server.requests.length = 0;
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  const requests = await recordRequests(page);
  await watchWorkers(page);
  await page.goto(server.url);
  const report = await open(page, INTERLEAVED);
  await assertCounts(page, INTERLEAVED, report);

  // Through the connections, the findings and the details.
  const connections = page.locator("table.conn-table tr.conn");
  assert.equal(await connections.count(), report.summary.connections + 1);
  for (let i = 0; i < (await connections.count()); i++) await connections.nth(i).click();
  await connections.first().click();
  await page.locator("#tab-findings").click();
  const groups = page.locator("li.group button.group-head");
  assert.ok((await groups.count()) > 0);
  for (let i = 0; i < (await groups.count()); i++) {
    if ((await groups.nth(i).getAttribute("aria-expanded")) !== "true") await groups.nth(i).click();
  }
  await page.locator("li.group button.link.jump").first().click();
  await page.locator("#tab-details").click();
  await page.locator("#details h2").waitFor();
  const fields = page.locator("#details ul.tree button.field");
  for (let i = 0; i < Math.min(await fields.count(), 10); i++) await fields.nth(i).click();
  await (await listRow(page, 1)).click();
  await page.locator("#details h2", { hasText: "Frame #2 ·" }).waitFor();
  await assertDecodedInWorker(page);
  await page.waitForTimeout(300); // anything late would show up too
  await shot(page, "offline-served.png");

  const own = ["", "pkg/app.js", "pkg/wasm.js", "pkg/app_bg.wasm.xz", "pkg/worker.js"].map((p) => server.url + p);
  assert.deepEqual(requests.filter((u) => !own.includes(u) && !local(u)), [], "only the site's own files");
  for (const u of own) assert.ok(requests.includes(u), `${u} was requested`);
  // The server saw the same: the page's and the worker's loads (the worker imports the glue
  // and gets the compiled module from the page), all under the sub-path.
  const paths = own.map((u) => new URL(u).pathname);
  assert.deepEqual(server.requests.filter((p) => !paths.includes(p)), []);
  const count = (p) => server.requests.filter((r) => r === p).length;
  assert.equal(count("/inspector/pkg/app_bg.wasm.xz"), 1, "the wasm is fetched once: the worker gets the page's compiled module");
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  assert.deepEqual(errors, []);
});

test("the single file works from disk: decodes in a worker, asks for nothing, matches the CLI", async () => {
  // Its own CSP: exactly its inline scripts by hash, wasm, workers from blob:, no connections.
  const html = readFileSync(SINGLE_FILE, "utf8");
  const { directives, scripts } = policy(html);
  assert.equal(scripts.length, 2, "the glue and the boot script");
  assert.deepEqual(directives["script-src"].sort(), [...scripts.map(sha256), "'wasm-unsafe-eval'"].sort());
  assert.deepEqual(directives["default-src"], ["'none'"]);
  assert.deepEqual(directives["connect-src"], ["'none'"]);
  assert.deepEqual(directives["worker-src"], ["blob:"]);
  assert.deepEqual(directives["style-src"], ["'unsafe-inline'"]);
  assert.deepEqual(directives["img-src"], ["data:"]);
  for (const d of ["base-uri", "form-action", "object-src"]) assert.deepEqual(directives[d], ["'none'"], d);
  assert.ok(!/\bsrc="|href="(?!data:)/.test(html), "no external script, stylesheet or link");

  ctx.server.requests.length = 0;
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  const requests = await recordRequests(page);
  await watchWorkers(page);
  const workers = [];
  page.on("worker", (w) => workers.push(w.url()));
  await page.goto(singleFileUrl());
  for (const file of [INTERLEAVED, "haproxy34-clean.pcapng"]) {
    if (file !== INTERLEAVED) await page.locator("button.home").click();
    const report = await open(page, file);
    await assertCounts(page, file, report);
  }
  // An example: the single file carries its bytes (it cannot fetch pkg/examples/).
  await page.locator("button.home").click();
  const pyagent = "haproxy26-pyagent.pcap";
  await page.locator("button.example", { hasText: "A Python agent" }).click();
  const report = cli(join(FIXTURES, pyagent));
  await loaded(page, { source: pyagent, frames: report.summary.frames });
  await assertCounts(page, pyagent, report);
  await page.locator("#tab-findings").click();
  await page.locator(`#frames .row[data-frame="2"]`).click();
  await page.locator("#tab-details").click();
  await page.locator("#details h2", { hasText: "Frame #3 ·" }).waitFor();
  await shot(page, "offline-file.png");

  // The worker is the page's own Blob URL worker, and it did the decoding.
  assert.ok(workers.length >= 1 && workers.every((u) => u.startsWith("blob:")), `workers: ${workers}`);
  assert.ok((await workerTraffic(page)).sent.includes("module"), "the worker got the compiled wasm");
  await assertDecodedInWorker(page);
  await page.waitForTimeout(300);
  assert.deepEqual(requests.filter((u) => u !== singleFileUrl() && !local(u)), []);
  assert.deepEqual(ctx.server.requests, [], "no server involved");
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  assert.deepEqual(errors, []);
});

test("the single file keeps the URL's fragment", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.goto(singleFileUrl("#x=1"));
  await page.locator("textarea#input").waitFor();
  await page.locator("button.example").first().waitFor();
  assert.equal(await page.evaluate(() => location.hash), "#x=1");
  assert.equal(page.url(), singleFileUrl("#x=1"));
  assert.deepEqual(errors, []);
});

test("a decode worker that cannot start: the page decodes in-thread", async () => {
  // The site without pkg/worker.js: the worker fails after it was created (its script is a
  // 404), so the questions queued for it are answered in the page.
  const dir = mkdtempSync(join(tmpdir(), "spop-no-worker-"));
  cpSync(DIST, dir, { recursive: true });
  rmSync(join(dir, "pkg/worker.js"));
  const server = await serve(dir);
  try {
    const errors = [];
    const page = await newPage(ctx.browser, errors);
    await watchWorkers(page);
    await page.goto(server.url);
    const report = await open(page, INTERLEAVED);
    await assertCounts(page, INTERLEAVED, report);
    await (await listRow(page, 1)).click();
    await page.locator("#details h2", { hasText: "Frame #2 ·" }).waitFor();
    assert.ok(server.requests.includes("/inspector/pkg/worker.js"), "the worker was tried");
    assert.deepEqual((await workerTraffic(page)).sent.filter((k) => k !== "module"), [], "no question went to a worker (only the compiled module)");
    // Chromium reports the missing script itself; nothing else went wrong.
    assert.deepEqual(errors.filter((e) => !/404 \(Not Found\)/.test(e)), []);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a page whose wasm does not arrive whole says it could not start (no blank page, no hang)", async () => {
  // The compressed module cut short, as a broken upload or a proxy would leave it.
  const dir = mkdtempSync(join(tmpdir(), "spop-cut-wasm-"));
  cpSync(DIST, dir, { recursive: true });
  const xz = join(dir, "pkg/app_bg.wasm.xz");
  truncateSync(xz, Math.floor(readFileSync(xz).length / 2));
  const server = await serve(dir);
  try {
    const errors = [];
    const page = await newPage(ctx.browser, errors);
    await page.goto(server.url);
    await page.locator("body", { hasText: "spop-inspector could not start:" }).waitFor({ timeout: 20_000 });
    assert.equal(await page.locator("textarea#input").count(), 0);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a decode worker that dies under way: the page says why, and a fresh one takes the next load", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await watchWorkers(page);
  const started = page.waitForEvent("worker");
  await page.goto(ctx.server.url);
  const worker = await started;
  await open(page, "haproxy34-clean.pcapng");
  // The worker throws on its next question.
  await worker.evaluate(() => {
    self.onmessage = () => {
      throw new Error("boom");
    };
  });
  await page.locator("button.home").click();
  const bytes = readFileSync(join(FIXTURES, INTERLEAVED));
  await page.locator("#file").setInputFiles(join(FIXTURES, INTERLEAVED));
  const alert = page.locator(".input-error[role=alert]");
  await alert.waitFor();
  assert.match(
    await alert.innerText(),
    new RegExp(`^${INTERLEAVED} \\(${bytes.length.toLocaleString("en-US")} bytes\\): the decoder failed while reading the capture \\(.*boom\\)$`),
  );
  // It offers to decode it again.
  await page.locator("#retry").waitFor();
  assert.equal(await page.locator(".progress-box").count(), 0);
  const report = await open(page, INTERLEAVED);
  await assertCounts(page, INTERLEAVED, report);
  // Every question but the one the worker died on was answered by a worker.
  const { sent, received } = await workerTraffic(page);
  assert.equal(sent.filter((k) => k === "id,load_file,settings").length, 3);
  assert.equal(received.filter((k) => k === "id,reply").length, sent.filter((k) => k.startsWith("id,")).length - 1);
  assert.deepEqual(errors.filter((e) => !e.includes("boom")), []);
});
