"""The step-first task fixer and the fixer helpers."""

import collections
import copy
import os
import stat
import types

import pytest
import yaml

from tripleo_ffu.workflow import fixers
from tripleo_ffu.workflow import task_lists
from tripleo_ffu.workflow.fixers import step_first

NEED_UPGRADE = ('not os_net_config_need_upgrade.stdout and '
                'os_net_config_has_config.rc == 0')
# The block of the FFU demo that fails at every step but the third.
OS_NET_CONFIG = {
    'block': [
        {'name': 'Check if os-net-config needs an upgrade',
         'command': 'yum check-upgrade os-net-config',
         'register': 'os_net_config_need_upgrade'},
        {'name': 'Check if there is an os-net-config config',
         'stat': {'path': '/etc/os-net-config/config.json'},
         'register': 'os_net_config_has_config'},
    ],
    'tags': 'step3',
    'when': [NEED_UPGRADE, 'step|int == 3'],
}


def _fix(tasks, path='Controller/upgrade_tasks.yaml'):
    """Fix a copy of tasks: (fixed tasks, labels reported)."""
    fixed = copy.deepcopy(tasks)
    changed = step_first.StepConditionFirst().fix(fixed, path)
    return fixed, changed


def _condition_multiset(when):
    """The conditions of a `when` as a multiset, whatever their order."""
    if when is None:
        return collections.Counter()
    items = when if isinstance(when, list) else [when]
    found = collections.Counter()
    for item in items:
        if isinstance(item, str) and ' or ' not in item:
            found.update(part.strip() for part in item.split(' and '))
        else:
            found[repr(item)] += 1
    return found


def _flatten(tasks, where=()):
    """[(where, task without `when` or children, conditions)], in order."""
    flat = []
    for index, task in enumerate(tasks):
        here = where + (index,)
        rest = {key: value for key, value in task.items()
                if key != 'when' and key not in task_lists.BLOCK_KEYS}
        flat.append((here, rest, _condition_multiset(task.get('when'))))
        for key in task_lists.BLOCK_KEYS:
            if key in task:
                flat.extend(_flatten(task[key], here + (key,)))
    return flat


def _assert_same_run(before, after):
    """Same tasks, same order, same conditions per task."""
    assert _flatten(after) == _flatten(before)


CASES = {
    'os-net-config block': [OS_NET_CONFIG],
    'string when': [{'name': 'a', 'debug': {}, 'when': 'x and step|int == 2'}],
    'already first': [{'name': 'a', 'debug': {},
                       'when': ['step|int == 2', 'x']}],
    'string already first': [{'name': 'a', 'debug': {},
                              'when': 'step|int == 2 and x and y'}],
    'no when': [{'name': 'a', 'debug': {}}, {'debug': {}}],
    'bool when': [{'name': 'a', 'debug': {}, 'when': False}],
    'or': [{'name': 'a', 'debug': {},
            'when': 'x or step|int == 2 and y'}],
    'or in a list item': [{'name': 'a', 'debug': {},
                           'when': ['x or y', 'step|int == 2']}],
    'several steps': [{'name': 'a', 'debug': {},
                       'when': ['x', 'step|int == 2', 'y', 'step == 2']}],
    'nested': [{'name': 'outer', 'when': 'a and step|int == 1', 'block': [
        {'name': 'inner', 'when': ['b', 'step|int == 1'], 'block': [
            {'name': 'deep', 'debug': {}, 'when': 'c and step|int == 1'},
        ]},
    ], 'rescue': [
        {'name': 'rescued', 'debug': {}, 'when': ['d', '(step|int) == 1']},
    ], 'always': [
        {'name': 'finally', 'debug': {}, 'when': 'e and step == 1'},
        {'name': 'plain', 'debug': {}},
    ]}],
}


@pytest.mark.parametrize('tasks', CASES.values(), ids=list(CASES))
def test_fixing_never_changes_what_runs(tasks):
    """Tasks, their order and their conditions all stay."""
    fixed, _ = _fix(tasks)
    _assert_same_run(tasks, fixed)


@pytest.mark.parametrize('tasks', CASES.values(), ids=list(CASES))
def test_fixing_is_idempotent(tasks):
    """A second run changes nothing and reports nothing."""
    once, _ = _fix(tasks)
    twice, changed = _fix(once)
    assert changed == []
    assert twice == once


