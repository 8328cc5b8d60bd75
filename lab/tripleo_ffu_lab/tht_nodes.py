"""The lab nodes of the overcloud from THT's packages (`up --tht packages`).

THT's stack says which services each role runs (newton's EnabledServices
output) but nothing of the lab's node trees: the lab brings up the nodes
it deployed, as an operator's machines exist before their stack. Each is
a directory tree under <lab>/nodes named by its host name, at its own
loopback address (the stack's ctlplane address for it, LabNodeAddresses),
holding what a newton node with those services has: packages at newton,
host services enabled and running, and on the bootstrap controller the
databases. THT 8.4's real tasks change it through the lab's stand-ins
(standins.py); `problems` says what still differs from a queens node.
"""

import dataclasses
import json
import os
import shutil

import yaml

from tripleo_ffu_lab import nodes as lab_nodes
from tripleo_ffu_lab import standins

# What a newton node has for each THT service, its base, and what
# Pacemaker changes: tht-packages/newton-nodes.yaml.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       'tht-packages', 'newton-nodes.yaml')) as _source:
    MODEL = yaml.safe_load(_source)
BASE = MODEL['base']
SERVICES = MODEL['services']
PACEMAKER = MODEL['pacemaker']
# Host services queens runs in containers, which THT 8.4's upgrade tasks
# stop and disable (THT queens' haproxy has no upgrade task: a newton
# host haproxy keeps running, as upstream's would without pacemaker).
CONTAINERIZED = ('mariadb', 'rabbitmq-server', 'keepalived', 'httpd',
                 'openstack-nova-compute', 'neutron-openvswitch-agent')
# The schemas a database may be at once upgraded: the FFU's last sync
# (pike's keystone-manage db_sync), or queens' db-sync container's (the
# only sync gnocchi gets: THT's FFU tasks never sync it on this overcloud).
FFU_SCHEMAS = ('pike', 'queens')
HEAT_CONFIG = 'usr/libexec/os-refresh-config/configure.d/55-heat-config'
WANTS = 'etc/systemd/system/multi-user.target.wants'


@dataclasses.dataclass
class Node:
    role: str
    hostname: str
    address: str
    root: str
    bootstrap: bool
    services: list
    bootstrap_node: str = ''

    def _union(self, key):
        found = list(BASE.get(key, []))
        for service in self.services:
            for item in SERVICES.get(service, {}).get(key, []):
                if item not in found:
                    found.append(item)
        return found

    @property
    def packages(self):
        return self._union('packages')

    @property
    def host_services(self):
        return self._union('services')

    def unit_state(self, unit):
        """(running, enabled) of a host service on a newton node: on a
        Pacemaker node, the cluster's units run but are not enabled."""
        if 'pacemaker' not in self.services:
            return True, True
        if unit in PACEMAKER['stopped']:
            return False, False
        return True, unit not in PACEMAKER['managed']

    @property
    def databases(self):
        return self._union('databases') if self.bootstrap else []

    def _merged(self, key):
        found = dict(BASE.get(key, {}))
        for service in self.services:
            found.update(SERVICES.get(service, {}).get(key, {}))
        return found

    @property
    def files(self):
        """{path in the tree: content, or None for a directory}."""
        return self._merged('files')

    @property
    def vhosts(self):
        return self._merged('vhosts')


def build(roles, counts, stack_name, enabled_services, nodes_dir):
    """The lab's nodes, with the services the stack enables per role;
    the primary role's first node is the bootstrap node."""
    result = []
    for role, name, addr in lab_nodes.layout(roles, counts,
                                             stack_name):
        result.append(Node(role, name, addr, os.path.join(nodes_dir, name),
                           role == roles[0]['name'] and not any(
                               node.role == role for node in result),
                           list(enabled_services.get(role) or [])))
    bootstrap = next((node.hostname for node in result if node.bootstrap),
                     '')
    for node in result:
        node.bootstrap_node = bootstrap
    return result


_write = lab_nodes.write_file
_read = lab_nodes.read_file


