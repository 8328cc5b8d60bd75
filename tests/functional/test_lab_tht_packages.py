"""`tripleo-ffu-lab up --tht packages`: the overcloud from THT 5.3 itself.

Minutes of Heat on 2 cores (about 3, Heat installed and the stack
created): skipped unless TRIPLEO_FFU_LAB_THT=packages.
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
        from tripleo_ffu.lab import overcloud
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
