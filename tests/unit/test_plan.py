"""The FFU plan, compiled from THT stable/queens' own RoleConfig.

The config dir holds RoleConfig as tripleo-heat-templates 8.4.1 renders
it for a Controller and a Compute role (tests/unit/tht_queens.py), and
role task files written here.
"""

import copy
import os
import stat
import subprocess

import pytest
import yaml

from tripleo_ffu.workflow import phases

from tripleo_ffu.workflow import plan

from tripleo_ffu.workflow import plan_compiler

from tripleo_ffu.workflow import plan_file

from tripleo_ffu.workflow import plan_walk

from tripleo_ffu.workflow import task_lists
from tests.unit import ansible_standins
from tests.unit import tht_queens

RELEASES = ('ocata', 'pike')
FFU_STEPS = [str(step) for step in range(10)]


ROLE_FILES = tht_queens.ROLE_FILES


@pytest.fixture(scope='module')
def source_dir(tmp_path_factory):
    return tht_queens.write_config(
        str(tmp_path_factory.mktemp('tht') / 'config'), ROLE_FILES)


@pytest.fixture
def config_dir(source_dir, tmp_path):
    copied = str(tmp_path / 'config')
    subprocess.run(['cp', '-a', source_dir, copied], check=True)
    return copied


@pytest.fixture(scope='module')
def compiled(source_dir):
    return plan_compiler.Compiler(source_dir).compile()


@pytest.fixture(scope='module')
def plays(compiled):
    return {play['name']: play for play in compiled[0]}


@pytest.fixture(scope='module')
def infos(compiled):
    return {info.id: info for info in compiled[1]}


def _stack(source_dir, relative):
    with open(os.path.join(source_dir, relative)) as source:
        return yaml.safe_load(source)


def test_the_ffu_plays_follow_the_releases_and_steps_of_the_playbook(
        compiled):
    ids = [info.id for info in compiled[1] if info.phase == 'ffu']
    assert ids == (['ffu-facts', 'ffu'] + [
        play for release in RELEASES for play in
        ['ffu-%s' % release] + ['ffu-%s-%s' % (release, step)
                                for step in FFU_STEPS]] + ['ffu-end'])


def test_play_bindings_are_the_loop_variables(infos):
    assert infos['ffu-pike-6'].bindings == (('release', 'pike'),
                                            ('step', '6'))
    assert (infos['ffu-pike-6'].release, infos['ffu-pike-6'].step) == (
        'pike', 6)
    assert infos['ffu'].bindings == infos['ffu-end'].bindings == ()
    assert infos['upgrade-2'].bindings == (('step', '2'),)


def test_loop_variables_are_include_variables_as_ansible_binds_them(plays):
    """Include variables beat set_fact, as the stack's loop variables do:
    the release of an ocata play is ocata whatever a fact says."""
    include, = plays['ffu-ocata-3']['tasks']
    assert include['vars'] == {'release': 'ocata'}
    assert not any(key.startswith('with_') or key == 'loop'
                   for key in include)
    assert 'release' not in plays['ffu-ocata-3']['vars']


def test_the_release_is_set_to_the_target_where_the_playbook_sets_it(plays):
    """THT sets `release` to the last release after the release loop: a
    set_fact, which would beat an earlier release if run before it."""
    for name, play in plays.items():
        if name != 'ffu-end':
            assert not any('release' in (task.get('set_fact') or {})
                           for task in play['tasks']), name
    first = plays['ffu-end']['tasks'][0]
    assert first['set_fact'] == {'release': '{{ releases | last }}',
                                 'ffu_packages_apply': True}


def _included(config_dir, tasks):
    """Every task of a plan task list, the plan's includes followed."""
    found = []
    for task in tasks:
        target = task_lists.include_target(task)
        if isinstance(target, str) and target.startswith(
                plan_file.PLAN_TASKS_DIR + '/'):
            with open(os.path.join(config_dir, target)) as source:
                found.extend(_included(config_dir, yaml.safe_load(source)))
        else:
            found.append(task)
    return found


