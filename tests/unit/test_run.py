"""`ffwd-upgrade run`: what to run, what must be there, how it ended."""

import os
import types

import pytest
import yaml

from tripleo_ffu.workflow import batch
from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import inventory
from tripleo_ffu.workflow import phases
from tripleo_ffu.workflow import plan
from tripleo_ffu.workflow import plan_compiler
from tripleo_ffu.workflow import plan_file
from tripleo_ffu.workflow import reach
from tripleo_ffu.workflow import run
from tripleo_ffu.workflow import run_state
from tests.unit import tht_queens

@pytest.fixture(scope='module')
def compiled(tmp_path_factory):
    """The plan of THT 8.4.1's RoleConfig, as prepare compiles it."""
    config_dir = tht_queens.write_config(
        str(tmp_path_factory.mktemp('tht') / 'config'), tht_queens.ROLE_FILES)
    return plan_compiler.Compiler(config_dir).compile()[0]


@pytest.fixture(scope='module')
def ids(compiled):
    found = {}
    for play in compiled:
        found.setdefault(plan.phase_of(play), []).append(
            plan.play_ids([play])[0])
    return found


# select_plays

@pytest.mark.parametrize('phases', [
    phases.PHASES, ('ffu',), ('upgrade',), ('ffu', 'deploy'), ()])
def test_select_plays_without_a_journal(compiled, ids, phases):
    assert run.select_plays(compiled, phases) == [
        play_id for phase in phases for play_id in ids[phase]]


def _journal(tmp_path, unfinished, play_ids, status='failed'):
    """A journal with every play before `unfinished` done."""
    plays, done = [], True
    for play_id in play_ids:
        if play_id == unfinished:
            done = False
            plays.append({'id': play_id, 'status': status, 'runs': 1})
        else:
            plays.append({'id': play_id, 'runs': int(done),
                          'status': 'done' if done else 'pending'})
    return run_state.Journal(str(tmp_path), {'plays': plays})


@pytest.mark.parametrize('unfinished, phases, again', [
    # The facts, the release's own play (bootstrap node, prep) and its
    # check step run again first.
    ('ffu-pike-6', phases.PHASES, ['ffu-facts', 'ffu', 'ffu-pike',
                                   'ffu-pike-0']),
    ('ffu-pike-0', phases.PHASES, ['ffu-facts', 'ffu', 'ffu-pike']),
    ('ffu-pike', ('ffu',), ['ffu-facts', 'ffu']),
    # The releases the FFU play sets, which ffu-end's `releases | last`
    # reads.
    ('ffu-end', phases.PHASES, ['ffu-facts', 'ffu']),
    ('upgrade-5', phases.PHASES, ['upgrade-facts', 'upgrade-0']),
    # The deploy playbook's facts of the undercloud and the overcloud,
    # which its later plays read (deployments.yaml: ansible_facts).
    ('deploy.3', ('deploy',), ['deploy.1', 'deploy.2']),
    ('deploy.6', ('deploy',), ['deploy.1', 'deploy.2', 'deploy.3']),
    ('ffu-facts', phases.PHASES, []),
])
def test_select_plays_resuming(tmp_path, compiled, ids, unfinished, phases,
                               again):
    selected = run.select_plays(compiled, phases)
    journal = _journal(tmp_path, unfinished, selected)
    assert run.select_plays(compiled, phases, journal) == again + selected[
        selected.index(unfinished):]


@pytest.mark.parametrize('status', ['failed', 'interrupted', 'running',
                                    'pending'])
def test_select_plays_resumes_at_any_unfinished_status(tmp_path, compiled,
                                                       status):
    selected = run.select_plays(compiled, phases.PHASES)
    journal = _journal(tmp_path, 'ffu-ocata-4', selected, status=status)
    assert run.select_plays(compiled, phases.PHASES, journal)[:5] == [
        'ffu-facts', 'ffu', 'ffu-ocata', 'ffu-ocata-0', 'ffu-ocata-4']


def test_sets_context_only():
    assert plan.sets_context_only({'hosts': 'overcloud'})
    assert not plan.sets_context_only({'hosts': 'all',
                                       'gather_facts': False})
    assert plan.sets_context_only({'gather_facts': False, 'tasks': [
        {'include_vars': 'global_vars.yaml'}, {'set_fact': {'a': 1}}]})
    assert not plan.sets_context_only({'tasks': [
        {'set_fact': {'a': 1}}, {'file': {'path': '/x'}}]})
    assert not plan.sets_context_only({'roles': ['tripleo-bootstrap']})
    assert not plan.sets_context_only({'tasks': [{'block': [
        {'set_fact': {'a': 1}}]}]})


