"""Run playbooks of a config dir on localhost with every module stood in.

Test-only: the stack's playbooks and the plan run with real Ansible (the
version tripleoclient brings) on three local hosts (two Controllers, one
Compute) plus the undercloud, every module replaced by an action that does
nothing (standins/standin_action.py) and a callback that records what
ran. What ran under both is then compared per host.
"""

import collections
import glob
import json
import os
import subprocess
import sys

import yaml

from tripleo_ffu.workflow import phases

from tripleo_ffu.workflow import plan

HERE = os.path.dirname(os.path.abspath(__file__))
STANDINS = os.path.join(HERE, 'standins')
BIN = os.path.dirname(sys.executable)
# Modules that only set or check variables: they run for real.
REAL = {'set_fact', 'debug', 'include_vars', 'fail', 'assert', 'meta',
        'setup', 'include_role', 'import_role', 'set_stats', 'stat'}
STACK_PLAYBOOKS = [relative for _, relative in phases.PHASE_PLAYBOOKS]


def _keywords():
    from ansible.playbook.block import Block
    from ansible.playbook.task import Task
    return set(Task._valid_attrs) | set(Block._valid_attrs) | {
        'include', 'include_tasks', 'import_tasks', 'local_action',
        'action', 'loop_control', 'args', 'vars', 'tags', 'when',
        'notify', 'register'}


def _modules(tasks, keywords, found):
    for task in tasks if isinstance(tasks, list) else []:
        if not isinstance(task, dict):
            continue
        for key in task:
            if key in ('block', 'rescue', 'always'):
                _modules(task[key], keywords, found)
            elif key not in keywords and not key.startswith('with_'):
                found.add(key)


def modules_of(config_dir):
    """The modules the config dir's task files and playbooks name."""
    keywords = _keywords()
    found = set()
    for path in glob.glob(os.path.join(config_dir, '**', '*.yaml'),
                          recursive=True):
        with open(path) as source:
            try:
                data = yaml.safe_load(source)
            except yaml.YAMLError:
                continue
        for item in data if isinstance(data, list) else []:
            if isinstance(item, dict) and 'hosts' in item:
                for section in ('tasks', 'pre_tasks', 'post_tasks'):
                    _modules(item.get(section), keywords, found)
            else:
                _modules([item], keywords, found)
    return found - REAL


def environment(work, config_dir):
    """The environment of ansible-playbook: stand-ins and the recorder."""
    actions = os.path.join(work, 'action_plugins')
    os.makedirs(actions, exist_ok=True)
    for module in modules_of(config_dir):
        with open(os.path.join(actions, module + '.py'), 'w') as out:
            out.write('from standin_action import ActionModule  # noqa\n')
    roles = os.path.join(work, 'roles')
    for role in ('tripleo-bootstrap', 'tripleo-ssh-known-hosts'):
        os.makedirs(os.path.join(roles, role, 'tasks'), exist_ok=True)
        with open(os.path.join(roles, role, 'tasks', 'main.yml'),
                  'w') as out:
            yaml.safe_dump([{'name': '%s stand-in' % role,
                             'debug': {'msg': role}}], out)
    env = dict(os.environ)
    env.update({
        'PYTHONPATH': STANDINS,
        'ANSIBLE_ACTION_PLUGINS': actions,
        'ANSIBLE_ROLES_PATH': roles,
        'ANSIBLE_CALLBACK_PLUGINS': os.path.join(STANDINS, 'callback_plugins'),
        'ANSIBLE_CALLBACK_WHITELIST': 'callback_executed',
        'ANSIBLE_LOCAL_TEMP': os.path.join(work, 'tmp'),
        'ANSIBLE_REMOTE_TEMP': os.path.join(work, 'tmp'),
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ANSIBLE_DEPRECATION_WARNINGS': 'false',
        'ANSIBLE_NOCOLOR': '1',
    })
    return env


def inventory(work, roles=(('Controller', ('c0', 'c1')),
                           ('Compute', ('n0',)))):
    path = os.path.join(work, 'inventory.yaml')
    groups = {'overcloud': {'children': {role: {} for role, _ in roles}},
              'undercloud': {'hosts': {'undercloud': {}}},
              'all': {'vars': {
                  'ansible_connection': 'local',
                  'ansible_python_interpreter': sys.executable,
                  'ansible_become_method': 'su'}}}
    for role, hosts in roles:
        groups[role] = {
            'hosts': {host: {'standin_bootstrap': index == 0}
                      for index, host in enumerate(hosts)},
            'vars': {'tripleo_role_name': role,
                     '%s_pre_deployments' % role: [],
                     '%s_post_deployments' % role: []}}
    with open(path, 'w') as out:
        yaml.safe_dump(groups, out)
    return path


def run(work, config_dir, playbooks, label):
    """{host: [(task, action, release, step)]} of what ran."""
    log = os.path.join(work, label + '.jsonl')
    env = environment(work, config_dir)
    env['FFU_EXECUTED_LOG'] = log
    path = inventory(work)
    for playbook in playbooks:
        result = subprocess.run(
            [os.path.join(BIN, 'ansible-playbook'), '-i', path, playbook],
            cwd=config_dir, env=env, capture_output=True, text=True,
            timeout=600)
        assert result.returncode == 0, '%s failed:\n%s' % (
            playbook, result.stdout[-4000:] + result.stderr[-2000:])
    executed = collections.defaultdict(list)
    with open(log) as lines:
        for line in lines:
            event = json.loads(line)
            executed[event['host']].append((
                event['task'], event['action'], event['release'],
                event['step'], event['status']))
    return executed


def plan_playbooks(config_dir, playbook):
    """The plan's plays written one playbook per phase, as run runs
    them."""
    paths = []
    for phase in phases.PHASES:
        plays = [play for play in playbook if plan.phase_of(play) == phase]
        if plays:
            path = os.path.join(config_dir, 'test-plan-%s.yaml' % phase)
            with open(path, 'w') as out:
                yaml.safe_dump(plays, out, sort_keys=False)
            paths.append(path)
    return paths
