"""The undercloud lab is real: Heat, its stack, and nodes over SSH.

The tests share one lab and run in this file's order: the stack update
and the reset come last.
"""

import contextlib
import json
import os
import subprocess
import sys
import time

import pytest

from tripleo_ffu_lab import heat
from tripleo_ffu_lab import layout
from tripleo_ffu_lab import overcloud
from tripleo_ffu_lab import procs
from tripleo_ffu_lab import sshd
from tripleo_ffu.workflow import inventory
from tests.functional.conftest import BIN
from tests.functional.conftest import deployment_steps
from tests.functional.conftest import lab_processes
from tests.functional.conftest import start_lab

ROLE_SECTIONS = {'service_names', 'config_settings', 'upgrade_tasks',
                 'fast_forward_upgrade_tasks',
                 'fast_forward_post_upgrade_tasks', 'post_upgrade_tasks',
                 'deploy_steps_tasks'}


def _output(lab, key):
    result = lab.openstack('stack', 'output', 'show', 'overcloud', key,
                           '-f', 'json')
    return json.loads(result.stdout)['output_value']


def _heat(lab):
    return overcloud.client(lab.env['OS_ENDPOINT'])


def test_stack_is_deployed(lab):
    stack = json.loads(lab.openstack('stack', 'show', 'overcloud',
                                     '-f', 'json').stdout)
    assert stack['stack_status'] == 'CREATE_COMPLETE'


def test_role_data_has_every_section_for_each_role(lab):
    role_data = _output(lab, 'RoleData')
    assert sorted(role_data) == ['Compute', 'Controller']
    for role in role_data.values():
        assert ROLE_SECTIONS <= set(role)
    assert {'keystone', 'mysql', 'rabbitmq', 'haproxy'} <= set(
        role_data['Controller']['service_names'])
    assert {'nova_compute', 'neutron_ovs_agent'} <= set(
        role_data['Compute']['service_names'])


def test_role_config_has_the_deploy_steps_playbook(lab):
    role_config = _output(lab, 'RoleConfig')
    play = role_config['deploy_steps_playbook'][0]
    assert play['hosts'] == 'overcloud'
    assert 'deploy_steps_tasks' in role_config


def test_node_data_outputs_reach_every_node(lab):
    hostnames = _output(lab, 'RoleNetHostnameMap')
    ips = _output(lab, 'RoleNetIpMap')
    server_ids = _output(lab, 'ServerIdData')
    host_vars = _output(lab, 'AnsibleHostVarsMap')
    ssh_port = layout.Lab(lab.root).load_state()['ports']['sshd']
    assert len(hostnames['Controller']['ctlplane']) == 3
    assert len(hostnames['Compute']['ctlplane']) == 2
    assert server_ids['bootstrap_server_id'] == (
        server_ids['server_ids']['Controller'][0])
    for role, networks in hostnames.items():
        assert len(ips[role]['ctlplane']) == len(networks['ctlplane'])
        for fqdn in networks['ctlplane']:
            host = fqdn.split('.')[0]
            assert host_vars[role][host]['ansible_port'] == ssh_port
            assert host_vars[role][host]['lab_node_root'] == os.path.join(
                lab.root, 'nodes', host)


def test_each_node_answers_at_its_own_address(lab):
    """One sshd instance per node address: `node stop` makes that
    address, and only it, refuse SSH; `node start` brings it back."""
    ports = layout.Lab(lab.root).load_state()['ports']
    addresses = {node['hostname']: node['address']
                 for node in lab.status()['nodes']}
    assert addresses == {
        'overcloud-controller-0': '127.0.2.1',
        'overcloud-controller-1': '127.0.2.2',
        'overcloud-controller-2': '127.0.2.3',
        'overcloud-novacompute-0': '127.0.3.1',
        'overcloud-novacompute-1': '127.0.3.2'}
    ips = _output(lab, 'RoleNetIpMap')
    assert ips['Compute']['ctlplane'] == ['127.0.3.1', '127.0.3.2']
    try:
        stopped = lab.cli('node', 'stop', 'overcloud-controller-1').stdout
        assert stopped == 'overcloud-controller-1: SSH stopped\n'
        refused = {host for host, address in addresses.items()
                   if procs.port_probe(ports['sshd'], address)}
        assert refused == {'overcloud-controller-1'}
        assert {node['hostname']: node['ssh'] for node in lab.status()[
            'nodes']}['overcloud-controller-1'] == 'stopped'
    finally:
        lab.cli('node', 'start', 'overcloud-controller-1')
    assert all(procs.port_open(ports['sshd'], address)
               for address in addresses.values())
    unknown = lab.cli('node', 'stop', 'nowhere', check=False)
    assert unknown.returncode == 1
    assert "no lab node is named 'nowhere'; the nodes: " \
        "overcloud-controller-0, " in unknown.stderr


