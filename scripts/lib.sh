# Shared helpers for scripts/*.sh: idempotent installers and the web build.
# Sourced, not executed. Assumes only a Rust toolchain (rustup), node and Python.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

# rustup targets: wasm for the web app, a std-less target to prove spop-codec is no_std.
ensure_targets() {
  local installed
  installed="$(rustup target list --installed)"
  for t in wasm32-unknown-unknown x86_64-unknown-none; do
    grep -qx "$t" <<<"$installed" || { log "rustup target add $t"; rustup target add "$t"; }
  done
}

# The wasm-bindgen CLI must match the wasm-bindgen crate version exactly (pinned in Cargo.toml).
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_wasm_bindgen() {
  local want
  want="$(wasm_bindgen_version)"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    log "cargo install wasm-bindgen-cli $want (takes a few minutes, once)"
    # No --locked: one of its locked dependencies is not available from the registry here.
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

# Debian packages, installed only when missing.
ensure_apt() {
  local missing=() sudo=""
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "apt-get install ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The start screen's example captures (web/src/ui/start.rs, EXAMPLES; a test checks the two lists
# agree). They are served from pkg/examples/ and carried by the single file, not built into the
# wasm.
EXAMPLE_CAPTURES=(haproxy26-interleaved-disconnect.pcap haproxy34-clean.pcapng haproxy26-pyagent.pcap)

# The xz decoder the page's wasm loader (web/wasm.js) carries, relative to web/.
XZ_DECOMPRESS=node_modules/xz-decompress/dist/package/xz-decompress.min.js

# Minifies a JS file in place (extra arguments go to terser, e.g. --module for an ES module).
minify_js() {
  local file="$1"
  shift
  web/node_modules/.bin/terser "$file" "$@" --compress --mangle --output "$file.min"
  mv "$file.min" "$file"
}

# Builds the web app into pkg/ and assembles the static site in dist/ (index.html + pkg/), and
# the single file that works from disk, dist/spop-inspector.html (scripts/single_file.py).
# Two wasm modules: the page (pkg/app.js, app_bg.wasm: the inspector and its decode worker)
# and the engine's JavaScript API (pkg/spop_inspector.js, spop_inspector_bg.wasm, and the same
# API as a classic script in pkg/no-modules/ for workers), which is also the npm package
# `spop-inspector` (package.json and README.md from web/npm/, scripts/npm_package.py). Two, so
# that the page's download does not carry the API and npm users do not download the page.
build_web() {
  ensure_targets
  ensure_wasm_bindgen
  log "building the web app and the JavaScript API (wasm)"
  cargo build -p spop-web --bin app --bin spop_inspector --profile wasm-release --target wasm32-unknown-unknown
  local target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
  local out="$target_dir/wasm32-unknown-unknown/wasm-release"
  local glue="$target_dir/page-no-modules"
  rm -rf pkg "$glue"
  # Without the function-name section (a third of the module, only for stack traces).
  local strip=(--remove-name-section --remove-producers-section)
  wasm-bindgen --target web --out-dir pkg --out-name app "${strip[@]}" "$out/app.wasm"
  wasm-bindgen --target web --out-dir pkg --out-name spop_inspector "${strip[@]}" "$out/spop_inspector.wasm"
  # The classic-script glue (--target no-modules) of each wasm, which wasm-bindgen emits
  # identical for both targets: each module is shipped once. The page's is only for the
  # single file; the API's is the package's `spop-inspector/no-modules` entry.
  wasm-bindgen --target no-modules --out-dir "$glue" --out-name app "${strip[@]}" "$out/app.wasm"
  wasm-bindgen --target no-modules --out-dir pkg/no-modules --out-name spop_inspector "${strip[@]}" "$out/spop_inspector.wasm"
  cmp -s pkg/app_bg.wasm "$glue/app_bg.wasm" && cmp -s pkg/spop_inspector_bg.wasm pkg/no-modules/spop_inspector_bg.wasm || {
    log "wasm-bindgen emitted different modules for --target web and no-modules"
    return 1
  }
  rm pkg/no-modules/spop_inspector_bg.wasm pkg/no-modules/spop_inspector_bg.wasm.d.ts
  # The build's tools, from web/package.json.
  (cd web && { [ -x node_modules/.bin/terser ] && [ -f "$XZ_DECOMPRESS" ] || npm ci --no-audit --no-fund --loglevel=error; })
  # The page's wasm travels xz-compressed, a quarter smaller than with gzip -9 (web/wasm.js,
  # which unpacks it in the browser with xz-decompress, put in place of its marker line). The
  # uncompressed module stays beside the page's classic glue, for the single file.
  rm pkg/app_bg.wasm pkg/app_bg.wasm.d.ts
  python3 -c 'import lzma, sys; open(sys.argv[2], "wb").write(lzma.compress(open(sys.argv[1], "rb").read(), preset=9 | lzma.PRESET_EXTREME))' \
    "$glue/app_bg.wasm" pkg/app_bg.wasm.xz
  python3 scripts/wasm_loader.py web/wasm.js "web/$XZ_DECOMPRESS" pkg/wasm.js
  # The JS is shipped minified (the glue: a third of its gzipped size).
  local js
  for js in pkg/app.js pkg/spop_inspector.js pkg/wasm.js; do minify_js "$js" --module; done
  for js in "$glue/app.js" pkg/no-modules/spop_inspector.js; do minify_js "$js"; done
  python3 scripts/npm_package.py --out pkg
  # The decode worker's boot script sits next to the module it loads.
  cp web/worker.js pkg/worker.js
  mkdir -p pkg/examples
  local examples=() e
  for e in "${EXAMPLE_CAPTURES[@]}"; do
    cp "tests/fixtures/$e" pkg/examples/
    examples+=(--example "tests/fixtures/$e")
  done
  # The site: the page and what it loads, and the API's ES module for pages of its own; not
  # the package's own files.
  rm -rf dist && mkdir -p dist && cp -r index.html pkg dist/
  rm -rf dist/pkg/no-modules dist/pkg/package.json dist/pkg/README.md
  # The single file inlines the page's classic-script glue.
  python3 scripts/single_file.py --html index.html --glue "$glue/app.js" \
    --wasm "$glue/app_bg.wasm" --out dist/spop-inspector.html "${examples[@]}"
}
