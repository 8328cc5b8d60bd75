"""The Ansible inventory of an overcloud, from its stack outputs."""

import os
import re
import sys

from tripleo_common import inventory as tripleo_inventory

from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import yamlfile
from tripleo_ffu.workflow.errors import WorkflowError

HOST_NETWORK = 'ctlplane'
# The groups queens' playbooks name whatever the stack is called: queens'
# tripleo-ansible-inventory always made them, today's tripleo-common names
# the overcloud group after the stack.
OVERCLOUD_GROUP = 'overcloud'
UNDERCLOUD_GROUP = 'undercloud'
KNOWN_HOSTS_OUTPUT = 'SshKnownHosts'
KNOWN_HOSTS_FILE = 'ssh_known_hosts'
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


def build(heat, stack_name, ssh_user, ssh_key=None, known_hosts_path=None):
    """The static inventory tripleo-common builds, plus the host variables.

    tripleo-common's TripleoInventory reads the node data outputs but not
    AnsibleHostVarsMap, which carries per-host connection settings; we
    merge it here.
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
    group.update(_host_key_vars(outputs.get(KNOWN_HOSTS_OUTPUT),
                                known_hosts_path))
    return inventory


def _host_key_vars(known_hosts, path):
    """Check the nodes' host keys against the stack's own, when it gives
    them; else say plainly that nothing is checked."""
    lines = [line.strip() for line in (known_hosts or '').splitlines()
             if line.strip() and not line.startswith('#')]
    if not lines or path is None:
        return {'ansible_host_key_checking': False}
    for line in lines:
        if len(line.split()) < 3:
            raise InventoryError('the stack\'s %s output has a line that is '
                                 'not a known_hosts entry: %r'
                                 % (KNOWN_HOSTS_OUTPUT, line[:80]))
    files.write_private(path, '\n'.join(lines) + '\n')
    return {'ansible_host_key_checking': True,
            'ansible_ssh_common_args': '-o UserKnownHostsFile=%s -o '
                                       'StrictHostKeyChecking=yes'
                                       % os.path.abspath(path)}


def checks_host_keys(inventory, stack_name):
    """Whether the inventory prepare wrote checks the stack's host keys."""
    group = (inventory.get(stack_name) or {}).get('vars') or {}
    return bool(group.get('ansible_host_key_checking'))


def host_key_checking(inventory, stack_name):
    """How the nodes' host keys are checked, in words."""
    group = inventory.get(stack_name, {}).get('vars', {})
    if checks_host_keys(inventory, stack_name):
        args = group.get('ansible_ssh_common_args', '')
        return 'checked against the stack\'s %s (%s)' % (
            KNOWN_HOSTS_OUTPUT, args.split('UserKnownHostsFile=')[-1]
            .split()[0] if 'UserKnownHostsFile=' in args else '?')
    return ('NOT checked: the stack gives no %s output (the nodes\' host '
            'keys); make sure you reach the right nodes' % KNOWN_HOSTS_OUTPUT)


def hosts(inventory, stack_name):
    """Every overcloud host name in an inventory built by build()."""
    found = []
    for role in inventory.get(stack_name, {}).get('children', {}):
        found.extend(sorted(inventory.get(role, {}).get('hosts', {})))
    return found


def write(inventory, path):
    files.write_private(path, yamlfile.dump(inventory,
                                            default_flow_style=False))
