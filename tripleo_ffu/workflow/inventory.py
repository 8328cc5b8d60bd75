"""The Ansible inventory of an overcloud, from its stack outputs."""

import os
import re
import sys

from tripleo_common import inventory as tripleo_inventory

from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import host_keys
from tripleo_ffu.workflow import yamlfile
from tripleo_ffu.workflow.errors import WorkflowError

# The inventory's file in the config dir (prepare writes it; run, converge
# and status read it).
INVENTORY_FILE = 'tripleo-ansible-inventory.yaml'
HOST_NETWORK = 'ctlplane'
# The groups queens' playbooks name whatever the stack is called: queens'
# tripleo-ansible-inventory always made them, today's tripleo-common names
# the overcloud group after the stack.
OVERCLOUD_GROUP = 'overcloud'
UNDERCLOUD_GROUP = 'undercloud'
# Host names become file names (host_vars/) and Ansible patterns.
_SAFE_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]*$')


class InventoryError(WorkflowError):
    pass


def check_name(name, what, source='the stack gives'):
    if not isinstance(name, str) or not _SAFE_NAME.match(name) or \
            '..' in name:
        raise InventoryError(
            '%s the %s %r, which is not a plain name (letters, digits, ".", '
            '"_", "-"): refusing to use it' % (source, what, name))


def check_stack_names(outputs):
    """The role and host names a stack gives become directories and files
    of the config dir: each must be a plain name before anything is
    written."""
    for role in outputs.get('RoleData') or {}:
        check_name(role, 'role name')
    for role, networks in (outputs.get('RoleNetHostnameMap') or {}).items():
        check_name(role, 'role name')
        for fqdn in (networks or {}).get(HOST_NETWORK) or []:
            check_name(fqdn, 'host name')


def build(heat, stack_name, ssh_user, ssh_key=None, known_hosts_path=None,
          stack_host_keys=''):
    """The static inventory tripleo-common builds, plus the host variables.

    tripleo-common's TripleoInventory reads the node data outputs but not
    AnsibleHostVarsMap, which carries per-host connection settings; we
    merge it here. Host keys: stack_host_keys (host_keys.read), each
    node's written to known_hosts_path.
    """
    outputs = {output['output_key']: output['output_value']
               for output in heat.stacks.get(stack_name).outputs or []}
    check_stack_names(outputs)
    inventory = dict(tripleo_inventory.TripleoInventory(
        hclient=heat, plan_name=stack_name, ansible_ssh_user=ssh_user,
        host_network=HOST_NETWORK).list(dynamic=False))
    # tripleo-common's undercloud group carries the overcloud admin
    # password: the undercloud plays get a group of their own instead.
    inventory.pop('Undercloud', None)
    inventory[UNDERCLOUD_GROUP] = {'hosts': {'undercloud': {
        'ansible_connection': 'local', 'ansible_host': 'localhost',
        'ansible_python_interpreter': sys.executable}}}
    roles = (inventory.get(stack_name) or {}).get('children') or {}
    if stack_name != OVERCLOUD_GROUP:
        inventory[OVERCLOUD_GROUP] = {'children': dict(roles)}
    host_vars = outputs.get('AnsibleHostVarsMap') or {}
    for role, variables_by_host in host_vars.items():
        for host, variables in (inventory.get(role, {})
                                .get('hosts', {}).items()):
            variables.update(variables_by_host.get(host, {}))
    group = inventory.setdefault(stack_name, {}).setdefault('vars', {})
    if ssh_key:
        group['ansible_ssh_private_key_file'] = os.path.abspath(ssh_key)
    if known_hosts_path:
        host_keys.apply(inventory, stack_name, stack_host_keys,
                        known_hosts_path)
    return inventory


def hosts(inventory, stack_name):
    """Every overcloud host name in an inventory built by build()."""
    found = []
    for role in inventory.get(stack_name, {}).get('children', {}):
        found.extend(sorted(inventory.get(role, {}).get('hosts', {})))
    return found


def write(inventory, path):
    files.write_private(path, yamlfile.dump(inventory,
                                            default_flow_style=False))