def test_the_demo_os_net_config_block_gets_its_step_first():
    fixed, changed = _fix([OS_NET_CONFIG])
    assert fixed[0]['when'] == ['step|int == 3', NEED_UPGRADE]
    assert fixed[0]['tags'] == 'step3'
    assert fixed[0]['block'] == OS_NET_CONFIG['block']
    assert changed == ['block (Check if os-net-config needs an upgrade, '
                       'Check if there is an os-net-config config)']


def test_the_fixer_changes_the_tasks_in_place():
    tasks = copy.deepcopy([OS_NET_CONFIG])
    step_first.StepConditionFirst().fix(tasks,
                                        'Controller/upgrade_tasks.yaml')
    assert tasks[0]['when'][0] == 'step|int == 3'


@pytest.mark.parametrize('path', [
    'Controller/fast_forward_post_upgrade_tasks.yaml',
    'fast_forward_upgrade_prep_tasks.yaml', 'deploy_steps_tasks.yaml'])
def test_files_run_without_step_are_left_alone(path):
    """There a step condition first would fail on an undefined step
    where the original was skipped by its first item."""
    tasks = copy.deepcopy([OS_NET_CONFIG])
    assert step_first.StepConditionFirst().fix(tasks, path) == []
    assert tasks == [OS_NET_CONFIG]


@pytest.mark.parametrize('when, fixed', [
    ('x and step|int == 2', 'step|int == 2 and x'),
    ('x and y and step|int == 2', 'step|int == 2 and x and y'),
    ('not x and step|int == 2', 'step|int == 2 and not x'),
    ('(x and step|int == 2)', 'step|int == 2 and x'),
    ('(a or b) and step|int == 2', 'step|int == 2 and (a or b)'),
    ('x and step == 2 and (step|int) == 2',
     'step == 2 and (step|int) == 2 and x'),
    (['x', 'step|int == 2'], ['step|int == 2', 'x']),
    (['x', 'y', 'step|int == 2'], ['step|int == 2', 'x', 'y']),
    (['x', 'step|int == 2', 'y', 'step == 2'],
     ['step|int == 2', 'step == 2', 'x', 'y']),
    ([True, 'step|int == 2'], ['step|int == 2', True]),
])
def test_step_conditions_move_first(when, fixed):
    """Step conjuncts go first; the others keep their order."""
    tasks, changed = _fix([{'name': 'a', 'debug': {}, 'when': when}])
    assert tasks[0]['when'] == fixed
    assert changed == ['a']


@pytest.mark.parametrize('when', [
    'step|int == 2 and x',
    'step|int == 2',
    'x',
    'x and y',
    ['step|int == 2', 'x'],
    ['step|int == 2', 'step == 2', 'x'],
    ['x', 'y'],
    [],
    'x or step|int == 2',
    'x or y and step|int == 2',
    'x and step|int == 2 or y',
    '(x and step|int == 2) or y',
    ['x and step|int == 2'],
    True,
    False,
])
def test_conditions_left_alone(when):
    """Already step-first, no step at all, or an `or`: unchanged."""
    tasks, changed = _fix([{'name': 'a', 'debug': {}, 'when': when}])
    assert tasks[0]['when'] == when
    assert changed == []


def test_tasks_without_when_are_untouched():
    tasks = [{'name': 'a', 'debug': {'msg': 'x'}},
             {'block': [{'name': 'b', 'debug': {}}]}]
    fixed, changed = _fix(tasks)
    assert fixed == tasks
    assert changed == []
    assert all('when' not in task for task in fixed)


def test_nested_blocks_rescue_and_always_are_fixed():
    fixed, changed = _fix(CASES['nested'])
    outer = fixed[0]
    assert outer['when'] == 'step|int == 1 and a'
    assert outer['block'][0]['when'] == ['step|int == 1', 'b']
    assert outer['block'][0]['block'][0]['when'] == 'step|int == 1 and c'
    assert outer['rescue'][0]['when'] == ['(step|int) == 1', 'd']
    assert outer['always'][0]['when'] == 'step == 1 and e'
    assert 'when' not in outer['always'][1]
    assert changed == ['outer', 'inner', 'deep', 'rescued', 'finally']


@pytest.mark.parametrize('when', [{'step': 3}, 3, 1.5])
def test_a_when_that_is_neither_string_nor_list_is_an_error(when):
    tasks = [{'block': [{'name': 'Bad one', 'debug': {}, 'when': when}]}]
    with pytest.raises(fixers.FixerError) as error:
        _fix(tasks, 'Controller/upgrade_tasks.yaml')
    assert 'Controller/upgrade_tasks.yaml' in str(error.value)
    assert 'Bad one' in str(error.value)


