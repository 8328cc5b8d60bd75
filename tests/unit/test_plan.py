"""The FFU plan: one play per release and step, skipped tasks left out."""

import copy
import os
import stat

import pytest
import yaml

from tripleo_ffu.workflow import plan

FFU_STEP_PLAYS = (['ocata-%d' % step for step in range(10)]
                  + ['pike-%d' % step for step in range(10)])
FFU_PLAYS = (['ocata-prep'] + FFU_STEP_PLAYS[:10] + ['pike-prep']
             + FFU_STEP_PLAYS[10:])
PLAY_IDS = (['setup'] + FFU_PLAYS + ['queens-post']
            + ['upgrade-%d' % step for step in range(6)]
            + ['deploy-%d' % step for step in range(6)]
            + ['post-upgrade-%d' % step for step in range(4)])
CONTROLLER = "tripleo_role_name == 'Controller'"
BOOTSTRAP = [CONTROLLER, 'is_bootstrap_node|bool']
# RoleConfig include files: (role, section, when) for each include.
INCLUDES = {
    'ffu-prep': [('Controller', 'fast_forward_upgrade_tasks', CONTROLLER),
                 ('Compute', 'fast_forward_upgrade_tasks',
                  "tripleo_role_name == 'Compute'")],
    'ffu-bootstrap': [('Controller', 'fast_forward_upgrade_tasks',
                       BOOTSTRAP)],
    'ffu-post': [('Controller', 'fast_forward_post_upgrade_tasks',
                  CONTROLLER)],
    'upgrade': [('Controller', 'upgrade_tasks', CONTROLLER)],
    'deploy': [('Controller', 'deploy_steps_tasks', CONTROLLER)],
    'post-upgrade': [('Controller', 'post_upgrade_tasks', CONTROLLER)],
}
FFU_TASKS = [
    {'name': 'every step', 'debug': {}},
    {'name': 'step 3', 'debug': {}, 'when': 'step|int == 3'},
    {'name': 'step 5 unpiped', 'debug': {}, 'when': ['x', 'step == 5']},
    {'name': 'pike only', 'debug': {}, 'when': "release == 'pike'"},
    {'name': 'ocata step 1', 'debug': {},
     'when': ["release == 'ocata'", 'step|int == 1']},
    {'name': 'step 1 or 2', 'debug': {},
     'when': 'step|int == 1 or step|int == 2'},
    {'name': 'false', 'debug': {}, 'when': False},
    {'name': 'block at 7', 'when': 'step|int == 7', 'block': [
        {'name': 'in block at 7', 'debug': {}}]},
    {'name': 'block of step 8', 'block': [
        {'name': 'first at 8', 'debug': {}, 'when': 'step|int == 8'},
        {'name': 'second at 8', 'debug': {}, 'when': 'step|int == 8'}]},
    {'name': 'block with always', 'block': [
        {'name': 'tried at 9', 'debug': {}, 'when': 'step|int == 9'}],
     'rescue': [
        {'name': 'rescued at 9', 'debug': {}, 'when': 'step|int == 9'}],
     'always': [
        {'name': 'always there', 'debug': {}}]},
    {'name': 'nested', 'block': [
        {'name': 'inner block', 'block': [
            {'name': 'deep at 6', 'debug': {}, 'when': 'step|int == 6'}]},
        {'name': 'next to it at 6', 'debug': {},
         'when': 'step|int == 6'}]},
]
COMPUTE_TASKS = [
    {'name': 'compute at 2', 'debug': {}, 'when': 'step|int == 2'},
]
POST_TASKS = [
    {'name': 'post any', 'debug': {}},
    {'name': 'post step 2', 'debug': {}, 'when': 'step|int == 2'},
    {'name': 'post ocata', 'debug': {}, 'when': "release == 'ocata'"},
    {'name': 'post queens', 'debug': {}, 'when': "release == 'queens'"},
]


