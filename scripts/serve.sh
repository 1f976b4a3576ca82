#!/usr/bin/env bash
# Builds the inspector and serves it on http://127.0.0.1:${PORT:-8080}/ (Ctrl-C to stop).
# Installs what it needs on first run (wasm target, wasm-bindgen-cli).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
build_web
port="${PORT:-8080}"
log "serving dist/ (index.html + pkg/)"
printf '\n  spop-inspector is running at  http://127.0.0.1:%s/\n\n' "$port"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory dist
