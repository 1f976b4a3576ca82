// The engine's JavaScript API (pkg/spop_inspector.js): `inspect` gives the CLI's JSON report as plain
// objects and `rules` its rule catalogue, in node (initSync) and in the served page under its
// CSP; the README example runs; pkg/spop_inspector.d.ts types every field of the real output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { ARTIFACTS, CORPUS, FIXTURES, ROOT, cliPath, newPage, setup, xxd } from "./lib.mjs";

const PKG = join(ROOT, "pkg");
if (!existsSync(join(PKG, "spop_inspector_bg.wasm"))) {
  throw new Error(`${PKG}/spop_inspector_bg.wasm is missing: build it first (source scripts/lib.sh && build_web)`);
}
const api = await import(join(PKG, "spop_inspector.js"));
api.initSync({ module: readFileSync(join(PKG, "spop_inspector_bg.wasm")) });

const ctx = setup();

// ---------------------------------------------------------------------------------------------
// Ground truth: the CLI, fed the same bytes on standard input with the same flags.

/** `spop-inspect --format json FLAGS -`: `{ text }` (its JSON) or `{ error }` (exit 2: its
 * message without the "spop-inspect: standard input: " prefix). */
function cliJson(bytes, flags = []) {
  const run = spawnSync(cliPath(), ["--format", "json", "--fail-on", "never", ...flags, "-"], {
    input: bytes,
    maxBuffer: 1 << 30,
  });
  if (run.status === 2) return { error: run.stderr.toString("utf8").trim().replace(/^spop-inspect: standard input: /, "") };
  assert.equal(run.status, 0, run.stderr.toString("utf8"));
  return { text: run.stdout.toString("utf8") };
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Every value of a report in document order (object keys in insertion order, which is the
 * serialization order of both the API and the JSON). */
function* leaves(v) {
  if (Array.isArray(v)) for (const x of v) yield* leaves(x);
  else if (v !== null && typeof v === "object") for (const k of Object.keys(v)) yield* leaves(v[k]);
  else yield v;
}

/** The report with its bigints as numbers, rounded as JSON.parse rounds them. */
const lossy = (v) =>
  typeof v === "bigint"
    ? Number(v)
    : Array.isArray(v)
      ? v.map(lossy)
      : v !== null && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, lossy(x)]))
        : v;

/** The integer literals of a JSON text beyond the safe range, in order, exactly (JSON.parse
 * would round them). Skips strings, so digits in messages do not count. */
function bigLiterals(text) {
  const out = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      const token = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 40))[0];
      i += token.length - 1;
      if (/^-?\d+$/.test(token) && (BigInt(token) > MAX_SAFE || BigInt(token) < -MAX_SAFE)) out.push(token);
    }
  }
  return out;
}

/** The API's report agrees with the CLI's JSON text: deep-equal to JSON.parse but for
 * integers beyond 2^53, which are bigints holding the exact digits the CLI wrote; every other
 * integer is a number. */
function agree(report, text) {
  assert.deepStrictEqual(lossy(report), JSON.parse(text));
  const values = [...leaves(report)];
  const bigs = values.filter((v) => typeof v === "bigint");
  assert.ok(bigs.every((b) => b > MAX_SAFE || b < -MAX_SAFE), "bigints only beyond the safe range");
  assert.ok(values.every((v) => typeof v !== "number" || !Number.isInteger(v) || Number.isSafeInteger(v)), "no rounded integer");
  assert.deepStrictEqual(bigs.map(String), bigLiterals(text));
}

/** `inspect(bytes, options)` in node does what `spop-inspect FLAGS` does. */
function same(bytes, options, flags) {
  const want = cliJson(bytes, flags);
  if (want.error !== undefined) {
    assert.throws(() => api.inspect(bytes, options), (e) => e instanceof Error && e.message === want.error);
    return null;
  }
  const report = api.inspect(bytes, options);
  agree(report, want.text);
  return report;
}

// ---------------------------------------------------------------------------------------------
// A raw SPOP stream of both directions whose integers are beyond what a JS number holds.

