"""Lab nodes: directory trees whose files say what each node runs.

A node's tree holds its repositories' release, one file per installed
package with its release, one file per service with its state, and on the
bootstrap node one file per database with its schema release. The FFU
tasks change these files over SSH; the lab reads them back.

Each node answers at its own loopback address, 127.0.<2 + role>.<1 +
node> (`layout`), in the lab's own overcloud and in THT's (tht_nodes.py)
alike: the lab's sshd has an instance listening on each (sshd.py).
"""

import dataclasses
import json
import os
import shutil

from tripleo_ffu.workflow import inventory

SERVICE_PREFIX = 'lab::service::'
LEGACY_FILES = (
    'usr/libexec/os-apply-config/templates/etc/os-net-config/config.json',
    'usr/libexec/os-apply-config/templates/etc/puppet/hiera.yaml',
    'usr/libexec/os-refresh-config/configure.d/40-hiera-datafiles',
    'etc/puppet/hieradata/heat_config_ControllerDeployment_Step1.yaml',
)


# The roles of the lab's own templates, as THT's roles file gives them:
# the order their nodes' addresses follow.
LAB_ROLES = (
    {'name': 'Controller',
     'HostnameFormatDefault': '%stackname%-controller-%index%'},
    {'name': 'Compute',
     'HostnameFormatDefault': '%stackname%-novacompute-%index%'},
)


class NodeError(Exception):
    pass


@dataclasses.dataclass
class Node:
    role: str
    hostname: str
    root: str
    bootstrap: bool
    address: str
    # service name -> {'packages': [...], 'service': bool, 'database': str}
    services: dict
    # The bootstrap node's host name, as hiera's bootstrap_nodeid says.
    bootstrap_node: str = ''

    @property
    def packages(self):
        return sorted({package for spec in self.services.values()
                       for package in spec['packages']})

    @property
    def running_services(self):
        return sorted(name for name, spec in self.services.items()
                      if spec['service'])

    @property
    def databases(self):
        if not self.bootstrap:
            return []
        return sorted(spec['database'] for spec in self.services.values()
                      if spec['database'])


def hostname(role_entry, stack_name, index):
    """A node's host name, as THT's HostnameFormat makes it."""
    fmt = role_entry.get('HostnameFormatDefault') or \
        '%%stackname%%-%s-%%index%%' % role_entry['name'].lower()
    return fmt.replace('%stackname%', stack_name).replace(
        '%index%', str(index)).lower()


def address(role_index, index):
    """A node's loopback address: 127.0.<2 + role>.<1 + node>."""
    return '127.0.%d.%d' % (2 + role_index, 1 + index)


def layout(roles, counts, stack_name):
    """(role, host name, address) of every node, controllers first."""
    found = []
    for role_index, entry in enumerate(roles):
        count = counts['controllers' if entry['name'] == 'Controller'
                       else 'computes']
        for index in range(count):
            name = hostname(entry, stack_name, index)
            inventory.check_name(name, 'host name', 'the lab would give')
            found.append((entry['name'], name, address(role_index, index)))
    return found


def addresses(roles, counts, stack_name):
    """{host name: address}: LabNodeAddresses of the lab's deploy."""
    return {name: addr for _, name, addr in layout(roles, counts,
                                                   stack_name)}


def _short_name(fqdn):
    return fqdn.split('.ctlplane.')[0].lower()


def nodes_from_outputs(outputs, nodes_dir):
    """The lab nodes the stack describes, checked to live under nodes_dir."""
    role_data = outputs.get('RoleData') or {}
    host_vars = outputs.get('AnsibleHostVarsMap') or {}
    server_ids = (outputs.get('ServerIdData') or {}).get('server_ids') or {}
    bootstrap_id = (outputs.get('ServerIdData') or {}).get(
        'bootstrap_server_id')
    hostnames = outputs.get('RoleNetHostnameMap') or {}
    ips = outputs.get('RoleNetIpMap') or {}
    nodes_dir = os.path.realpath(nodes_dir)
    result = []
    for role in sorted(role_data):
        inventory.check_name(role, 'role name')
        settings = role_data[role].get('config_settings') or {}
        services = {key[len(SERVICE_PREFIX):]: value
                    for key, value in settings.items()
                    if key.startswith(SERVICE_PREFIX)}
        names = (hostnames.get(role) or {}).get('ctlplane') or []
        ids = server_ids.get(role) or []
        role_ips = (ips.get(role) or {}).get('ctlplane') or []
        for index, fqdn in enumerate(names):
            hostname = _short_name(fqdn)
            inventory.check_name(hostname, 'host name')
            root = (host_vars.get(role, {}).get(hostname, {})
                    .get('lab_node_root', ''))
            if os.path.dirname(os.path.realpath(root)) != nodes_dir:
                raise NodeError('node %s has its root %r outside the lab '
                                'nodes dir %s' % (hostname, root, nodes_dir))
            bootstrap = index < len(ids) and ids[index] == bootstrap_id
            result.append(Node(role, hostname, root, bootstrap,
                               role_ips[index] if index < len(role_ips)
                               else '', services))
    bootstrap_node = next((node.hostname for node in result
                           if node.bootstrap), '')
    for node in result:
        node.bootstrap_node = bootstrap_node
    return result


