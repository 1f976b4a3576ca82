#!/usr/bin/env bash
# Installs published SPOA agent libraries the way their users do, each in its own virtualenv
# under DIR (default: target/probe-agents), for cli/tests/probe_libraries.rs:
#   DIR/haproxyspoa  pip install haproxyspoa==0.0.1 (any Python 3)
#   DIR/spoe-forge   pip install spoe-forge==0.0.8  (needs Python >= 3.12: the first found)
# Already installed: nothing to do. Each pip run is bounded (300 s). A Python whose venv module
# is missing (Debian's own, without python3-venv) gets python3-venv when run as root with
# apt-get (bounded too), then the venv is tried again. Prints one line per
# library: "NAME ok PYTHON" or "NAME unavailable: WHY"; exits 0 unless DIR cannot be made.
set -uo pipefail
DIR=${1:-target/probe-agents}
mkdir -p "$DIR" || exit 1

python_at_least() {
    local minor=$1 c
    for c in python3.14 python3.13 python3.12 python3.11 python3 \
             "${HOME:-/nonexistent}"/.pyenv/versions/3.1[1-9]*/bin/python3; do
        if "$c" -c "import sys; sys.exit(sys.version_info < (3, $minor))" 2>/dev/null; then
            command -v "$c" 2>/dev/null || echo "$c"
            return 0
        fi
    done
    return 1
}

# Makes the virtualenv VENV with PY, its errors in VENV.log. Debian's Python has no venv
# module (nor ensurepip) until python3-venv is installed: as root with apt-get, install it
# and try again.
make_venv() {
    local py=$1 venv=$2
    if timeout 300 "$py" -m venv "$venv" >"$venv.log" 2>&1; then
        return 0
    fi
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        return 1
    fi
    rm -rf "$venv"
    # The python3.X-venv package of a versioned Python, python3-venv for the default one.
    local pkg minor
    minor=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || return 1
    pkg=python3-venv
    if apt-cache show "python$minor-venv" >/dev/null 2>&1; then
        pkg="python3-venv python$minor-venv"
    fi
    # shellcheck disable=SC2086 # two package names at most, no globbing
    if ! DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq $pkg >>"$venv.log" 2>&1; then
        timeout 300 apt-get update -qq >>"$venv.log" 2>&1
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq $pkg >>"$venv.log" 2>&1 ||
            return 1
    fi
    timeout 300 "$py" -m venv "$venv" >"$venv.log" 2>&1
}

install() {
    local name=$1 module=$2 spec=$3 minor=$4 venv=$DIR/$1 py
    if "$venv/bin/python" -c "import $module" 2>/dev/null; then
        echo "$name ok $venv/bin/python"
        return
    fi
    if ! py=$(python_at_least "$minor"); then
        echo "$name unavailable: no Python >= 3.$minor"
        return
    fi
    rm -rf "$venv"
    if ! make_venv "$py" "$venv"; then
        echo "$name unavailable: $py cannot make a virtualenv: $(tail -n 1 "$venv.log")"
        rm -rf "$venv"
        return
    fi
    if ! timeout 300 "$venv/bin/pip" install -q --disable-pip-version-check "$spec" >"$venv.log" 2>&1; then
        echo "$name unavailable: pip install $spec failed: $(tail -n 1 "$venv.log")"
        rm -rf "$venv"
        return
    fi
    echo "$name ok $venv/bin/python"
}

install haproxyspoa haproxyspoa haproxyspoa==0.0.1 7
install spoe-forge spoe_forge spoe-forge==0.0.8 12