def test_select_plays_complete_journal(tmp_path, compiled):
    journal = run_state.Journal(str(tmp_path), {'plays': [
        {'id': play_id, 'status': 'done', 'runs': 1}
        for play_id in run.select_plays(compiled, phases.PHASES)]})
    with pytest.raises(errors.WorkflowError, match='nothing to resume'):
        run.select_plays(compiled, phases.PHASES, journal)


@pytest.mark.parametrize('unfinished, selected', [
    ('upgrade-5', ('ffu',)),
    ('ffu-pike-6', ('upgrade', 'deploy', 'post-upgrade')),
    ('deploy.1', ('ffu', 'upgrade', 'post-upgrade')),
])
def test_select_plays_unfinished_outside_the_phases(tmp_path, compiled,
                                                    unfinished, selected):
    journal = _journal(tmp_path, unfinished,
                       run.select_plays(compiled, phases.PHASES))
    with pytest.raises(errors.WorkflowError, match='not in the plan') as exc:
        run.select_plays(compiled, selected, journal)
    assert unfinished in str(exc.value)


def test_select_plays_unfinished_not_in_the_plan(tmp_path, compiled):
    journal = _journal(tmp_path, 'rocky-1', ['ffu', 'rocky-1'])
    with pytest.raises(errors.WorkflowError, match='rocky-1'):
        run.select_plays(compiled, phases.PHASES, journal)


# check_prepared

def _options(tmp_path, **kwargs):
    kwargs.setdefault('stack', 'overcloud')
    return run.Options(config_dir=str(tmp_path), **kwargs)


def _write(tmp_path, relative, text=None):
    if text is None:
        text = ('- hosts: overcloud\n  vars: {tripleo_ffu_play: ffu}\n'
                if relative == plan_file.PLAN_FILE else '- hosts: overcloud\n')
    path = os.path.join(str(tmp_path), relative)
    with open(path, 'w') as out:
        out.write(text)
    return path


def _inventory(tmp_path, text='overcloud:\n  children:\n    Controller: {}\n'):
    return _write(tmp_path, inventory.INVENTORY_FILE, text)


def _missing(options, path):
    with pytest.raises(errors.WorkflowError) as exc:
        run.check_prepared(options)
    message = str(exc.value)
    assert path in message
    assert 'is missing' in message
    assert 'openstack overcloud ffwd-upgrade prepare' in message
    assert '--stack %s' % options.stack in message


def test_check_prepared_plan(tmp_path):
    _inventory(tmp_path)
    _write(tmp_path, plan_file.PLAN_FILE)
    run.check_prepared(_options(tmp_path))


def test_check_prepared_missing_inventory(tmp_path):
    _write(tmp_path, plan_file.PLAN_FILE)
    _missing(_options(tmp_path, stack='prod'),
             os.path.join(str(tmp_path), inventory.INVENTORY_FILE))


def test_check_prepared_missing_plan(tmp_path):
    _inventory(tmp_path)
    _missing(_options(tmp_path),
             os.path.join(str(tmp_path), plan_file.PLAN_FILE))


def test_check_prepared_static_inventory(tmp_path):
    static = tmp_path / 'static'
    static.mkdir()
    path = _inventory(static)
    _write(tmp_path, plan_file.PLAN_FILE)
    run.check_prepared(_options(tmp_path, inventory=path))
    with pytest.raises(errors.WorkflowError, match=(
            r'inventory .*/gone.yaml \(--static-inventory\) does not exist')):
        run.check_prepared(_options(tmp_path,
                                    inventory=str(static / 'gone.yaml')))


def test_check_prepared_stack_playbooks(tmp_path):
    _inventory(tmp_path)
    for playbook in run.STACK_PLAYBOOKS.values():
        _write(tmp_path, playbook)
    run.check_prepared(_options(tmp_path, playbook='stack'))


