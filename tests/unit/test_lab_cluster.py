"""The lab's Pacemaker cluster: the shared CIB, pcs, cibadmin and
crm_resource, ansible-pacemaker's two modules, and THT 8.4's own galera
and rabbitmq upgrade tasks run by the real ansible-playbook on three lab
controllers."""

import concurrent.futures
import copy
import json
import os
import subprocess
import sys

import pytest

from tests.unit import tht_tasks
from tests.unit.test_lab_standins import _run_playbook
from tests.unit.test_lab_standins import _tree
from tripleo_ffu_lab import cluster
from tripleo_ffu_lab import standins
from tripleo_ffu.workflow.fixers import tests_as_filters

NODES = ('overcloud-controller-0', 'overcloud-controller-1',
         'overcloud-controller-2')
VIPS = ('127.0.2.254', '127.0.2.253', '127.0.2.254')


@pytest.fixture
def lab(tmp_path):
    """Three controllers' trees (controller-0 bootstraps) on one newton
    cluster, and a compute without one."""
    roots = {name: _tree(tmp_path / 'nodes', name) for name in NODES}
    for root in roots.values():
        (root / 'etc/puppet/hieradata/bootstrap_node.json').write_text(
            json.dumps({'bootstrap_nodeid': NODES[0]}))
    roots['overcloud-novacompute-0'] = _tree(tmp_path / 'nodes',
                                             'overcloud-novacompute-0')
    path = cluster.write_newton_cluster(
        str(tmp_path / 'pacemaker'),
        [(name, str(roots[name])) for name in NODES], VIPS)
    return roots, path


def _cib(path):
    with open(path) as source:
        return json.load(source)


def _run(root, *args):
    return subprocess.run(
        [os.path.join(standins.BIN, args[0])] + list(args[1:]),
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
        env=dict(os.environ, LAB_NODE_ROOT=str(root)))


def _module(root, *args):
    result = _run(root, 'lab-cluster', *args)
    return result.returncode, json.loads(result.stdout)


def test_the_newton_cluster_and_its_units(lab):
    roots, path = lab
    cib = _cib(path)
    assert sorted(cib['resources']) == [
        'galera', 'haproxy', 'ip-127.0.2.253', 'ip-127.0.2.254',
        'openstack-cinder-volume', 'rabbitmq', 'redis']
    assert cib['resources']['galera']['wrapper'] == 'galera-master'
    assert len(cib['constraints']) == 4
    for name in NODES:
        root = roots[name]
        assert os.path.realpath(root / cluster.CIB_LINK) == path
        assert 'ring0_addr: %s' % NODES[2] in (
            root / cluster.COROSYNC).read_text()
        for unit in ('mariadb', 'rabbitmq-server', 'redis', 'haproxy'):
            assert (root / 'run/services' / unit).read_text() == \
                'running\n'
        assert (root / 'run/services/openstack-cinder-volume'
                ).read_text() == ('running\n' if name == NODES[0]
                                  else 'stopped\n')
    full = _run(roots[NODES[1]], 'pcs', 'status', '--full').stdout
    assert 'galera\t(ocf::heartbeat:galera):\tMaster %s' % NODES[2] in full
    assert ' Master/Slave Set: galera-master [galera]' in full
    assert 'redis\t(ocf::heartbeat:redis):\tSlave %s' % NODES[1] in full
    # A second write (reset) starts over.
    _run(roots[NODES[0]], 'pcs', 'resource', 'delete', 'galera')
    cluster.write_newton_cluster(os.path.dirname(path), [
        (name, str(roots[name])) for name in NODES], VIPS)
    assert 'galera' in _cib(path)['resources']


