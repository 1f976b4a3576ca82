#!/usr/bin/env python3
"""Builds the single-file inspector: index.html with the wasm module and its glue inlined, so
the one file works from disk (file://), where Chromium will not fetch a .wasm.

    single_file.py --html index.html --glue GLUE.js --wasm APP_BG.wasm --out spop-inspector.html \
        [--example CAPTURE ...]

GLUE.js is wasm-bindgen's `--target no-modules` glue: a classic script defining the global
`wasm_bindgen`. A classic script needs no rewriting of generated code to be inlined (the
`--target web` glue is an ES module with `export`s and `import.meta.url`), and a classic worker
can run the same text from a Blob URL, so the page's CSP allows exactly two hashed scripts and
no `blob:` script source.

The page gets its own CSP: those two hashes, 'wasm-unsafe-eval', workers from blob: only,
connect-src 'none', nothing else. The wasm sits in a data block (a <script> of a non-script
type, which never runs) as base64; the boot script compiles it once, starts the app with it
and offers the decode worker (web/src/ui/backend.rs, WORKER_FACTORY) a Blob URL worker that
receives the compiled module as its first message. The page's URL, fragment included, is
left alone.

Each --example capture (the start screen's examples, which a served page fetches from
pkg/examples/) sits in a data block too, `spop-example-NAME`, where the page looks first
(web/src/ui/start.rs, example_bytes).
"""

import argparse
import base64
import hashlib
import json
import os
import re
import sys

# Runs in the decode worker after the glue: the first message is the compiled module; then
# worker_main answers the page (its first message is {ready: true}). A failure to start is
# thrown from a task of its own so that it reaches the page as the worker's `error` event (a
# rejected promise would not), and the page decodes in-thread instead. Once started, the engine
# failing under way is told to the page as a message, as web/worker.js does.
WORKER_BOOT = """
self.onmessage = (event) => {
  self.onmessage = null;
  wasm_bindgen({ module_or_path: event.data }).then(
    () => {
      self.addEventListener("error", (event) => {
        event.preventDefault();
        self.postMessage({ failed: String(event.message ?? event.error ?? "") });
      });
      wasm_bindgen.worker_main();
    },
    (error) => setTimeout(() => { throw error; }),
  );
};
"""

# Runs in the page after the glue.
PAGE_BOOT = """
(async () => {
  const text = (id) => document.getElementById(id).text;
  const base64 = text("spop-wasm").trim();
  const bytes = Uint8Array.fromBase64
    ? Uint8Array.fromBase64(base64)
    : Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  // Compiled once, for the page and for every decode worker.
  const module = await WebAssembly.compile(bytes);
  const workerUrl = URL.createObjectURL(
    new Blob([text("spop-glue"), WORKER_BOOT_JSON], { type: "text/javascript" }),
  );
  globalThis.spopStartWorker = () => {
    const worker = new Worker(workerUrl, { name: "spop-decode" });
    worker.postMessage(module);
    return worker;
  };
  await wasm_bindgen({ module_or_path: module });
})();
"""

CSP = (
    "default-src 'none'; script-src {hashes} 'wasm-unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data:; worker-src blob:; connect-src 'none'; base-uri 'none'; "
    "form-action 'none'; object-src 'none'"
)

CSP_META = re.compile(r'(<meta http-equiv="Content-Security-Policy" content=")([^"]*)(">)')
MODULE_BOOT = re.compile(r'<script type="module">[^<]*</script>')


def fail(message):
    sys.exit(f"single_file.py: {message}")


def sha256(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def inlinable(name, text):
    """Text that can sit in a <script> element exactly as it is (the CSP hash is of the text
    as written, so it cannot be escaped)."""
    lower = text.lower()
    for bad in ("</script", "<!--", "<script"):
        if bad in lower:
            fail(f"{name} contains {bad!r}, which would end or confuse its <script> element")
    return text


def build(html, glue, wasm, examples=()):
    """examples: (file name, bytes) pairs."""
    if "let wasm_bindgen" not in glue:
        fail("the glue is not wasm-bindgen's --target no-modules output (no `let wasm_bindgen`)")
    if len(MODULE_BOOT.findall(html)) != 1 or html.count("<script") != 1:
        fail('index.html must have exactly one <script>, the <script type="module"> boot')
    if len(CSP_META.findall(html)) != 1:
        fail("index.html must have exactly one Content-Security-Policy meta")
    glue = inlinable("the glue", glue)
    boot = inlinable("the boot script", PAGE_BOOT.replace("WORKER_BOOT_JSON", json.dumps(WORKER_BOOT)))
    blocks = "".join(
        f'<script type="application/octet-stream" id="spop-example-{name}">'
        + base64.b64encode(data).decode()
        + "</script>\n"
        for name, data in examples
    )
    scripts = (
        blocks
        + '<script type="application/octet-stream" id="spop-wasm">'
        + base64.b64encode(wasm).decode()
        + '</script>\n<script id="spop-glue">'
        + glue
        + "</script>\n<script>"
        + boot
        + "</script>"
    )
    csp = CSP.format(hashes=f"{sha256(glue)} {sha256(boot)}")
    html = CSP_META.sub(lambda m: m.group(1) + csp + m.group(3), html)
    return MODULE_BOOT.sub(lambda _: scripts, html)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", required=True, help="the page (index.html)")
    parser.add_argument("--glue", required=True, help="wasm-bindgen --target no-modules glue")
    parser.add_argument("--wasm", required=True, help="the wasm module that glue goes with")
    parser.add_argument("--out", required=True, help="the single file to write")
    parser.add_argument("--example", action="append", default=[], help="an example capture to carry")
    args = parser.parse_args()
    with open(args.html, encoding="utf-8") as f:
        html = f.read()
    with open(args.glue, encoding="utf-8") as f:
        glue = f.read()
    with open(args.wasm, "rb") as f:
        wasm = f.read()
    if wasm[:4] != b"\0asm":
        fail(f"{args.wasm} is not a wasm module")
    examples = []
    for path in args.example:
        name = os.path.basename(path)
        if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            fail(f"{name}: an example's name becomes an element id, keep it to [A-Za-z0-9._-]")
        with open(path, "rb") as f:
            examples.append((name, f.read()))
    out = build(html, glue, wasm, examples)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(out)
    print(f"{args.out}: {len(out.encode('utf-8')):,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