@pytest.mark.parametrize('phase', phases.PHASES)
def test_check_prepared_missing_stack_playbook(tmp_path, phase):
    _inventory(tmp_path)
    _write(tmp_path, plan_file.PLAN_FILE)
    for other, playbook in run.STACK_PLAYBOOKS.items():
        if other != phase:
            _write(tmp_path, playbook)
    _missing(_options(tmp_path, playbook='stack'),
             os.path.join(str(tmp_path), run.STACK_PLAYBOOKS[phase]))


def test_check_prepared_stack_needs_only_its_phases(tmp_path):
    _inventory(tmp_path)
    _write(tmp_path, run.STACK_PLAYBOOKS['upgrade'])
    run.check_prepared(_options(tmp_path, playbook='stack',
                                phases=('upgrade',)))


def test_check_prepared_stack_does_not_need_the_plan(tmp_path):
    _inventory(tmp_path)
    for playbook in run.STACK_PLAYBOOKS.values():
        _write(tmp_path, playbook)
    assert not os.path.exists(os.path.join(str(tmp_path), plan_file.PLAN_FILE))
    run.check_prepared(_options(tmp_path, playbook='stack'))


def test_check_prepared_inventory_not_yaml(tmp_path):
    path = _inventory(tmp_path, 'overcloud: [unclosed\n')
    _write(tmp_path, plan_file.PLAN_FILE)
    with pytest.raises(errors.WorkflowError, match='not valid YAML') as exc:
        run.check_prepared(_options(tmp_path))
    assert path in str(exc.value)


@pytest.mark.parametrize('text', ['- overcloud\n', 'overcloud\n', '',
                                  '42\n'])
def test_check_prepared_inventory_not_a_mapping(tmp_path, text):
    path = _inventory(tmp_path, text)
    _write(tmp_path, plan_file.PLAN_FILE)
    with pytest.raises(errors.WorkflowError,
                       match='not a YAML mapping') as exc:
        run.check_prepared(_options(tmp_path))
    assert path in str(exc.value)


def test_check_prepared_inventory_is_a_directory(tmp_path):
    os.mkdir(os.path.join(str(tmp_path), inventory.INVENTORY_FILE))
    _write(tmp_path, plan_file.PLAN_FILE)
    _missing(_options(tmp_path),
             os.path.join(str(tmp_path), inventory.INVENTORY_FILE))


# source_of

STOP_NOVA = {'name': 'Stop nova', 'service': {'name': 'nova',
                                              'state': 'stopped'}}
BLOCK = {'name': 'Upgrade the database', 'block': [
    {'name': 'Dump the database', 'command': 'mysqldump'},
    {'block': [{'name': 'Deep inside', 'debug': {}}]}],
    'rescue': [{'name': 'Restore the database', 'command': 'mysql'}]}


@pytest.fixture
def task_config(tmp_path):
    """A config dir as config download writes it, with a step file."""
    files = {
        'Controller/upgrade_tasks.yaml': [STOP_NOVA, BLOCK],
        'Compute/upgrade_tasks.yaml': [STOP_NOVA],
        'Controller/fast_forward_upgrade_tasks.yaml': [
            {'name': 'Check the release', 'debug': {}}],
        'Controller/upgrade_tasks_step1.yaml': [
            STOP_NOVA, {'name': 'Only in a step file', 'debug': {}}],
        'Controller/post_upgrade_tasks.yaml': {'not': 'a list'},
        'Compute/post_upgrade_tasks.yaml': None,
        'Controller/update_tasks.yaml': [{'name': 'Not an FFU section',
                                          'debug': {}}],
        'Controller/upgrade_tasks.j2': [STOP_NOVA],
    }
    for relative, tasks in files.items():
        path = tmp_path / relative
        path.parent.mkdir(exist_ok=True)
        path.write_text(yaml.safe_dump(tasks))
    return str(tmp_path)


@pytest.mark.parametrize('task, found', [
    ('Stop nova', ['Compute/upgrade_tasks.yaml',
                   'Controller/upgrade_tasks.yaml']),
    ('Upgrade the database', ['Controller/upgrade_tasks.yaml']),
    ('Dump the database', ['Controller/upgrade_tasks.yaml']),
    ('Deep inside', ['Controller/upgrade_tasks.yaml']),
    ('Restore the database', ['Controller/upgrade_tasks.yaml']),
    ('Check the release', ['Controller/fast_forward_upgrade_tasks.yaml']),
    ('Only in a step file', []),
    ('Not an FFU section', []),
    ('No such task', []),
    (None, []),
])
def test_source_of(task_config, task, found):
    assert run.source_of(task_config, task) == found