def _phase_tasks(phase):
    return [
        {'name': '%s any' % phase, 'debug': {}},
        {'name': '%s step 3' % phase, 'debug': {},
         'when': ['x', 'step|int == 3']},
        {'name': '%s step 0 or 1' % phase, 'debug': {},
         'when': 'step|int == 0 or step|int == 1'},
        {'name': '%s ocata' % phase, 'debug': {},
         'when': "release == 'ocata'"},
    ]


ROLE_TASKS = {
    'Controller/fast_forward_upgrade_tasks.yaml': FFU_TASKS,
    'Compute/fast_forward_upgrade_tasks.yaml': COMPUTE_TASKS,
    'Controller/fast_forward_post_upgrade_tasks.yaml': POST_TASKS,
    'Controller/upgrade_tasks.yaml': _phase_tasks('upgrade'),
    'Controller/deploy_steps_tasks.yaml': _phase_tasks('deploy'),
    'Controller/post_upgrade_tasks.yaml': _phase_tasks('post-upgrade'),
}
SET_RELEASES = {'name': 'set releases',
                'set_fact': {'releases': ['ocata', 'pike', 'queens'],
                             'ffu_packages': ['openstack-keystone']}}
FFU_PLAYBOOK = [{
    'hosts': 'overcloud',
    'become': True,
    'tasks': [
        SET_RELEASES,
        {'name': 'gather', 'setup': {}},
        {'include_tasks': 'fast_forward_upgrade_release_tasks.yaml',
         'loop': '{{ releases }}', 'loop_control': {'loop_var': 'release'}},
    ],
}]
PREP_TASKS = [
    {'name': 'prep plain', 'debug': {'msg': 'prep'}},
    {'include_tasks': 'fast_forward_upgrade_prep_role_tasks.yaml',
     'with_sequence': 'start=0 end=3', 'loop_control': {'loop_var': 'step'}},
]


