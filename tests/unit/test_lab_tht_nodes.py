"""The THT packages lab's nodes: their trees, and what is left to upgrade."""

import json
import os
from unittest import mock

from tripleo_ffu_lab import standins
from tripleo_ffu_lab import tht_nodes

ROLES = [{'name': 'Controller',
          'HostnameFormatDefault': '%stackname%-controller-%index%'},
         {'name': 'Compute',
          'HostnameFormatDefault': '%stackname%-novacompute-%index%'}]
ENABLED = {'Controller': ['tripleo_packages', 'mysql', 'keystone', 'ntp'],
           'Compute': ['tripleo_packages', 'nova_compute', 'ntp']}


def _nodes(tmp_path, controllers=2, computes=1):
    return tht_nodes.build(ROLES, {'controllers': controllers,
                                   'computes': computes}, 'overcloud',
                           ENABLED, str(tmp_path))


def test_nodes_are_named_and_addressed_as_the_stack_has_them(tmp_path):
    found = _nodes(tmp_path)
    assert [(n.role, n.hostname, n.address, n.bootstrap) for n in found] == [
        ('Controller', 'overcloud-controller-0', '127.0.2.1', True),
        ('Controller', 'overcloud-controller-1', '127.0.2.2', False),
        ('Compute', 'overcloud-novacompute-0', '127.0.3.1', False)]
    assert {n.bootstrap_node for n in found} == {'overcloud-controller-0'}
    assert found[0].databases == ['keystone'] and found[1].databases == []


def test_a_newton_node_has_its_services_packages_and_vhosts(tmp_path):
    controller = _nodes(tmp_path)[0]
    tht_nodes.deploy(controller)
    state = tht_nodes.read_state(controller)
    assert state['repositories'] == 'newton'
    assert set(state['packages'].values()) == {'newton'}
    assert {'openstack-keystone', 'mariadb-server', 'rpm-python'} <= set(
        state['packages'])
    assert state['services']['httpd'] == 'running'
    assert os.path.isfile(os.path.join(
        controller.root, 'etc/systemd/system/multi-user.target.wants',
        'mariadb.service'))
    assert os.path.isfile(os.path.join(
        controller.root, 'etc/httpd/conf.d/10-keystone_wsgi_main.conf'))
    assert os.path.isfile(os.path.join(controller.root, 'root/.my.cnf'))
    assert state['databases'] == {'keystone': 'newton'}
    assert tht_nodes.release_of(state) == 'newton'


def _upgrade(node, containers):
    for name in os.listdir(os.path.join(node.root, 'var/lib/rpm')):
        with open(os.path.join(node.root, 'var/lib/rpm', name), 'w') as out:
            out.write('queens\n')
    with open(os.path.join(node.root, 'etc/yum.repos.d/release'), 'w') as out:
        out.write('queens\n')
    for service in tht_nodes.CONTAINERIZED:
        path = os.path.join(node.root, 'run/services', service)
        if os.path.exists(path):
            with open(path, 'w') as out:
                out.write('stopped\n')
    os.makedirs(os.path.join(node.root, 'var/lib/lab/containers'))
    for name in containers:
        open(os.path.join(node.root, 'var/lib/lab/containers', name),
             'w').close()
    for database in node.databases:
        with open(os.path.join(node.root, 'var/lib/mysql',
                               database + '.schema'), 'w') as out:
            out.write('pike\n')


def test_problems_name_what_a_queens_node_would_not_have(tmp_path):
    controller = _nodes(tmp_path)[0]
    tht_nodes.deploy(controller)
    left = tht_nodes.problems(tht_nodes.read_state(controller),
                              ['keystone', 'mysql'])
    assert 'repositories at newton' in left
    assert 'openstack-keystone at newton' in left
    assert 'container keystone not started' in left
    assert 'host service httpd still running' in left
    assert 'database keystone at newton' in left
    # ntpd stays on the host in queens.
    assert not [line for line in left if 'ntpd' in line]
    _upgrade(controller, ['keystone', 'mysql'])
    state = tht_nodes.read_state(controller)
    assert tht_nodes.problems(state, ['keystone', 'mysql']) == []
    assert tht_nodes.release_of(state) == 'queens'