@pytest.fixture(scope='module')
def written(source_dir, compiled):
    plan_file.write(source_dir, compiled[0])
    return {play['name']: _included(source_dir, play['tasks'])
            for play in plan_file.load(source_dir)}


def test_the_playbooks_own_tasks_are_kept(written):
    """The heat agents' update and os-collect-config's start come after
    the roles' post-upgrade tasks, outside any include."""
    names = [task.get('name') for task in written['ffu-end']]
    assert names[-3:] == ['Openstack Heat Agents package update',
                          'Update os-collect-config',
                          'Start os-collect-config back up']
    assert 'Controller post {{ release }}' in names
    prep = [task.get('name') for task in written['ffu-ocata']]
    assert 'get bootstrap nodeid' in prep
    assert prep[0].startswith('Run Fast Forward Upgrade Prep Workarounds')


def test_tags_on_tasks_and_plays_are_kept(written, plays):
    hiera, = [task for task in written['ffu-pike']
              if task.get('name') == 'get bootstrap nodeid']
    assert hiera['tags'] == 'common'
    for name, play in plays.items():
        if name.startswith('deploy.'):
            assert play.get('tags'), name


def test_pinned_tasks_only_where_they_can_run(written):
    def where(name):
        return [play for play, tasks in written.items()
                if any(task.get('name') == name for task in tasks)]
    assert where('Controller ocata only') == ['ffu-ocata-2']
    assert where('Controller db sync') == ['ffu-ocata-8', 'ffu-pike-8']
    assert where('Controller upgrade 2') == ['upgrade-2']
    # A task that registers stays where it cannot run (skipped, it still
    # sets its variable, as under the stack's playbook) up to the phase's
    # last task that reads the variable: pike's "stop" of step 1.
    assert where('Controller check') == [
        'ffu-ocata-%s' % step for step in FFU_STEPS] + [
        'ffu-pike-0', 'ffu-pike-1']
    # An `or` is never read.
    assert len(where('Controller either')) == 2 * len(FFU_STEPS)


def test_settled_conditions_are_dropped_and_the_others_kept(written):
    stop, = [task for task in written['ffu-pike-1']
             if task.get('name') == 'Controller stop']
    assert stop['when'] == ['check is skipped']
    db, = [task for task in written['ffu-pike-8']
           if task.get('name') == 'Controller db sync']
    assert db['when'] == ['is_bootstrap_node|bool']


def test_role_includes_keep_their_when(plays, source_dir):
    tasks = plays['upgrade-2']['tasks']
    include, = tasks
    assert include['vars'] == {'step': '2'}
    with open(os.path.join(source_dir, include['include'])) as source:
        roles = yaml.safe_load(source)
    assert [task['when'] for task in roles] == [
        "tripleo_role_name == 'Controller'",
        "tripleo_role_name == 'Compute'"]


def test_the_upgrade_include_stays_dynamic_once_its_loop_is_gone(plays):
    """The stack's `include:` with a loop is dynamic; without the loop
    Ansible would load it statically, so the plan says what it was."""
    include, = plays['upgrade-2']['tasks']
    assert include['static'] is False


def test_every_stack_play_is_kept_with_its_keywords(source_dir, plays,
                                                    infos):
    """Each play of the deploy playbook (and of the others) is in the plan
    with its hosts, vars, become, tags and facts, unless it has nothing
    to run: here the external deploy steps (no service has any) and the
    role steps where no role task is pinned."""
    stack = _stack(source_dir, 'deploy_steps_playbook.yaml')
    dropped = []
    for index, stack_play in enumerate(stack):
        compiled = plays.get('deploy.%d' % (index + 1))
        if compiled is None:
            dropped.append(stack_play['name'])
            continue
        for key, value in stack_play.items():
            if key in ('tasks', 'name'):
                continue
            if key == 'vars':
                assert {k: v for k, v in compiled['vars'].items()
                        if not k.startswith('tripleo_ffu_')} == value
            else:
                assert compiled[key] == value, (stack_play['name'], key)
    assert sorted(dropped) == sorted(
        ['External deployment step %d' % step for step in range(1, 6)] +
        ['Overcloud deploy step tasks for %d' % step for step in (1, 3, 4, 5)]
        + ['External deployment Post Deploy tasks'])
    assert plays['deploy.4']['roles'] == ['tripleo-bootstrap',
                                          'tripleo-ssh-known-hosts']
    assert 'become' not in plays['upgrade-0']
    assert plays['ffu-ocata-0']['become'] is True