def test_pcs_resource_commands(lab):
    roots, path = lab
    root = roots[NODES[1]]
    shown = _run(root, 'pcs', 'resource', 'show', 'galera-master')
    assert shown.returncode == 0, shown.stderr
    absent = _run(root, 'pcs', 'resource', 'config', 'galera-bundle')
    assert (absent.returncode, absent.stdout, absent.stderr) == (
        1, '', "Error: unable to find resource 'galera-bundle'\n")
    assert _run(root, 'pcs', 'resource', 'disable', 'haproxy',
                '--wait=300').returncode == 0
    assert 'haproxy\t(systemd:haproxy):\tStopped (disabled)' in _run(
        root, 'pcs', 'status', '--full').stdout
    for name in NODES:
        assert (roots[name] / 'run/services/haproxy').read_text() == \
            'stopped\n'
    deleted = _run(root, 'pcs', 'resource', 'delete', 'haproxy')
    assert deleted.stdout == 'Deleting Resource - haproxy\n'
    cib = _cib(path)
    assert 'haproxy' not in cib['resources']
    assert cib['constraints'] == []
    assert 'Started' in _run(root, 'pcs', 'status').stdout  # the VIPs
    # The containerized branch's commands: bundle, storage map, cibadmin.
    query = ('cibadmin', '--query', '--xpath',
             "//storage-mapping[@id='redis-log' and "
             "@source-dir='/var/log/containers/redis']")
    for words in (('resource', 'bundle', 'create', 'redis-bundle',
                   'container', 'docker', 'image=redis:pcmklatest'),
                  ('resource', 'bundle', 'update', 'redis-bundle',
                   'storage-map', 'add', 'id=redis-log',
                   'source-dir=/var/log/redis', 'target-dir=/var/log/redis',
                   'options=rw')):
        assert _run(root, 'pcs', *words).returncode == 0
    missing = _run(root, *query)
    assert (missing.returncode, missing.stderr) == (
        6, 'Call cib_query failed (-6): No such device or address\n')
    _run(root, 'pcs', 'resource', 'bundle', 'update', 'redis-bundle',
         'storage-map', 'remove', 'redis-log')
    _run(root, 'pcs', 'resource', 'bundle', 'update', 'redis-bundle',
         'storage-map', 'add', 'id=redis-log',
         'source-dir=/var/log/containers/redis',
         'target-dir=/var/log/redis', 'options=rw')
    found = _run(root, *query)
    assert found.returncode == 0
    assert 'source-dir="/var/log/containers/redis"' in found.stdout
    assert _run(root, 'pcs', 'property', 'set', '--node', NODES[2],
                'redis-role=true').returncode == 0
    assert _cib(path)['nodes'][NODES[2]]['attributes'] == {
        'redis-role': 'true'}
    located = _run(root, 'crm_resource', '--resource', 'galera', '--locate')
    assert 'resource galera is running on: %s Master' % NODES[0] in \
        located.stdout
    history = _cib(path)['history']
    assert history[0].endswith('%s pcs resource disable haproxy --wait=300'
                               % NODES[1])
    assert ' resource delete haproxy\n' in (
        root / 'var/log/lab/pcs.log').read_text()


def test_a_node_without_a_cluster(lab):
    roots, _ = lab
    for words in (('cluster', 'status'), ('status', '--full'),
                  ('resource', 'show', 'galera')):
        result = _run(roots['overcloud-novacompute-0'], 'pcs', *words)
        assert (result.returncode, result.stdout, result.stderr) == (
            1, '', 'Error: cluster is not currently running on this node\n')


