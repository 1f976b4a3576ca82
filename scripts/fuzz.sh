#!/usr/bin/env bash
# Runs a cargo-fuzz target for a number of seconds: scripts/fuzz.sh TARGET [SECONDS]
# (scripts/fuzz.sh list shows the targets). Installs cargo-fuzz on first use. cargo-fuzz needs
# nightly compiler flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v cargo-fuzz >/dev/null || { log "cargo install cargo-fuzz"; cargo install cargo-fuzz; }
export RUSTC_BOOTSTRAP=1
cd fuzz
if [ "${1:-list}" = list ]; then cargo fuzz list; exit 0; fi
target="$1"; seconds="${2:-600}"
mkdir -p "corpus/$target"
exec cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -print_final_stats=1