def deploy(node, release='newton'):
    """Make node's tree exactly a fresh deployment of release."""
    shutil.rmtree(node.root, ignore_errors=True)
    os.makedirs(node.root, mode=0o755)
    _write(node.root, 'etc/yum.repos.d/release', release)
    _write(node.root, 'etc/os-net-config/config.json',
           json.dumps({'network_config': []}))
    for legacy in lab_nodes.LEGACY_FILES:
        _write(node.root, legacy, '# newton')
    _write(node.root, 'var/lib/os-collect-config/heat_local.json', '{}')
    # openstack-heat-agents' hook runner, which config-download's
    # deployments.yaml runs: the lab's (lab-node's 55-heat-config).
    hook = os.path.join(node.root, HEAT_CONFIG)
    os.makedirs(os.path.dirname(hook), exist_ok=True)
    os.symlink(os.path.join(standins.BIN, 'lab-node'), hook)
    os.makedirs(os.path.join(node.root, 'root'), mode=0o700, exist_ok=True)
    _write(node.root, 'etc/puppet/hieradata/bootstrap_node.json',
           json.dumps({'bootstrap_nodeid': node.bootstrap_node}))
    for package in node.packages:
        _write(node.root, 'var/lib/rpm/' + package, release)
    for service in node.host_services:
        running, enabled = node.unit_state(service)
        _write(node.root, 'run/services/' + service,
               'running' if running else 'stopped')
        if enabled:
            _write(node.root, '%s/%s.service' % (WANTS, service), 'enabled')
    for vhost, port in sorted(node.vhosts.items()):
        _write(node.root, 'etc/httpd/conf.d/10-%s.conf' % vhost,
               '<VirtualHost *:%d>\n  ServerName %s\n</VirtualHost>'
               % (port, vhost))
    for relative, content in sorted(node.files.items()):
        if content is None:
            os.makedirs(os.path.join(node.root, relative), exist_ok=True)
        else:
            _write(node.root, relative, content)
    if node.bootstrap:
        os.makedirs(os.path.join(node.root, 'var/lib/mysql/backups'),
                    exist_ok=True)
        for database in node.databases:
            _write(node.root, 'var/lib/mysql/%s.schema' % database, release)


def write_addresses(nodes, path):
    """{address: tree}: how the stand-ins find a node from ansible_host."""
    with open(path + '.new', 'w') as out:
        json.dump({node.address: node.root for node in nodes}, out,
                  indent=2, sort_keys=True)
    os.replace(path + '.new', path)


def _listing(root, relative):
    directory = os.path.join(root, relative)
    return sorted(os.listdir(directory)) if os.path.isdir(directory) else []


def read_state(node):
    """What the node's tree says now."""
    return {
        'repositories': _read(node.root, 'etc/yum.repos.d/release'),
        'packages': {name: _read(node.root, 'var/lib/rpm/' + name)
                     for name in _listing(node.root, 'var/lib/rpm')},
        'services': {name: _read(node.root, 'run/services/' + name)
                     for name in node.host_services},
        'containers': _listing(node.root, 'var/lib/lab/containers'),
        'databases': {name: _read(node.root, 'var/lib/mysql/%s.schema'
                                  % name) for name in node.databases},
    }


def release_of(state):
    """The release of a node's repositories and packages (its
    read_state) when they agree, else 'mixed'."""
    releases = {state['repositories']} | set(state['packages'].values())
    return releases.pop() if len(releases) == 1 else 'mixed'


def problems(state, containers, release='queens'):
    """Why a node (its read_state) is not an upgraded queens node ([]
    when it is).

    containers: the container names of the node's role in the queens
    stack (every step of its docker_config), which paunch must have
    started.
    """
    found = []
    if state['repositories'] != release:
        found.append('repositories at %s' % state['repositories'])
    for name, value in sorted(state['packages'].items()):
        if value != release:
            found.append('%s at %s' % (name, value))
    for name in sorted(set(containers) - set(state['containers'])):
        found.append('container %s not started' % name)
    for name, value in sorted(state['services'].items()):
        if name in CONTAINERIZED and value == 'running':
            found.append('host service %s still running' % name)
    for name, value in sorted(state['databases'].items()):
        if value not in FFU_SCHEMAS:
            found.append('database %s at %s' % (name, value))
    return found


def role_containers(role_data, role):
    """The container names of role's docker_config, every step."""
    config = (role_data.get(role) or {}).get('docker_config') or {}
    return sorted({name for step in config.values()
                   for name in (step or {})})
