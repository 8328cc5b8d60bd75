"""The lab's action plugins for the modules of THT 8.4's keystone-only
upgrade (replace, blockinfile, ini_file, mysql_db, mysql_user, mount, git),
run by the real ansible-playbook 2.9 on lab nodes and on a host that is
not one."""

import os
import sys
from unittest import mock

import pytest

from tests.unit.test_lab_standins import _run_playbook
from tests.unit.test_lab_standins import _tree
from tripleo_ffu_lab import standin_actions
from tripleo_ffu_lab import standins

# What the tasks below would change on a real node: none may change on
# this machine when they run on a lab node.
SYSTEM_PATHS = ('/root/.my.cnf', '/etc/nova/nova.conf', '/etc/fstab',
                '/var/lib/nova/instances', '/var/lib/mysql/users',
                '/home/stack/tripleo-repos', '/etc/my.cnf.d/lab.cnf')

PLAYBOOK = [{
    'hosts': 'overcloud',
    'gather_facts': False,
    'tasks': [
        # THT's mysql fast-forward tasks, as docker/services/database/
        # mysql.yaml has them.
        {'name': 'Remove whitespaces in .my.cnf',
         'replace': {'path': '/root/.my.cnf', 'regexp': '^ +',
                     'replace': ''}},
        {'name': 'Create cell0 db',
         'mysql_db': {'name': 'nova_cell0', 'state': 'present',
                      'login_unix_socket': '/var/lib/mysql/mysql.sock'}},
        {'name': 'Grant access to cell0 db',
         'mysql_user': {'name': 'nova', 'host_all': True,
                        'state': 'present', 'priv': '*.*:ALL',
                        'password': 'not-recorded',
                        'login_unix_socket': '/var/lib/mysql/mysql.sock'}},
        {'mysql_db': {'name': 'dropped', 'state': 'absent'}},
        {'ini_file': 'dest=/etc/nova/nova.conf section=upgrade_levels '
                     'option=compute value=auto'},
        {'blockinfile': {'path': '/etc/my.cnf.d/lab.cnf', 'create': True,
                         'block': '[mysqld]\nbind-address=x'}},
        {'mount': 'name=/var/lib/nova/instances src="nfs:/share" '
                  'fstype=nfs4 opts="_netdev,bg" state=mounted'},
        {'name': 'clone tripleo-repos',
         'git': {'repo': 'https://github.com/openstack/tripleo-repos.git',
                 'dest': '/home/stack/tripleo-repos/'},
         'register': 'cloned', 'ignore_errors': True},
        {'copy': {'content': '{{ cloned.failed }} {{ cloned.msg }}',
                  'dest': '/root/git-result'}},
    ],
}, {
    'hosts': 'undercloud',
    'gather_facts': False,
    'tasks': [
        {'replace': {'path': '{{ work }}/my.cnf', 'regexp': '^ +',
                     'replace': ''}},
        {'ini_file': {'dest': '{{ work }}/nova.conf',
                      'section': 'upgrade_levels', 'option': 'compute',
                      'value': 'auto'}},
        {'blockinfile': {'path': '{{ work }}/block', 'create': True,
                         'block': 'real'}},
    ],
}]


def _system_state(paths=SYSTEM_PATHS):
    """What paths of this machine hold (a file's content, or whether
    the path exists)."""
    state = {}
    for path in paths:
        if os.path.isfile(path):
            with open(path, 'rb') as source:
                state[path] = source.read()
        else:
            state[path] = os.path.lexists(path)
    return state


def test_thts_upgrade_modules_stay_in_the_node_trees(tmp_path):
    before = _system_state()
    root = _tree(tmp_path / 'nodes', 'overcloud-controller-0')
    (root / 'root/.my.cnf').write_text('[client]\n  user=root\n')
    (root / 'var/lib/mysql').mkdir(parents=True)
    (root / 'var/lib/mysql/dropped.schema').write_text('pike\n')
    (root / 'etc/fstab').write_text('/dev/vda1 / xfs defaults 0 0\n')
    work = tmp_path / 'undercloud'
    work.mkdir()
    (work / 'my.cnf').write_text('  user=root\n')
    inventory = {'all': {'children': {
        'overcloud': {'hosts': {'overcloud-controller-0': {
            'lab_node_root': str(root)}}},
        'undercloud': {'hosts': {'localhost': {'work': str(work)}}},
    }, 'vars': {'ansible_connection': 'local',
                'ansible_python_interpreter': sys.executable}}}
    result = _run_playbook(tmp_path, inventory, PLAYBOOK, '-v')
    assert _system_state() == before
    assert 'not-recorded' not in result.stdout + result.stderr
    assert (root / 'root/.my.cnf').read_text() == '[client]\nuser=root\n'
    assert (root / 'var/lib/mysql/nova_cell0.schema').read_text() == \
        'created\n'
    assert not (root / 'var/lib/mysql/dropped.schema').exists()
    assert (root / 'var/lib/mysql/users/nova').read_text() == '*.*:ALL\n'
    assert 'not-recorded' not in (root / 'var/log/lab/mysql.log'
                                  ).read_text()
    assert 'compute = auto' in (root / 'etc/nova/nova.conf').read_text()
    assert 'bind-address=x' in (root / 'etc/my.cnf.d/lab.cnf').read_text()
    assert (root / 'etc/fstab').read_text().splitlines()[1] == \
        'nfs:/share /var/lib/nova/instances nfs4 _netdev,bg 0 0'
    assert (root / 'var/lib/lab/mounts/var-lib-nova-instances').exists()
    assert not os.path.ismount(str(root / 'var/lib/nova/instances'))
    failed, msg = (root / 'root/git-result').read_text().split(' ', 1)
    assert failed == 'True'
    assert msg.startswith('the lab has no network')
    assert 'FastForwardRepoType custom-script' in msg
    assert not (root / 'home/stack/tripleo-repos').exists()
    # On the undercloud, Ansible's own.
    assert (work / 'my.cnf').read_text() == 'user=root\n'
    assert 'compute = auto' in (work / 'nova.conf').read_text()
    assert 'real' in (work / 'block').read_text()