def test_source_of_an_empty_config(tmp_path):
    assert run.source_of(str(tmp_path), 'Stop nova') == []


def test_source_of_finds_deploy_steps_tasks(tmp_path):
    role = tmp_path / 'Controller'
    role.mkdir()
    (role / 'deploy_steps_tasks.yaml').write_text(yaml.safe_dump([
        {'name': 'Write the config', 'copy': {'dest': '/etc/x'}}]))
    (role / 'deploy_steps_tasks_step1.yaml').write_text(yaml.safe_dump([
        {'name': 'Write the config', 'copy': {'dest': '/etc/x'}}]))
    assert run.source_of(str(tmp_path), 'Write the config') == [
        'Controller/deploy_steps_tasks.yaml']


# _status

def _signals(received=None):
    return types.SimpleNamespace(received=received)


def _runner(status='successful', rc=0):
    return types.SimpleNamespace(status=status, rc=rc)


def _handler(failures=()):
    return types.SimpleNamespace(failures=list(failures))


FAILURE = {'play': 'ocata-4', 'task': 't', 'host': 'c-0'}


@pytest.mark.parametrize('runner, handler, signals, status', [
    (_runner(), _handler(), _signals(), 'complete'),
    (_runner(), _handler(), _signals(2), 'interrupted'),
    (_runner(), _handler(), _signals(15), 'interrupted'),
    (_runner('failed', 2), _handler([FAILURE]), _signals(15),
     'interrupted'),
    (_runner('canceled', 254), _handler(), _signals(), 'interrupted'),
    (_runner('canceled', 0), _handler(), _signals(), 'interrupted'),
    (_runner('failed', 2), _handler(), _signals(), 'failed'),
    (_runner('timeout', 254), _handler(), _signals(), 'failed'),
    (_runner('successful', 0), _handler([FAILURE]), _signals(), 'failed'),
    (_runner('failed', 2), _handler([FAILURE]), _signals(), 'failed'),
])
def test_status(runner, handler, signals, status):
    assert run._status(runner, handler, signals) == status


def test_check_prepared_inventory_without_the_stack_group(tmp_path):
    path = _inventory(tmp_path)
    _write(tmp_path, plan_file.PLAN_FILE)
    with pytest.raises(errors.WorkflowError,
                       match='has no group prod: check --stack') as exc:
        run.check_prepared(_options(tmp_path, stack='prod'))
    assert path in str(exc.value)


def test_check_prepared_inventory_not_utf8(tmp_path):
    path = _write(tmp_path, inventory.INVENTORY_FILE, '')
    with open(path, 'wb') as out:
        out.write(b'\xff\xfe')
    _write(tmp_path, plan_file.PLAN_FILE)
    with pytest.raises(errors.WorkflowError, match='is not UTF-8 text'):
        run.check_prepared(_options(tmp_path))


def test_check_prepared_reads_the_plan(tmp_path):
    _inventory(tmp_path)
    _write(tmp_path, plan_file.PLAN_FILE, '- [\n')
    with pytest.raises(errors.WorkflowError, match='is not valid YAML'):
        run.check_prepared(_options(tmp_path))


def test_extravars_from_the_command_line_win(tmp_path):
    options = _options(tmp_path, ssh_user='admin', ssh_key='key')
    assert reach.extravars(options) == {
        'ansible_ssh_user': 'admin',
        'ansible_ssh_private_key_file': os.path.abspath('key')}


def test_default_forks_follow_the_nodes_and_the_cpus(monkeypatch):
    monkeypatch.setattr(reach.os, 'cpu_count', lambda: 2)
    assert reach.default_forks(3) == 3
    assert reach.default_forks(20) == 8
    assert reach.default_forks(0) == 1
    monkeypatch.setattr(reach.os, 'cpu_count', lambda: 64)
    assert reach.default_forks(500) == 100


def test_a_node_that_ran_no_task_fails_the_run():
    from tripleo_ffu.workflow import progress
    handler = progress.Progress(lambda line: None, None)
    handler.worked.update({'c-0': 3})
    assert run._check_every_node_worked(handler, ['c-0']) == 'complete'
    assert run._check_every_node_worked(handler, ['c-0', 'c-1']) == 'failed'
    assert handler.failures[-1]['host'] == 'c-1'
    assert 'ran no task' in handler.failures[-1]['message']


