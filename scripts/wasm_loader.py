#!/usr/bin/env python3
"""Writes the page's wasm loader: web/wasm.js with the xz decoder (xz-decompress's minified
build) in place of its marker line, and the decoder's licence notice (its leading `/*! */`
comment, which the minifier keeps only at the top of a file) moved to the top.

    wasm_loader.py web/wasm.js DECODER.min.js OUT.js
"""

import re
import sys

MARKER = "  /* xz-decompress */\n"


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.split("\n\n")[1].strip())
    template, decoder, out = sys.argv[1:]
    with open(template, encoding="utf-8") as f:
        text = f.read()
    with open(decoder, encoding="utf-8") as f:
        code = f.read()
    if text.count(MARKER) != 1:
        sys.exit(f"wasm_loader.py: {template} has no line {MARKER.strip()!r}")
    notice = re.match(r"\s*(/\*!.*?\*/)\s*", code, re.S)
    if not notice:
        sys.exit(f"wasm_loader.py: {decoder} does not open with its licence notice (/*! ... */)")
    with open(out, "w", encoding="utf-8") as f:
        f.write(notice.group(1) + "\n" + text.replace(MARKER, code[notice.end():] + "\n"))


if __name__ == "__main__":
    main()