def _action(cls, args):
    task = mock.Mock(args=dict(args), delegate_to=None, async_val=0,
                     environment=None, check_mode=False)
    play_context = mock.Mock(check_mode=False)
    templar = mock.Mock()
    templar.template.side_effect = lambda value: value
    return cls(task, mock.Mock(), play_context, mock.Mock(), templar,
               mock.Mock())


@pytest.mark.parametrize('cls,args', [
    (standin_actions.MysqlDb, {'name': 'nova_cell0', 'state': 'present'}),
    (standin_actions.MysqlUser, {'name': 'nova', 'priv': '*.*:ALL'}),
    (standin_actions.Mount, {'path': '/mnt', 'src': 'nfs:/x',
                             'fstype': 'nfs4', 'state': 'mounted'}),
    (standin_actions.Git, {'repo': 'https://example.invalid/x.git',
                           'dest': '/home/stack/x'}),
])
def test_on_any_other_host_the_module_is_ansibles_own(cls, args):
    """Without lab_node_root (the undercloud, a real node), Ansible's own
    action runs the real module: nothing of the lab's."""
    action = _action(cls, args)
    with mock.patch.object(standin_actions.Normal, 'run',
                           return_value={'real': True}) as real, \
            mock.patch.object(standin_actions._LabNode, 'lab_node') as lab:
        assert action.run(task_vars={'inventory_hostname': 'x'}) == \
            {'real': True}
    real.assert_called_once()
    lab.assert_not_called()


@pytest.mark.parametrize('args,expected', [
    ({'path': '/mnt', 'state': 'mounted'}, 'missing: src, fstype'),
    ({'path': '/mnt'}, 'missing required arguments: path, state'),
])
def test_mount_on_a_lab_node_checks_its_arguments(args, expected):
    action = _action(standin_actions.Mount, args)
    with mock.patch.object(standin_actions._LabNode, 'lab_node') as lab, \
            mock.patch.object(standin_actions.ActionBase, 'run',
                              return_value={}):
        result = action.run(task_vars={'lab_node_root': '/srv/n'})
    assert result['failed'] is True
    assert expected in result['msg']
    lab.assert_not_called()


def test_mount_on_a_lab_node_passes_the_trees_fstab():
    action = _action(standin_actions.Mount, {
        'name': '/var/lib/nova/instances', 'src': 'nfs:/x',
        'fstype': 'nfs4', 'state': 'present'})
    with mock.patch.object(standin_actions._LabNode, 'lab_node',
                           return_value={'changed': True}) as lab, \
            mock.patch.object(standin_actions.ActionBase, 'run',
                              return_value={}):
        assert action.run(task_vars={'lab_node_root': '/srv/n'}) == \
            {'changed': True}
    assert lab.call_args[0][1:] == (
        'mount', 'present', '/var/lib/nova/instances', 'nfs:/x', 'nfs4',
        'defaults', '/srv/n/etc/fstab')


def test_mysql_user_never_passes_the_password():
    action = _action(standin_actions.MysqlUser, {
        'user': 'nova', 'password': 'secret', 'state': 'present',
        'priv': {'nova.*': 'ALL', 'nova_cell0.*': 'ALL,GRANT'}})
    with mock.patch.object(standin_actions._LabNode, 'lab_node',
                           return_value={'changed': True}) as lab, \
            mock.patch.object(standin_actions.ActionBase, 'run',
                              return_value={}):
        action.run(task_vars={'lab_node_root': '/srv/n'})
    assert lab.call_args[0][1:] == (
        'mysql', 'user', 'nova', 'present',
        'nova.*:ALL/nova_cell0.*:ALL,GRANT')
    assert 'secret' not in repr(lab.call_args)


@pytest.mark.parametrize('cls,keys', [
    (standin_actions.Replace, ('path', 'dest', 'destfile', 'name')),
    (standin_actions.BlockInFile, ('path', 'dest', 'destfile', 'name')),
    (standin_actions.IniFile, ('path', 'dest')),
])
def test_file_editing_modules_move_their_paths_into_the_tree(cls, keys):
    for key in keys:
        action = _action(cls, {key: '/etc/nova/nova.conf'})
        with mock.patch.object(standin_actions.Normal, 'run',
                               return_value={}):
            action.run(task_vars={'lab_node_root': '/srv/n'})
        assert action._task.args[key] == '/srv/n/etc/nova/nova.conf'
        action = _action(cls, {key: '/etc/nova/nova.conf'})
        with mock.patch.object(standin_actions.Normal, 'run',
                               return_value={}):
            action.run(task_vars={})
        assert action._task.args[key] == '/etc/nova/nova.conf'


def test_the_action_plugins_name_the_lab_classes():
    for module, cls in (('replace', 'Replace'),
                        ('blockinfile', 'BlockInFile'),
                        ('ini_file', 'IniFile'), ('mysql_db', 'MysqlDb'),
                        ('mysql_user', 'MysqlUser'), ('mount', 'Mount'),
                        ('git', 'Git')):
        path = os.path.join(standins.ACTION_PLUGINS, module + '.py')
        with open(path) as source:
            assert 'ActionModule = standin_actions.%s\n' % cls in \
                source.read()