def write_file(root, relative, text):
    """A file of a node's tree (its directories made), ending in a
    newline."""
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    with open(path, 'w') as out:
        out.write(text if text.endswith('\n') else text + '\n')


def deploy(node, release):
    """Make node's tree exactly a fresh deployment of release."""
    shutil.rmtree(node.root, ignore_errors=True)
    os.makedirs(node.root, mode=0o755)
    write_file(node.root, 'etc/yum.repos.d/release', release + '\n')
    write_file(node.root, 'etc/os-net-config/config.json',
               json.dumps({'network_config': []}) + '\n')
    # What Newton's agents leave behind, for FFU node preparation to remove.
    for legacy in LEGACY_FILES:
        write_file(node.root, legacy, '# newton\n')
    # The agent THT's FFU tasks stop, update and start again, its cache
    # (the FFU workaround empties it), root's home (where the workaround
    # leaves its marker) and the hiera data that names the bootstrap node.
    write_file(node.root, 'var/lib/rpm/os-collect-config', release + '\n')
    write_file(node.root, 'run/services/os-collect-config', 'running\n')
    write_file(node.root, 'var/lib/os-collect-config/heat_local.json', '{}\n')
    os.makedirs(os.path.join(node.root, 'root'), mode=0o700, exist_ok=True)
    write_file(node.root, 'etc/puppet/hieradata/bootstrap_node.json',
               json.dumps({'bootstrap_nodeid': node.bootstrap_node}) + '\n')
    for package in node.packages:
        write_file(node.root, 'var/lib/rpm/' + package, release + '\n')
    for service in node.running_services:
        write_file(node.root, 'run/services/' + service, 'running\n')
    if node.bootstrap:
        os.makedirs(os.path.join(node.root, 'var/lib/mysql/backups'),
                    exist_ok=True)
        for database in node.databases:
            write_file(node.root, 'var/lib/mysql/%s.schema' % database,
                       release + '\n')


def read_file(root, relative):
    """A file of a node's tree, stripped; None if it is not there."""
    try:
        with open(os.path.join(root, relative)) as source:
            return source.read().strip()
    except FileNotFoundError:
        return None


def read_state(node):
    """What the node's tree says now."""
    return {
        'repositories': read_file(node.root, 'etc/yum.repos.d/release'),
        'packages': {package: read_file(node.root, 'var/lib/rpm/' + package)
                     for package in node.packages},
        'services': {service: read_file(node.root, 'run/services/' + service)
                     for service in node.running_services},
        'databases': {database: read_file(node.root,
                                      'var/lib/mysql/%s.schema' % database)
                      for database in node.databases},
    }


def problems(node, release):
    """Why node is not a running deployment of release ([] when it is)."""
    state = read_state(node)
    found = []
    if state['repositories'] != release:
        found.append('repositories at %s' % state['repositories'])
    for kind in ('packages', 'databases'):
        for name, value in sorted(state[kind].items()):
            if value != release:
                found.append('%s at %s' % (name, value))
    for name, value in sorted(state['services'].items()):
        if value != 'running':
            found.append('%s %s' % (name, value or 'missing'))
    return found


def release_of(node):
    """The node's release when everything on it agrees, else 'mixed'."""
    state = read_state(node)
    releases = {state['repositories']} | set(state['packages'].values()) | \
        set(state['databases'].values())
    return releases.pop() if len(releases) == 1 else 'mixed'