def test_facts_are_gathered_once_per_stack_play(plays):
    assert 'gather_facts' not in plays['ffu-facts']
    assert plays['ffu-facts']['tasks'] == []
    assert all(play['gather_facts'] is False
               for name, play in plays.items()
               if name.startswith('ffu') and name != 'ffu-facts')
    assert plays['deploy.2']['gather_facts'] is True


def test_what_cannot_be_unrolled_stays_as_the_stack_has_it(plays,
                                                           source_dir):
    """The server deployments loop over a host variable."""
    stack = _stack(source_dir, 'deploy_steps_playbook.yaml')[4]
    assert plays['deploy.5']['tasks'] == stack['tasks']


def test_resume_context(infos):
    assert infos['ffu-pike-6'].resume == ('ffu-facts', 'ffu', 'ffu-pike',
                                          'ffu-pike-0')
    assert infos['ffu-pike'].resume == ('ffu-facts', 'ffu')
    assert infos['ffu-end'].resume == ('ffu-facts',)
    assert infos['upgrade-5'].resume == ('upgrade-facts', 'upgrade-0')
    assert infos['upgrade-0'].resume == ('upgrade-facts',)


def test_tasks_per_role(infos):
    assert infos['ffu-ocata-2'].tasks_per_role == {'Controller': 3,
                                                   'Compute': 3}
    assert infos['ffu-ocata'].tasks_per_role['(play)'] == 6


