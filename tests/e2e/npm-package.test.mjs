// pkg/ is the npm package `spop-inspector` (scripts/npm_package.py, from web/npm/): its
// package.json carries the workspace's version; `npm pack` makes a tarball of the module, the
// classic-script build, the wasm and the README, and nothing of the site; installed from that
// tarball into a scratch project (offline: it has no dependencies), it is imported by name in
// node, through both entries, and reports exactly what the CLI reports; its README's example
// runs; its types resolve through `exports`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect as show } from "node:util";
import { execFileSync, spawnSync } from "node:child_process";
import { CORPUS, FIXTURES, ROOT, cliPath } from "./lib.mjs";

const PKG = join(ROOT, "pkg");
const NAME = "spop-inspector";

/** [workspace.package] version of the root Cargo.toml. */
function workspaceVersion() {
  const toml = readFileSync(join(ROOT, "Cargo.toml"), "utf8");
  const section = toml.split(/^\[/m).find((s) => s.startsWith("workspace.package]"));
  return /^version\s*=\s*"([^"]+)"/m.exec(section)[1];
}

/** The CLI's JSON text for a file. */
const cliJson = (path, flags = []) =>
  execFileSync(cliPath(), ["--format", "json", "--fail-on", "never", ...flags, path], { maxBuffer: 1 << 30 }).toString("utf8");

let tmp;
let project;
let packed;

before(() => {
  assert.ok(existsSync(join(PKG, "package.json")), `${PKG}/package.json is missing: build it first (source scripts/lib.sh && build_web)`);
  tmp = mkdtempSync(join(tmpdir(), "spop-npm-"));
  // npm pack --json: what went into the tarball.
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", tmp, "--loglevel=error"], { cwd: PKG }).toString("utf8");
  [packed] = JSON.parse(out);
  project = join(tmp, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", join(tmp, packed.filename)], {
    cwd: project,
    stdio: ["ignore", "ignore", "inherit"],
  });
});

after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

/** Runs `source` as an ES module file in the scratch project; its standard output. */
function runInProject(file, source, args = []) {
  writeFileSync(join(project, file), source);
  const run = spawnSync(process.execPath, [file, ...args], { cwd: project, maxBuffer: 1 << 30, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

test("package.json: the workspace's version and the fields a registry and bundlers read", () => {
  const pkg = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8"));
  assert.equal(pkg.name, NAME);
  assert.equal(pkg.version, workspaceVersion());
  assert.equal(pkg.license, "MIT OR Apache-2.0");
  assert.match(pkg.repository.url, /^git\+https:\/\/.+\.git$/);
  assert.ok(pkg.description.length > 40);
  assert.ok(pkg.keywords.includes("haproxy") && pkg.keywords.includes("spop"));
  assert.equal(pkg.type, "module");
  assert.equal(pkg.types, "./spop_inspector.d.ts");
  assert.deepEqual(pkg.exports["."], { types: "./spop_inspector.d.ts", default: "./spop_inspector.js" });
  assert.deepEqual(pkg.exports["./no-modules"], { types: "./no-modules/spop_inspector.d.ts", default: "./no-modules/spop_inspector.js" });
  assert.equal(pkg.exports["./spop_inspector_bg.wasm"], "./spop_inspector_bg.wasm");
  assert.equal(pkg.dependencies, undefined, "no dependencies");
  // Every exported file exists and is packed.
  for (const target of Object.values(pkg.exports).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e)))) {
    assert.ok(existsSync(join(PKG, target)), target);
  }
  // The ES module finds its wasm as bundlers resolve assets.
  assert.match(readFileSync(join(PKG, "spop_inspector.js"), "utf8"), /new URL\("spop_inspector_bg\.wasm",import\.meta\.url\)/);
  // The README is the template's, with the version.
  const readme = readFileSync(join(PKG, "README.md"), "utf8");
  assert.equal(readme, readFileSync(join(ROOT, "web/npm/README.md"), "utf8").replaceAll("{{version}}", pkg.version));
});

test("npm pack: the module, the classic-script build, the wasm, types and README; nothing of the site", () => {
  assert.equal(packed.name, NAME);
  assert.equal(packed.filename, `${NAME}-${workspaceVersion()}.tgz`);
  assert.deepEqual(packed.files.map((f) => f.path).sort(), [
    "README.md",
    "no-modules/spop_inspector.d.ts",
    "no-modules/spop_inspector.js",
    "package.json",
    "spop_inspector.d.ts",
    "spop_inspector.js",
    "spop_inspector_bg.wasm",
    "spop_inspector_bg.wasm.d.ts",
  ]);
  // One wasm module, the engine without the page: the tarball stays under 400 KB.
  assert.ok(packed.size < 400_000, `${packed.size} bytes`);
});