/** A SPOP varint. */
function varint(x) {
  x = BigInt.asUintN(64, BigInt(x));
  if (x < 240n) return [Number(x)];
  const out = [Number((x | 240n) & 0xffn)];
  for (x = (x - 240n) >> 4n; x >= 128n; x = (x - 128n) >> 7n) out.push(Number((x | 128n) & 0xffn));
  out.push(Number(x));
  return out;
}
const u32 = (n) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const str = (s) => [...varint(s.length), ...Buffer.from(s)];
const typed = { uint32: (n) => [0x03, ...varint(n)], int64: (n) => [0x04, ...varint(n)], uint64: (n) => [0x05, ...varint(n)], string: (s) => [0x08, ...str(s)] };
function frame(type, streamId, frameId, payload, flags = 1 /* FIN */) {
  const body = [type, ...u32(flags), ...varint(streamId), ...varint(frameId), ...payload];
  return [...u32(body.length), ...body];
}
const U64_MAX = 2n ** 64n - 1n;
const helloOf = (maxFrameSize) =>
  frame(1, 0, 0, [
    ...str("supported-versions"), ...typed.string("2.0"),
    ...str("max-frame-size"), ...maxFrameSize,
    ...str("capabilities"), ...typed.string("pipelining"),
  ]);
const BIG = Uint8Array.from([
  ...helloOf(typed.uint64(2n ** 60n)),
  ...frame(101, 0, 0, [
    ...str("version"), ...typed.string("2.0"),
    ...str("max-frame-size"), ...typed.uint32(16380),
    ...str("capabilities"), ...typed.string("pipelining"),
  ]),
  ...frame(3, U64_MAX, 2n ** 53n, [
    ...str("big"), 5,
    ...str("u64-max"), ...typed.uint64(U64_MAX),
    ...str("i64-min"), ...typed.int64(-(2n ** 63n)),
    ...str("safe"), ...typed.uint64(MAX_SAFE),
    ...str("safe-negative"), ...typed.int64(-MAX_SAFE),
    ...str("unsafe-negative"), ...typed.int64(-MAX_SAFE - 1n),
  ]),
  ...frame(103, U64_MAX, 2n ** 53n, [
    1, 3, 2, ...str("v"), ...typed.uint64(U64_MAX),
    9, 1, ...typed.string("?"),
  ]),
]);
/** A NOTIFY fragmented as HAProxy ≤3.0 does (a frame without FIN, then an UNSET frame) and a
 * frame of an unknown type: their payloads are shown as raw bytes. */
const RAW = Uint8Array.from([
  ...helloOf(typed.uint32(16380)),
  ...frame(3, 1, 1, [...str("fragmented"), 1, ...str("a")], 0),
  ...frame(0, 1, 1, [...typed.string("tail")]),
  ...frame(50, 1, 2, [1, 2, 3]),
]);

// ---------------------------------------------------------------------------------------------
// In node.

test("inspect equals the CLI's JSON for every capture, every pasted-text sample and an xxd dump", () => {
  for (const file of CORPUS) {
    const bytes = readFileSync(join(FIXTURES, file));
    const report = same(bytes, undefined, []);
    assert.ok(report.frames.length > 0, file);
    // Node's Buffer is a Uint8Array too; a plain one gives the same.
    assert.deepStrictEqual(api.inspect(new Uint8Array(bytes)), report);
  }
  const text = join(FIXTURES, "text");
  let read = 0;
  for (const file of readdirSync(text).sort()) {
    if (same(readFileSync(join(text, file)), {}, [])) read++;
  }
  assert.ok(read >= 25, `${read} text samples read`);
  const dump = Buffer.from(xxd(readFileSync(join(FIXTURES, "haproxy26-interleaved-disconnect.pcap"))));
  assert.equal(same(dump, {}, []).input.format, "xxd/pcap");
});

test("determinism: the same input gives byte-identical JSON, run after run, native and wasm alike", () => {
  const inputs = [...CORPUS.map((f) => join(FIXTURES, f)), ...readdirSync(join(FIXTURES, "text")).sort().map((f) => join(FIXTURES, "text", f))];
  let compared = 0;
  for (const path of inputs) {
    const bytes = readFileSync(path);
    const native = cliJson(bytes);
    if (native.error) continue;
    assert.equal(cliJson(bytes).text, native.text, `${path}: the CLI's JSON changed between runs`);
    const wasm = JSON.stringify(api.inspect(bytes)) + "\n";
    assert.equal(JSON.stringify(api.inspect(bytes)) + "\n", wasm, `${path}: inspect changed between runs`);
    assert.equal(wasm, native.text, `${path}: the wasm engine's JSON differs from the native one`);
    compared++;
  }
  assert.ok(compared >= 30, `${compared} inputs compared`);
});