def test_each_phase_is_a_run_of_its_own(tmp_path, compiled, monkeypatch):
    """Facts and registered results of the FFU are not the upgrade's, as
    with the stack's four playbooks; a failed phase stops the run."""
    plan_file.write(str(tmp_path), compiled)
    ran = []

    def ansible(options, path, log_file, say, journal, signals, ident,
                handler):
        with open(path) as source:
            plays = yaml.safe_load(source)
        ran.append((ident, {plan.phase_of(play) for play in plays}))
        runner = types.SimpleNamespace(status='successful', rc=0)
        return runner, handler

    monkeypatch.setattr(run, '_ansible', ansible)
    options = _options(tmp_path)
    inventory = dict(LIMITED_INVENTORY,
                     undercloud={'hosts': {'undercloud': {}}})
    upgrade = batch.Upgrade.load(str(tmp_path), 'overcloud', compiled,
                                 inventory)
    status, _, ids, _ = run._run_plan(
        options, lambda line: None, None, None,
        types.SimpleNamespace(received=None), str(tmp_path / 'log'),
        upgrade, compiled, lambda text: text)
    assert status == 'complete'
    assert ran == [('plan-%s' % phase, {phase}) for phase in phases.PHASES]
    assert ids == run.select_plays(compiled, phases.PHASES)


def test_ansible_finds_queens_modules_when_the_undercloud_has_them(
        monkeypatch, tmp_path):
    from tripleo_ffu.workflow import ansible
    monkeypatch.setattr(ansible, 'QUEENS_MODULES', str(tmp_path))
    monkeypatch.setenv('ANSIBLE_LIBRARY', '/nowhere')
    assert ansible.environment()['ANSIBLE_LIBRARY'] == str(tmp_path)
    monkeypatch.setattr(ansible, 'QUEENS_MODULES', str(tmp_path / 'no'))
    assert 'ANSIBLE_LIBRARY' not in ansible.environment()


def test_ansible_polls_for_results_as_tripleo_common_does():
    """Ansible's 0.001 s keeps a CPU busy; tripleo-common sets 0.01."""
    from tripleo_ffu.workflow import ansible
    assert ansible.environment()['ANSIBLE_INTERNAL_POLL_INTERVAL'] == '0.01'


# Runs limited to some nodes (--roles, --nodes, --limit)

LIMITED_INVENTORY = {
    'Controller': {'hosts': {'c-0': {}, 'c-1': {}}},
    'Compute': {'hosts': {'n-0': {}}},
    'overcloud': {'children': {'Controller': {}, 'Compute': {}}},
}
FFU_IDS = ['ffu', 'ffu-ocata', 'ffu-ocata-0', 'ffu-end']
TARGET = ['upgrade-0', 'upgrade-1', 'deploy.1', 'post-upgrade-0']


@pytest.fixture
def prepared(tmp_path):
    """A config dir with the plan and the inventory, the fast-forward
    phase done on every node."""
    from tests.unit import test_status
    config_dir = str(tmp_path / 'cfg')
    os.makedirs(config_dir, mode=0o700)
    test_status.write_plan(config_dir, FFU_IDS + TARGET)
    with open(os.path.join(config_dir, inventory.INVENTORY_FILE), 'w') as out:
        yaml.safe_dump(LIMITED_INVENTORY, out)
    test_status.write_run(config_dir, done=FFU_IDS, play_ids=FFU_IDS,
                          hosts=['c-0', 'c-1', 'n-0'])
    return config_dir


def _limited(config_dir, limit, option='--roles', **kwargs):
    kwargs.setdefault('phases', ('upgrade', 'deploy', 'post-upgrade'))
    return run.Options(stack='overcloud', config_dir=config_dir,
                       limit=limit, limit_option=option, **kwargs)


def _run_limited(options, monkeypatch):
    """run.run with Ansible replaced: every play completes."""
    calls = []

    def ansible(options, path, log_file, say, journal, signals, ident,
                handler):
        calls.append((options.limit, journal))
        for play_id in journal.ids():
            journal.mark(play_id, 'done', 0.1)
        handler.worked.update(dict.fromkeys(('c-0', 'c-1', 'n-0'), 1))
        return _runner(), handler
    monkeypatch.setattr(run, '_ansible', ansible)
    monkeypatch.setattr(reach, 'ping', lambda options, path, say: calls.append(
        ('ping', options.limit)))
    said = []
    return run.run(options, said.append), calls, said


