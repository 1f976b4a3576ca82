#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, unit/integration/property tests, the
# no_std and wasm builds. Installs what it needs on first run; safe to run again.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ensure_targets

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy (native, all targets)"
cargo clippy --workspace --all-targets -- -D warnings
log "cargo clippy (web, wasm32)"
cargo clippy -p spop-web --target wasm32-unknown-unknown -- -D warnings

log "spop-codec is no_std: build for x86_64-unknown-none (a target without std)"
cargo build -p spop-codec --target x86_64-unknown-none
cargo build -p spop-codec --target x86_64-unknown-none --features serde
log "spop-codec builds for wasm32-unknown-unknown"
cargo build -p spop-codec --target wasm32-unknown-unknown

log "the web app builds (wasm + wasm-bindgen)"
build_web

log "cargo test (workspace)"
cargo test --workspace --all-targets
cargo test --workspace --doc
