"""The queens side of the lab's cluster: THT 8.4's init_bundle and db-sync
containers started by the lab's paunch on three controllers, and what a
cluster must hold once the FFU is done (bundles.problems)."""

import json

from tests.unit import test_lab_cluster
from tests.unit.test_lab_cluster import NODES
from tests.unit.test_lab_cluster import _cib
from tests.unit.test_lab_cluster import _run
from tripleo_ffu_lab import bundles
from tripleo_ffu_lab import cluster
from tripleo_ffu_lab import dbsync

lab = test_lab_cluster.lab  # the fixture: three controllers on a cluster
IMAGE = '192.168.24.1:8787/tripleoqueens/centos-binary-%s:current-tripleo'


def _paunch(root, step, containers):
    """paunch apply of one step's startup config on the node at root."""
    path = root / ('var/lib/tripleo-config/'
                   'docker-container-startup-config-step_%d.json' % step)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(containers))
    return _run(root, 'paunch', 'apply', '--file', str(path),
                '--config-id', 'tripleo_step%d' % step)


def _init_bundle(service, image):
    return {'image': IMAGE % image, 'command': [
        '/docker_puppet_apply.sh', '2', 'pacemaker::resource::bundle',
        'include ::tripleo::profile::pacemaker::%s_bundle' % service, '']}


def _delete_newton_resources(root):
    for ident, *_ in cluster.NEWTON_RESOURCES:
        assert _run(root, 'pcs', 'resource', 'delete', ident).returncode == 0


def _everywhere(roots, step, containers):
    for name in NODES:
        result = _paunch(roots[name], step, containers)
        assert result.returncode == 0, result.stderr


def test_init_bundles_make_the_bundles_from_the_bootstrap_node(lab):
    roots, path = lab
    _delete_newton_resources(roots[NODES[0]])
    _everywhere(roots, 2, {
        'mysql_init_bundle': _init_bundle('database::mysql', 'mariadb'),
        'mysql_restart_bundle': {'command': [
            '/usr/bin/bootstrap_host_exec', 'mysql', 'pcs resource restart '
            'galera-bundle']}})
    cib = _cib(path)
    galera = cib['resources']['galera-bundle']
    assert (galera['kind'], galera['replicas'], galera['image']) == (
        'bundle', 3, IMAGE % 'mariadb')
    assert [line for line in cib['history'] if 'puppet' in line] == [
        line for line in cib['history'] if NODES[0] + ' pcs (puppet '
        'mysql_init_bundle) bundle galera-bundle' in line]
    for index, name in enumerate(NODES):
        assert cib['nodes'][name]['attributes'] == {'galera-role': 'true'}
        assert (roots[name] / 'var/lib/lab/containers' /
                ('galera-bundle-docker-%d' % index)).read_text() == \
            'pacemaker\n'
    assert cluster.placement(cib, 'galera-bundle') == {
        name: 'Master' for name in NODES}
    assert 'bundle rabbitmq-bundle not created' in bundles.problems(cib)


def test_a_bundle_over_a_newton_resource_fails_as_pcs_does(lab):
    roots, path = lab
    result = _paunch(roots[NODES[0]], 5, {
        'cinder_volume_init_bundle': _init_bundle('cinder::volume',
                                                  'cinder-volume')})
    assert result.returncode == 1
    assert "'openstack-cinder-volume' already exists" in result.stderr
    assert _cib(path)['resources']['openstack-cinder-volume'][
        'kind'] == 'primitive'


def test_db_syncs_run_on_the_bootstrap_node_once_the_database_runs(lab):
    roots, path = lab
    journal = dbsync.journal_path(str(roots[NODES[0]]), path)
    sync = {'nova_db_sync': {'command': (
        "/usr/bin/bootstrap_host_exec nova_api su nova -s /bin/bash -c "
        "'/usr/bin/nova-manage db sync'")}}
    _delete_newton_resources(roots[NODES[0]])
    result = _paunch(roots[NODES[0]], 3, sync)
    assert result.returncode == 1
    assert "Can't connect to MySQL server" in result.stderr
    assert _paunch(roots[NODES[1]], 3, sync).returncode == 0
    assert dbsync.read(journal) == []

    _everywhere(roots, 2, {'mysql_init_bundle': _init_bundle(
        'database::mysql', 'mariadb')})
    for name in NODES:
        kolla = roots[name] / 'var/lib/kolla/config_files/gnocchi_db_sync.json'
        kolla.parent.mkdir(parents=True, exist_ok=True)
        kolla.write_text(json.dumps({'command': (
            '/usr/bin/bootstrap_host_exec gnocchi_api '
            '/usr/bin/gnocchi-upgrade --sacks-number=128')}))
    _everywhere(roots, 3, sync)
    _everywhere(roots, 5, {'gnocchi_db_sync': {'image': IMAGE % 'gnocchi'}})
    assert [(entry['node'], entry['database'], entry['release'],
             entry['command']) for entry in dbsync.read(journal)] == [
        (NODES[0], 'nova', 'queens', 'container nova_db_sync'),
        (NODES[0], 'gnocchi', 'queens', 'container gnocchi_db_sync')]
    assert (roots[NODES[0]] / 'var/lib/mysql/gnocchi.schema').read_text() \
        == 'queens\n'
    assert not (roots[NODES[1]] / 'var/lib/mysql/gnocchi.schema').exists()


def test_the_cluster_an_ffu_leaves(lab):
    roots, path = lab
    found = bundles.problems(_cib(path))
    assert 'newton resource galera-master still in the cluster' in found
    assert 'newton resource openstack-cinder-volume still in the ' \
        'cluster' in found
    assert 'bundle haproxy-bundle not created' in found
    _delete_newton_resources(roots[NODES[0]])
    containers = {name: _init_bundle(name, name)
                  for name in bundles.BUNDLES}
    _everywhere(roots, 2, containers)
    cib = _cib(path)
    assert bundles.problems(cib) == []
    assert cluster.placement(cib, 'redis-bundle') == {
        NODES[0]: 'Master', NODES[1]: 'Slave', NODES[2]: 'Slave'}
    assert len(cluster.placement(cib, 'openstack-cinder-volume')) == 1
    assert {(c['first'], c['then']) for c in cib['constraints']} == {
        ('ip-127.0.2.253', 'haproxy-bundle'),
        ('ip-127.0.2.254', 'haproxy-bundle')}

    assert _run(roots[NODES[1]], 'pcs', 'resource', 'disable',
                'rabbitmq-bundle').returncode == 0
    assert _run(roots[NODES[1]], 'pcs', 'cluster', 'stop').returncode == 0
    assert bundles.problems(_cib(path)) == [
        'cluster node %s offline' % NODES[1],
        'resource rabbitmq-bundle stopped (disabled)']