def test_a_role_runs_with_its_limit_and_records_its_nodes(prepared,
                                                          monkeypatch):
    result, calls, _ = _run_limited(_limited(prepared, 'Controller'),
                                    monkeypatch)
    assert calls[0] == ('ping', 'Controller')
    limit, journal = calls[1]
    assert limit == 'Controller'
    assert journal.ids() == TARGET
    assert journal.data['targets']['upgrade-0'] == ['c-0', 'c-1']
    assert (result.status, result.exit_code) == ('complete', 0)
    assert result.left == {'n-0': ['upgrade', 'deploy', 'post-upgrade']}
    nodes = run_state.Nodes.load(prepared)
    assert nodes.hosts('upgrade-0') == {'c-0', 'c-1'}
    assert nodes.hosts('ffu-ocata-0') == {'c-0', 'c-1', 'n-0'}


def test_a_batch_already_through_is_nothing_to_do(prepared, monkeypatch):
    _run_limited(_limited(prepared, 'Controller'), monkeypatch)
    result, calls, said = _run_limited(_limited(prepared, 'Controller'),
                                       monkeypatch)
    assert (result.status, result.exit_code, calls) == ('nothing to do', 0,
                                                        [])
    assert said == ['Already through upgrade, deploy, post-upgrade, left '
                    'out: c-0, c-1']


def test_the_rest_of_a_role_is_limited_to_the_nodes_left(prepared,
                                                         monkeypatch):
    _run_limited(_limited(prepared, 'Controller'), monkeypatch)
    result, calls, _ = _run_limited(_limited(prepared, 'all', '--limit'),
                                    monkeypatch)
    assert calls[0] == ('ping', 'n-0')
    assert result.left == {}


def test_resume_continues_the_batch(prepared, monkeypatch):
    journal = run_state.Journal.start(
        prepared, TARGET, '/log', limit='Compute',
        limit_given='Compute', targets={p: ['n-0'] for p in TARGET})
    journal.mark('upgrade-0', 'failed')
    journal.finish('failed')
    options = _limited(prepared, None, None, resume=True, force=True)
    result, calls, said = _run_limited(options, monkeypatch)
    assert calls[0] == ('ping', 'Compute')
    assert any(line.startswith('Resuming at upgrade-0 on Compute')
               for line in said)
    assert run_state.Nodes.load(prepared).hosts('upgrade-0') == {'n-0'}


def test_resume_with_another_batch_is_refused(prepared, monkeypatch):
    journal = run_state.Journal.start(prepared, ['upgrade-0'], '/log',
                                      limit='Compute', limit_given='Compute')
    journal.finish('failed')
    with pytest.raises(errors.WorkflowError) as exc:
        _run_limited(_limited(prepared, 'Controller', resume=True),
                     monkeypatch)
    assert str(exc.value) == ('the run to resume was limited to Compute: run '
                              '--resume without --roles (it goes on with the '
                              'same nodes)')


def test_a_limited_run_needs_the_plan(prepared):
    with pytest.raises(errors.WorkflowError, match='--nodes needs the plan'):
        run.run(_limited(prepared, 'n-0', '--nodes', playbook='stack',
                         phases=('upgrade',)), print)


def test_resume_finishes_the_phases_of_the_run_it_resumes(prepared,
                                                          monkeypatch):
    """A run of the upgrade phase alone, failed: its resume runs the
    rest of that phase, not the phases after it."""
    upgrade = [play_id for play_id in TARGET if play_id.startswith('upgrade')]
    journal = run_state.Journal.start(
        prepared, upgrade, '/log', targets={p: ['c-0'] for p in upgrade})
    journal.mark('upgrade-0', 'done')
    journal.mark('upgrade-1', 'failed')
    journal.finish('failed')
    options = run.Options(stack='overcloud', config_dir=prepared,
                          resume=True)
    result, calls, said = _run_limited(options, monkeypatch)
    assert calls[1][1].ids() == upgrade
    assert any(line.startswith('Resuming at upgrade-1') for line in said)
