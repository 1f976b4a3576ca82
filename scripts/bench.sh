#!/usr/bin/env bash
# The benchmark table (issue 7): the engine natively (pipeline speed and peak memory on
# generated 10/100/400 MB captures and the corpus, wire decoding alone, tshark on the same
# 100 MB file), then the browser (load timings and wasm memory in headless Chromium, bundle
# sizes). Generated captures are cached in tests/e2e/artifacts/. Installs tshark, chromium and
# the npm packages if missing. Arguments go to the native part (e.g. --sizes 10M,100M --runs 1).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_apt tshark chromium
log "building the benchmark (release)"
cargo build --quiet --release -p spop-tests --bin bench --bin gen-capture -p spop-inspect
"${CARGO_TARGET_DIR:-$ROOT/target}/release/bench" "$@"
echo
build_web
( cd tests/e2e && { [ -d node_modules ] || npm ci --silent; } && node bench.mjs )
