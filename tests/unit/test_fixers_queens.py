"""The fixers for what Ansible 2.9 refuses in THT stable/queens' tasks:
command options beside the module, tests written as filters."""

import os
import subprocess
import sys

import pytest
import yaml

from tripleo_ffu.workflow import fixers
from tripleo_ffu.workflow.fixers import module_args
from tripleo_ffu.workflow.fixers import tests_as_filters

BIN = os.path.dirname(sys.executable)
# THT stable/queens, puppet/services/tripleo-packages.yaml, upgrade_tasks.
OVS_REMOVAL = {
    'name': "remove old OpenvSwitch package(s) if version doesn't match",
    'shell': "rpm -e --noscripts --nodeps $(rpm -qa 'openvswitch*')",
    'warn': False,
    'when': 'new_ovs_version != current_ovs_version'}


def _fix(fixer, tasks, path='Controller/upgrade_tasks.yaml'):
    changed = fixer.fix(tasks, path)
    return tasks, changed


def test_warn_beside_shell_goes_under_args():
    tasks, changed = _fix(module_args.CommandOptionsUnderArgs(),
                          [dict(OVS_REMOVAL)])
    assert changed == [OVS_REMOVAL['name']]
    assert tasks[0]['args'] == {'warn': False}
    assert 'warn' not in tasks[0]
    assert tasks[0]['when'] == OVS_REMOVAL['when']


def test_command_options_join_existing_args_inside_blocks():
    tasks = [{'name': 'b', 'block': [
        {'name': 'c', 'command': 'ls', 'chdir': '/tmp',
         'args': {'creates': '/x'}}]}]
    tasks, changed = _fix(module_args.CommandOptionsUnderArgs(), tasks)
    assert changed == ['c']
    assert tasks[0]['block'][0]['args'] == {'creates': '/x', 'chdir': '/tmp'}


def test_other_modules_and_tidy_tasks_are_left_alone():
    tasks = [{'name': 'a', 'shell': 'ls', 'args': {'warn': False}},
             {'name': 'b', 'copy': {'dest': '/x'}, 'warn': True}]
    before = yaml.safe_dump(tasks)
    assert _fix(module_args.CommandOptionsUnderArgs(), tasks)[1] == []
    assert yaml.safe_dump(tasks) == before


def test_an_option_given_twice_differently_is_refused():
    tasks = [{'name': 'a', 'shell': 'ls', 'warn': False,
              'args': {'warn': True}}]
    with pytest.raises(fixers.FixerError, match='both beside the module'):
        _fix(module_args.CommandOptionsUnderArgs(), tasks)


def _syntax_check(tmp_path, tasks):
    playbook = tmp_path / 'play.yaml'
    playbook.write_text(yaml.safe_dump([{'hosts': 'localhost',
                                         'gather_facts': False,
                                         'tasks': tasks}]))
    return subprocess.run([os.path.join(BIN, 'ansible-playbook'),
                           '--syntax-check', str(playbook)],
                          capture_output=True, text=True)


def test_ansible_refuses_the_task_as_thts_and_reads_it_fixed(tmp_path):
    refused = _syntax_check(tmp_path, [dict(OVS_REMOVAL)])
    assert refused.returncode != 0
    assert 'conflicting action statements' in refused.stdout + \
        refused.stderr
    tasks, _ = _fix(module_args.CommandOptionsUnderArgs(),
                    [dict(OVS_REMOVAL)])
    fixed = _syntax_check(tmp_path, tasks)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


@pytest.mark.parametrize('before, after', [
    ('galera_res|succeeded', 'galera_res is succeeded'),
    ('(is_bootstrap_node) and (galera_res|succeeded)',
     '(is_bootstrap_node) and (galera_res is succeeded)'),
    ('rsync_service_removed|changed', 'rsync_service_removed is changed'),
    ("iha_nodes.stdout|lower | search('true')",
     "iha_nodes.stdout|lower is search('true')"),
    ('ovs|default(false)|succeeded', 'ovs|default(false) is succeeded'),
    ('not result | failed', 'not result is failed'),
    # Left alone: a filter after the test, a string literal, a real filter.
    ('x|succeeded|bool', 'x|succeeded|bool'),
    ("'a|changed' in text", "'a|changed' in text"),
    ('step|int == 3', 'step|int == 3'),
    ('x|changes_made', 'x|changes_made'),
])
def test_rewrite_expression(before, after):
    assert tests_as_filters.rewrite_expression(before) == after


def test_conditions_and_set_facts_are_rewritten():
    tasks = [
        {'name': 'Set fact galera_pcs_res',
         'set_fact': {'galera_pcs_res': '{{galera_pcs_res_result|succeeded}}',
                      'plain': "say 'a|failed'"}},
        {'name': 'restart', 'service': {'name': 'xinetd'},
         'when': ['step|int == 2', 'rsync_service_removed|changed']},
        {'name': 'msg', 'debug': {'msg': '{{ x|succeeded }}'}}]
    tasks, changed = _fix(tests_as_filters.TestsAsTests(), tasks)
    assert changed == ['Set fact galera_pcs_res', 'restart']
    assert tasks[0]['set_fact'] == {
        'galera_pcs_res': '{{galera_pcs_res_result is succeeded}}',
        'plain': "say 'a|failed'"}
    assert tasks[1]['when'] == ['step|int == 2',
                                'rsync_service_removed is changed']
    assert tasks[2]['debug'] == {'msg': '{{ x|succeeded }}'}


def test_the_fixers_are_registered_and_run_in_order():
    names = [fixer.name for fixer in fixers.load_fixers()]
    assert names == ['step-first', 'command-args', 'tests-as-filters']


def test_ansible_evaluates_the_rewritten_test(tmp_path):
    tasks = [{'name': 'probe', 'command': 'true', 'register': 'probe'},
             {'name': 'reads it', 'debug': {'msg': 'ok'},
              'when': 'probe|succeeded'}]
    tasks, _ = _fix(tests_as_filters.TestsAsTests(), tasks)
    playbook = tmp_path / 'play.yaml'
    playbook.write_text(yaml.safe_dump([{
        'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]))
    result = subprocess.run(
        [os.path.join(BIN, 'ansible-playbook'), '-c', 'local', '-i',
         'localhost,', str(playbook)], capture_output=True, text=True,
        env=dict(os.environ, ANSIBLE_PYTHON_INTERPRETER=sys.executable))
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'reads it' in result.stdout and 'skipping' not in result.stdout
