#!/usr/bin/env bash
# The demo: the whole fast-forward upgrade of the lab's overcloud, newton
# to queens. Brings the undercloud lab up (or reuses it), redeploys a fresh
# newton overcloud, then prepare, run (the fast-forward phase on every node,
# then the control plane, then the computes one node at a time, as the OSP
# 10 to 13 procedure), converge, status, and a verification that every
# node runs queens and the stack is converged; exits non-zero if any of it
# fails. The credentials file, <stack>rc, goes into the lab dir. Set TRIPLEO_FFU_LAB_DIR
# to put the lab elsewhere than ~/tripleo-ffu-lab.
#
#   bash tools/demo.sh                 the lab's own small templates (fast)
#   bash tools/demo.sh --tht packages  the overcloud from THT 5.3 itself,
#                                      upgraded with THT 8.4 (slower: give
#                                      it a lab dir of its own)
set -euo pipefail
tht=
if [ "${1:-}" = --tht ] && [ -n "${2:-}" ]; then
    tht=$2
elif [ $# -gt 0 ]; then
    echo "usage: $0 [--tht lab|packages]" >&2
    exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/tools/ensure-venv.sh"
bin="$root/.venv/bin"
lab_dir=${TRIPLEO_FFU_LAB_DIR:-$HOME/tripleo-ffu-lab}
lab() { "$bin/tripleo-ffu-lab" --lab-dir "$lab_dir" "$@"; }
# tripleoclient, loaded by every openstack command, logs noise at import.
quiet() { "$@" 2> >(grep -v -e 'Journal socket' -e 'Could not load' \
                               -e 'DeprecationWarning' -e 'warnings.warn' >&2); }
banner() { printf '\n== %s\n' "$*"; }

banner "The undercloud lab, with a freshly deployed newton overcloud"
lab up ${tht:+--tht "$tht"} > /dev/null
lab reset

# The operator's view, through the undercloud credentials the lab wrote.
# shellcheck source=/dev/null
source "$lab_dir/stackrc"
export PATH="$bin:$PATH"
config_dir=$lab_dir/ffu-config

# The queens templates and environment files prepare and converge take:
# the lab's queens templates with THT's own deploy steps (built by up), or
# THT 8.4 as packaged with the lab's roles and environments.
mapfile -t upgrade_args < <(lab status --format json | "$bin/python" -c '
import json, sys
report = json.load(sys.stdin)
lab_dir = report["lab_dir"]
print("\n".join(report.get("upgrade_arguments") or [
    "--templates", report["templates"]["queens"],
    "-e", lab_dir + "/lab-environment.yaml"]))')
started=$SECONDS

banner "openstack overcloud ffwd-upgrade prepare"
quiet openstack overcloud ffwd-upgrade prepare "${upgrade_args[@]}" \
    --overcloud-ssh-user "$(id -un)" --overcloud-ssh-key "$lab_dir/ssh/id_lab" \
    --config-dir "$config_dir" --credentials-dir "$lab_dir" --yes

banner "openstack overcloud ffwd-upgrade run (the releases before queens, every node)"
# lab reset redeployed newton: what an earlier demo's runs did is gone.
rm -f "$config_dir/ffu-run/journal.json" "$config_dir/ffu-run/nodes.json"
quiet openstack overcloud ffwd-upgrade run --config-dir "$config_dir" --yes

banner "openstack overcloud ffwd-upgrade run --roles Controller (queens, the control plane)"
quiet openstack overcloud ffwd-upgrade run --config-dir "$config_dir" \
    --roles Controller

# The computes one at a time: an operator moves the workloads off each.
computes=$(lab status --format json | "$bin/python" -c '
import json, sys
print(" ".join(sorted(n["hostname"] for n in json.load(sys.stdin)["nodes"]
                      if "compute" in n["hostname"])))')
for node in $computes; do
    banner "openstack overcloud ffwd-upgrade run --nodes $node (queens)"
    quiet openstack overcloud ffwd-upgrade run --config-dir "$config_dir" \
        --nodes "$node"
done

banner "openstack overcloud ffwd-upgrade converge"
quiet openstack overcloud ffwd-upgrade converge "${upgrade_args[@]}" \
    --config-dir "$config_dir" --credentials-dir "$lab_dir" --yes

banner "openstack overcloud ffwd-upgrade status"
quiet openstack overcloud ffwd-upgrade status --config-dir "$config_dir"

banner "Verification: every node at queens, every service running, stack converged"
lab status
state=$(quiet openstack overcloud ffwd-upgrade status \
        --config-dir "$config_dir" -f value -c state)
lab status --format json | "$bin/python" -c '
import json, sys
report = json.load(sys.stdin)
nodes = report["nodes"]
# The lab'"'"'s own nodes run every service; a THT packages node says what
# still differs from an upgraded queens node (upgrade_left).
behind = ["%s (%s)" % (n["hostname"], "; ".join(n["upgrade_left"]))
          if "upgrade_left" in n else n["hostname"] for n in nodes
          if n["release"] != "queens" or n.get("upgrade_left") or
          ("upgrade_left" not in n and
           set(n["services"].values()) != {"running"})]
if behind or not nodes:
    sys.exit("not upgraded: %s" % (", ".join(behind) or "no node"))
# The HA overcloud'"'"'s cluster and database syncs (overcloud_left).
if report.get("overcloud_left"):
    sys.exit("not upgraded: %s" % "; ".join(report["overcloud_left"]))
print("All %d nodes run queens." % len(nodes))'
if [ "$state" != converged ]; then
    echo "The stack is not converged: ffwd-upgrade status says '$state'." >&2
    exit 1
fi
echo "Stack overcloud converged: the FFU took $((SECONDS - started)) s" \
     "(prepare, run, converge)."
