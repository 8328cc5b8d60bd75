"""The nodes' SSH host keys, where THT keeps them.

THT (newton's 5.3 as queens' 8.4) gives every server an SshHostPubKey
deployment (OS::TripleO::Ssh::HostPubKey) that collects its host keys,
and each role's `known_hosts_entry` attribute: the node's names and
addresses, then its ecdsa key. The SshKnownHostsConfig resource gathers
those entries; no stack output carries them. Queens' prepare environment
(environments/lifecycle/ffwd-upgrade-prepare.yaml) maps the HostPubKey
and KnownHostsDeployment resources to OS::Heat::None: after prepare's
update the entries have no key left. So prepare reads them before its
update, and keeps them in the config dir for a later prepare.
"""

import os
import re

from heatclient import exc as heat_exc

from tripleo_ffu.workflow import files
from tripleo_ffu.workflow.errors import WorkflowError

ENTRY_OUTPUT = 'known_hosts_entry'
# What prepare read from the stack, as THT's entries (kept for a later
# prepare: the updated stack has no keys).
STACK_ENTRIES_FILE = 'stack_known_hosts'
KNOWN_HOSTS_FILE = 'ssh_known_hosts'
UNCHECKED_VAR = 'tripleo_ffu_host_key_unchecked'
_KEY = re.compile(r'^[a-z][a-z0-9@.-]* [A-Za-z0-9+/]+=*$')
# THT queens' names: "[192.0.2.5]*", "[host.localdomain]*"; "[a]:port".
_NAME = re.compile(r'^\[([^\]]*)\](?::\d+|\*)?$')


def parse(text, source='the stack'):
    """[(set of names, 'type base64')] of the lines that carry a key."""
    entries = []
    for line in (text or '').splitlines():
        fields = line.split()
        if not fields or fields[0].startswith('#'):
            continue
        if len(fields) < 3:
            continue  # names only: the node's SshHostPubKey gave no key
        key = ' '.join(fields[1:3])
        if not _KEY.match(key):
            raise WorkflowError('%s gives a host key that is not a '
                                'known_hosts key: %r' % (source, key[:80]))
        names = set()
        for name in fields[0].split(','):
            match = _NAME.match(name)
            names.add(match.group(1) if match else name.rstrip('*'))
        entries.append((names - {''}, key))
    return entries


def read(heat, stack, roles):
    """The entries of the stack's roles: each role is a ResourceGroup of
    THT's role template, whose output known_hosts_entry is the node's
    (Heat's API does not resolve a group's attribute of its members; each
    member stack's output it does)."""
    text = []
    for role in roles:
        try:
            group = heat.resources.get(stack.id, role).physical_resource_id
            members = heat.resources.list(group) if group else []
        except heat_exc.HTTPNotFound:
            continue
        for member in sorted(members, key=lambda m: m.resource_name):
            if not member.physical_resource_id:
                continue
            try:
                shown = heat.stacks.output_show(member.physical_resource_id,
                                                ENTRY_OUTPUT)
            except heat_exc.HTTPNotFound:
                continue
            entry = ((shown or {}).get('output') or {}).get('output_value')
            if isinstance(entry, str) and entry.strip():
                text.append(entry.strip())
    return '\n'.join(text)


def remember(config_dir, text):
    """The stack's entries, kept when it gives keys; else the ones an
    earlier prepare kept (the updated stack has none)."""
    path = os.path.join(config_dir, STACK_ENTRIES_FILE)
    if parse(text):
        files.write_private(path, text + '\n')
        return text
    try:
        with open(path) as kept:
            return kept.read()
    except FileNotFoundError:
        return ''


def _find(entries, host, address, used_addresses):
    names = {host, host.split('.')[0]}
    for entry_names, key in entries:
        if names & entry_names:
            return key
    # By address only where no other node shares it.
    if used_addresses.get(address) == 1:
        for entry_names, key in entries:
            if address in entry_names:
                return key
    return None


def apply(inventory, stack_name, text, path):
    """Each host of the inventory checked against its key (written to
    path, under the host's name: HostKeyAlias makes ssh look it up so,
    whatever address and port reach the node), or marked unchecked."""
    entries = parse(text)
    hosts = {}
    for role in (inventory.get(stack_name) or {}).get('children') or {}:
        hosts.update((inventory.get(role) or {}).get('hosts') or {})
    used = {}
    for variables in hosts.values():
        address = variables.get('ansible_host')
        used[address] = used.get(address, 0) + 1
    lines = []
    for host in sorted(hosts):
        variables = hosts[host]
        key = _find(entries, host, variables.get('ansible_host'), used)
        if key is None:
            variables[UNCHECKED_VAR] = True
            variables['ansible_ssh_common_args'] = (
                '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null')
            continue
        lines.append('%s %s\n' % (host, key))
        variables['ansible_ssh_common_args'] = (
            '-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes '
            '-o HostKeyAlias=%s' % (os.path.abspath(path), host))
    if lines:
        files.write_private(path, ''.join(lines))
    group = inventory.setdefault(stack_name, {}).setdefault('vars', {})
    group['ansible_host_key_checking'] = bool(lines)


def unchecked(inventory, stack_name):
    """The hosts prepare found no key for."""
    found = []
    for role in (inventory.get(stack_name) or {}).get('children') or {}:
        for host, variables in sorted(((inventory.get(role) or {})
                                       .get('hosts') or {}).items()):
            if (variables or {}).get(UNCHECKED_VAR):
                found.append(host)
    return found


def checks(inventory, stack_name):
    """Whether Ansible is to check host keys (some host has one)."""
    group = (inventory.get(stack_name) or {}).get('vars') or {}
    return bool(group.get('ansible_host_key_checking'))


def describe(inventory, stack_name, hosts):
    """How the nodes' host keys are checked, in words."""
    missing = unchecked(inventory, stack_name)
    if not checks(inventory, stack_name):
        return ('NOT checked on any node: %s' % (
            'the stack gives no key (its roles\' %s)' % ENTRY_OUTPUT
            if missing else 'the inventory does not say how'))
    said = 'checked on %d of %d nodes against the stack\'s keys' % (
        len(hosts) - len(missing), len(hosts))
    if missing:
        said += '; NOT checked on %s (the stack gives no key for %s)' % (
            ', '.join(missing), 'it' if len(missing) == 1 else 'them')
    return said


def refuse_unchecked(inventory, stack_name, accepted, option):
    """Connecting to a node whose key is unknown needs the operator's
    word: it trusts whatever answers at that address."""
    missing = unchecked(inventory, stack_name)
    if missing and not accepted:
        raise WorkflowError(
            'no known host key for node(s) %s (the stack gave none to '
            'prepare): a run would trust whatever answers at their '
            'address. Check their host keys yourself, then run again '
            'with %s' % (', '.join(missing), option))
    return missing
