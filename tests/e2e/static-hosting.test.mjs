// Publishing on a static host, as the README's Install section says: its commands put dist/
// under a sub-path of a directory that Python's http.server serves (a real static host, with
// its own MIME types), and the inspector works there: the page, its worker, the wasm and the
// bundled examples all come from under the sub-path; the single file is served beside it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { DIST, FIXTURES, ROOT, cli, launch, loaded, newPage, summary } from "./lib.mjs";

/** The README's static-hosting commands: the Install section's sh block that serves a site. */
function recipe() {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("Install\n"));
  assert.ok(section, "README has an Install section");
  const block = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes("http.server"));
  assert.ok(block, "with the commands that publish dist/");
  return block.split("\n").filter((l) => l.trim());
}

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

let tmp;
let server;
let browser;
let url;

before(async () => {
  const lines = recipe();
  // The first builds dist/ (the test suite has built it already).
  assert.match(lines[0], /^source scripts\/lib\.sh && build_web\b/);
  const [copy, serve] = lines.slice(1).map((l) => l.replace(/\s+#.*$/, ""));
  const at = /#\s*(http:\/\/127\.0\.0\.1:8080\/\S*)/.exec(lines[lines.length - 1])?.[1];
  assert.ok(at && /\/[^/]+\/$/.test(new URL(at).pathname), `the site's URL is under a sub-path: ${at}`);
  assert.match(serve, /^python3 -m http\.server 8080 /);

  tmp = mkdtempSync(join(tmpdir(), "spop-static-"));
  symlinkSync(DIST, join(tmp, "dist"));
  execFileSync("sh", ["-ec", copy], { cwd: tmp });
  const port = await freePort();
  const [cmd, ...args] = serve.replace("8080", String(port)).split(/\s+/);
  server = spawn(cmd, args, { cwd: tmp, stdio: "ignore" });
  url = at.replace("8080", String(port));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url)).ok) break;
    } catch {}
    if (i > 100) throw new Error(`${serve} did not answer at ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (server) process.kill(server.pid);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("the README's commands publish dist/ under a sub-path where the inspector works", async () => {
  // The host's MIME types are the ones the page needs.
  for (const [path, type] of [["", "text/html"], ["pkg/app.js", "text/javascript"], ["pkg/wasm.js", "text/javascript"], ["spop-inspector.html", "text/html"]]) {
    const r = await fetch(url + path);
    assert.equal(r.status, 200, path);
    assert.ok(r.headers.get("content-type").startsWith(type), `${path}: ${r.headers.get("content-type")}`);
  }
  // The page's compressed module arrives as it is: the host adds no encoding of its own.
  const xz = await fetch(url + "pkg/app_bg.wasm.xz");
  assert.equal(xz.status, 200);
  assert.equal(xz.headers.get("content-encoding"), null);
  assert.deepEqual(Buffer.from(await xz.arrayBuffer()).subarray(0, 6), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), "xz magic");
  const errors = [];
  const page = await newPage(browser, errors);
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(url);
  // A bundled example: fetched from pkg/examples/ under the sub-path.
  const file = "haproxy26-pyagent.pcap";
  const report = cli(join(FIXTURES, file));
  await page.locator("button.example", { hasText: "A Python agent" }).click();
  await loaded(page, { frames: report.summary.frames });
  assert.equal((await summary(page)).input, report.input.label);
  const foreign = requests.filter((u) => !u.startsWith(url) && !u.startsWith("data:") && !u.startsWith("blob:"));
  assert.deepEqual(foreign, [], "everything from under the sub-path");
  for (const p of ["pkg/app.js", "pkg/wasm.js", "pkg/app_bg.wasm.xz", "pkg/worker.js", `pkg/examples/${file}`]) {
    assert.ok(requests.includes(url + p), `${p} requested`);
  }
  assert.deepEqual(errors, []);
});