def _write(config_dir, relative, data):
    path = os.path.join(config_dir, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as out:
        yaml.safe_dump(data, out)


@pytest.fixture
def config_dir(tmp_path):
    """The RoleConfig and role task files the compiler reads."""
    root = str(tmp_path / 'config')
    _write(root, plan.FFU_PLAYBOOK, FFU_PLAYBOOK)
    _write(root, plan.FFU_PREP_TASKS, PREP_TASKS)
    for name, relative in plan.ROLE_INCLUDES.items():
        _write(root, relative, [
            {'include_tasks': '%s/%s.yaml' % (role, section), 'when': when}
            for role, section, when in INCLUDES[name]])
    for relative, tasks in ROLE_TASKS.items():
        _write(root, relative, tasks)
    return root


@pytest.fixture
def compiled(config_dir):
    """(playbook, [Play]) of the config dir."""
    return plan.Compiler(config_dir).compile()


@pytest.fixture
def plays(compiled):
    """The playbook's plays by id."""
    return {play['name']: play for play in compiled[0]}


def _names(tasks):
    """Every task name, blocks and the plan's includes included, depth
    first."""
    found = []
    for task in tasks:
        if 'name' in task:
            found.append(task['name'])
        for key in ('block', 'rescue', 'always', plan._INCLUDED):
            found.extend(_names(task.get(key) or []))
    return found


def _plays_with(plays, name):
    """Ids of the plays that hold a task named name, in order."""
    return [play_id for play_id in PLAY_IDS
            if name in _names(plays[play_id]['tasks'])]


def _role_block(play, role):
    """A role's tasks in a play: its include (with its tasks as 'block')
    or its block."""
    blocks = [task for task in play['tasks']
              if task.get('name') == '%s tasks' % role]
    assert len(blocks) <= 1
    if not blocks:
        return None
    block = dict(blocks[0])
    if plan._INCLUDED in block:
        block['block'] = block.pop(plan._INCLUDED)
    return block


def test_plays_come_in_order(compiled):
    playbook, infos = compiled
    assert [play['name'] for play in playbook] == PLAY_IDS
    assert [play['vars']['tripleo_ffu_play'] for play in playbook] == (
        PLAY_IDS)
    assert [info.id for info in infos] == PLAY_IDS


def test_play_infos(compiled):
    infos = {info.id: info for info in compiled[1]}
    assert [(infos[i].phase, infos[i].release, infos[i].step) for i in (
        'setup', 'ocata-0', 'pike-9', 'queens-post', 'upgrade-5',
        'deploy-0', 'post-upgrade-3')] == [
        ('setup', None, None), ('ffu', 'ocata', 0), ('ffu', 'pike', 9),
        ('ffu', 'queens', None), ('upgrade', None, 5), ('deploy', None, 0),
        ('post-upgrade', None, 3)]
    assert infos['setup'].tasks_per_role == {'(setup)': 2}
    assert infos['ocata-2'].tasks_per_role == {'Controller': 3,
                                               'Compute': 1}
    assert infos['ocata-2'].task_count == 4
    assert infos['ocata-3'].tasks_per_role == {'Controller': 4,
                                               'Compute': 0}
    assert infos['ocata-3'].task_count == 4
    assert infos['upgrade-3'].tasks_per_role == {'Controller': 4}
    assert infos['upgrade-4'].tasks_per_role == {'Controller': 3}


@pytest.mark.parametrize('play_id, expected', [
    ('ocata-0', {'tripleo_ffu_play': 'ocata-0', 'release': 'ocata',
                 'step': '0'}),
    ('pike-7', {'tripleo_ffu_play': 'pike-7', 'release': 'pike',
                'step': '7'}),
    ('queens-post', {'tripleo_ffu_play': 'queens-post',
                     'release': 'queens'}),
    ('upgrade-3', {'tripleo_ffu_play': 'upgrade-3', 'step': '3'}),
    ('deploy-5', {'tripleo_ffu_play': 'deploy-5', 'step': '5'}),
    ('post-upgrade-0', {'tripleo_ffu_play': 'post-upgrade-0',
                        'step': '0'}),
    ('setup', {'tripleo_ffu_play': 'setup'}),
])
def test_play_vars(plays, play_id, expected):
    """The release, and the step as a string as with_sequence gives it."""
    assert plays[play_id]['vars'] == expected


def test_plays_take_hosts_and_become_from_the_ffu_play(plays):
    for play_id in PLAY_IDS:
        assert plays[play_id]['hosts'] == 'overcloud'
        assert plays[play_id]['become'] is True
        if play_id != 'setup':
            assert plays[play_id]['gather_facts'] is False


def test_setup_play_holds_the_ffu_play_tasks_but_its_includes(plays):
    assert plays['setup']['tasks'] == FFU_PLAYBOOK[0]['tasks'][:2]


@pytest.mark.parametrize('name, play_ids', [
    ('step 3', ['ocata-3', 'pike-3']),
    ('step 5 unpiped', ['ocata-5', 'pike-5']),
    ('pike only', ['pike-%d' % step for step in range(10)]),
    ('ocata step 1', ['ocata-1']),
    ('compute at 2', ['ocata-2', 'pike-2']),
    ('upgrade step 3', ['upgrade-3']),
    ('deploy step 3', ['deploy-3']),
    ('post-upgrade step 3', ['post-upgrade-3']),
    ('post step 2', ['queens-post']),
    ('post queens', ['queens-post']),
    ('post ocata', []),
    ('false', []),
])
def test_pinned_tasks_only_where_they_can_run(plays, name, play_ids):
    """A task pinned to a step or release goes only to its plays."""
    assert _plays_with(plays, name) == play_ids


@pytest.mark.parametrize('name, play_ids', [
    ('every step', FFU_STEP_PLAYS),
    ('post any', ['queens-post']),
    ('upgrade any', ['upgrade-%d' % step for step in range(6)]),
    ('deploy any', ['deploy-%d' % step for step in range(6)]),
    ('post-upgrade any', ['post-upgrade-%d' % step for step in range(4)]),
])
def test_tasks_without_a_step_go_to_every_play_of_their_phase(
        plays, name, play_ids):
    assert _plays_with(plays, name) == play_ids


@pytest.mark.parametrize('name, play_ids', [
    ('step 1 or 2', FFU_STEP_PLAYS),
    ('upgrade step 0 or 1', ['upgrade-%d' % step for step in range(6)]),
    ('deploy step 0 or 1', ['deploy-%d' % step for step in range(6)]),
])
def test_an_or_is_never_filtered(plays, name, play_ids):
    assert _plays_with(plays, name) == play_ids


def test_release_conditions_are_kept_where_no_release_is_known(plays):
    """The upgrade phases have no release: nothing is dropped for one."""
    assert _plays_with(plays, 'upgrade ocata') == [
        'upgrade-%d' % step for step in range(6)]


def test_blocks_whose_when_is_false_are_dropped(plays):
    assert _plays_with(plays, 'block at 7') == ['ocata-7', 'pike-7']
    assert _plays_with(plays, 'in block at 7') == ['ocata-7', 'pike-7']


def test_blocks_with_every_child_filtered_are_dropped(plays):
    assert _plays_with(plays, 'block of step 8') == ['ocata-8', 'pike-8']
    assert _plays_with(plays, 'nested') == ['ocata-6', 'pike-6']
    assert _plays_with(plays, 'inner block') == ['ocata-6', 'pike-6']


def test_a_block_whose_always_still_has_a_task_is_kept(plays):
    assert _plays_with(plays, 'block with always') == FFU_STEP_PLAYS
    assert _plays_with(plays, 'tried at 9') == FFU_STEP_PLAYS
    assert _plays_with(plays, 'rescued at 9') == FFU_STEP_PLAYS
    # Kept whole: an emptied block section makes Ansible refuse the plan
    # ("'always' keyword cannot be used without 'block'") and an emptied
    # rescue rescues nothing.
    kept = [task for task in _role_block(plays['ocata-4'],
                                         'Controller')['block']
            if task['name'] == 'block with always'][0]
    assert [task['name'] for task in kept['block']] == ['tried at 9']
    assert [task['name'] for task in kept['rescue']] == ['rescued at 9']
    assert kept['always'] == [{'name': 'always there', 'debug': {}}]


def test_kept_tasks_are_unchanged_and_in_order(plays):
    """Filtering leaves out tasks, and the `when` items the play settles;
    it changes nothing else and reorders nothing."""
    block = _role_block(plays['ocata-1'], 'Controller')
    settled = {key: value for key, value in FFU_TASKS[4].items()
               if key != 'when'}
    assert FFU_TASKS[4]['when'] == ["release == 'ocata'", 'step|int == 1']
    assert block['block'][:3] == [FFU_TASKS[0], settled, FFU_TASKS[5]]
    assert [task['name'] for task in block['block']] == [
        'every step', 'ocata step 1', 'step 1 or 2', 'block with always']


def test_prep_tasks_run_once_per_release_before_its_steps(plays):
    """As in the stack's playbook: before step 0, with no step set."""
    assert _plays_with(plays, 'prep plain') == ['ocata-prep', 'pike-prep']
    assert plays['ocata-prep']['tasks'] == [PREP_TASKS[0]]
    assert plays['pike-prep']['tasks'] == [PREP_TASKS[0]]
    assert plays['ocata-prep']['vars'] == {'tripleo_ffu_play': 'ocata-prep',
                                           'release': 'ocata'}


def test_role_tasks_under_a_when_are_dynamic_includes(plays):
    """As in the stack's playbook: a node whose role or bootstrap status
    does not match never loads them (an inline block would skip each
    task there, one Ansible worker per task and node)."""
    include = [task for task in plays['ocata-4']['tasks']
               if task['name'] == 'Controller tasks'][0]
    assert include['include_tasks'] == \
        plan.PLAN_TASKS_DIR + '/ocata-4/Controller.yaml'
    assert include['when'] == BOOTSTRAP
    assert 'block' not in include


@pytest.mark.parametrize('play_id, role, when', [
    ('ocata-0', 'Controller', CONTROLLER),
    ('ocata-2', 'Compute', "tripleo_role_name == 'Compute'"),
    ('ocata-4', 'Controller', BOOTSTRAP),
    ('pike-9', 'Controller', BOOTSTRAP),
    ('queens-post', 'Controller', CONTROLLER),
    ('upgrade-0', 'Controller', CONTROLLER),
    ('deploy-0', 'Controller', CONTROLLER),
    ('post-upgrade-0', 'Controller', CONTROLLER),
])
def test_role_blocks_carry_the_include_when(plays, play_id, role, when):
    """Bootstrap plays run the role tasks on the bootstrap node only."""
    assert _role_block(plays[play_id], role)['when'] == when


def test_bootstrap_plays_hold_only_the_bootstrap_include(plays):
    for step in range(4, 10):
        play = plays['ocata-%d' % step]
        assert [task['name'] for task in play['tasks']] == [
            'Controller tasks']


def test_a_role_with_nothing_to_run_gets_no_block(plays):
    assert _role_block(plays['ocata-3'], 'Compute') is None
    assert _role_block(plays['ocata-2'], 'Compute')['block'] == [
        {'name': 'compute at 2', 'debug': {}}]


def test_an_include_without_when_gives_a_block_without_when(config_dir):
    _write(config_dir, plan.ROLE_INCLUDES['upgrade'],
           [{'include_tasks': 'Controller/upgrade_tasks.yaml'}])
    playbook, _ = plan.Compiler(config_dir).compile()
    play = [p for p in playbook if p['name'] == 'upgrade-0'][0]
    assert 'when' not in _role_block(play, 'Controller')


def test_plays_do_not_share_tasks(plays):
    """Each play holds its own copy: changing one leaves the others."""
    _role_block(plays['ocata-1'], 'Controller')['block'][0]['name'] = 'X'
    assert _role_block(plays['pike-1'], 'Controller')['block'][0][
        'name'] == 'every step'


def test_releases_default_when_the_playbook_sets_none(config_dir):
    playbook = copy.deepcopy(FFU_PLAYBOOK)
    playbook[0]['tasks'][0] = {'name': 'other', 'set_fact': {'x': 1}}
    _write(config_dir, plan.FFU_PLAYBOOK, playbook)
    compiler = plan.Compiler(config_dir)
    assert compiler.releases == ['ocata', 'pike', 'queens']


def test_releases_come_from_the_playbook(config_dir):
    playbook = copy.deepcopy(FFU_PLAYBOOK)
    playbook[0]['tasks'][0]['set_fact']['releases'] = ['pike', 'queens']
    _write(config_dir, plan.FFU_PLAYBOOK, playbook)
    plays, _ = plan.Compiler(config_dir).compile()
    assert [play['name'] for play in plays][:13] == (
        ['setup', 'pike-prep'] + ['pike-%d' % step for step in range(10)]
        + ['queens-post'])


@pytest.mark.parametrize('missing', [plan.FFU_PLAYBOOK, plan.FFU_PREP_TASKS]
                         + sorted(plan.ROLE_INCLUDES.values()))
def test_a_missing_role_config_file_is_named(config_dir, missing):
    os.unlink(os.path.join(config_dir, missing))
    with pytest.raises(plan.PlanError, match='%s is missing' % missing):
        plan.Compiler(config_dir).compile()


def test_a_missing_role_task_file_is_named(config_dir):
    os.unlink(os.path.join(config_dir, 'Controller/upgrade_tasks.yaml'))
    with pytest.raises(plan.PlanError,
                       match='Controller/upgrade_tasks.yaml is missing'):
        plan.Compiler(config_dir).compile()


@pytest.mark.parametrize('playbook', [None, [], {'hosts': 'all'}])
def test_an_ffu_playbook_without_a_play_is_refused(config_dir, playbook):
    _write(config_dir, plan.FFU_PLAYBOOK, playbook)
    with pytest.raises(plan.PlanError, match='holds no play'):
        plan.Compiler(config_dir)


@pytest.mark.parametrize('target', [
    '../Controller/upgrade_tasks.yaml',
    'Controller/../../upgrade_tasks.yaml',
    '..',
    '/etc/ansible/upgrade_tasks.yaml',
    '{{ role_name }}/upgrade_tasks.yaml',
])
def test_an_include_outside_the_config_dir_is_refused(config_dir, target):
    _write(config_dir, plan.ROLE_INCLUDES['upgrade'],
           [{'include_tasks': target, 'when': CONTROLLER}])
    with pytest.raises(plan.PlanError, match='not a task file') as error:
        plan.Compiler(config_dir).compile()
    assert plan.ROLE_INCLUDES['upgrade'] in str(error.value)
    assert repr(target) in str(error.value)


@pytest.mark.parametrize('key', ['include_tasks', 'include', 'import_tasks'])
def test_every_include_keyword_is_followed(config_dir, key):
    _write(config_dir, plan.ROLE_INCLUDES['upgrade'],
           [{key: 'Controller/./upgrade_tasks.yaml', 'when': CONTROLLER},
            {'name': 'not an include', 'debug': {}}])
    plays, _ = plan.Compiler(config_dir).compile()
    play = [p for p in plays if p['name'] == 'upgrade-3'][0]
    assert _names(play['tasks']) == [
        'Controller tasks', 'upgrade any', 'upgrade step 3',
        'upgrade step 0 or 1', 'upgrade ocata']


def test_write_and_load_plays(config_dir, compiled):
    path = plan.write(config_dir, compiled[0])
    assert path == os.path.join(config_dir, plan.PLAN_FILE)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert plan.load_plays(config_dir) == PLAY_IDS
    with open(path) as source:
        written = yaml.safe_load(source)
    for play, compiled_play in zip(written, compiled[0]):
        for task, compiled_task in zip(play['tasks'],
                                       compiled_play['tasks']):
            included = compiled_task.get(plan._INCLUDED)
            if included is not None:
                target = os.path.join(config_dir, task['include_tasks'])
                assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
                with open(target) as source:
                    assert yaml.safe_load(source) == included
                compiled_task = {key: value for key, value in
                                 compiled_task.items()
                                 if key != plan._INCLUDED}
            assert task == compiled_task


def test_write_keeps_the_key_order_of_a_play(config_dir, compiled):
    path = plan.write(config_dir, compiled[0])
    with open(path) as source:
        assert source.readline() == '- name: setup\n'


def test_load_plays_without_a_plan(tmp_path):
    with pytest.raises(plan.PlanError, match=plan.PLAN_FILE):
        plan.load_plays(str(tmp_path))


@pytest.mark.parametrize('tasks, release, step, kept', [
    ([], 'ocata', 1, []),
    (None, 'ocata', 1, []),
    ([{'name': 'a'}], 'ocata', 1, [{'name': 'a'}]),
    ([{'name': 'a', 'when': 'step|int == 2'}], 'ocata', 1, []),
    ([{'name': 'a', 'when': 'step|int == 2'}], 'ocata', None,
     [{'name': 'a', 'when': 'step|int == 2'}]),
    ([{'name': 'a', 'when': "release == 'pike'"}], 'ocata', 1, []),
    ([{'name': 'a', 'when': "release == 'pike'"}], None, 1,
     [{'name': 'a', 'when': "release == 'pike'"}]),
    ([{'name': 'a', 'when': 'step|int == 1 or step|int == 2'}], 'ocata', 3,
     [{'name': 'a', 'when': 'step|int == 1 or step|int == 2'}]),
    ([{'block': [{'name': 'a', 'when': 'step|int == 2'}]}], 'ocata', 1, []),
    ([{'block': [], 'always': [{'name': 'b'}]}], 'ocata', 1,
     [{'block': [], 'always': [{'name': 'b'}]}]),
    ([{'block': []}], 'ocata', 1, []),
    ([{'when': 'step|int == 2', 'block': [{'name': 'a'}]}], 'ocata', 1, []),
    ([{'block': [{'name': 'a', 'when': 'step|int == 2'}, {'name': 'b'}]}],
     'ocata', 1, [{'block': [{'name': 'b'}]}]),
    # A task that registers stays: skipped, it still sets its variable.
    ([{'name': 'r', 'register': 'x', 'when': 'step|int == 2'}], 'ocata', 1,
     [{'name': 'r', 'register': 'x', 'when': 'step|int == 2'}]),
    ([{'when': 'step|int == 2', 'block': [{'name': 'a'},
                                          {'name': 'r', 'register': 'x'}]}],
     'ocata', 1,
     [{'when': 'step|int == 2', 'block': [{'name': 'r', 'register': 'x'}]}]),
])
def test_filter_tasks(tasks, release, step, kept):
    assert plan.filter_tasks(tasks, release, step) == kept


def test_filter_tasks_leaves_its_input_alone():
    tasks = [{'block': [{'name': 'a', 'when': 'step|int == 2'},
                        {'name': 'b'}],
              'always': [{'name': 'c', 'when': 'step|int == 2'}]}]
    before = copy.deepcopy(tasks)
    plan.filter_tasks(tasks, 'ocata', 1)
    assert tasks == before


# load: only a plan tripleo-ffu wrote

def _write_plan_text(config_dir, text):
    path = os.path.join(config_dir, plan.PLAN_FILE)
    with open(path, 'w') as out:
        out.write(text)
    return path


def test_load_a_plan_that_is_not_yaml(tmp_path):
    path = _write_plan_text(str(tmp_path), '- name: setup\n  vars: {a: [\n')
    with pytest.raises(plan.PlanError, match='not valid YAML') as exc:
        plan.load(str(tmp_path))
    assert path in str(exc.value)
    assert 'run prepare again' in str(exc.value)


@pytest.mark.parametrize('playbook', [
    None,
    'setup',
    {'name': 'setup', 'vars': {'tripleo_ffu_play': 'setup'}},
    ['setup'],
    [{'name': 'setup'}],
    [{'name': 'setup', 'vars': None}],
    [{'name': 'setup', 'vars': ['tripleo_ffu_play']}],
    [{'name': 'setup', 'vars': {'step': '1'}}],
    [{'vars': {'tripleo_ffu_play': 'setup'}}, {'hosts': 'all'}],
])
def test_load_a_plan_tripleo_ffu_did_not_write(tmp_path, playbook):
    path = _write_plan_text(str(tmp_path), yaml.safe_dump(playbook))
    with pytest.raises(plan.PlanError,
                       match='not a plan tripleo-ffu wrote') as exc:
        plan.load(str(tmp_path))
    assert path in str(exc.value)
    assert 'run prepare again' in str(exc.value)


def test_load_plays_of_plays_without_an_id(tmp_path):
    _write_plan_text(str(tmp_path), yaml.safe_dump([{'name': 'setup'}]))
    with pytest.raises(plan.PlanError, match='run prepare again'):
        plan.load_plays(str(tmp_path))


# count_tasks

@pytest.mark.parametrize('tasks, count', [
    (None, 0),
    ([], 0),
    ([{'name': 'a'}, {'name': 'b'}], 2),
    ([{'block': []}], 0),
    ([{'name': 'a'}, {'name': 'blk', 'when': 'x', 'block': [
        {'name': 'b'}, {'name': 'c'}]}], 3),
    ([{'block': [{'name': 'a'}], 'rescue': [{'name': 'b'}],
      'always': [{'name': 'c'}, {'name': 'd'}]}], 4),
    ([{'block': [{'block': [{'name': 'a'}, {'name': 'b'}],
                  'always': [{'name': 'c'}]},
                 {'name': 'd'}],
      'rescue': [{'block': [{'name': 'e'}], 'rescue': None}]}], 5),
])
def test_count_tasks(tasks, count):
    assert plan.count_tasks(tasks) == count


def test_the_compiler_reuses_the_task_files_the_fixers_read(config_dir):
    from tripleo_ffu.workflow import fixers
    task_files = {}
    fixers.fix_config(config_dir, [], task_files)
    assert task_files['Compute/fast_forward_upgrade_tasks.yaml'] == (
        COMPUTE_TASKS)
    os.unlink(os.path.join(config_dir,
                           'Compute/fast_forward_upgrade_tasks.yaml'))
    plays = {play['name']: play for play in
             plan.Compiler(config_dir, task_files).compile()[0]}
    assert _role_block(plays['ocata-2'], 'Compute')['block'] == [
        {'name': 'compute at 2', 'debug': {}}]
