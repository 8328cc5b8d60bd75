"""The plan leaves out a task that cannot run and registers what no later
task of its phase reads (tripleo_ffu.workflow.plan_liveness)."""

import pytest

from tripleo_ffu.workflow import plan
from tripleo_ffu.workflow import plan_file
from tripleo_ffu.workflow import plan_liveness
from tests.unit import test_plan

CHECK = {'name': 'check', 'command': 'true', 'register': 'check',
         'when': 'step|int == 1'}
EVERY = {'name': 'every', 'debug': {}}
STEPS = {'include_tasks': 'steps.yaml', 'with_sequence': 'start=1 end=3',
         'loop_control': {'loop_var': 'step'}}


def _names(tmp_path, steps, after=(), files=None):
    """{play: [task names]} of the FFU phase, steps.yaml looped 1..3."""
    root, _ = test_plan._small(tmp_path, [STEPS] + list(after), dict(
        {'steps.yaml': steps}, **(files or {})))
    return {play['name']: [task['name'] for task in test_plan._included(
        root, play.get('tasks') or [])]
        for play in plan_file.load(root) if plan.phase_of(play) == 'ffu'}


def _reader(expression):
    return {'name': 'use', 'debug': {'msg': expression},
            'when': 'step|int == 2'}


def test_a_pinned_register_stays_only_before_a_task_that_reads_it(
        tmp_path):
    names = _names(tmp_path, [CHECK, _reader('{{ check.rc }}'), EVERY])
    assert names == {'ffu-1': ['check', 'every'],
                     'ffu-2': ['check', 'use', 'every'],
                     'ffu-3': ['every']}


def test_a_register_read_after_the_loop_stays_in_every_step(tmp_path):
    names = _names(tmp_path, [CHECK], [
        {'name': 'end', 'debug': {'var': 'check'}}])
    assert names == {'ffu-1': ['check'], 'ffu-2': ['check'],
                     'ffu-3': ['check'], 'ffu-end': ['end']}


def test_a_read_in_another_phase_keeps_nothing(tmp_path):
    """Each phase is an ansible-playbook run of its own."""
    upgrade = [{'hosts': 'overcloud', 'tasks': [
        {'name': 'use', 'debug': {'var': 'check'}}]}]
    names = _names(tmp_path, [CHECK, EVERY],
                   files={'upgrade_steps_playbook.yaml': upgrade})
    assert names == {'ffu-1': ['check', 'every'], 'ffu-2': ['every'],
                     'ffu-3': ['every']}


@pytest.mark.parametrize('expression', [
    "{{ lookup('vars', 'che' ~ 'ck') }}",
    "{{ hostvars[inventory_hostname]['che' + 'ck'] }}",
    '{{ vars[name] }}',
])
def test_a_variable_looked_up_by_a_computed_name_is_read(
        tmp_path, expression):
    names = _names(tmp_path, [CHECK, EVERY], [
        {'name': 'end', 'debug': {'msg': expression}}])
    assert names['ffu-3'] == ['check', 'every']


def test_a_computed_name_keeps_only_the_names_it_can_build(tmp_path):
    names = _names(tmp_path, [CHECK, EVERY], [
        {'name': 'end', 'debug': {'msg': "{{ lookup('vars', x ~ '_a') }}"}}])
    assert names['ffu-3'] == ['every']


@pytest.mark.parametrize('include', [
    {'name': 'i', 'include_tasks': '{{ which }}.yaml'},
    {'name': 'i', 'include_tasks': 'other.yaml',
     'with_items': '{{ groups.all }}'},
])
def test_an_include_the_walk_cannot_follow_may_read_anything(
        tmp_path, include):
    names = _names(tmp_path, [CHECK, EVERY], [include],
                   {'other.yaml': [{'name': 'o', 'debug': {}}]})
    assert names['ffu-3'] == ['check', 'every']


def _ffu_playbook(*plays):
    return {'fast_forward_upgrade_playbook.yaml': list(plays)}


def test_play_vars_are_read_by_every_task(tmp_path):
    names = _names(tmp_path, [CHECK, EVERY], files=_ffu_playbook({
        'hosts': 'overcloud', 'gather_facts': False,
        'vars': {'lazy': '{{ check.rc }}'}, 'tasks': [STEPS]}))
    assert names['ffu-3'] == ['check', 'every']


def test_a_play_of_roles_keeps_every_register_of_its_phase(tmp_path):
    names = _names(tmp_path, [CHECK, EVERY], files=_ffu_playbook(
        {'hosts': 'overcloud', 'gather_facts': False, 'tasks': [STEPS]},
        {'hosts': 'overcloud', 'roles': ['some_role']}))
    assert names['ffu.1-3'] == ['check', 'every']


@pytest.mark.parametrize('task, names', [
    ({'register': 'a'}, {'a'}),
    ({'block': [{'register': 'a'}], 'rescue': [{'register': 'b'}]},
     {'a', 'b'}),
    ({'register': ['odd']}, {None}),
    ({'debug': {}}, set()),
])
def test_registered(task, names):
    assert plan_liveness.registered(task) == names