def test_an_or_next_to_a_newline_is_left_alone():
    when = 'a or\nb and step|int == 2'
    tasks, changed = _fix([{'name': 'a', 'debug': {}, 'when': when}])
    assert tasks[0]['when'] == when
    assert changed == []


@pytest.mark.parametrize('task, index, label', [
    ({'name': 'Do it', 'debug': {}}, 0, 'Do it'),
    ({'name': 42, 'debug': {}}, 0, '42'),
    ({'block': [{'name': 'a'}, {'name': 'b'}]}, 0, 'block (a, b)'),
    ({'block': [{'name': 'a'}, {'debug': {}}]}, 0, 'block (a, ?)'),
    ({'block': [], 'rescue': [{'name': 'r'}]}, 0, 'block (r)'),
    ({'always': [{'name': 'f'}]}, 0, 'block (f)'),
    ({'name': 'Named', 'block': [{'name': 'a'}]}, 0, 'Named'),
    ({'debug': {}}, 0, 'task #1'),
    ({'debug': {}}, 6, 'task #7'),
    ({'name': '', 'debug': {}}, 2, 'task #3'),
])
def test_task_label(task, index, label):
    """A name, else what the block holds, else the position."""
    assert fixers.task_label(task, index) == label


def test_walk_visits_depth_first():
    tasks = [{'name': 'a', 'block': [{'name': 'b'}],
              'rescue': [{'name': 'c'}], 'always': [{'name': 'd'}]},
             {'name': 'e'}]
    seen = []
    fixers.walk(tasks, lambda task, label: seen.append(label), 'x.yaml')
    assert seen == ['a', 'b', 'c', 'd', 'e']


@pytest.mark.parametrize('tasks, message', [
    ({'name': 'a'}, 'expected a list of tasks, found dict'),
    (['debug'], 'task #1 is a str, not a mapping'),
    ([{'name': 'a'}, None], 'task #2 is a NoneType'),
    ([{'block': 'x'}], 'expected a list of tasks, found str'),
])
def test_walk_refuses_what_is_not_a_task_list(tasks, message):
    with pytest.raises(fixers.FixerError, match=message) as error:
        fixers.walk(tasks, lambda task, label: None, 'some/file.yaml')
    assert str(error.value).startswith('some/file.yaml: ')


def test_load_fixers_finds_step_first():
    """The entry point in setup.cfg registers the fixer."""
    loaded = fixers.load_fixers()
    names = [fixer.name for fixer in loaded]
    assert 'step-first' in names
    fixer = loaded[names.index('step-first')]
    assert isinstance(fixer, step_first.StepConditionFirst)
    assert fixer.order == 10
    assert loaded == sorted(loaded, key=lambda f: (f.order, f.name))


def test_a_fixer_that_fails_to_load_is_an_error(monkeypatch):
    from stevedore import extension

    def manager(namespace, invoke_on_load, on_load_failure_callback):
        assert namespace == 'tripleo_ffu.task_fixers'
        on_load_failure_callback(None, types.SimpleNamespace(name='broken'),
                                 ImportError('no module named x'))

    monkeypatch.setattr(extension, 'ExtensionManager', manager)
    with pytest.raises(fixers.FixerError, match=(
            'task fixer broken could not be loaded: no module named x')):
        fixers.load_fixers()


