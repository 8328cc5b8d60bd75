#!/usr/bin/env bash
# The demo: the whole fast-forward upgrade of the lab's overcloud, newton
# to queens. Brings the undercloud lab up (or reuses it, with a freshly
# redeployed newton overcloud), then prepare, run (the fast-forward phase
# on every node, then the control plane, then the computes one node at a
# time, as the OSP 10 to 13 procedure), converge, status, a summary (nodes,
# services, tasks run and time per phase) and a verification that nothing
# is left on any node and the stack is converged; exits non-zero if any of
# it fails. The credentials file, <stack>rc, goes into the lab dir. Set
# TRIPLEO_FFU_LAB_DIR to put the lab elsewhere than ~/tripleo-ffu-lab (a
# lab dir holds one kind of overcloud).
#
#   bash tools/demo.sh                 THT 5.3's default HA overcloud (3
#                                      Pacemaker controllers, 2 computes,
#                                      every default service) upgraded
#                                      with THT 8.4: about an hour
#   bash tools/demo.sh --tht packages  THT's packages, keystone only
#   bash tools/demo.sh --tht lab       the lab's own small templates (fast)
set -euo pipefail
tht=packages-ha
if [ "${1:-}" = --tht ] && [ -n "${2:-}" ]; then
    tht=$2
elif [ $# -gt 0 ]; then
    echo "usage: $0 [--tht packages-ha|packages|lab]" >&2
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
# A new lab dir gets its stack from up; an existing one is redeployed.
fresh=yes
[ -e "$lab_dir/lab.json" ] && fresh=
lab up --tht "$tht" > /dev/null
[ -n "$fresh" ] || lab reset

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
phases=$lab_dir/demo-phases.tsv
: > "$phases"
# phase LABEL COMMAND...: runs it, its time (and the Ansible log of a run)
# into $phases for the summary.
phase() {
    local label=$1 began=$SECONDS log=-
    shift
    banner "$label"
    quiet "$@"
    case " $* " in *" run "*)
        log=$(ls -t "$config_dir"/ffu-run/run-*.log | head -n 1) ;;
    esac
    printf '%s\t%s\t%s\n' "$((SECONDS - began))" "$label" "$log" >> "$phases"
}

phase "openstack overcloud ffwd-upgrade prepare" \
    openstack overcloud ffwd-upgrade prepare "${upgrade_args[@]}" \
    --overcloud-ssh-user "$(id -un)" --overcloud-ssh-key "$lab_dir/ssh/id_lab" \
    --config-dir "$config_dir" --credentials-dir "$lab_dir" --yes

# lab reset redeployed newton: what an earlier demo's runs did is gone.
rm -f "$config_dir/ffu-run/journal.json" "$config_dir/ffu-run/nodes.json"
phase "openstack overcloud ffwd-upgrade run (the releases before queens, every node)" \
    openstack overcloud ffwd-upgrade run --config-dir "$config_dir" --yes

phase "openstack overcloud ffwd-upgrade run --roles Controller (queens, the control plane)" \
    openstack overcloud ffwd-upgrade run --config-dir "$config_dir" \
    --roles Controller

# The computes one at a time: an operator moves the workloads off each.
computes=$(lab status --format json | "$bin/python" -c '
import json, sys
print(" ".join(sorted(n["hostname"] for n in json.load(sys.stdin)["nodes"]
                      if "compute" in n["hostname"])))')
for node in $computes; do
    phase "openstack overcloud ffwd-upgrade run --nodes $node (queens)" \
        openstack overcloud ffwd-upgrade run --config-dir "$config_dir" \
        --nodes "$node"
done

phase "openstack overcloud ffwd-upgrade converge" \
    openstack overcloud ffwd-upgrade converge "${upgrade_args[@]}" \
    --config-dir "$config_dir" --credentials-dir "$lab_dir" --yes

banner "openstack overcloud ffwd-upgrade status"
quiet openstack overcloud ffwd-upgrade status --config-dir "$config_dir"

banner "Verification: every node at queens, every service running, stack converged"
lab status
state=$(quiet openstack overcloud ffwd-upgrade status \
        --config-dir "$config_dir" -f value -c state)
lab status --format json | \
    "$bin/python" "$root/tools/demo_report.py" "$config_dir" "$phases"
if [ "$state" != converged ]; then
    echo "The stack is not converged: ffwd-upgrade status says '$state'." >&2
    exit 1
fi
echo "Stack overcloud converged: the FFU took $((SECONDS - started)) s" \
     "(prepare, run, converge)."
