// The page's wasm module: fetched and compiled once by the page (index.html calls `start`),
// which hands the compiled module to each decode worker it starts (worker.js).
//
// It travels xz-compressed (pkg/app_bg.wasm.xz, made by scripts/lib.sh build_web): xz packs the
// module about a quarter smaller than gzip -9 does, and what a browser downloads to open the
// inspector is what the bundle's size budget counts (tests/e2e/bundle-size.mjs,
// docs/performance.md). The decoder is the npm package xz-decompress (xz-embedded, compiled
// to a small wasm of its own; MIT and public domain), which the build puts in place of the
// marker line below, run with `this` bound to an object so that its UMD wrapper registers it
// there: in an ES module there is no global `this`, `module` or `define` for it to use.
const scope = {};
(function () {
  /* xz-decompress */
}).call(scope);
const { XzReadableStream } = scope["xz-decompress"];

/** The module's bytes, decompressed as they arrive. Fetched next to this file. */
export async function appWasm() {
  const response = await fetch(new URL("app_bg.wasm.xz", import.meta.url));
  if (!response.ok) throw new Error(`app_bg.wasm.xz: ${response.status} ${response.statusText}`);
  return new Response(new XzReadableStream(response.body)).arrayBuffer();
}

/**
 * Starts the page with `init` (app.js's default export): the module is compiled once, and
 * each decode worker (web/src/ui/backend.rs calls `spopStartWorker`) receives it as its
 * first message instead of fetching and unpacking it again.
 */
export async function start(init) {
  const module = await WebAssembly.compile(await appWasm());
  const worker = new URL("worker.js", import.meta.url);
  globalThis.spopStartWorker = () => {
    const w = new Worker(worker, { type: "module", name: "spop-decode" });
    w.postMessage(module);
    return w;
  };
  await init({ module_or_path: module });
}
