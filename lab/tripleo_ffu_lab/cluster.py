"""The lab's Pacemaker cluster: one state the controllers share.

A newton (OSP 10, puppet-pacemaker) overcloud's controllers form one
cluster. The lab keeps its state in ``<lab>/pacemaker/cib.json``; each
controller's tree links ``var/lib/pacemaker/cib/cib.json`` to it, so a
node's ``pcs`` finds the cluster from $LAB_NODE_ROOT alone (a compute has
no link, and no cluster). Every read-modify-write holds an flock on
``cib.lock`` next to the file: at upgrade step 2 the three controllers
stop the cluster at the same moment.

After every change the cluster's effects are written into the node trees
(`apply`): the unit of a resource (galera: mariadb, ...) runs on a node
iff the resource is enabled, placed there, the node online and the
cluster quorate; a bundle's replicas are containers in
var/lib/lab/containers. The commands (pcs, cibadmin, crm_resource) and the
two ansible-pacemaker modules' logic are in bin/lab-cluster.

Standard library only: the lab's bin/lab-cluster loads it on a node with
the system's python3.
"""

import contextlib
import fcntl
import json
import os
import time

CIB_LINK = 'var/lib/pacemaker/cib/cib.json'
COROSYNC = 'etc/corosync/corosync.conf'
CLUSTER_NAME = 'tripleo_cluster'
# The newton resources puppet-tripleo stable/newton's pacemaker profiles
# create: (id, kind, wrapper, agent, unit).
NEWTON_RESOURCES = (
    ('galera', 'master', 'galera-master', 'ocf::heartbeat:galera',
     'mariadb'),
    ('rabbitmq', 'clone', 'rabbitmq-clone',
     'ocf::heartbeat:rabbitmq-cluster', 'rabbitmq-server'),
    ('redis', 'master', 'redis-master', 'ocf::heartbeat:redis', 'redis'),
    ('haproxy', 'clone', 'haproxy-clone', 'systemd:haproxy', 'haproxy'),
    ('openstack-cinder-volume', 'primitive', None,
     'systemd:openstack-cinder-volume', 'openstack-cinder-volume'),
)
# Masters with one promoted instance (the others are Slaves).
SINGLE_MASTER = ('redis',)


class Error(Exception):
    """What pcs would say on stderr; rc as the real command's."""

    def __init__(self, message, rc=1):
        super().__init__(message)
        self.rc = rc


def cib_path(root):
    """The shared CIB a node's tree links to (its real path)."""
    link = os.path.join(root, CIB_LINK)
    if not os.path.lexists(link):
        return None
    return os.path.realpath(link)


