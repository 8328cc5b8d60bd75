#!/usr/bin/env bash
# The test suite: functional tests that bring a real lab (MariaDB,
# heat-all, sshd) up in a temporary directory (tests/functional sorts
# first), then unit tests. Installs what it needs; extra arguments go to
# pytest.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/tools/ensure-venv.sh"
cd "$root"
exec "$root/.venv/bin/python" -m pytest -p no:cacheprovider --durations=12 "$@" tests
