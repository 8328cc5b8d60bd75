"""A stack not named overcloud is run on every node.

Queens' playbooks run on `hosts: overcloud`; today's tripleo-common names
the overcloud's group after the stack. Before prepare's inventory always
had an `overcloud` group, a run on a stack `mycloud` matched no host in
any play and reported itself complete. A second, small stack (a
controller and a compute) on the lab, with node trees of its own, through
prepare, the fast-forward phase of the run (every phase's plays name the
same `overcloud` group, and that phase is the shortest: CI time) and
status.
"""

import json
import os
import shutil

from tripleo_ffu_lab import layout
from tripleo_ffu_lab import nodes
from tripleo_ffu_lab import overcloud
from tests.functional.conftest import prepare_args

STACK = 'mycloud'
SMALL = 'parameter_defaults:\n  ControllerCount: 1\n  ComputeCount: 1\n'


def test_a_stack_not_named_overcloud_is_run_on_every_node(lab, tmp_path):
    small = str(tmp_path / 'small.yaml')
    with open(small, 'w') as out:
        out.write(SMALL)
    heat = overcloud.client(lab.env['OS_ENDPOINT'])
    lab_paths = layout.Lab(lab.root)
    overcloud.create(heat, lab_paths, STACK, 'newton', environments=[small])
    found = nodes.nodes_from_outputs(overcloud.outputs(heat, STACK),
                                     lab_paths.nodes_dir)
    try:
        for node in found:
            nodes.deploy(node, 'newton')
        assert sorted(node.hostname for node in found) == [
            'mycloud-controller-0', 'mycloud-novacompute-0']
        config_dir = str(tmp_path / 'config')
        lab.openstack(*prepare_args(lab, config_dir, '--stack', STACK,
                                    '-e', small, '--yes'), timeout=1200)
        result = lab.openstack('overcloud', 'ffwd-upgrade', 'run', '--stack',
                               STACK, '--config-dir', config_dir, '--yes',
                               timeout=1800)
        assert 'All 2 nodes answer.' in result.stdout
        assert ': 0 hosts,' not in result.stdout
        assert 'ffu-pike step 6: 2 hosts, ' in result.stdout
        assert 'Run complete' in result.stdout
        # Every node went through the phase: its repositories are at the
        # target release, and status (of that stack) says so.
        assert {node.hostname: nodes.read_state(node)['repositories']
                for node in found} == {
            node.hostname: 'queens' for node in found}
        status = json.loads(lab.openstack(
            'overcloud', 'ffwd-upgrade', 'status', '--stack', STACK,
            '--config-dir', config_dir, '-f', 'json').stdout)
        assert {name: (node['done'], node['left'])
                for name, node in status['nodes'].items()} == {
            node.hostname: (['ffu'], ['upgrade', 'deploy', 'post-upgrade'])
            for node in found}
    finally:
        overcloud.delete(heat, STACK)
        for node in found:
            shutil.rmtree(node.root, ignore_errors=True)
        assert not any(os.path.exists(node.root) for node in found)
