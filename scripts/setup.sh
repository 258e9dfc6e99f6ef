#!/usr/bin/env bash
# Set up cogov-sim in ./.venv: find Python >= 3.12, create the venv, install the package and
# its test tools. Re-running is cheap: nothing is reinstalled unless pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
    local c
    for c in python3.13 python3.12 python3; do
        if command -v "$c" >/dev/null 2>&1 && ok "$c"; then command -v "$c"; return 0; fi
    done
    local roots=()
    command -v pyenv >/dev/null 2>&1 && roots+=("$(pyenv root)/versions")
    roots+=("$HOME/.pyenv/versions" /usr/local/bin /opt/python)
    for r in "${roots[@]}"; do
        for c in $(ls -d "$r"/3.1[3-9]*/bin/python3 "$r"/3.12*/bin/python3 2>/dev/null | sort -rV); do
            if ok "$c"; then echo "$c"; return 0; fi
        done
    done
    return 1
}

if [ ! -x .venv/bin/python ] || ! ok .venv/bin/python; then
    PY=$(find_python) || {
        echo "cogov-sim needs Python >= 3.12 (Mesa 3.5 requires it) and none was found." >&2
        echo "Install one, e.g. 'apt-get install python3.12 python3.12-venv' or" >&2
        echo "'pyenv install 3.12', then run this again." >&2
        exit 1
    }
    echo "setup: using $PY ($("$PY" --version 2>&1))"
    rm -rf .venv
    "$PY" -m venv .venv
fi

stamp=.venv/.cogov-installed
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: installing cogov-sim and its dependencies into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
    echo "$want" > "$stamp"
fi
