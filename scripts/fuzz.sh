#!/usr/bin/env bash
# Runs the cargo-fuzz targets: scripts/fuzz.sh TARGET [SECONDS], or scripts/fuzz.sh all
# [SECONDS] for every target in turn (scripts/fuzz.sh list shows them). Each target's corpus
# (fuzz/corpus/TARGET, kept between runs) is seeded with the real captures and pasted-text
# samples of tests/fixtures, and the hostile shapes of fuzz/seeds (damaged dumps: lines
# swapped, left out, with an unreadable offset; terminal controls and bidi characters in
# pasted text; addresses a Markdown renderer would link). Installs cargo-fuzz on first use. cargo-fuzz needs nightly
# compiler flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them. A crash leaves its
# input in fuzz/artifacts/TARGET/ and makes this script fail.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v cargo-fuzz >/dev/null || { log "cargo install cargo-fuzz"; cargo install cargo-fuzz; }
export RUSTC_BOOTSTRAP=1
cd fuzz
what="${1:-list}"
seconds="${2:-600}"
if [ "$what" = list ]; then cargo fuzz list; exit 0; fi

run() {
  local target="$1"
  mkdir -p "corpus/$target"
  # Seeds: every capture and text sample (the fuzzer keeps what reaches new code).
  local f
  for f in ../tests/fixtures/*.pcap ../tests/fixtures/*.pcapng ../tests/fixtures/text/* seeds/*; do
    [ -f "$f" ] && cp -n "$f" "corpus/$target/seed-$(basename "$f")"
  done
  # And the hostile shapes made for it (fuzz/seeds/TARGET, written by gen-hostile --shape).
  for f in seeds/"$target"/*; do
    [ -f "$f" ] && cp -n "$f" "corpus/$target/seed-$(basename "$f")"
  done
  # The share target reads bundles: seed it with each fixture's bundle (the bytes of a .spop
  # file, read as given) and its inflated body (what the target deflates and wraps itself).
  if [ "$target" = share ]; then
    cargo build --quiet --manifest-path "$ROOT/Cargo.toml" -p spop-inspect
    for f in ../tests/fixtures/*.pcap ../tests/fixtures/*.pcapng ../tests/fixtures/text/*; do
      local seed="corpus/share/bundle-$(basename "$f")"
      [ -f "$seed" ] && continue
      "${CARGO_TARGET_DIR:-$ROOT/target}/debug/spop-inspect" --bundle "$seed" "$f" >/dev/null 2>&1 || continue
      python3 -c 'import sys, zlib; d = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(zlib.decompress(d[6:], -15))' \
        "$seed" "corpus/share/body-$(basename "$f")"
    done
  fi
  log "fuzzing $target for ${seconds}s"
  cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -print_final_stats=1
}

if [ "$what" = all ]; then
  for target in $(cargo fuzz list); do run "$target"; done
else
  run "$what"
fi