def test_pacemaker_resource_semantics(lab):
    """ansible-pacemaker's pacemaker_resource, as THT's tasks read it."""
    roots, path = lab
    node1, boot = roots[NODES[1]], roots[NODES[0]]
    # check_mode: the state word in the resource's `pcs status --full`.
    assert _module(node1, 'resource-module', 'master', 'galera', '300',
                   'yes', 'no') == (0, {'changed': False, 'out': {
                       'resource': 'galera', 'status': 'master'}})
    assert _module(node1, 'resource-module', 'started', 'haproxy', '300',
                   'yes', 'no')[0] == 0
    rc, result = _module(node1, 'resource-module', 'master', 'haproxy',
                         '300', 'yes', 'no')
    assert (rc, result['msg']) == (
        1, 'Failed, the resource haproxy is not master\n')
    # show: rc 0 while it exists, failed when not (THT: |succeeded).
    rc, result = _module(node1, 'resource-module', 'show', 'rabbitmq',
                         '300', 'no', 'no')
    assert (rc, result['changed'], result['rc']) == (0, True, 0)
    rc, result = _module(node1, 'resource-module', 'show', 'galera-bundle',
                         '300', 'no', 'no')
    assert rc == 1 and result['failed'] is True
    # disable then delete, with rc (THT: until output.rc == 0).
    assert _module(boot, 'resource-module', 'disable', 'galera', '300',
                   'no', 'yes')[1] == {'changed': True, 'out': '', 'rc': 0}
    assert 'pcs resource disable galera --wait=300' in \
        _cib(path)['history'][-1]
    assert _module(boot, 'resource-module', 'delete', 'galera', '300',
                   'no', 'yes')[1]['rc'] == 0
    assert _module(boot, 'resource-module', 'delete', 'galera', '300',
                   'no', 'yes') == (0, {'changed': False, 'out': {
                       'resource': 'galera', 'status': 'deleted'}})
    # An offline node's cluster.
    _run(node1, 'pcs', 'cluster', 'stop', '--force')
    rc, result = _module(node1, 'resource-module', 'show', 'rabbitmq',
                         '300', 'no', 'no')
    assert result == {'failed': True, 'msg': 'The cluster is either offline '
                      'or not started on the node'}


def test_pacemaker_cluster_semantics(lab):
    roots, path = lab
    root = roots[NODES[2]]
    assert _module(root, 'cluster-module', 'online', 'yes', 'yes') == (
        0, {'changed': False, 'out': 'online'})
    assert _module(root, 'cluster-module', 'offline', 'no', 'yes') == (
        0, {'changed': True, 'out': 'offline'})
    assert _cib(path)['history'][-1].endswith(
        '%s pcs cluster stop --force' % NODES[2])
    assert _module(root, 'cluster-module', 'online', 'yes', 'yes') == (
        1, {'failed': True, 'msg': 'State not found to be in online '})
    # Two of three offline: no quorum, every unit stops.
    _run(roots[NODES[1]], 'pcs', 'cluster', 'stop')
    assert (roots[NODES[0]] / 'run/services/mariadb').read_text() == \
        'stopped\n'
    assert 'partition WITHOUT quorum' in _run(roots[NODES[0]], 'pcs',
                                              'status').stdout
    assert _module(root, 'cluster-module', 'online', 'no', 'yes') == (
        0, {'changed': True, 'out': 'online'})
    assert (roots[NODES[0]] / 'run/services/mariadb').read_text() == \
        'running\n'


def test_three_controllers_stop_the_cluster_at_once(lab):
    """Upgrade step 2 stops the cluster on every controller at the same
    moment: no stop may be lost to another's read-modify-write."""
    roots, path = lab
    for _ in range(5):
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            results = list(pool.map(
                lambda name: _run(roots[name], 'pcs', 'cluster', 'stop',
                                  '--force'), NODES))
        assert [result.returncode for result in results] == [0, 0, 0]
        cib = _cib(path)
        assert [cib['nodes'][name]['online'] for name in NODES] == \
            [False] * 3
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda name: _run(roots[name], 'pcs', 'cluster',
                                            'start'), NODES))
        assert all(node['online'] for node in _cib(path)['nodes'].values())
    assert len(_cib(path)['history']) == 30


# THT 8.4's templates whose upgrade tasks the playbook test runs, with the
# service name their get_attr of the base's role_data gives.
UPGRADE_TEMPLATES = (
    ('puppet/services/pacemaker.yaml', 'pacemaker'),
    ('docker/services/pacemaker/database/mysql.yaml', 'mysql'),
    ('docker/services/pacemaker/rabbitmq.yaml', 'rabbitmq'),
)


