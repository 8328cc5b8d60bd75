"""The Ansible action plugins of the lab's stand-ins (see standins.py).

Each plugin file in ansible/action_plugins/ names one of these classes
ActionModule; Ansible loads it in place of its own action for the module
of that name. On a host that is not a lab node each is Ansible's own.
"""

import importlib.util
import json
import os

import ansible.plugins.action
from ansible.plugins.action import ActionBase
from ansible.plugins.action.normal import ActionModule as Normal
from ansible.module_utils.parsing.convert_bool import boolean

from tripleo_ffu_lab import standins


def _builtin(name):
    """Ansible's own action plugin `name`, imported under a name of ours.

    Ansible's plugin loader keeps a plugin found in a plugin path as the
    module ansible.plugins.action.<name>, and takes that module if it is
    already imported: imported under its own name, Ansible's action would
    shadow the lab's, not the other way round.
    """
    path = os.path.join(os.path.dirname(ansible.plugins.action.__file__),
                        name + '.py')
    spec = importlib.util.spec_from_file_location(
        'tripleo_ffu_lab._ansible_action_' + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ActionModule


_COMMAND = _builtin('command')
_COPY = _builtin('copy')
_GATHER_FACTS = _builtin('gather_facts')
_PACKAGE = _builtin('package')
_SERVICE = _builtin('service')
_SYNCHRONIZE = _builtin('synchronize')
_TEMPLATE = _builtin('template')
_YUM = _builtin('yum')


def _in_tree(base, keys):
    """base's action, its paths under keys in the node's tree."""
    class InTree(base):
        def run(self, tmp=None, task_vars=None):
            root = standins.node_root(self, task_vars)
            if root:
                self._task.args = standins.rewrite_paths(
                    self._task.args, keys, root)
            return super().run(tmp, task_vars)
    InTree.__name__ = 'InTree' + base.__name__
    return InTree


File = _in_tree(Normal, ('path', 'dest', 'name', 'src'))
Stat = _in_tree(Normal, ('path',))
Slurp = _in_tree(Normal, ('src', 'path'))
LineInFile = _in_tree(Normal, ('path', 'dest', 'name'))
Find = _in_tree(Normal, ('paths',))
Replace = _in_tree(Normal, ('path', 'dest', 'destfile', 'name'))
BlockInFile = _in_tree(Normal, ('path', 'dest', 'destfile', 'name'))
IniFile = _in_tree(Normal, ('path', 'dest'))
Template = _in_tree(_TEMPLATE, ('dest',))


class Copy(_in_tree(_COPY, ('dest',))):
    """copy: dest in the tree; src too when it is on the node."""

    def run(self, tmp=None, task_vars=None):
        root = standins.node_root(self, task_vars)
        if root and boolean(self._task.args.get('remote_src', False),
                            strict=False):
            self._task.args = standins.rewrite_paths(self._task.args,
                                                     ('src',), root)
        return super().run(tmp, task_vars)


class Command(_COMMAND):
    """command and shell (Ansible's shell action runs this one): the
    command's absolute paths in the tree, the lab's commands on PATH."""

    def run(self, tmp=None, task_vars=None):
        root = standins.node_root(self, task_vars)
        if root:
            args = dict(self._task.args)
            for key in ('_raw_params', 'cmd'):
                if isinstance(args.get(key), str):
                    args[key] = standins.rewrite_command(args[key], root)
            if isinstance(args.get('argv'), list):
                args['argv'] = [standins.rewrite_command(str(item), root)
                                for item in args['argv']]
            self._task.args = standins.rewrite_paths(
                args, ('chdir', 'creates', 'removes'), root)
            standins.with_environment(self._task, root)
        return super().run(tmp, task_vars)


class _LabNode:
    """An action that runs the lab's lab-node command on the node."""

    def lab_node(self, task_vars, *args, program=standins.LAB_NODE,
                 wrap_async=False):
        """Run `lab-node ARGS` (or program) on the node: its JSON result,
        which may say failed; with wrap_async, the started async job."""
        standins.with_environment(self._task,
                                  standins.node_root(self, task_vars))
        result = self._execute_module(
            module_name='command',
            module_args={'argv': [program] + list(args), 'warn': False},
            task_vars=task_vars, wrap_async=wrap_async)
        if wrap_async:
            return result
        try:
            said = json.loads(result.get('stdout') or '')
        except ValueError:
            said = None
        if isinstance(said, dict) and 'failed' in said:
            return said
        if result.get('failed') or result.get('rc'):
            return {'failed': True, 'rc': result.get('rc'),
                    'msg': (result.get('stderr') or result.get('msg') or
                            'lab-node %s failed' % args[0]).strip()}
        return json.loads(result['stdout'])


def _on_node(base, action):
    """base's action, done by action(plugin, task_vars) on a lab node."""
    class OnNode(_LabNode, base):
        def run(self, tmp=None, task_vars=None):
            if standins.node_root(self, task_vars) is None:
                return super().run(tmp, task_vars)
            self._supports_check_mode = True
            result = ActionBase.run(self, tmp, task_vars)
            if self._play_context.check_mode:
                result.update(changed=False, msg='check mode: the lab '
                              'records nothing')
            else:
                result.update(action(self, task_vars))
            return result
    OnNode.__name__ = 'OnNode' + base.__name__
    return OnNode


def _names(value):
    if isinstance(value, str):
        value = value.split(',')
    return [str(name).strip() for name in value or [] if str(name).strip()]


def _package(plugin, task_vars):
    """yum, package: the package files of the node's tree, at the release
    of its repositories."""
    args = plugin._task.args
    state = args.get('state') or 'present'
    if state == 'installed':
        state = 'present'
    names = _names(args.get('name') or args.get('pkg'))
    return plugin.lab_node(task_vars, 'package', state, *names)


def _service(plugin, task_vars):
    """service, systemd: run/services/<name> and its wants link."""
    args = plugin._task.args
    if not args.get('name'):
        return {'changed': False}  # systemd: daemon_reload alone
    enabled = args.get('enabled')
    enabled = '-' if enabled is None else (
        'yes' if boolean(enabled, strict=False) else 'no')
    return plugin.lab_node(task_vars, 'service', args['name'],
                           args.get('state') or '-', enabled)


def _synchronize(plugin, task_vars):
    """synchronize between two places of one node: a copy in its tree."""
    root = standins.node_root(plugin, task_vars)
    return plugin.lab_node(
        task_vars, 'sync', standins.in_tree(plugin._task.args['src'], root),
        standins.in_tree(plugin._task.args['dest'], root))


def _mysql_db(plugin, task_vars):
    """mysql_db: var/lib/mysql/<name>.schema (`created` when new)."""
    args = plugin._task.args
    names = _names(args.get('name') or args.get('db'))
    if not names:
        return {'failed': True, 'msg': 'missing required arguments: name'}
    changed = False
    for name in names:
        result = plugin.lab_node(task_vars, 'mysql', 'db', name,
                                 args.get('state') or 'present')
        if result.get('failed'):
            return result
        changed = changed or result['changed']
    return {'changed': changed, 'db': names[0], 'db_list': names}


def _mysql_user(plugin, task_vars):
    """mysql_user: var/lib/mysql/users/<name> holding its privileges
    (never its password)."""
    args = plugin._task.args
    name = args.get('name') or args.get('user')
    if not name:
        return {'failed': True, 'msg': 'missing required arguments: name'}
    priv = args.get('priv')
    if isinstance(priv, dict):
        priv = '/'.join('%s:%s' % item for item in sorted(priv.items()))
    return plugin.lab_node(task_vars, 'mysql', 'user', str(name),
                           args.get('state') or 'present',
                           str(priv) if priv else '-')


def _mount(plugin, task_vars):
    """mount: the entry in the tree's fstab and var/lib/lab/mounts;
    nothing is ever mounted."""
    args = plugin._task.args
    path = args.get('path') or args.get('name')
    state = args.get('state')
    if not path or not state:
        return {'failed': True,
                'msg': 'missing required arguments: path, state'}
    if state in ('present', 'mounted') and not (args.get('src') and
                                                args.get('fstype')):
        return {'failed': True, 'msg': 'state is %s but any of the '
                'following are missing: src, fstype' % state}
    root = standins.node_root(plugin, task_vars)
    return plugin.lab_node(
        task_vars, 'mount', state, path, args.get('src') or '-',
        args.get('fstype') or '-', args.get('opts') or 'defaults',
        standins.in_tree(args.get('fstab') or '/etc/fstab', root))


def _pacemaker_resource(plugin, task_vars):
    """pacemaker_resource (ansible-pacemaker): its logic, with its
    check_mode argument, run by lab-cluster on the shared cluster."""
    args = plugin._task.args
    state, resource = args.get('state'), args.get('resource')
    if state not in RESOURCE_STATES or not resource:
        return {'failed': True, 'msg': 'pacemaker_resource needs resource '
                'and a state of %s' % ', '.join(RESOURCE_STATES)}
    return plugin.lab_node(
        task_vars, 'resource-module', state, str(resource),
        str(int(args.get('timeout', 300))),
        _yes(args.get('check_mode')), _yes(args.get('wait_for_resource')),
        program=standins.LAB_CLUSTER)


RESOURCE_STATES = ('manage', 'unmanage', 'enable', 'disable', 'restart',
                   'show', 'delete', 'started', 'stopped', 'master',
                   'slave')


def _yes(value, default=False):
    return 'yes' if boolean(default if value is None else value,
                            strict=False) else 'no'


class PacemakerCluster(_LabNode, Normal):
    """pacemaker_cluster (ansible-pacemaker): state online|offline of the
    node's cluster, by lab-cluster; async as THT's `async: 30, poll: 4`
    runs it (the executor then polls the lab's command)."""

    def run(self, tmp=None, task_vars=None):
        if standins.node_root(self, task_vars) is None:
            return super().run(tmp, task_vars)
        self._supports_check_mode = True
        self._supports_async = True
        result = ActionBase.run(self, tmp, task_vars)
        args = self._task.args
        if args.get('state') not in ('online', 'offline') or \
                args.get('node') is not None:
            result.update(failed=True, msg='the lab knows pacemaker_cluster '
                          'state=online|offline of the node itself')
            return result
        if self._play_context.check_mode:
            result.update(changed=False, msg='check mode: the lab records '
                          'nothing')
            return result
        wrap = bool(self._task.async_val) and \
            not self._connection.has_native_async
        result.update(self.lab_node(
            task_vars, 'cluster-module', args['state'],
            _yes(args.get('check_and_fail')),
            _yes(args.get('force'), default=True),
            program=standins.LAB_CLUSTER, wrap_async=wrap))
        return result


def _host(*names, **defaults):
    """An action done by `lab-host MODULE ARGS` in the node's tree, its
    arguments the module's names (defaults, or - when missing)."""
    def action(plugin, task_vars):
        args = dict(defaults, **plugin._task.args)
        values = [args.get(name) for name in names]
        if values[0] in (None, ''):
            return {'failed': True,
                    'msg': 'missing required arguments: %s' % names[0]}
        return plugin.lab_node(task_vars, plugin._task.action, *[
            '-' if value is None else _yes(value)
            if isinstance(value, bool) else str(value)
            for value in values], program=standins.LAB_HOST)
    return action


Yum = _on_node(_YUM, _package)
Package = _on_node(_PACKAGE, _package)
Service = _on_node(_SERVICE, _service)
Systemd = _on_node(Normal, _service)
Synchronize = _on_node(_SYNCHRONIZE, _synchronize)
MysqlDb = _on_node(Normal, _mysql_db)
MysqlUser = _on_node(Normal, _mysql_user)
Mount = _on_node(Normal, _mount)
PacemakerResource = _on_node(Normal, _pacemaker_resource)
Group = _on_node(Normal, _host('name', 'state', 'gid', state='present'))
User = _on_node(Normal, _host('name', 'state', 'uid', 'group', 'home',
                              'shell', state='present'))
Seboolean = _on_node(Normal, _host('name', 'state', 'persistent'))
Getent = _on_node(Normal, _host('database', 'key'))
Filesystem = _on_node(Normal, _host('dev', 'fstype'))


class Git(Normal):
    """git: a lab node has no network; it fails rather than clone."""

    def run(self, tmp=None, task_vars=None):
        if standins.node_root(self, task_vars) is None:
            return super().run(tmp, task_vars)
        return {'failed': True, 'changed': False, 'msg': (
            'the lab has no network: git would clone %s into %s on a lab '
            'node; use FastForwardRepoType custom-script'
            % (self._task.args.get('repo'), self._task.args.get('dest')))}


def _naming_the_node(base):
    """base's fact gathering, a lab node reporting its own host name."""
    class NamingTheNode(base):
        def run(self, tmp=None, task_vars=None):
            result = super().run(tmp, task_vars)
            root = standins.node_root(self, task_vars)
            if root and 'ansible_facts' in result:
                result['ansible_facts'].update(standins.hostname_facts(root))
            return result
    NamingTheNode.__name__ = 'NamingTheNode' + base.__name__
    return NamingTheNode


GatherFacts = _naming_the_node(_GATHER_FACTS)
Setup = _naming_the_node(Normal)