def test_nodes_are_at_newton(lab):
    report = lab.status()
    assert [(n['hostname'], n['bootstrap'], n['release'])
            for n in report['nodes']] == [
        ('overcloud-novacompute-0', False, 'newton'),
        ('overcloud-novacompute-1', False, 'newton'),
        ('overcloud-controller-0', True, 'newton'),
        ('overcloud-controller-1', False, 'newton'),
        ('overcloud-controller-2', False, 'newton')]
    for node in report['nodes']:
        assert set(node['services'].values()) == {'running'}
    assert report['nodes'][2]['databases'] == {'keystone': 'newton'}


def test_every_node_answers_ansible_ping_over_ssh(lab, tmp_path):
    report = lab.status()
    built = inventory.build(_heat(lab), 'overcloud', report['ssh_user'],
                            report['ssh_key'])
    # Host keys are checked, against the lab's known_hosts.
    built['overcloud']['vars']['ansible_ssh_common_args'] = (
        '-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes'
        % report['known_hosts'])
    path = str(tmp_path / 'inventory.yaml')
    inventory.write(built, path)
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING='True')
    result = subprocess.run(
        [os.path.join(BIN, 'ansible'), '-i', path, 'overcloud', '-m', 'ping',
         '-o'], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    answered = [line.split()[0] for line in result.stdout.splitlines()
                if '"pong"' in line]
    assert sorted(answered) == sorted(inventory.hosts(built, 'overcloud'))


def test_the_labs_heat_pauses_briefly(lab):
    """heat-all's plugin shortens the pauses of Heat 24's engine (a lab
    whose Heat renamed them would silently lose the plugin's effect)."""
    layout_lab = layout.Lab(lab.root)
    check = subprocess.run(
        [os.path.join(layout_lab.heat_venv, 'bin', 'python'), '-c',
         'import sys; sys.path.insert(0, %r)\n'
         'import lab_pace\n'
         'from heat.engine import scheduler, stack\n'
         'assert scheduler.TaskRunner._sleep is lab_pace._paced_task_sleep\n'
         'assert isinstance(stack.eventlet, lab_pace._Paced)\n'
         'assert stack.eventlet.queue is lab_pace.eventlet.queue\n'
         'print(lab_pace.PAUSE)' % heat.PLUGINS],
        capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert float(check.stdout) < 1


def test_stackrc_and_passwords_are_private(lab):
    for name in ('stackrc', 'passwords.yaml', 'lab-environment.yaml',
                 'lab.json', 'heat/heat.conf'):
        mode = os.stat(os.path.join(lab.root, name)).st_mode & 0o777
        assert mode == 0o600, name


def test_second_up_reuses_what_runs(lab):
    before = {p['name']: p['pid'] for p in lab.status()['processes']}
    started = time.monotonic()
    lab.cli('up')
    elapsed = time.monotonic() - started
    after = {p['name']: p['pid'] for p in lab.status()['processes']}
    assert before == after
    assert all(after.values())
    assert elapsed < 30


def test_reset_brings_stack_and_nodes_back_to_newton(lab):
    node_root = os.path.join(lab.root, 'nodes', 'overcloud-controller-1')
    with open(os.path.join(node_root, 'var/lib/rpm/openstack-keystone'),
              'w') as package:
        package.write('queens\n')
    lab.cli('reset')
    report = lab.status()
    assert report['stack']['status'] == 'CREATE_COMPLETE'
    assert {n['release'] for n in report['nodes']} == {'newton'}
    assert all(deployment_steps(lab).values())


def test_a_second_lab_does_not_collide(lab, tmp_path):
    other = start_lab(str(tmp_path / 'other-lab'), '--controllers', '1',
                      '--computes', '1')
    try:
        first = {p['name']: p['port'] for p in lab.status()['processes']}
        second_report = other.status()
        second = {p['name']: p['port'] for p in second_report['processes']}
        assert not set(first.values()) & set(second.values())
        assert [n['hostname'] for n in second_report['nodes']] == [
            'overcloud-novacompute-0', 'overcloud-controller-0']
        assert lab.status()['stack']['status'] == 'CREATE_COMPLETE'
    finally:
        stopped = other.cli('down').stdout
    assert 'heat-all' in stopped and 'mariadb' in stopped
    assert lab_processes(other.root) == []
    for port in second.values():
        assert not procs.port_open(port)


# Keeps a core busy; ends by itself after 10 minutes if nothing kills it.
HOG = ('import time\n'
       'end = time.monotonic() + 600\n'
       'while time.monotonic() < end:\n'
       '    pass\n')


@contextlib.contextmanager
def busy_machine():
    """One process more than there are cores, each keeping one busy."""
    hogs = [subprocess.Popen([sys.executable, '-c', HOG])
            for _ in range((os.cpu_count() or 1) + 1)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


def test_a_failed_up_leaves_nothing_running(lab):
    """up fails at its last service (sshd refuses broken host keys),
    after it started MariaDB and heat-all: it stops them and says so."""
    lab.cli('down')
    ports = layout.Lab(lab.root).load_state()['ports']
    # Every host key broken: sshd starts with any one that loads.
    keys = [sshd.host_key(layout.Lab(lab.root), kind)
            for kind in sshd.HOST_KEY_TYPES]
    originals = {}
    for key in keys:
        with open(key, 'rb') as source:
            originals[key] = source.read()
    try:
        for key in keys:
            with open(key, 'wb') as out:
                out.write(b'not a key\n')
        result = lab.cli('up', check=False)
        left = lab_processes(lab.root)
        listening = [port for port in ports.values()
                     if procs.port_open(port)]
    finally:
        for key, original in originals.items():
            with open(key, 'wb') as out:
                out.write(original)
        lab.cli('up')
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith(
        'tripleo-ffu-lab up: error: checking %s failed'
        % os.path.join(lab.root, 'ssh', 'sshd_config'))
    assert 'Starting heat-all on' in result.stderr
    assert ('up failed: stopped what it had started (heat-all, mariadb)'
            in result.stderr)
    assert left == []
    assert listening == []


def test_up_comes_up_on_a_busy_machine(lab):
    """Each service's wait tells a slow start from a failed one: with
    every core kept busy, up brings a stopped lab back."""
    lab.cli('down')
    with busy_machine():
        result = lab.cli('up', check=False)
    if result.returncode != 0:
        lab.cli('up', check=False)  # the lab back, for the next tests
    assert result.returncode == 0, result.stderr
    report = lab.status()
    assert all(process['pid'] for process in report['processes'])
    assert report['stack']['status'] == 'CREATE_COMPLETE'


def test_heat_endpoint_is_in_stackrc(lab):
    port = layout.Lab(lab.root).load_state()['ports']['heat']
    assert lab.env['OS_ENDPOINT'] == heat.endpoint(port)
    assert lab.env['OS_AUTH_TYPE'] == 'none'


def test_bulk_services_are_set_by_up_and_built_by_heat(lab):
    """up writes the bulk parameters; Heat builds their tasks from the
    queens service template (a stack of its own, deleted after)."""
    import yaml
    lab.cli('up', '--extra-services', '2', '--tasks-per-service', '30')
    try:
        with open(os.path.join(lab.root, 'lab-environment.yaml')) as source:
            parameters = yaml.safe_load(source)['parameter_defaults']
    finally:
        lab.cli('up', '--extra-services', '0')
    assert parameters['LabBulkServices'] == ['bulk01', 'bulk02']
    assert parameters['LabBulkItems'] == ['01', '02']
    client = _heat(lab)
    path = os.path.join(overcloud.templates_dir('queens'), 'services',
                        'lab-bulk.yaml')
    with open(path) as source:
        template = yaml.safe_load(source)
    created = client.stacks.create(
        stack_name='lab-bulk-check', template=template, parameters=dict(
            RoleName='Controller', LabBulkServices='bulk01,bulk02',
            LabBulkItems='01,02'))
    try:
        stack = overcloud.wait(client, created['stack']['id'], 'CREATE', 120)
        role_data = overcloud.outputs(client, stack.id)['role_data']
    finally:
        overcloud.delete(client, 'lab-bulk-check')
    tasks = role_data['fast_forward_upgrade_tasks']
    assert role_data['service_name'] == 'lab_bulk'
    # Per service: 2 items of 20 (every step of ocata and pike), and its
    # package at step 3 of each release.
    assert len(tasks) == 2 * (2 * 20 + 2)
    assert len({task['name'] for task in tasks}) == len(tasks)
    assert {'name': 'Configure bulk02 item 01 for pike at step 7',
            'set_fact': {'lab_bulk02_configured': '01-pike-7'},
            'when': ['step|int == 7', "release == 'pike'"]} in tasks
    with open(os.path.join(lab.root, 'lab-environment.yaml')) as source:
        assert yaml.safe_load(source)['parameter_defaults'][
            'LabBulkServices'] == []


@pytest.mark.parametrize('argv, message', [
    (('up', '--controllers', '0'), 'at least one controller'),
    (('up', '--tasks-per-service', '0'), 'at least 1'),
])
def test_bad_lab_input_gets_one_line(lab, argv, message):
    result = lab.cli(*argv, check=False)
    assert result.returncode == 1
    assert message in result.stderr
    assert 'Traceback' not in result.stderr


def test_ffu_status_of_a_stack_never_prepared(lab, tmp_path):
    config_dir = str(tmp_path / 'config')
    status = lab.ffu_status(config_dir)
    assert status['stack_status'] == 'CREATE_COMPLETE'
    assert status['state'] == 'not prepared'
    assert status['next_step'] == 'openstack overcloud ffwd-upgrade prepare'
    assert status['prepared_at'] == status['converged_at'] == ''
    assert status['run_phases'] == {}
    assert status['plan_plays'] == status['plays_done'] == 0
    assert status['run_status'] == 'none' and status['commits'] == []
    assert not os.path.exists(config_dir), 'status created the config dir'
