#!/usr/bin/env bash
# Create (or reuse) .venv at the repository root with tripleo-ffu and the
# lab (lab/, its own distribution tripleo-ffu-lab) installed editable, and
# the test requirements. Safe to run again: it reinstalls
# only when the requirements changed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
python=${PYTHON:-python3}

if [ ! -x "$venv/bin/python" ]; then
    if ! "$python" -m venv "$venv" 2>/dev/null; then
        # Debian's own python3 ships venv separately.
        echo "python3 -m venv failed: installing Debian's python3-venv" >&2
        apt-get update -q && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q python3-venv
        rm -rf "$venv"
        "$python" -m venv "$venv"
    fi
fi

stamp="$venv/.tripleo-ffu-installed"
inputs=$(cat "$root/setup.cfg" "$root/requirements.txt" \
             "$root/lab/setup.cfg" "$root/test-requirements.txt" \
             | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$inputs" ]; then
    echo "Installing tripleo-ffu, its lab and their requirements into" \
         "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check \
        -e "$root" -e "$root/lab" -r "$root/test-requirements.txt"
    echo "$inputs" > "$stamp"
fi
