// The bundle's size budget: what a browser downloads to open the inspector (the page's
// xz-compressed wasm pkg/app_bg.wasm.xz, its loader pkg/wasm.js with the xz decoder, the glue
// pkg/app.js and pkg/worker.js; the decode worker imports the glue again, from the browser's
// cache when the host allows it, and gets the compiled module from the page), each
// file gzip -9 as bench.mjs measures it (Node's zlib; an xz file gains nothing from gzip, a
// host serves it as it is), must stay within 450 KB (KB = 1000 B).
//
// Usage: node tests/e2e/bundle-size.mjs [--budget BYTES]   (needs pkg/: build_web)
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync, constants as zlib } from "node:zlib";

export const BUDGET_BYTES = 450_000;
export const BUNDLE_FILES = ["pkg/app_bg.wasm.xz", "pkg/wasm.js", "pkg/app.js", "pkg/worker.js"];
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Raw and gzip -9 sizes of a file. */
export function sizeOf(path) {
  const raw = readFileSync(path);
  return { raw: raw.length, gzip: gzipSync(raw, { level: zlib.Z_BEST_COMPRESSION }).length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const budget = args[0] === "--budget" ? Number(args[1]) : BUDGET_BYTES;
  if (!Number.isInteger(budget) || budget <= 0 || (args.length && args[0] !== "--budget") || args.length > 2) {
    console.error("usage: node tests/e2e/bundle-size.mjs [--budget BYTES]");
    process.exit(2);
  }
  let total = 0;
  for (const file of BUNDLE_FILES) {
    const path = join(ROOT, file);
    if (!existsSync(path)) {
      console.error(`bundle size: ${file} is missing (build it first: source scripts/lib.sh && build_web)`);
      process.exit(2);
    }
    const s = sizeOf(path);
    total += s.gzip;
    console.log(`${file.padEnd(18)} ${String(s.raw).padStart(9)} B raw ${String(s.gzip).padStart(9)} B gzip -9`);
  }
  const kb = (b) => `${(b / 1000).toFixed(1)} KB`;
  const verdict = total <= budget ? "within" : "OVER";
  console.log(`${"total".padEnd(18)} ${" ".repeat(15)} ${String(total).padStart(9)} B gzip -9 = ${kb(total)}: ${verdict} the budget of ${kb(budget)} (${budget} B)`);
  if (total > budget) process.exit(1);
}
