"""The lab's queens stack has THT's own RoleConfig.

Runs after converge (conftest.MODULE_ORDER): it needs the stack updated
with the lab's queens templates (converge leaves it so; alone, this
module updates it as prepare would). That THT's playbooks run on the
lab's nodes with the lab's stand-ins, touching nothing outside the lab
dir, test_prepare_equivalence checks with check_node_trees and present().
"""

import dataclasses
import os

import pytest
import yaml

from tripleo_ffu_lab import overcloud
from tripleo_ffu_lab import tht
from tripleo_ffu.workflow import environments
from tripleo_ffu.workflow import passwords

# The nodes they run on: the bootstrap node, another controller, a compute
# (every kind of node, at 3/5 of the time), and the undercloud.
NODES = ('overcloud-controller-0', 'overcloud-controller-1',
         'overcloud-novacompute-0')
# What THT's playbooks create or change on a real node (or on a real
# undercloud): none may appear on this machine.
SYSTEM_PATHS = (
    '/root/.ffu_workaround', '/var/lib/docker-puppet',
    '/var/lib/tripleo-config', '/var/lib/docker-config-scripts',
    '/var/lib/docker-container-startup-configs.json', '/var/lib/kolla',
    '/var/lib/config-data', '/var/lib/container-puppet',
    '/var/lib/heat-config',
    '/var/lib/os-collect-config', '/var/log/containers', '/etc/puppet',
    '/opt/puppetlabs', '/var/lib/lab', '/var/log/lab', '/run/services',
    '/etc/ssh/ssh_known_hosts', '/etc/yum.repos.d/release',
    '/etc/systemd/system/multi-user.target.wants/os-collect-config.service')


def _role_config_is_thts(outputs):
    return 'common_deploy_steps_tasks' in (outputs.get('RoleConfig') or {})


def _update_to_queens(lab, heat):
    """The stack update of prepare: queens templates, outputs only."""
    queens = lab.queens
    env_files = [
        os.path.join(queens, environments.REGISTRY),
        os.path.join(queens, environments.LIFECYCLE,
                     environments.PREPARE_ENV),
        os.path.join(queens, 'environments', 'noop-deploy-steps.yaml'),
        os.path.join(lab.root, 'lab-environment.yaml')]
    template, files, environment = environments.stack_fields(queens,
                                                              env_files)
    stack = overcloud.find(heat, 'overcloud')
    # As prepare: newton's RandomString secrets carried, a PATCH.
    environment.setdefault('parameter_defaults', {}).update(
        passwords.legacy_values(heat, stack))
    heat.stacks.update(stack.id, template=template, files=files,
                       environment=environment, existing=True)
    overcloud.wait(heat, stack.id, 'UPDATE', 900)


@dataclasses.dataclass
class Queens:
    lab: object
    heat: object
    outputs: dict
    environment: dict


@pytest.fixture(scope='module')
def queens(lab):
    heat = overcloud.client(lab.env['OS_ENDPOINT'])
    outputs = overcloud.outputs(heat, 'overcloud')
    if not _role_config_is_thts(outputs):
        _update_to_queens(lab, heat)
        outputs = overcloud.outputs(heat, 'overcloud')
    return Queens(lab, heat, outputs, heat.stacks.environment('overcloud'))


