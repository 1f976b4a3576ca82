#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, unit/integration/property/golden tests,
# the no_std and wasm builds, and the browser end-to-end tests. Installs what it needs on
# first run (rustup targets, wasm-bindgen-cli, Debian packages, npm packages); safe to rerun.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ensure_targets
# chromium: browser tests (chromium-driver: the web components' wasm-bindgen tests); haproxy +
# tcpdump: the interop test with a real HAProxy; tshark, xxd, hexdump (bsdextrautils): the
# text-format tests regenerate their samples from the real captures with the real tools.
ensure_apt chromium chromium-driver haproxy tcpdump tshark xxd bsdextrautils

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy (native, all targets)"
cargo clippy --workspace --all-targets -- -D warnings
log "cargo clippy (web, wasm32, all targets)"
cargo clippy -p spop-web --all-targets --target wasm32-unknown-unknown -- -D warnings

log "spop-codec is no_std: build for x86_64-unknown-none (a target without std)"
cargo build -p spop-codec --target x86_64-unknown-none
cargo build -p spop-codec --target x86_64-unknown-none --features serde
log "spop-codec builds for wasm32-unknown-unknown"
cargo build -p spop-codec --target wasm32-unknown-unknown
log "the fuzz targets compile (scripts/fuzz.sh runs them, on nightly)"
(cd fuzz && cargo check --bins)

log "cargo test (workspace)"
cargo test --workspace --all-targets
cargo test --workspace --doc

log "web component tests (wasm-bindgen-test, headless Chromium)"
# The runner is wasm-bindgen-cli's wasm-bindgen-test-runner (.cargo/config.toml); Chromium's
# flags are in web/webdriver.json.
ensure_wasm_bindgen
CHROMEDRIVER=/usr/bin/chromedriver cargo test -p spop-web --target wasm32-unknown-unknown --tests

log "browser end-to-end tests (headless Chromium)"
build_web
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error && npm test)

# Last, so that a bundle over its budget still leaves every other result shown.
log "bundle size (budget 450 KB gzip -9)"
node tests/e2e/bundle-size.mjs