test("ports, slowAckMs and timeoutProcessing change the report as --port, --slow-ack and --timeout-processing do", () => {
  const clean = readFileSync(join(FIXTURES, "haproxy34-clean.pcap"));
  const plain = same(clean, {}, []);
  const [haproxy, agent] = [plain.connections[0].haproxy, plain.connections[0].agent];
  // The agent's port: what detection by HAPROXY-HELLO found anyway.
  same(clean, { ports: [Number(agent.split(":")[1])] }, ["--port", agent.split(":")[1]]);
  // HAProxy's port named as the agent's turns the roles around.
  const port = haproxy.split(":")[1];
  const swapped = same(clean, { ports: [1, Number(port)] }, ["--port", "1", "--port", port]);
  assert.equal(swapped.connections[0].agent, haproxy);
  assert.notDeepStrictEqual(swapped, plain);

  const x008 = (r) => r.findings.filter((f) => f.code === "SPOP-X008").length;
  assert.equal(x008(plain), 0);
  // 0.41 ms lies between this capture's ACK latencies (0.40 to 0.42 ms): some, not all.
  const slow = same(clean, { slowAckMs: 0.41 }, ["--slow-ack", "0.41"]);
  assert.ok(x008(slow) > 0 && x008(slow) < plain.connections[0].answered, `${x008(slow)} slow ACKs`);
  assert.equal(x008(same(clean, { slowAckMs: 0 }, ["--slow-ack", "0"])), plain.connections[0].answered);
  // timeoutProcessing in HAProxy's syntax, as --timeout-processing; a number is milliseconds.
  assert.deepStrictEqual(same(clean, { timeoutProcessing: "410us" }, ["--timeout-processing", "410us"]), slow);
  assert.deepStrictEqual(api.inspect(clean, { timeoutProcessing: 0 }), same(clean, { slowAckMs: 0 }, ["--timeout-processing", "0"]));
  assert.throws(() => api.inspect(clean, { timeoutProcessing: "soon" }), /options.timeoutProcessing must be a time as HAProxy writes it/);
  assert.throws(() => api.inspect(clean, { timeoutProcessing: "1s", slowAckMs: 5 }), /not both/);
  // Absent, undefined and null options are the defaults.
  for (const options of [undefined, null, {}, { ports: undefined, slowAckMs: undefined }, { ports: [] }]) {
    assert.deepStrictEqual(api.inspect(clean, options), plain);
  }
});

test("unreadable input throws an Error with the CLI's message", () => {
  const inputs = [
    new Uint8Array(),
    Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3]),
    Buffer.from("hello, this is not a capture\n"),
    readFileSync(join(FIXTURES, "haproxy34-clean.pcap")).subarray(0, 10),
    readFileSync(join(FIXTURES, "haproxy34-clean.pcapng")).subarray(0, 12),
  ];
  for (const bytes of inputs) {
    const want = cliJson(bytes);
    assert.ok(want.error, `the CLI rejects ${bytes.length} byte(s)`);
    assert.throws(() => api.inspect(bytes), (e) => e instanceof Error && e.message === want.error);
  }
});

test("unknown options and wrong types throw clear errors", () => {
  const bytes = readFileSync(join(FIXTURES, "haproxy34-clean.pcap"));
  const cases = [
    [{ port: [12345] }, "inspect: unknown option `port` (the options are ports, timeoutProcessing, slowAckMs)"],
    [{ slowAck: 5 }, "inspect: unknown option `slowAck` (the options are ports, timeoutProcessing, slowAckMs)"],
    [{ ports: 12345 }, "inspect: options.ports must be an array of TCP ports (integers 0 to 65535), got 12345"],
    [{ ports: ["12345"] }, 'inspect: options.ports must be an array of TCP ports (integers 0 to 65535), got ["12345"]'],
    [{ ports: [70000] }, "inspect: options.ports must be an array of TCP ports (integers 0 to 65535), got [70000]"],
    [{ ports: [80.5] }, "inspect: options.ports must be an array of TCP ports (integers 0 to 65535), got [80.5]"],
    [{ slowAckMs: "50" }, 'inspect: options.slowAckMs must be a number of milliseconds (finite, 0 or more), got "50"'],
    [{ slowAckMs: -1 }, "inspect: options.slowAckMs must be a number of milliseconds (finite, 0 or more), got -1"],
    [{ slowAckMs: NaN }, "inspect: options.slowAckMs must be a number of milliseconds (finite, 0 or more), got null"],
    [5, "inspect: options must be an object (ports, timeoutProcessing, slowAckMs), got 5"],
    [[12345], "inspect: options must be an object (ports, timeoutProcessing, slowAckMs), got [12345]"],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => api.inspect(bytes, options), (e) => e instanceof Error && e.message === message, JSON.stringify(options));
  }
  for (const input of ["00000000: 0000", [0, 0, 0, 1], bytes.buffer, undefined]) {
    assert.throws(
      () => api.inspect(input),
      (e) => e instanceof Error && e.message.startsWith("inspect: bytes must be a Uint8Array (for text, new TextEncoder().encode(text)), got "),
    );
  }
});