def _resolved(value, service):
    """value with Heat's functions replaced: a base's service_name, or a
    placeholder (the branches these tests run read none)."""
    if isinstance(value, list):
        return [_resolved(item, service) for item in value]
    if tht_tasks.heat_function(value):
        (function, args), = value.items()
        if function == 'get_attr' and args[-1] == 'service_name':
            return service
        return 'lab-heat-value'
    if isinstance(value, dict):
        return {key: _resolved(item, service) for key, item in value.items()}
    return value


def _upgrade_tasks():
    root = tht_tasks.tree()
    tasks = {}
    for relative, service in UPGRADE_TEMPLATES:
        found = tht_tasks.sections(root, relative)['upgrade_tasks']
        found = _resolved(copy.deepcopy(found), service)
        tests_as_filters.TestsAsTests().fix(found, relative)
        tasks[relative] = found
    return tasks


def test_thts_galera_and_rabbitmq_upgrade_on_three_controllers(
        lab, tmp_path, monkeypatch):
    """THT 8.4's upgrade tasks of pacemaker, mysql and rabbitmq, upgrade
    steps 0-2 and the cluster's start at step 4, as a real cluster goes
    through them: the bootstrap node disables and deletes galera and
    rabbitmq, every controller stops its cluster and starts it again."""
    roots, path = lab
    tasks = _upgrade_tasks()
    # One process per module run, and the host name the lab's fact
    # gathering would give: ~70 tasks x 3 nodes x 4 steps.
    monkeypatch.setenv('ANSIBLE_PIPELINING', 'True')
    every = [task for relative, _ in UPGRADE_TEMPLATES
             for task in tasks[relative]]
    inventory = {'all': {
        'children': {'Controller': {'hosts': {
            name: {'lab_node_root': str(roots[name]),
                   'ansible_hostname': name} for name in NODES}}},
        'vars': {'ansible_connection': 'local',
                 'ansible_python_interpreter': sys.executable}}}
    playbook = [{'hosts': 'Controller', 'gather_facts': False,
                 'name': 'upgrade step %d' % step, 'vars': {'step': step},
                 'tasks': every} for step in (0, 1, 2)]
    playbook.append({'hosts': 'Controller', 'gather_facts': False,
                     'name': 'upgrade step 4', 'vars': {'step': 4},
                     'tasks': tasks[UPGRADE_TEMPLATES[0][0]]})
    (tmp_path / 'run').mkdir()
    result = _run_playbook(tmp_path / 'run', inventory, playbook,
                           timeout=1200)
    cib = _cib(path)
    assert sorted(cib['resources']) == [
        'haproxy', 'ip-127.0.2.253', 'ip-127.0.2.254',
        'openstack-cinder-volume', 'redis']
    assert all(node['online'] for node in cib['nodes'].values())
    changes = [line.split(' ', 1)[1] for line in cib['history']]
    assert changes[:4] == [
        '%s pcs resource disable galera --wait=300' % NODES[0],
        '%s pcs resource delete galera' % NODES[0],
        '%s pcs resource disable rabbitmq --wait=300' % NODES[0],
        '%s pcs resource delete rabbitmq' % NODES[0]]
    assert sorted(changes[4:7]) == [
        '%s pcs cluster stop --force' % name for name in NODES]
    assert sorted(changes[7:]) == [
        '%s pcs cluster start' % name for name in NODES]
    for name in NODES:
        root = roots[name]
        for unit in ('mariadb', 'rabbitmq-server'):
            assert (root / 'run/services' / unit).read_text() == \
                'stopped\n'
        assert (root / 'run/services/haproxy').read_text() == 'running\n'
        pcs_log = (root / 'var/log/lab/pcs.log').read_text()
        assert 'status --full' in pcs_log  # galera's check_mode
    assert 'changed=' in result.stdout