test("installed from the tarball, `import { inspect } from 'spop-inspector'` reports what the CLI does", () => {
  const source = `
import { readFileSync } from "node:fs";
import { initSync, inspect, rules } from "${NAME}";
const where = import.meta.resolve("${NAME}");
if (!where.includes("/project/node_modules/${NAME}/")) throw new Error("resolved to " + where);
initSync({ module: readFileSync(new URL(import.meta.resolve("${NAME}/spop_inspector_bg.wasm"))) });
const out = { rules: rules().length, reports: process.argv.slice(2).map((f) => JSON.stringify(inspect(readFileSync(f))) + "\\n") };
process.stdout.write(JSON.stringify(out));
`;
  const files = CORPUS.map((f) => join(FIXTURES, f));
  const out = JSON.parse(runInProject("esm.mjs", source, files));
  assert.ok(out.rules > 40);
  assert.equal(out.reports.length, files.length);
  files.forEach((file, i) => {
    const want = cliJson(file);
    assert.deepStrictEqual(JSON.parse(out.reports[i]), JSON.parse(want), file);
    // Byte for byte, as the engine's JSON is deterministic.
    assert.equal(out.reports[i], want, file);
  });
});

test("the classic-script entry `spop-inspector/no-modules` defines wasm_bindgen with the same API", () => {
  const file = join(FIXTURES, "haproxy26-interleaved-disconnect.pcap");
  const source = `
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
// A classic script, as importScripts runs it in a worker: its top-level binding is global.
const script = readFileSync(fileURLToPath(import.meta.resolve("${NAME}/no-modules")), "utf8");
const wasm_bindgen = vm.runInThisContext(script + "\\n;wasm_bindgen");
wasm_bindgen.initSync({ module: readFileSync(new URL(import.meta.resolve("${NAME}/spop_inspector_bg.wasm"))) });
process.stdout.write(JSON.stringify(wasm_bindgen.inspect(readFileSync(process.argv[2]))) + "\\n");
`;
  assert.equal(runInProject("classic.mjs", source, [file]), cliJson(file));
});

test("the package README's Node example runs in the project and prints the CLI's findings", () => {
  const readme = readFileSync(join(PKG, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("In Node"));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, "README: a js example under 'In Node'");
  const fixture = join(FIXTURES, "haproxy26-interleaved-disconnect.pcap");
  copyFileSync(fixture, join(project, "capture.pcap"));
  const out = runInProject("readme.mjs", code);
  const r = JSON.parse(cliJson(fixture, ["--slow-ack", "50"]));
  const s = r.summary;
  const want = [
    `${s.connections} connection(s), ${s.frames} frame(s): ${s.errors} error(s), ${s.warnings} warning(s)`,
    ...r.findings.map((f) => `${f.severity} ${f.code}: ${f.message}`),
  ];
  assert.ok(r.findings.length > 0);
  assert.equal(out, want.map((l) => `${l}\n`).join(""));
});

test("the repository README's Install example runs against the installed package", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("Install\n"));
  assert.ok(section, "README has an Install section");
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code?.includes(`from "${NAME}"`), "with a js example importing the package");
  // It installs the tarball by the name npm pack gives it.
  assert.ok(section.includes(`npm install ./${packed.filename}`), `npm install ./${packed.filename}`);
  const fixture = join(FIXTURES, "haproxy34-clean.pcapng");
  copyFileSync(fixture, join(project, "capture.pcap"));
  const out = runInProject("install.mjs", code);
  assert.equal(out, show(JSON.parse(cliJson(fixture)).summary) + "\n");
});

test("the types resolve through the package's exports (tsc, moduleResolution nodenext)", () => {
  const tsc = join(ROOT, "tests/e2e/node_modules/.bin/tsc");
  assert.ok(existsSync(tsc), "typescript is installed (cd tests/e2e && npm ci)");
  writeFileSync(
    join(project, "check.ts"),
    [
      `import init, { initSync, inspect, rules, type InspectReport, type Rule } from "${NAME}";`,
      "export async function check(bytes: Uint8Array, wasm: Uint8Array): Promise<number> {",
      "  initSync({ module: wasm });",
      "  await init();",
      "  const report: InspectReport = inspect(bytes, { ports: [12345], slowAckMs: 5 });",
      "  const catalogue: Rule[] = rules();",
      "  // @ts-expect-error: options are checked",
      "  inspect(bytes, { port: 1 });",
      "  return report.summary.frames + catalogue.length;",
      "}",
      "",
    ].join("\n"),
  );
  const flags = ["--noEmit", "--strict", "--target", "esnext", "--module", "nodenext", "--moduleResolution", "nodenext", "--lib", "esnext,dom", "--types", ""];
  const run = spawnSync(tsc, [...flags, "check.ts"], { cwd: project, encoding: "utf8" });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});