test("64-bit integers are numbers while exact and bigints beyond, with the CLI's digits", () => {
  const report = same(BIG, {}, []);
  assert.equal(report.input.format, "raw");
  assert.deepStrictEqual(report.connections[0].announced_max_frame_size, 2n ** 60n);
  assert.equal(report.connections[0].negotiated_max_frame_size, 16380);
  const notify = report.frames.find((f) => f.type === "NOTIFY");
  assert.equal(notify.stream_id, U64_MAX);
  assert.equal(notify.frame_id, 2n ** 53n);
  assert.equal(report.frames[0].stream_id, 0);
  const args = Object.fromEntries(notify.payload.messages[0].args.map((a) => [a.name, a.value]));
  assert.deepStrictEqual(args, {
    "u64-max": U64_MAX,
    "i64-min": -(2n ** 63n),
    safe: Number.MAX_SAFE_INTEGER,
    "safe-negative": -Number.MAX_SAFE_INTEGER,
    "unsafe-negative": -MAX_SAFE - 1n,
  });
  const ack = report.frames.find((f) => f.type === "ACK");
  assert.equal(ack.pair, notify.index);
  assert.deepStrictEqual(ack.payload.actions.map((a) => [a.action, a.value?.value ?? a.raw]), [
    ["set-var", U64_MAX],
    ["unknown", ack.payload.actions[1].raw],
  ]);
  assert.ok(ack.payload.actions[1].raw.length > 0);
  // JSON.parse of the CLI's output rounds what the API keeps exact.
  const parsed = JSON.parse(cliJson(BIG).text);
  assert.equal(parsed.frames[notify.index].stream_id, 18446744073709552000);
});

test("fragments and unknown frame types come as raw payloads, as in the CLI's JSON", () => {
  const report = same(RAW, {}, []);
  assert.deepStrictEqual(
    report.frames.map((f) => [f.type, f.payload.kind]),
    [["HAPROXY-HELLO", "kv"], ["NOTIFY", "raw"], ["UNSET", "raw"], ["UNKNOWN(50)", "raw"]],
  );
  assert.equal(report.frames[3].payload.hex, "010203");
});

test("rules() equals `spop-inspect rules --format json`", () => {
  const want = JSON.parse(execFileSync(cliPath(), ["rules", "--format", "json"]).toString("utf8"));
  assert.ok(want.length > 40);
  assert.deepStrictEqual(api.rules(), want);
});

test("the README's JavaScript API example runs and prints what the CLI reports", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("JavaScript API\n"));
  assert.ok(section, "README has a JavaScript API section");
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, "with a js example");
  // --eval resolves "./pkg/spop_inspector.js" and the file paths against the repository root.
  const out = execFileSync(process.execPath, ["--input-type=module", "--eval", code], { cwd: ROOT }).toString("utf8");
  const r = JSON.parse(cliJson(readFileSync(join(FIXTURES, "haproxy34-clean.pcap")), ["--slow-ack", "0.41"]).text);
  const s = r.summary;
  const want = [
    `${s.connections} connection(s), ${s.frames} frame(s): ${s.errors} error(s), ${s.warnings} warning(s), ${s.infos} info`,
    ...r.findings.map((f) => `${f.severity} ${f.code} ${f.frames.length ? `frame #${f.frames[0] + 1}` : f.connection === null ? "capture" : `connection ${f.connection + 1}`}: ${f.message}`),
  ];
  assert.ok(r.findings.length > 0);
  assert.equal(out, want.map((l) => `${l}\n`).join(""));
});

// ---------------------------------------------------------------------------------------------
// TypeScript: pkg/spop_inspector.d.ts types the API and every field of its real output.

const TSC = join(ROOT, "tests/e2e/node_modules/.bin/tsc");
const TSC_FLAGS = ["--noEmit", "--strict", "--target", "esnext", "--module", "esnext", "--moduleResolution", "bundler", "--lib", "esnext,dom", "--types", ""];

/** tsc's diagnostics for `files` (empty when they type-check). */
function tsc(...files) {
  assert.ok(existsSync(TSC), "typescript is installed (cd tests/e2e && npm ci)");
  const run = spawnSync(TSC, [...TSC_FLAGS, ...files], { encoding: "utf8" });
  return (run.stdout + run.stderr).split("\n").filter((l) => / error TS\d+/.test(l));
}

