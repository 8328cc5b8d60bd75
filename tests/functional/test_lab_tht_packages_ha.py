"""`tripleo-ffu-lab up --tht packages-ha`: THT 5.3's default HA overcloud
(every default Controller and Compute service, puppet-pacemaker.yaml) on 3
controllers and 2 computes, and its whole FFU with THT 8.4 under
docker.yaml and docker-ha.yaml, as the operator's procedure runs it:
prepare, the fast-forward phase, the controllers, each compute, converge;
then nothing left on any node, in the cluster or in the db syncs.

About an hour of Heat and Ansible on 2 cores: skipped unless
TRIPLEO_FFU_LAB_THT=packages-ha (not in CI).
"""

import os

import pytest

from tests.functional import conftest
from tests.functional import test_lab_tht_packages

pytestmark = pytest.mark.skipif(
    os.environ.get('TRIPLEO_FFU_LAB_THT') != 'packages-ha',
    reason='THT packages HA lab: set TRIPLEO_FFU_LAB_THT=packages-ha')

# Newton's pacemaker-managed services, and what the conversion adds.
PACEMAKER = ('pacemaker', 'mysql', 'rabbitmq', 'redis', 'haproxy',
             'cinder_volume')


def test_the_ffu_of_the_ha_overcloud(tmp_path):
    root = str(tmp_path / 'lab')
    lab = conftest.start_lab(root, '--tht', 'packages-ha')
    config_dir = str(tmp_path / 'config')
    try:
        report = lab.status()
        assert report['tht'] == 'packages-ha'
        assert report['stack']['status'] == 'CREATE_COMPLETE'
        assert [node['role'] for node in report['nodes']] == [
            'Controller'] * 3 + ['Compute'] * 2
        from tripleo_ffu_lab import overcloud
        heat = overcloud.client(lab.env['OS_ENDPOINT'])
        enabled = overcloud.outputs(heat, 'overcloud')['EnabledServices']
        # THT 5.3's defaults less what its registry maps to OS::Heat::None.
        assert len(enabled['Controller']) == 55
        assert len(enabled['Compute']) == 14
        assert set(PACEMAKER) <= set(enabled['Controller'])
        # The controllers share the newton cluster from the start.
        from tripleo_ffu_lab import cluster
        cib = os.path.realpath(os.path.join(root, 'pacemaker', 'cib.json'))
        assert [cluster.cib_path(node['root']) for node in report['nodes']
                ] == [cib] * 3 + [None] * 2
        upgrade = report['upgrade_arguments'] + [
            '--config-dir', config_dir, '--yes']
        assert [path.rsplit('/', 2)[-2:] for path in upgrade[5:11:2]] == [
            ['environments', 'puppet-pacemaker.yaml'],
            ['environments', 'docker.yaml'],
            ['environments', 'docker-ha.yaml']]
        lab.openstack('overcloud', 'ffwd-upgrade', 'prepare', *upgrade,
                      '--overcloud-ssh-user', report['ssh_user'],
                      '--overcloud-ssh-key', report['ssh_key'],
                      timeout=3600)
        role_data = overcloud.outputs(heat, 'overcloud')['RoleData']
        controller = role_data['Controller']['service_names']
        assert set(PACEMAKER + ('clustercheck', 'iscsid', 'nova_placement',
                                'panko_api', 'docker')) <= set(controller)
        assert 'keepalived' not in controller
        assert 'nova_migration_target' in (
            role_data['Compute']['service_names'])
        assert role_data['Controller']['fast_forward_upgrade_tasks']
        run = ('overcloud', 'ffwd-upgrade', 'run', '--config-dir',
               config_dir)
        lab.openstack(*run, '--yes', timeout=3600)
        lab.openstack(*run, '--roles', 'Controller', timeout=3600)
        for node in ('overcloud-novacompute-0', 'overcloud-novacompute-1'):
            lab.openstack(*run, '--nodes', node, timeout=3600)
        report = lab.status()
        for node in report['nodes']:
            assert (node['release'], node['upgrade_left']) == (
                'queens', []), node['hostname']
        assert report['overcloud_left'] == []
        controller = report['nodes'][0]
        assert {'galera-bundle-docker-0', 'rabbitmq-bundle-docker-0',
                'redis-bundle-docker-0', 'haproxy-bundle-docker-0',
                'openstack-cinder-volume-docker-0'} <= set(
            controller['containers'])
        assert controller['services']['mariadb'] == 'stopped'
        lab.openstack('overcloud', 'ffwd-upgrade', 'converge', *upgrade,
                      timeout=3600)
        assert lab.ffu_status(config_dir)['state'] == 'converged'
        assert lab.status()['stack']['status'] == 'UPDATE_COMPLETE'
        test_lab_tht_packages.secrets_are_newtons(lab, config_dir)
    finally:
        lab.cli('down', check=False)
    assert not conftest.lab_processes(root)
