"""`tripleo-ffu-lab up --tht packages`: the overcloud from THT 5.3 itself,
and the whole FFU of it with THT 8.4's own tasks.

Minutes of Heat and Ansible on 2 cores (about 3 for the stack, 15 for the
FFU): skipped unless TRIPLEO_FFU_LAB_THT=packages.
"""

import os

import pytest

from tests.functional import conftest

pytestmark = pytest.mark.skipif(
    os.environ.get('TRIPLEO_FFU_LAB_THT') != 'packages',
    reason='THT packages lab: set TRIPLEO_FFU_LAB_THT=packages')


def test_up_deploys_the_overcloud_from_tht_newton(tmp_path):
    root = str(tmp_path / 'lab')
    lab = conftest.start_lab(root, '--tht', 'packages')
    try:
        report = lab.status()
        assert report['tht'] == 'packages'
        assert report['stack']['status'] == 'CREATE_COMPLETE'
        assert report['processes'][-1]['name'] == 'heat-agent'
        assert report['processes'][-1]['pid']
        # THT's stack: its nested stacks and newton's outputs (no
        # RoleData before prepare), with the lab's address.
        from tripleo_ffu_lab import overcloud
        heat = overcloud.client(lab.env['OS_ENDPOINT'])
        resources = list(heat.resources.list('overcloud', nested_depth=20))
        assert len(resources) > 250
        outputs = overcloud.outputs(heat, 'overcloud')
        assert 'RoleData' not in outputs
        assert sorted(outputs['EnabledServices']) == ['Compute',
                                                      'Controller']
        assert 'keystone' in outputs['EnabledServices']['Controller']
        assert outputs['KeystoneURL'].startswith('http://127.0.0.1:')
        with open(os.path.join(root, 'logs', 'heat-agent.log')) as log:
            assert 'deployment(s)' in log.read()
        # What prepare takes: THT queens as packaged, the lab's roles.
        argv = report['upgrade_arguments']
        queens = report['templates']['queens']
        assert argv[:2] == ['--templates', queens]
        assert os.path.isfile(os.path.join(queens, 'overcloud.j2.yaml'))
        assert all(os.path.isfile(path) for path in argv[3::2])
        # The stack came from THT: the lab's templates do not replace it.
        refused = lab.cli('up', '--tht', 'lab', check=False)
        assert refused.returncode == 1
        assert 'was deployed from the packages templates' in refused.stderr
    finally:
        lab.cli('down', check=False)
    assert not conftest.lab_processes(root)


def test_the_ffu_of_the_overcloud_from_tht(tmp_path):
    """prepare, run and converge with THT 8.4 as packaged: its real
    tasks take every node to queens through the lab's stand-ins."""
    root = str(tmp_path / 'lab')
    lab = conftest.start_lab(root, '--tht', 'packages',
                             '--controllers', '1', '--computes', '1')
    config_dir = str(tmp_path / 'config')
    try:
        report = lab.status()
        assert [node['release'] for node in report['nodes']] == [
            'newton', 'newton']
        assert [node['address'] for node in report['nodes']] == [
            '127.0.2.1', '127.0.3.1']
        upgrade = report['upgrade_arguments'] + [
            '--config-dir', config_dir, '--yes']
        prepared = lab.openstack(
            'overcloud', 'ffwd-upgrade', 'prepare', *upgrade,
            '--overcloud-ssh-user', report['ssh_user'],
            '--overcloud-ssh-key', report['ssh_key'], timeout=1800)
        # THT's own SshHostPubKeyDeployment gave each node's key (the
        # lab's agent answers it as a node's agent would): run checks them.
        assert "Host keys: checked on 2 of 2 nodes against the stack's " \
            "keys" in prepared.stdout
        # The operator's procedure: the fast-forward phase on every node
        # (upstream's `ffwd-upgrade run`), then queens role by role.
        run = ('overcloud', 'ffwd-upgrade', 'run', '--config-dir',
               config_dir)
        lab.openstack(*run, '--yes', timeout=3600)
        assert lab.ffu_status(config_dir)['state'] == 'partly run'
        lab.openstack(*run, '--roles', 'Controller', timeout=3600)
        lab.openstack(*run, '--roles', 'Compute', timeout=3600)
        nodes = {node['hostname']: node for node in lab.status()['nodes']}
        for node in nodes.values():
            assert node['release'] == 'queens', node
            assert node['upgrade_left'] == [], node
        controller = nodes['overcloud-controller-0']
        # THT's tasks did it: the repositories by the operator's script,
        # keystone's schema by its FFU db_sync, its container by paunch.
        assert controller['databases'] == {'keystone': 'pike'}
        assert 'keystone' in controller['containers']
        assert controller['services']['httpd'] == 'stopped'
        assert controller['services']['ntpd'] == 'running'
        lab.openstack('overcloud', 'ffwd-upgrade', 'converge', *upgrade,
                      timeout=1800)
        assert lab.ffu_status(config_dir)['state'] == 'converged'
        assert lab.status()['stack']['status'] == 'UPDATE_COMPLETE'
        secrets_are_newtons(lab, config_dir)
    finally:
        lab.cli('down', check=False)
    assert not conftest.lab_processes(root)


def secrets_are_newtons(lab, config_dir):
    """With no passwords file given: the converged stack's hieradata holds
    newton's values (the deploy's passwords, and the five RandomString
    secrets prepare carried), and the passwords queens added."""
    import yaml
    from tripleo_ffu_lab import overcloud
    heat = overcloud.client(lab.env['OS_ENDPOINT'])
    hiera = overcloud.outputs(heat, 'overcloud')['RoleData']['Controller'][
        'merged_config_settings']
    environments = os.path.join(config_dir, 'ffu-environments')
    with open(os.path.join(environments,
                           'ffwd-upgrade-legacy-passwords.yaml')) as source:
        carried = yaml.safe_load(source)['parameter_defaults']
    with open(os.path.join(lab.root, 'passwords.yaml')) as source:
        newton = yaml.safe_load(source)['parameter_defaults']
    assert sorted(carried) == ['HeatAuthEncryptionKey', 'HorizonSecret',
                               'MysqlRootPassword', 'PcsdPassword',
                               'RabbitCookie']
    assert all(carried.values())
    assert hiera['mysql::server::root_password'] == \
        carried['MysqlRootPassword']
    assert hiera['rabbitmq::erlang_cookie'] == carried['RabbitCookie']
    assert hiera['keystone::admin_password'] == newton['AdminPassword']
    assert hiera['keystone::fernet_keys']
