#!/usr/bin/env bash
# The test suite: functional tests that bring a real lab (MariaDB,
# heat-all, sshd) up in a temporary directory, on one pytest-xdist worker
# in conftest's MODULE_ORDER, while a second worker runs the unit tests
# (2 workers: CI has 2 cores). Installs what it needs; extra arguments go
# to pytest.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/tools/ensure-venv.sh"
cd "$root"
exec "$root/.venv/bin/python" -m pytest -p no:cacheprovider --durations=12 \
    -n "${TRIPLEO_FFU_TEST_WORKERS:-2}" "$@" tests