test("api-example.ts type-checks, and each of its @ts-expect-error lines is a type error", () => {
  const example = join(ROOT, "tests/e2e/api-example.ts");
  assert.deepEqual(tsc(example), []);
  // Without the directives, tsc must report an error on each line they covered: the types
  // are not `any`.
  const source = readFileSync(example, "utf8");
  const expected = source.split("\n").flatMap((l, i) => (l.includes("// @ts-expect-error") ? [i + 2] : []));
  assert.ok(expected.length >= 8, `${expected.length} expected errors`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const stripped = join(ARTIFACTS, "api-example-unchecked.ts");
  writeFileSync(stripped, source.replaceAll("// @ts-expect-error", "//").replaceAll("../../pkg/", "../../../pkg/"));
  const lines = [...new Set(tsc(stripped).map((l) => Number(/\.ts\((\d+),/.exec(l)[1])))];
  assert.deepEqual(lines, expected);
});

/** A value as a TypeScript literal (bigints as `123n`). */
const literal = (v) =>
  typeof v === "bigint"
    ? `${v}n`
    : Array.isArray(v)
      ? `[${v.map(literal).join(",")}]`
      : v !== null && typeof v === "object"
        ? `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${literal(x)}`).join(",")}}`
        : JSON.stringify(v);

test("the types match the real output: every report and the catalogue satisfy them exactly", () => {
  const inputs = [
    ...CORPUS.map((f) => readFileSync(join(FIXTURES, f))),
    readFileSync(join(FIXTURES, "text/tshark-follow-hex.haproxy26-pyagent.txt")),
    BIG,
    RAW,
  ];
  const reports = inputs.map((b) => api.inspect(b, { slowAckMs: 0.41 }));
  // Every payload kind and action kind, and both null and set optional fields, are in there.
  const kinds = new Set(reports.flatMap((r) => r.frames.map((f) => f.payload.kind)));
  assert.deepEqual([...kinds].sort(), ["actions", "kv", "messages", "raw"]);
  // Object literals get excess-property checks: a field the types lack fails, as does a
  // field the output lacks.
  const file = join(ARTIFACTS, "api-types-check.ts");
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(
    file,
    [
      'import type { InspectReport, Rule } from "../../../pkg/spop_inspector.js";',
      ...reports.map((r, i) => `export const report${i} = ${literal(r)} satisfies InspectReport;`),
      `export const catalogue = ${literal(api.rules())} satisfies Rule[];`,
      "// @ts-expect-error: the check is not vacuous: an extra field fails",
      "export const extra = { ...report0, summary: { ...report0.summary, extra: 1 } } satisfies InspectReport;",
      "",
    ].join("\n"),
  );
  assert.deepEqual(tsc(file), []);
});

// ---------------------------------------------------------------------------------------------
// In the page.

test("in Chromium, the served page imports ./pkg/spop_inspector.js under its CSP and inspects as the CLI does", async () => {
  const errors = [];
  const page = await newPage(ctx.browser, errors);
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(ctx.server.url);
  await page.locator("textarea#input").waitFor();
  assert.match(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute("content"), /script-src 'self' 'wasm-unsafe-eval'/);
  const pcap = readFileSync(join(FIXTURES, "haproxy26-pyagent.pcap"));
  const text = readFileSync(join(FIXTURES, "text/xxd.haproxy34-clean.pcap.txt"), "utf8");
  const got = await page.evaluate(
    async ({ pcap, big, text }) => {
      const api = await import("./pkg/spop_inspector.js");
      await api.default();
      let error = null;
      try {
        api.inspect(Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3]));
      } catch (e) {
        error = { isError: e instanceof Error, message: e.message };
      }
      return {
        pcap: api.inspect(Uint8Array.from(pcap), { slowAckMs: 0.41 }),
        big: api.inspect(Uint8Array.from(big)),
        text: api.inspect(new TextEncoder().encode(text), { ports: [12345] }),
        rules: api.rules(),
        error,
      };
    },
    { pcap: [...pcap], big: [...BIG], text },
  );
  agree(got.pcap, cliJson(pcap, ["--slow-ack", "0.41"]).text);
  agree(got.big, cliJson(BIG).text);
  agree(got.text, cliJson(Buffer.from(text), ["--port", "12345"]).text);
  assert.deepStrictEqual(got.rules, api.rules());
  assert.deepStrictEqual(got.error, { isError: true, message: cliJson(Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3])).error });
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  assert.deepEqual(errors, []);
  await page.context().close();
});
