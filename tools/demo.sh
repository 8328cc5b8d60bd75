#!/usr/bin/env bash
# The demo: bring the undercloud lab up (or reuse it) and show the deployed
# newton overcloud, its stack and its nodes. Set TRIPLEO_FFU_LAB_DIR to put
# the lab elsewhere than ~/tripleo-ffu-lab.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/tools/ensure-venv.sh"
bin="$root/.venv/bin"
lab_dir=${TRIPLEO_FFU_LAB_DIR:-$HOME/tripleo-ffu-lab}

"$bin/tripleo-ffu-lab" --lab-dir "$lab_dir" up > /dev/null

# The operator's view, through the undercloud credentials the lab wrote.
# shellcheck source=/dev/null
source "$lab_dir/stackrc"
export PATH="$bin:$PATH"
quiet() { "$@" 2> >(grep -v -e 'Journal socket' -e 'Could not load' \
                               -e 'DeprecationWarning' -e 'warnings.warn' >&2); }
echo
echo "== openstack stack list"
quiet openstack stack list
echo
echo "== openstack stack output list overcloud"
quiet openstack stack output list overcloud
echo
echo "== the lab nodes"
"$bin/tripleo-ffu-lab" --lab-dir "$lab_dir" status