@contextlib.contextmanager
def locked(path, write=True):
    """The CIB at path under its flock: yields it, writes it back (when
    write) after the body ran without error."""
    with open(os.path.join(os.path.dirname(path), 'cib.lock'), 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
        try:
            with open(path) as source:
                cib = json.load(source)
            yield cib
            if write:
                save(path, cib)
                apply(cib)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def save(path, cib):
    temporary = path + '.%d.tmp' % os.getpid()
    with open(temporary, 'w') as out:
        json.dump(cib, out, indent=1, sort_keys=True)
    os.replace(temporary, path)


def record(cib, node, words):
    """A change in the cluster's history."""
    cib['history'].append('%s %s pcs %s' % (
        time.strftime('%Y-%m-%dT%H:%M:%S'), node, ' '.join(words)))


def find(cib, ident):
    """The resource id that ident names (itself or its clone/master
    wrapper), or None."""
    for name, resource in cib['resources'].items():
        if ident in (name, resource.get('wrapper')):
            return name
    return None


def quorate(cib):
    online = [name for name, node in cib['nodes'].items() if node['online']]
    return 2 * len(online) > len(cib['nodes'])


def placement(cib, name):
    """{node: role} of a resource's running instances."""
    resource = cib['resources'][name]
    nodes = sorted(cib['nodes'])
    online = [node for node in nodes if cib['nodes'][node]['online']]
    if resource.get('target_role') == 'Stopped' or not quorate(cib):
        return {}
    kind = resource['kind']
    if kind in ('clone', 'master', 'bundle'):
        wanted = resource.get('attribute')
        places = [node for node in online if not wanted or
                  cib['nodes'][node]['attributes'].get(wanted) == 'true']
        places = places[:resource.get('replicas', len(nodes))]
        if kind == 'clone' or (kind == 'bundle' and
                               resource.get('role') != 'master'):
            return {node: 'Started' for node in places}
        single = name in SINGLE_MASTER or resource.get('inner') in \
            SINGLE_MASTER
        return {node: 'Master' if not single or index == 0 else 'Slave'
                for index, node in enumerate(places)}
    preferred = resource.get('node')
    chosen = preferred if preferred in online else (online or [None])[0]
    return {chosen: 'Started'} if chosen else {}


def status_lines(cib, full):
    """The resources' lines of `pcs status [--full]` (pcs 0.9, pacemaker
    1.1): with full, one line per instance, as THT's modules grep them."""
    lines = []
    nodes = sorted(cib['nodes'])

    def instance(label, agent, name, places):
        resource = cib['resources'][name]
        if not places:
            stopped = 'Stopped (disabled)' if \
                resource.get('target_role') == 'Stopped' else 'Stopped'
            count = 1 if resource['kind'] == 'primitive' else len(nodes)
            return ['%s\t(%s):\t%s' % (label, agent, stopped)] * count
        return ['%s\t(%s):\t%s %s' % (label, agent, role, node)
                for node, role in sorted(places.items())]

    for name, resource in sorted(cib['resources'].items()):
        places = placement(cib, name)
        kind = resource['kind']
        if kind == 'primitive':
            lines += [' ' + line for line in instance(
                name, resource['agent'], name, places)]
        elif kind == 'bundle':
            lines.append(' Docker container set: %s [%s]'
                         % (name, resource.get('image')))
            for node, role in sorted(places.items()):
                lines.append('   %s-%d\t(%s):\t%s %s' % (
                    name, nodes.index(node), resource.get('agent'), role,
                    node))
        else:
            title = 'Master/Slave Set' if kind == 'master' else 'Clone Set'
            lines.append(' %s: %s [%s]' % (title, resource['wrapper'], name))
            if full:
                lines += ['     ' + line for line in instance(
                    name, resource['agent'], name, places)]
            else:
                for role, label in (('Master', 'Masters'),
                                    ('Slave', 'Slaves'),
                                    ('Started', 'Started')):
                    on = [n for n, r in sorted(places.items()) if r == role]
                    if on:
                        lines.append('     %s: [ %s ]' % (label,
                                                          ' '.join(on)))
                stopped = [n for n in nodes if n not in places]
                if stopped:
                    lines.append('     Stopped%s: [ %s ]' % (
                        ' (disabled)' if resource.get('target_role') ==
                        'Stopped' else '', ' '.join(stopped)))
    return lines


def _write(root, relative, text):
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as out:
        out.write(text + '\n')


def apply(cib):
    """The cluster's effects in each node's tree: the units it manages
    running or stopped, a bundle's replicas as containers."""
    for name, resource in sorted(cib['resources'].items()):
        places = placement(cib, name)
        for node, state in sorted(cib['nodes'].items()):
            root = state.get('root')
            if not root or not os.path.isdir(root):
                continue
            if resource.get('unit'):
                _write(root, 'run/services/' + resource['unit'],
                       'running' if node in places else 'stopped')
            if resource['kind'] == 'bundle':
                index = sorted(cib['nodes']).index(node)
                container = os.path.join(
                    root, 'var/lib/lab/containers',
                    '%s-docker-%d' % (name, index))
                if node in places:
                    _write(root, os.path.relpath(container, root),
                           'pacemaker')
                elif os.path.exists(container):
                    os.unlink(container)


def stop_units(cib, name):
    """A deleted resource's unit stops everywhere (pcs stops a resource
    before it deletes it)."""
    unit = cib['resources'][name].get('unit')
    for state in cib['nodes'].values():
        root = state.get('root')
        if unit and root and os.path.isdir(root):
            _write(root, 'run/services/' + unit, 'stopped')


def newton_cib(nodes, vips):
    """The CIB a newton puppet-pacemaker overcloud's controllers have.

    nodes: [(host name, tree)], the bootstrap node first; vips: the
    distinct virtual IPs (one IPaddr2 resource each, ordered and
    colocated with haproxy-clone).
    """
    names = [name for name, _ in nodes]
    resources = {}
    for ident, kind, wrapper, agent, unit in NEWTON_RESOURCES:
        resources[ident] = {'kind': kind, 'wrapper': wrapper,
                            'agent': agent, 'unit': unit,
                            'target_role': 'Started', 'options': {}}
    resources['openstack-cinder-volume']['node'] = names[0]
    constraints = []
    for index, vip in enumerate(sorted(set(vips))):
        ident = 'ip-%s' % vip
        resources[ident] = {
            'kind': 'primitive', 'wrapper': None, 'unit': None,
            'agent': 'ocf::heartbeat:IPaddr2', 'target_role': 'Started',
            'options': {'ip': vip, 'cidr_netmask': '32'},
            'node': names[index % len(names)]}
        constraints += [
            {'kind': 'order', 'first': ident, 'then': 'haproxy-clone',
             'id': 'order-%s-haproxy-clone-Optional' % ident},
            {'kind': 'colocation', 'first': ident, 'then': 'haproxy-clone',
             'id': 'colocation-%s-haproxy-clone-INFINITY' % ident}]
    return {'cluster': CLUSTER_NAME,
            'nodes': {name: {'online': True, 'root': root,
                             'attributes': {}}
                      for name, root in nodes},
            'resources': resources, 'constraints': constraints,
            'properties': {'stonith-enabled': 'false',
                           'cluster-name': CLUSTER_NAME},
            'history': []}


def write_newton_cluster(directory, nodes, vips):
    """Write the newton cluster of the controllers `nodes` ([(name,
    tree)], bootstrap first) in directory (<lab>/pacemaker), link each
    tree to it and write the trees' units and corosync.conf. A second
    call (reset) starts the cluster over. Returns the CIB's path."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, 'cib.json')
    cib = newton_cib(nodes, vips)
    with open(os.path.join(directory, 'cib.lock'), 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        save(path, cib)
        fcntl.flock(lock, fcntl.LOCK_UN)
    ring = ''.join('    node {\n        ring0_addr: %s\n        nodeid: %d\n'
                   '    }\n' % (name, index)
                   for index, (name, _) in enumerate(nodes, 1))
    for _, root in nodes:
        link = os.path.join(root, CIB_LINK)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(path, link)
        _write(root, COROSYNC, 'totem {\n    version: 2\n    cluster_name: '
               '%s\n    transport: udpu\n}\n\nnodelist {\n%s}\n\nquorum {\n'
               '    provider: corosync_votequorum\n}' % (CLUSTER_NAME, ring))
    apply(cib)
    return path