def _write(config_dir, relative, data, mode=0o600):
    path = os.path.join(config_dir, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as out:
        out.write(data if isinstance(data, str) else yaml.safe_dump(data))
    os.chmod(path, mode)
    return path


@pytest.fixture
def config_dir(tmp_path):
    """A config download with some task files to fix and some not."""
    root = str(tmp_path / 'config')
    bad = [{'name': 'bad', 'debug': {}, 'when': ['x', 'step|int == 3']}]
    good = [{'name': 'good', 'debug': {}, 'when': ['step|int == 3', 'x']}]
    _write(root, 'Controller/upgrade_tasks.yaml', [OS_NET_CONFIG])
    _write(root, 'Controller/deploy_steps_tasks.yaml', good)
    _write(root, 'Controller/fast_forward_upgrade_tasks.yaml',
           '# keep me\n' + yaml.safe_dump(good))
    _write(root, 'Controller/post_upgrade_tasks_step1.yaml', bad)
    _write(root, 'Compute/fast_forward_post_upgrade_tasks.yaml', bad)
    _write(root, 'Compute/upgrade_tasks.yaml', '')
    _write(root, 'deploy_steps_tasks.yaml', bad)
    _write(root, 'update_steps_tasks_step2.yaml', bad)
    # Not task files the fixers look at.
    _write(root, 'Controller/host_prep_tasks.yaml', bad)
    _write(root, 'Controller/config_settings.yaml', bad)
    _write(root, 'Controller/nested/upgrade_tasks.yaml', bad)
    _write(root, 'deploy_steps_playbook.yaml', bad)
    return root


def test_task_files(config_dir):
    assert fixers.task_files(config_dir) == [
        'Compute/fast_forward_post_upgrade_tasks.yaml',
        'Compute/upgrade_tasks.yaml',
        'Controller/deploy_steps_tasks.yaml',
        'Controller/fast_forward_upgrade_tasks.yaml',
        'Controller/host_prep_tasks.yaml',
        'Controller/post_upgrade_tasks_step1.yaml',
        'Controller/upgrade_tasks.yaml',
        'deploy_steps_tasks.yaml',
        'update_steps_tasks_step2.yaml',
    ]


def _steps_first(tasks):
    """Whether every task's `when` list starts with its step."""
    whens = [task['when'] for task in tasks if 'when' in task]
    return all(when[0].startswith('step') for when in whens)


def _snapshot(config_dir):
    found = {}
    for parent, _, names in os.walk(config_dir):
        for name in names:
            path = os.path.join(parent, name)
            with open(path) as source:
                found[os.path.relpath(path, config_dir)] = source.read()
    return found


def test_fix_config_rewrites_only_the_files_it_changed(config_dir):
    before = _snapshot(config_dir)
    changes = fixers.fix_config(config_dir, fixers.load_fixers())
    after = _snapshot(config_dir)
    changed_files = {
        'Controller/post_upgrade_tasks_step1.yaml',
        'Controller/upgrade_tasks.yaml',
    }
    assert set(after) == set(before)
    assert {name for name in after
            if after[name] != before[name]} == changed_files
    assert sorted(changes, key=lambda c: c.path) == [
        fixers.Change('Controller/post_upgrade_tasks_step1.yaml',
                      'step-first', 'bad'),
        fixers.Change('Controller/upgrade_tasks.yaml', 'step-first',
                      'block (Check if os-net-config needs an upgrade, '
                      'Check if there is an os-net-config config)'),

    ]
    for name in changed_files:
        path = os.path.join(config_dir, name)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        tasks = yaml.safe_load(after[name])
        assert _steps_first(tasks)
    assert after['Controller/fast_forward_upgrade_tasks.yaml'].startswith(
        '# keep me\n')


def test_fix_config_keeps_what_runs(config_dir):
    before = {name: yaml.safe_load(text)
              for name, text in _snapshot(config_dir).items()}
    fixers.fix_config(config_dir, fixers.load_fixers())
    after = {name: yaml.safe_load(text)
             for name, text in _snapshot(config_dir).items()}
    for name in fixers.task_files(config_dir):
        if before[name] is not None:
            _assert_same_run(before[name], after[name])


def test_fix_config_twice_changes_nothing(config_dir):
    fixers.fix_config(config_dir, fixers.load_fixers())
    before = _snapshot(config_dir)
    assert fixers.fix_config(config_dir, fixers.load_fixers()) == []
    assert _snapshot(config_dir) == before


def test_fix_config_names_the_file_of_a_bad_task(config_dir):
    _write(config_dir, 'Compute/upgrade_tasks.yaml',
           [{'name': 'Odd', 'debug': {}, 'when': {'a': 1}}])
    with pytest.raises(fixers.FixerError,
                       match="Compute/upgrade_tasks.yaml: task 'Odd'"):
        fixers.fix_config(config_dir, fixers.load_fixers())


def test_fix_config_with_no_fixers_changes_nothing(config_dir):
    before = _snapshot(config_dir)
    assert fixers.fix_config(config_dir, []) == []
    assert _snapshot(config_dir) == before


def test_change_and_commit_message():
    changes = [fixers.Change('Controller/upgrade_tasks.yaml', 'step-first',
                             'Stop nova'),
               fixers.Change('deploy_steps_tasks.yaml', 'step-first',
                             'task #2')]
    assert str(changes[0]) == (
        'Controller/upgrade_tasks.yaml: Stop nova (step-first)')
    assert fixers.commit_message(changes) == (
        'Fix generated tasks: 2 change(s)\n'
        '\n'
        '- Controller/upgrade_tasks.yaml: Stop nova (step-first)\n'
        '- deploy_steps_tasks.yaml: task #2 (step-first)\n')


def test_commit_message_without_changes():
    assert fixers.commit_message([]) == 'Fix generated tasks: 0 change(s)\n\n'