def _resolve(node, params, attrs, files):
    """node with the intrinsic functions of RoleConfig resolved as Heat
    resolves them."""
    if isinstance(node, list):
        return [_resolve(item, params, attrs, files) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {'get_param'}:
        path = node['get_param']
        path = path if isinstance(path, list) else [path]
        value = params[path[0]]
        for key in path[1:]:
            value = value[key]
        return value
    if set(node) == {'get_attr'}:
        assert node['get_attr'][1:] == ['value']
        return attrs[node['get_attr'][0]]
    if set(node) == {'get_file'}:
        return files[node['get_file']]
    if set(node) == {'str_replace'}:
        text = _resolve(node['str_replace']['template'], params, attrs, files)
        mapping = _resolve(node['str_replace']['params'], params, attrs, files)
        for key in sorted(mapping, key=len, reverse=True):
            text = text.replace(key, str(mapping[key]))
        return text
    return {key: _resolve(value, params, attrs, files)
            for key, value in node.items()}


def _expected_role_config(queens):
    """THT's rendered RoleConfig, resolved with the stack's values."""
    tree = tht.fetch()
    rendered = yaml.safe_load(tht.render_post(tree, tht.roles_data(tree)))
    params = {name: spec.get('default')
              for name, spec in rendered['parameters'].items()}
    params.update({name: value for name, value in
                   queens.environment.get('parameter_defaults', {}).items()
                   if name in params})
    hostnames = {}
    for role in tht.ROLES:
        for fqdn, address in zip(
                queens.outputs['RoleNetHostnameMap'][role]['ctlplane'],
                queens.outputs['RoleNetIpMap'][role]['ctlplane']):
            short = fqdn.split('.')[0]
            hostnames[short] = '%s,%s,%s' % (address, fqdn, short)
    params['ssh_known_hosts_hostnames'] = hostnames
    attrs = {'BootstrapServerId':
             queens.outputs['ServerIdData']['bootstrap_server_id'],
             'ExternalDeployTasks': [], 'ExternalPostDeployTasks': []}
    files = {}
    for relative in tht.GET_FILES:
        with open(os.path.join(tree, relative)) as source:
            files[os.path.relpath(relative, 'common')] = source.read()
    return _resolve(rendered['outputs']['RoleConfig']['value'], params,
                    attrs, files)


def test_role_config_is_what_tht_renders(queens):
    assert queens.outputs['RoleConfig'] == _expected_role_config(queens)


def test_role_config_playbooks_are_thts(queens):
    role_config = queens.outputs['RoleConfig']
    plays = yaml.safe_load(role_config['deploy_steps_playbook'])
    assert len(plays) == 24
    assert plays[3]['roles'] == ['tripleo-bootstrap',
                                 'tripleo-ssh-known-hosts']
    play, = role_config['fast_forward_upgrade_playbook']
    assert play['tasks'][0]['set_fact']['releases'] == [
        'ocata', 'pike', 'queens']
    assert 'deploy_steps_tasks' not in role_config


def present():
    return {path for path in SYSTEM_PATHS if os.path.lexists(path)}


def _node(report, hostname):
    return next(node for node in report['nodes']
                if node['hostname'] == hostname)


def check_node_trees(report):
    """After the stack's playbooks: the nodes went through the upgrade in
    their trees, through the stand-ins (test_prepare_equivalence runs
    them on the lab's nodes)."""
    for hostname in NODES:
        node = _node(report, hostname)
        assert node['release'] == 'queens', node
        assert set(node['services'].values()) == {'running'}, node
        root = node['root']
        # THT's own tasks, through the stand-ins.
        assert os.path.exists(os.path.join(root, 'root/.ffu_workaround'))
        assert os.path.isfile(os.path.join(
            root, 'var/lib/docker-puppet/docker-puppet.py'))
        for relative, text in (('var/lib/rpm/os-collect-config', 'queens'),
                               ('run/services/os-collect-config', 'running')):
            with open(os.path.join(root, relative)) as source:
                assert source.read().strip() == text, relative
        with open(os.path.join(root, 'var/log/lab/puppet.log')) as source:
            assert [line.rsplit(' at ', 1)[1] for line in source] == [
                '{"step": %d}\n' % step for step in range(1, 6)]
        assert os.path.exists(os.path.join(root, 'etc/ssh/ssh_known_hosts'))
    assert _node(report, 'overcloud-controller-0')['databases'] == {
        'keystone': 'queens'}
    # Only the bootstrap node ran the bootstrap steps (4-9): backups.
    backups = [os.path.join(_node(report, hostname)['root'],
                            'var/lib/mysql/backups', 'keystone-pike.schema')
               for hostname in NODES[:2]]
    assert [os.path.exists(path) for path in backups] == [True, False]