def test_role_containers_are_every_step_of_docker_config():
    role_data = {'Controller': {'docker_config': {
        'step_1': {'mysql_bootstrap': {}}, 'step_3': {'keystone': {},
                                                      'keystone_cron': {}},
        'step_4': None}}}
    assert tht_nodes.role_containers(role_data, 'Controller') == [
        'keystone', 'keystone_cron', 'mysql_bootstrap']
    assert tht_nodes.role_containers(role_data, 'Compute') == []


def test_the_stand_ins_find_a_node_by_its_address(tmp_path, monkeypatch):
    found = _nodes(tmp_path)
    path = str(tmp_path / 'addresses.json')
    tht_nodes.write_addresses(found, path)
    with open(path) as source:
        assert json.load(source)['127.0.2.2'] == found[1].root
    action = mock.Mock()
    action._task.delegate_to = None
    action._templar.template.side_effect = lambda value: value
    monkeypatch.delenv(standins.NODES_ENV, raising=False)
    assert standins.node_root(action, {'ansible_host': '127.0.2.2'}) is None
    monkeypatch.setenv(standins.NODES_ENV, path)
    assert standins.node_root(action, {'ansible_host': '127.0.2.2'}) == (
        found[1].root)
    # The undercloud (or any host the map does not name) is not a node.
    assert standins.node_root(action, {'ansible_host': 'localhost'}) is None
    # A node of the lab's own templates says where its tree is.
    assert standins.node_root(action, {'ansible_host': '127.0.2.2',
                                       'lab_node_root': '/x/y/'}) == '/x/y'


def test_the_packages_lab_stackrc_settings():
    settings = standins.node_settings('/lab/node-addresses.json', 2222)
    assert settings['ANSIBLE_REMOTE_PORT'] == 2222
    assert settings['ANSIBLE_BECOME_EXE'] == standins.LAB_BECOME
    assert settings[standins.NODES_ENV] == '/lab/node-addresses.json'