def test_ansible_reads_the_plan_and_the_stack_playbooks(source_dir,
                                                        written):
    env = ansible_standins.environment(
        os.path.join(source_dir, '..', 'syntax'), source_dir)
    inventory = ansible_standins.inventory(
        os.path.join(source_dir, '..', 'syntax'))
    for playbook in [plan_file.PLAN_FILE] + ansible_standins.STACK_PLAYBOOKS:
        result = subprocess.run(
            [os.path.join(ansible_standins.BIN, 'ansible-playbook'),
             '--syntax-check', '-i', inventory, playbook],
            cwd=source_dir, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_plan_runs_what_the_stack_playbooks_run(config_dir, tmp_path):
    """Per host, the same tasks (name, module, release, step, outcome), in
    the same order, with real Ansible and every module stood in."""
    by_stack = ansible_standins.run(str(tmp_path), config_dir,
                                    ansible_standins.STACK_PLAYBOOKS,
                                    'stack')
    playbook, _ = plan_compiler.Compiler(config_dir).compile()
    plan_file.write(config_dir, playbook)
    by_plan = ansible_standins.run(
        str(tmp_path), config_dir,
        ansible_standins.plan_playbooks(config_dir,
                                        plan_file.load(config_dir)),
        'plan')
    assert sorted(by_plan) == sorted(by_stack) == ['c0', 'c1', 'n0',
                                                   'undercloud']
    for host in by_stack:
        assert by_plan[host] == by_stack[host], host
    ran = by_plan['c0']
    assert ('Controller repos pike', 'command', 'pike', '3', 'ok') in ran
    assert ('Controller db sync', 'command', 'pike', '8', 'ok') in ran
    assert not any(task[0] == 'Controller db sync' for task in by_plan['c1'])
    assert ('Controller post queens', 'debug', 'queens', None, 'ok') in ran


def test_write_and_load(config_dir, compiled):
    path = plan_file.write(config_dir, compiled[0])
    assert path == os.path.join(config_dir, plan_file.PLAN_FILE)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert plan.load_plays(config_dir) == [info.id for info in compiled[1]]
    with open(path) as source:
        assert source.readline().startswith('- ')
    for name in os.listdir(os.path.join(config_dir, plan_file.PLAN_TASKS_DIR)):
        mode = os.stat(os.path.join(config_dir, plan_file.PLAN_TASKS_DIR,
                                    name)).st_mode
        assert stat.S_IMODE(mode) == 0o600


def test_write_replaces_the_task_files_of_an_earlier_plan(config_dir,
                                                          compiled):
    stale = os.path.join(config_dir, plan_file.PLAN_TASKS_DIR, 'stale.yaml')
    plan_file.write(config_dir, compiled[0])
    with open(stale, 'w') as out:
        out.write('[]\n')
    plan_file.write(config_dir, compiled[0])
    assert not os.path.exists(stale)


def test_the_compiler_leaves_its_input_alone(compiled, config_dir):
    before = copy.deepcopy(compiled[0])
    plan_file.write(config_dir, compiled[0])
    assert compiled[0] == before


@pytest.mark.parametrize('missing', [
    'fast_forward_upgrade_playbook.yaml', 'upgrade_steps_playbook.yaml',
    'deploy_steps_playbook.yaml', 'post_upgrade_steps_playbook.yaml'])
def test_a_missing_playbook_is_named(config_dir, missing):
    os.unlink(os.path.join(config_dir, missing))
    with pytest.raises(plan_file.PlanError, match=missing):
        plan_compiler.Compiler(config_dir).compile()


@pytest.mark.parametrize('playbook', [[], None, {'hosts': 'x'}])
def test_a_playbook_without_a_play_is_refused(config_dir, playbook):
    with open(os.path.join(config_dir, 'upgrade_steps_playbook.yaml'),
              'w') as out:
        yaml.safe_dump(playbook, out)
    with pytest.raises(plan_file.PlanError, match='holds no play'):
        plan_compiler.Compiler(config_dir).compile()


def test_an_import_playbook_is_refused_with_its_place(config_dir):
    with open(os.path.join(config_dir, 'upgrade_steps_playbook.yaml'),
              'w') as out:
        yaml.safe_dump([{'import_playbook': 'other.yaml'}], out)
    with pytest.raises(plan_file.PlanError, match='play #1'):
        plan_compiler.Compiler(config_dir).compile()


@pytest.mark.parametrize('target', ['/etc/passwd', '../outside.yaml',
                                    '{{ role }}/tasks.yaml',
                                    'missing.yaml'])
def test_an_include_the_plan_cannot_follow_stays_as_it_is(config_dir,
                                                          target):
    tasks = [{'include_tasks': target, 'when': 'x'}]
    with open(os.path.join(config_dir, 'upgrade_steps_tasks.yaml'),
              'w') as out:
        yaml.safe_dump(tasks, out)
    playbook, _ = plan_compiler.Compiler(config_dir).compile()
    plan_file.write(config_dir, playbook)
    upgrade = [play for play in plan_file.load(config_dir)
               if play['name'] == 'upgrade-0'][0]
    with open(os.path.join(config_dir,
                           upgrade['tasks'][0]['include'])) as source:
        assert yaml.safe_load(source) == tasks


def test_the_compiler_reuses_the_task_files_the_fixers_read(config_dir):
    from tripleo_ffu.workflow import fixers
    task_files = {}
    fixers.fix_config(config_dir, [], task_files)
    os.unlink(os.path.join(config_dir, 'Compute/upgrade_tasks.yaml'))
    _, infos = plan_compiler.Compiler(config_dir, task_files).compile()
    assert {info.id: info for info in infos}['upgrade-2'].tasks_per_role[
        'Compute'] == 1


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
    assert plan_walk.filter_tasks(tasks, release, step) == kept


def test_filter_tasks_leaves_its_input_alone():
    tasks = [{'block': [{'name': 'a', 'when': 'step|int == 2'},
                        {'name': 'b'}],
              'always': [{'name': 'c', 'when': 'step|int == 2'}]}]
    before = copy.deepcopy(tasks)
    plan_walk.filter_tasks(tasks, 'ocata', 1)
    assert tasks == before


# load: only a plan tripleo-ffu wrote

def _write_plan_text(config_dir, text):
    path = os.path.join(config_dir, plan_file.PLAN_FILE)
    with open(path, 'w') as out:
        out.write(text)
    return path


def test_load_plays_without_a_plan(tmp_path):
    with pytest.raises(plan_file.PlanError, match=plan_file.PLAN_FILE):
        plan.load_plays(str(tmp_path))


def test_load_a_plan_that_is_not_yaml(tmp_path):
    path = _write_plan_text(str(tmp_path), '- name: setup\n  vars: {a: [\n')
    with pytest.raises(plan_file.PlanError, match='not valid YAML') as exc:
        plan_file.load(str(tmp_path))
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
    with pytest.raises(plan_file.PlanError,
                       match='not a plan tripleo-ffu wrote') as exc:
        plan_file.load(str(tmp_path))
    assert path in str(exc.value)
    assert 'run prepare again' in str(exc.value)


@pytest.mark.parametrize('tasks, count', [
    (None, 0),
    ([], 0),
    ([{'name': 'a'}, {'name': 'b'}], 2),
    ([{'block': []}], 0),
    ([{'name': 'a'}, {'name': 'blk', 'when': 'x', 'block': [
        {'name': 'b'}, {'name': 'c'}]}], 3),
    ([{'block': [{'name': 'a'}], 'rescue': [{'name': 'b'}],
      'always': [{'name': 'c'}, {'name': 'd'}]}], 4),
])
def test_count_tasks(tasks, count):
    assert plan.count_tasks(tasks) == count


# The compiler on small playbooks of its own

def _small(tmp_path, ffu_tasks, files=None):
    """A config dir whose FFU playbook's play holds ffu_tasks; the other
    phases one task each."""
    root = str(tmp_path / 'small')
    os.makedirs(root)
    playbooks = dict.fromkeys(
        (relative for _, relative in phases.PHASE_PLAYBOOKS),
        [{'hosts': 'overcloud', 'tasks': [{'name': 'x', 'debug': {}}]}])
    playbooks['fast_forward_upgrade_playbook.yaml'] = [
        {'hosts': 'overcloud', 'gather_facts': False, 'tasks': ffu_tasks}]
    for relative, data in dict(playbooks, **(files or {})).items():
        with open(os.path.join(root, relative), 'w') as out:
            yaml.safe_dump(data, out)
    playbook, infos = plan_compiler.Compiler(root).compile()
    plan_file.write(root, playbook)
    return root, [info for info in infos if info.phase == 'ffu']


def test_a_loop_over_a_fact_set_under_a_condition_stays_a_loop(tmp_path):
    loop = {'include_tasks': 'each.yaml', 'with_items': '{{ items }}'}
    root, infos = _small(tmp_path, [
        {'set_fact': {'items': [1, 2]}, 'when': 'x'}, loop],
        {'each.yaml': [{'name': 'e', 'debug': {}}]})
    assert [info.id for info in infos] == ['ffu']
    assert plan_file.load(root)[0]['tasks'][1] == loop


def test_a_loop_over_a_fact_of_the_kv_form_is_unrolled(tmp_path):
    root, infos = _small(tmp_path, [
        {'set_fact': 'first=a second=b'},
        {'include_tasks': 'each.yaml', 'with_items': '{{ [first, second] }}',
         'loop_control': {'loop_var': 'which', 'index_var': 'n'}}],
        {'each.yaml': [{'name': 'e', 'debug': {}}]})
    assert [info.id for info in infos] == ['ffu', 'ffu-a-0', 'ffu-b-1']
    assert infos[2].bindings == (('which', 'b'), ('n', 1))


def test_a_loop_with_extended_control_stays_a_loop(tmp_path):
    loop = {'include_tasks': 'each.yaml', 'loop': [1, 2],
            'loop_control': {'extended': True}}
    root, infos = _small(tmp_path, [loop],
                         {'each.yaml': [{'name': 'e', 'debug': {}}]})
    assert [info.id for info in infos] == ['ffu']
    assert plan_file.load(root)[0]['tasks'] == [loop]


def test_a_step_some_task_may_set_pins_nothing(tmp_path):
    """`step` is a play variable here, but a set_fact may change it: no
    task is left out on its account."""
    files = {'deploy_steps_playbook.yaml': [{
        'hosts': 'overcloud', 'vars': {'step': '2'}, 'tasks': [
            {'name': 'at 3', 'debug': {}, 'when': 'step|int == 3'},
            {'set_fact': 'step=3', 'when': 'x'}]}]}
    root, _ = _small(tmp_path, [{'name': 'a', 'debug': {}}], files)
    deploy = [play for play in plan_file.load(root)
              if plan.phase_of(play) == 'deploy'][0]
    assert deploy['tasks'][0] == {'name': 'at 3', 'debug': {},
                                  'when': 'step|int == 3'}


def test_a_static_import_under_a_false_condition_keeps_its_registers(
        tmp_path):
    """An import's `when` is copied onto each task: a skipped task still
    registers. A dynamic include under a false `when` loads nothing."""
    tasks = [{'name': 'r', 'command': 'true', 'register': 'r'},
             {'name': 'p', 'debug': {}}]
    root, infos = _small(tmp_path, [
        {'include_tasks': 'steps.yaml', 'with_sequence': 'start=1 end=2',
         'loop_control': {'loop_var': 'step'}},
        {'name': 'read', 'debug': {'var': 'r'}}],
        {'steps.yaml': [
            {'import_tasks': 'imported.yaml', 'when': 'step|int == 1'},
            {'include_tasks': 'included.yaml', 'when': 'step|int == 1'}],
         'imported.yaml': tasks, 'included.yaml': tasks})
    written = {play['name']: _included(root, play['tasks'])
               for play in plan_file.load(root)}
    assert [task['name'] for task in written['ffu-1']] == ['r', 'p', 'r',
                                                            'p']
    assert [task['name'] for task in written['ffu-2']] == ['r']


def test_a_task_looping_over_step_sees_its_own_step(tmp_path):
    """Found by the property tests: a task's own loop variable beats the
    play's, so its `when` pins nothing."""
    shadow = {'name': 'shadow', 'debug': {}, 'with_items': ['1'],
              'loop_control': {'loop_var': 'step'}, 'when': 'step|int == 1'}
    root, _ = _small(tmp_path, [
        {'include_tasks': 'steps.yaml', 'with_sequence': 'start=0 end=2',
         'loop_control': {'loop_var': 'step'}}],
        {'steps.yaml': [shadow]})
    written = {play['name']: _included(root, play['tasks'])
               for play in plan_file.load(root)}
    assert written['ffu-0'] == written['ffu-2'] == [shadow]


def test_task_vars_beat_a_play_var_step_not_an_include_variable(tmp_path):
    """Found by the property tests: in the deploy steps `step` is a play
    variable, which a task's or block's own vars beat."""
    own = {'name': 'own step', 'debug': {}, 'vars': {'step': '3'},
           'when': 'step|int == 3'}
    block = {'vars': {'step': '3'}, 'block': [
        {'name': 'in block', 'debug': {}, 'when': 'step|int == 3'}]}
    files = {'deploy_steps_playbook.yaml': [{
        'hosts': 'overcloud', 'vars': {'step': '2'}, 'tasks': [own, block]}],
        'upgrade_steps_playbook.yaml': [{'hosts': 'overcloud', 'tasks': [
            {'include_tasks': 'up.yaml', 'vars': {'step': '2'}}]}],
        'up.yaml': [own]}
    root, _ = _small(tmp_path, [{'name': 'a', 'debug': {}}], files)
    by_phase = {plan.phase_of(play): play for play in plan_file.load(root)}
    assert by_phase['deploy']['tasks'] == [own, block]
    # An include variable beats task vars: at step 2 the task cannot run.
    assert 'tasks' not in by_phase['upgrade'] or not _included(
        root, by_phase['upgrade']['tasks'])
