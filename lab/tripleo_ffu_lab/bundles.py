"""The queens Pacemaker bundles, as THT 8.4's `*_init_bundle` containers
make them, and what a cluster must hold once the FFU is done.

Under docker-ha.yaml, each pacemaker service's deploy step runs an
`<service>_init_bundle` container on every controller: puppet-tripleo
queens' `tripleo::profile::pacemaker::*_bundle` sets the service's role
attribute on each cluster node and, on the bootstrap node only, creates
the bundle (its replicas placed on the nodes with that attribute). The
lab does the same to its shared CIB (cluster.py) when paunch starts
such a container (bin/lab-node).

Standard library only: bin/lab-node loads it on a node.
"""

import collections

try:
    from tripleo_ffu_lab import cluster
except ImportError:  # bin/lab-node, from the package's directory
    import cluster

Bundle = collections.namedtuple(
    'Bundle', 'name attribute role inner replicas newton')

# {init container: Bundle}; replicas None: one per controller. newton:
# the resource (by id) it replaces, which THT's upgrade tasks delete.
BUNDLES = {
    'mysql_init_bundle': Bundle('galera-bundle', 'galera-role', 'master',
                                'galera', None, 'galera'),
    'rabbitmq_init_bundle': Bundle('rabbitmq-bundle', 'rabbitmq-role',
                                   None, 'rabbitmq', None, 'rabbitmq'),
    'redis_init_bundle': Bundle('redis-bundle', 'redis-role', 'master',
                                'redis', None, 'redis'),
    'haproxy_init_bundle': Bundle('haproxy-bundle', 'haproxy-role', None,
                                  'haproxy', None, 'haproxy'),
    'cinder_volume_init_bundle': Bundle(
        'openstack-cinder-volume', 'cinder-volume-role', None,
        'openstack-cinder-volume', 1, 'openstack-cinder-volume'),
}
AGENT = 'ocf::heartbeat:docker'


def create(cib, node, container, image):
    """What puppet's bundle profile does from the bootstrap node `node`:
    every cluster node gets the role attribute, the bundle is created
    unless it is there. A newton resource of the same id still in the
    cluster is pcs's error (THT's upgrade tasks delete it first)."""
    spec = BUNDLES[container]
    existing = cib['resources'].get(spec.name)
    if existing is not None and existing['kind'] != 'bundle':
        raise cluster.Error("Error: '%s' already exists" % spec.name)
    for state in cib['nodes'].values():
        state['attributes'][spec.attribute] = 'true'
    if existing is None:
        cib['resources'][spec.name] = {
            'kind': 'bundle', 'wrapper': None, 'unit': None,
            'agent': AGENT, 'target_role': 'Started', 'options': {},
            'storage_maps': {}, 'image': image, 'inner': spec.inner,
            'role': spec.role, 'attribute': spec.attribute,
            'replicas': spec.replicas or len(cib['nodes'])}
    if spec.name == 'haproxy-bundle':
        _vips_with(cib, spec.name)
    cluster.record(cib, node, ['(puppet %s)' % container, 'bundle',
                               spec.name])


def _vips_with(cib, bundle):
    """The VIPs ordered and colocated with haproxy's bundle."""
    known = {constraint['id'] for constraint in cib['constraints']}
    for name, resource in sorted(cib['resources'].items()):
        if resource.get('agent') != 'ocf::heartbeat:IPaddr2':
            continue
        for kind, ident in (('order', 'order-%s-%s-Optional'),
                            ('colocation', 'colocation-%s-%s-INFINITY')):
            ident %= (name, bundle)
            if ident not in known:
                cib['constraints'].append({'kind': kind, 'first': name,
                                           'then': bundle, 'id': ident})


def problems(cib):
    """Why the cluster is not what an FFU to queens leaves ([] when it
    is): every node online, every newton resource replaced by its
    bundle, no resource stopped or running nowhere."""
    found = []
    for name, state in sorted(cib['nodes'].items()):
        if not state['online']:
            found.append('cluster node %s offline' % name)
    for spec in sorted(BUNDLES.values()):
        resource = cib['resources'].get(spec.name)
        newton = cib['resources'].get(spec.newton)
        if newton is not None and newton['kind'] != 'bundle':
            found.append('newton resource %s still in the cluster'
                         % (newton.get('wrapper') or spec.newton))
        if resource is None or resource['kind'] != 'bundle':
            found.append('bundle %s not created' % spec.name)
    for name, resource in sorted(cib['resources'].items()):
        if resource.get('target_role') == 'Stopped':
            found.append('resource %s stopped (disabled)' % name)
        elif not cluster.placement(cib, name):
            found.append('resource %s runs nowhere' % name)
    return found