def test_a_node_runs_config_downloads_deployments_with_the_lab_hook(
        tmp_path):
    import subprocess
    controller = _nodes(tmp_path)[0]
    tht_nodes.deploy(controller)
    config = '/var/lib/heat-config/tripleo-config-download/Net-1'
    os.makedirs(os.path.dirname(controller.root + config))
    with open(controller.root + config, 'w') as out:
        json.dump([{'id': 'abc-1', 'name': 'NetworkDeployment',
                    'group': 'script', 'config': 'ip link del eth0'}], out)
    # As deployments.yaml runs it, through the shell stand-in.
    command = standins.rewrite_command(
        '/usr/libexec/os-refresh-config/configure.d/55-heat-config\n'
        'exit $(jq .deploy_status_code '
        '/var/lib/heat-config/deployed/abc-1.notify.json)\n',
        controller.root)
    env = dict(os.environ, HEAT_SHELL_CONFIG=config,
               **standins.environment(controller.root))
    done = subprocess.run(['/bin/sh', '-c', command], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with open(os.path.join(controller.root, 'var/log/lab/heat-config.log')) \
            as log:
        assert 'NetworkDeployment abc-1 (group script)' in log.read()
    # A failed deployment's status code is the shell's exit code.
    with open(os.path.join(controller.root, 'var/lib/heat-config/deployed',
                           'abc-1.notify.json'), 'w') as out:
        json.dump({'deploy_status_code': 6}, out)
    command = standins.rewrite_command(
        'exit $(jq .deploy_status_code '
        '/var/lib/heat-config/deployed/abc-1.notify.json)', controller.root)
    assert subprocess.run(['/bin/sh', '-c', command], env=env).returncode == 6


# Newton's EnabledServices of THT 5.3's default HA overcloud (Controller
# and Compute, with puppet-pacemaker.yaml), as its stack gives them.
HA_ENABLED = {
    'Controller': [
        'ca_certs', 'cinder_api', 'cinder_scheduler', 'cinder_volume',
        'kernel', 'keystone', 'glance_api', 'glance_registry', 'heat_api',
        'heat_api_cfn', 'heat_api_cloudwatch', 'heat_engine', 'mysql',
        'neutron_dhcp', 'neutron_l3', 'neutron_metadata', 'neutron_api',
        'neutron_plugin_ml2', 'neutron_ovs_agent', 'rabbitmq', 'haproxy',
        'keepalived', 'memcached', 'pacemaker', 'redis', 'nova_conductor',
        'mongodb', 'nova_api', 'nova_metadata', 'nova_scheduler',
        'nova_consoleauth', 'nova_vnc_proxy', 'ntp', 'swift_proxy',
        'swift_storage', 'swift_ringbuilder', 'snmp', 'sshd', 'timezone',
        'ceilometer_api', 'ceilometer_collector', 'ceilometer_expirer',
        'ceilometer_agent_central', 'ceilometer_agent_notification',
        'horizon', 'gnocchi_api', 'gnocchi_metricd', 'gnocchi_statsd',
        'aodh_api', 'aodh_evaluator', 'aodh_notifier', 'aodh_listener',
        'tripleo_packages', 'tripleo_firewall', 'vip_hosts'],
    'Compute': [
        'ca_certs', 'timezone', 'ntp', 'snmp', 'sshd', 'nova_compute',
        'nova_libvirt', 'kernel', 'neutron_plugin_ml2', 'neutron_ovs_agent',
        'ceilometer_agent_compute', 'tripleo_packages', 'tripleo_firewall',
        'vip_hosts']}


def test_every_newton_ha_service_has_its_node_model():
    assert len(HA_ENABLED['Controller']) == 55
    assert len(HA_ENABLED['Compute']) == 14
    for services in HA_ENABLED.values():
        assert not set(services) - set(tht_nodes.SERVICES)


def test_pacemaker_runs_its_units_and_keepalived_is_off(tmp_path):
    controller, compute = tht_nodes.build(
        ROLES, {'controllers': 1, 'computes': 1}, 'overcloud', HA_ENABLED,
        str(tmp_path))
    tht_nodes.deploy(controller)
    tht_nodes.deploy(compute)
    wants = os.path.join(controller.root, tht_nodes.WANTS)
    services = tht_nodes.read_state(controller)['services']
    for unit in ('mariadb', 'rabbitmq-server', 'redis', 'haproxy',
                 'openstack-cinder-volume'):
        assert services[unit] == 'running'
        assert not os.path.exists(os.path.join(wants, unit + '.service'))
    assert services['keepalived'] == 'stopped'
    assert not os.path.exists(os.path.join(wants, 'keepalived.service'))
    for unit in ('pcsd', 'openstack-nova-api', 'openstack-gnocchi-metricd',
                 'httpd', 'openstack-swift-object'):
        assert services[unit] == 'running'
        assert os.path.isfile(os.path.join(wants, unit + '.service'))
    assert {'aodh', 'cinder', 'glance', 'gnocchi', 'heat', 'keystone',
            'nova', 'nova_api', 'ovs_neutron'} == set(controller.databases)
    assert os.path.isfile(os.path.join(
        controller.root, 'usr/lib/systemd/system/mongod.service'))
    assert os.path.isfile(os.path.join(
        controller.root, 'etc/httpd/conf.d/10-gnocchi_wsgi.conf'))
    assert not os.path.exists(os.path.join(
        controller.root, 'var/lib/config-data'))
    # A compute has no cluster: its units are enabled.
    assert os.path.isfile(os.path.join(compute.root, tht_nodes.WANTS,
                                       'libvirtd.service'))
    assert tht_nodes.read_state(compute)['services']['libvirtd'] == 'running'
