"""Config download of a queens stack's outputs, through tripleo-common's
Config: no RoleGroupVars output, queens' deployment group vars, null
tasks."""

import os
import types

import yaml

from tripleo_ffu.workflow import config_download
from tests.unit import fakes


class _Heat(fakes.Heat):
    """The calls tripleo-common's Config makes, for a stack with no
    software deployment."""

    def __init__(self, stack_outputs):
        super().__init__(stack_outputs)
        self.resources = types.SimpleNamespace(
            list=lambda *args, **kwargs: [])


def _queens_outputs():
    outputs = fakes.outputs()
    outputs['RoleData']['Controller']['deploy_steps_tasks'] = [
        None, {'name': 'at 1', 'debug': {}, 'when': 'step|int == 1'}]
    outputs['RoleConfig'] = {'upgrade_steps_playbook': '- hosts: overcloud\n'}
    return outputs


def _read(config_dir, *parts):
    with open(os.path.join(config_dir, *parts)) as source:
        return yaml.safe_load(source)


def test_a_queens_stack_downloads(tmp_path):
    config_dir = str(tmp_path / 'config')
    commit = config_download.download(_Heat(_queens_outputs()), 'overcloud',
                                      config_dir)
    assert commit
    assert _read(config_dir, 'Controller', 'deploy_steps_tasks.yaml') == [
        {'name': 'at 1', 'debug': {}, 'when': 'step|int == 1'}]
    assert _read(config_dir, 'Controller', 'deploy_steps_tasks_step1.yaml')
    # What queens' deploy playbook reads (`lookup('vars', tripleo_role_name
    # + '_pre_deployments')`), beside today's per-host names.
    assert _read(config_dir, 'group_vars', 'Controller') == {
        'Controller_pre_deployments': [],
        'Controller_post_deployments': []}
    host = _read(config_dir, 'host_vars', 'overcloud-controller-0')
    assert host['pre_deployments_Controller'] == []
    assert oct(os.stat(os.path.join(config_dir, 'group_vars',
                                    'Controller')).st_mode & 0o777) == \
        '0o600'


def test_deployments_of_each_host_become_the_roles(tmp_path):
    config_dir = str(tmp_path)
    os.makedirs(os.path.join(config_dir, 'group_vars'))
    os.makedirs(os.path.join(config_dir, 'host_vars'))
    for host, pre in (('c0', ['A', 'B']), ('c1', ['B', 'C'])):
        with open(os.path.join(config_dir, 'host_vars', host), 'w') as out:
            yaml.safe_dump({'pre_deployments_Controller': pre,
                            'post_deployments_Controller': ['P']}, out)
    with open(os.path.join(config_dir, 'group_vars', 'Controller'),
              'w') as out:
        yaml.safe_dump({}, out)
    config_download._queens_deployment_vars(config_dir)
    assert _read(config_dir, 'group_vars', 'Controller') == {
        'Controller_pre_deployments': ['A', 'B', 'C'],
        'Controller_post_deployments': ['P']}


def test_a_stack_with_group_vars_keeps_them(tmp_path):
    outputs = _queens_outputs()
    outputs['RoleGroupVars'] = {'Controller': {'x': 1}, 'Compute': {}}
    config_dir = str(tmp_path / 'config')
    config_download.download(_Heat(outputs), 'overcloud', config_dir)
    assert _read(config_dir, 'group_vars', 'Controller') == {
        'x': 1, 'Controller_pre_deployments': [],
        'Controller_post_deployments': []}


def test_a_config_dir_with_a_dot_in_its_path_gets_the_yaml_names(tmp_path):
    """tripleo-common adds .yaml only to a path without any dot."""
    config_dir = str(tmp_path / 'jane.doe' / 'config')
    config_download.download(_Heat(_queens_outputs()), 'overcloud',
                             config_dir)
    assert _read(config_dir, 'upgrade_steps_playbook.yaml') == [
        {'hosts': 'overcloud'}]
    assert not os.path.exists(os.path.join(config_dir,
                                           'upgrade_steps_playbook'))
    assert _read(config_dir, 'Controller', 'deploy_steps_tasks.yaml')
