"""`ffwd-upgrade status`: where an FFU stands, and what converge needs."""

import json
import os
import re
import stat
import types
from unittest import mock

import git
from heatclient import exc as heat_exc
from keystoneauth1 import exceptions as ks_exc
import pytest

from tests.unit import test_run_state
from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import inventory
from tripleo_ffu.workflow import plan_file
from tripleo_ffu.workflow import run_state
from tripleo_ffu.workflow import stack as overcloud_stack
from tripleo_ffu.workflow import status

PLAN_IDS = ['setup', 'ocata-prep', 'ocata-0', 'ocata-1', 'queens-post',
            'upgrade-0', 'deploy-0', 'post-upgrade-0']
STEPS = overcloud_stack.DEPLOYMENT_STEPS
NOOP = overcloud_stack.NOOP
# What prepare leaves in the stack's registry, and what converge puts back
# (the lab's templates map the role tasks to a template).
PREPARED = {STEPS: NOOP,
            'OS::TripleO::Tasks::ControllerPreConfig': NOOP,
            'OS::TripleO::Services::Keystone': 'services/keystone.yaml'}
CONVERGED = {STEPS: 'OS::Heat::StructuredDeploymentGroup',
             'OS::TripleO::Tasks::ControllerPreConfig': 'role-config.yaml',
             'OS::TripleO::Services::Keystone': 'services/keystone.yaml'}
# THT's own registry maps every role's pre/post config tasks to nothing
# (overcloud-resource-registry-puppet.j2.yaml), prepared or not.
THT_DEFAULTS = {STEPS: 'OS::Heat::StructuredDeploymentGroup',
                'OS::TripleO::Tasks::ControllerPreConfig': NOOP,
                'OS::TripleO::Tasks::ControllerPostConfig': NOOP,
                'OS::TripleO::Tasks::ComputePreConfig': NOOP,
                'OS::TripleO::Tasks::ComputePostConfig': NOOP}


# Shared with test_converge.

def fake_heat(registry, parameters=None, stack_status='UPDATE_COMPLETE'):
    """Heat with one stack, 'overcloud', whose registry is registry."""
    heat = mock.Mock()
    heat.stacks.get.return_value = types.SimpleNamespace(
        id='0f1e2d3c', stack_name='overcloud', stack_status=stack_status,
        stack_status_reason='', parameters=parameters or {})
    heat.stacks.environment.return_value = {
        'resource_registry': dict(registry)}
    return heat


def _phase(play_id):
    for phase in ('post-upgrade', 'upgrade', 'deploy'):
        if play_id.startswith(phase):
            return phase
    return 'ffu'


def write_plan(config_dir, play_ids=PLAN_IDS):
    """A plan of these plays, two tasks each (one nested in a block)."""
    plan_file.write(config_dir, [
        {'name': play_id, 'hosts': 'overcloud',
         'vars': {plan_file.PLAY_VAR: play_id,
                  plan_file.PHASE_VAR: _phase(play_id)},
         'tasks': [{'name': 'Controller tasks', 'block': [
             {'name': 'a', 'debug': {}},
             {'name': 'b', 'block': [{'name': 'c', 'debug': {}}]}]}]}
        for play_id in play_ids])


def write_run(config_dir, done=(), failed=(), run_status='complete',
              play_ids=PLAN_IDS, hosts=(), limit=None):
    """A journal of a run of play_ids on hosts: done and failed ones, the
    rest pending."""
    journal = run_state.Journal.start(
        config_dir, play_ids, '/log/run.log', limit=limit,
        targets={play_id: list(hosts) for play_id in play_ids})
    for play_id in done:
        journal.mark(play_id, 'done', 1.0)
    for play_id in failed:
        journal.mark(play_id, 'failed', 1.0)
    journal.finish(run_status)
    return journal


@pytest.fixture
def config_dir(tmp_path):
    path = str(tmp_path / 'cfg')
    os.makedirs(path)
    return path


@pytest.fixture
def planned(config_dir):
    """A config dir prepare wrote a plan in."""
    write_plan(config_dir)
    return config_dir


# run_summary

def test_run_summary_without_a_plan(config_dir):
    assert status.run_summary(config_dir, 'overcloud') == status.RunSummary(
        None, None, [], [], [])


def test_run_summary_without_a_journal(planned):
    summary = status.run_summary(planned, 'overcloud')
    assert summary.plan_ids == PLAN_IDS
    assert summary.journal is None
    assert (summary.done, summary.failed) == ([], [])
    assert summary.pending == summary.missing == PLAN_IDS


def test_run_summary_of_a_failed_run(planned):
    journal = write_run(planned, done=PLAN_IDS[:3], failed=['ocata-1'],
                        run_status='failed')
    journal.mark('queens-post', 'running')
    summary = status.run_summary(planned, 'overcloud')
    assert summary.journal.data == journal.data
    assert summary.done == PLAN_IDS[:3]
    assert summary.failed == ['ocata-1']
    assert summary.pending == PLAN_IDS[4:]
    assert summary.missing == PLAN_IDS[3:]


def test_run_summary_counts_plays_done_earlier_as_done(planned):
    write_run(planned, done=PLAN_IDS[:5], play_ids=PLAN_IDS[:5])
    write_run(planned, done=['setup', 'upgrade-0'],
              play_ids=['setup', 'upgrade-0', 'deploy-0'])
    summary = status.run_summary(planned, 'overcloud')
    assert summary.done == PLAN_IDS[:6]
    assert summary.pending == ['deploy-0', 'post-upgrade-0']


# check_run_complete

def test_check_run_complete_without_a_plan(config_dir):
    with pytest.raises(errors.WorkflowError) as exc:
        status.check_run_complete(config_dir, 'prod')
    message = str(exc.value)
    assert 'no FFU plan in %s' % config_dir in message
    assert '--force' in message


def test_check_run_complete_without_a_run(planned):
    with pytest.raises(errors.WorkflowError) as exc:
        status.check_run_complete(planned, 'prod')
    message = str(exc.value)
    assert os.path.join(planned, run_state.RUN_DIR) in message
    assert 'ffwd-upgrade run --stack prod' in message
    assert '--force' in message


def test_check_run_complete_lists_the_plays_not_done(planned):
    write_run(planned, done=PLAN_IDS[:5], failed=['upgrade-0'],
              run_status='failed')
    with pytest.raises(errors.WorkflowError) as exc:
        status.check_run_complete(planned, 'prod')
    message = str(exc.value)
    assert '3 of 8 plays not done (upgrade-0, deploy-0, post-upgrade-0)' in (
        message)
    assert '--resume' in message
    assert '--force' in message


def test_check_run_complete_refuses_a_run_before_the_last_prepare(planned):
    """converge, prepare again, converge: not without a run between."""
    write_run(planned, done=PLAN_IDS)
    run_state.record_prepare(planned)
    with pytest.raises(errors.WorkflowError) as exc:
        status.check_run_complete(planned, 'prod')
    assert str(exc.value).startswith('prepare ran after the last run '
                                     '(complete, ')
    assert 'ffwd-upgrade run --stack prod' in str(exc.value)


def test_check_run_complete_a_run_resumed_after_a_prepare(planned):
    """Fixed, prepared again, resumed to the end: converge goes."""
    journal = write_run(planned, done=PLAN_IDS[:5], run_status='failed')
    run_state.record_prepare(planned)
    for play_id in PLAN_IDS[5:]:
        journal.mark(play_id, 'done', 1.0)
    journal.finish('complete')
    assert status.check_run_complete(planned, 'prod').missing == []


def test_check_run_complete_shows_at_most_six_plays(planned):
    write_run(planned, done=['setup'], run_status='interrupted')
    with pytest.raises(errors.WorkflowError) as exc:
        status.check_run_complete(planned, 'prod')
    message = str(exc.value)
    assert ('7 of 8 plays not done (%s, ...)' % ', '.join(PLAN_IDS[1:7])
            in message)
    assert 'post-upgrade-0' not in message
    assert '--force' in message


def test_check_run_complete_returns_the_summary(planned):
    write_run(planned, done=PLAN_IDS[:5], play_ids=PLAN_IDS[:5])
    write_run(planned, done=['setup'] + PLAN_IDS[5:],
              play_ids=['setup'] + PLAN_IDS[5:])
    summary = status.check_run_complete(planned, 'prod')
    assert summary.done == PLAN_IDS
    assert summary.missing == []


# _state

def _summary(plan_ids=PLAN_IDS, run_status=None, missing=(), stale=False):
    journal = (None if run_status is None else
               types.SimpleNamespace(data={'status': run_status,
                                           'prepare': 1 if stale else 0}))
    done = [p for p in plan_ids or [] if p not in missing]
    return status.RunSummary(plan_ids, journal, done, [], list(missing),
                             config_dir='/nowhere')


def _holder(command):
    return {'pid': 4242, 'command': command, 'since': '2024-01-01'}


@pytest.mark.parametrize('prepared, summary, holder, converged, state', [
    (False, _summary(None), {}, False, 'not prepared'),
    # A prepared stack with no plan in the config dir: prepare again.
    (True, _summary(None), {}, False, 'not prepared'),
    (False, _summary(None), _holder('ffwd-upgrade prepare'), False,
     'preparing'),
    (True, _summary(), {}, False, 'prepared'),
    (True, _summary(run_status='running'), _holder('ffwd-upgrade run'),
     False, 'running'),
    (True, _summary(run_status='failed', missing=['ocata-1']), {}, False,
     'failed'),
    (True, _summary(run_status='interrupted', missing=['ocata-1']), {},
     False, 'interrupted'),
    # Left running and nobody holds the lock: the run was killed.
    (True, _summary(run_status='running', missing=['ocata-1']), {}, False,
     'interrupted'),
    (True, _summary(run_status='complete', missing=['deploy-0']), {},
     False, 'partly run'),
    (True, _summary(run_status='complete'), {}, False, 'upgraded'),
    # A prepare after the last complete run: run again.
    (True, _summary(run_status='complete', stale=True), {}, False,
     'prepared'),
    (True, _summary(run_status='failed', missing=['ocata-1'], stale=True),
     {}, False, 'failed'),
    (True, _summary(run_status='complete'),
     _holder('ffwd-upgrade converge'), False, 'converging'),
    (False, _summary(run_status='complete'), {}, True, 'converged'),
])
def test_state(prepared, summary, holder, converged, state):
    assert status._state(prepared, summary, holder, converged) == state
    assert state in status.NEXT


# _commits

def _repo(config_dir, messages):
    """A git repo in config_dir with one commit per message, in order."""
    repo = git.Repo.init(config_dir)
    who = git.Actor('Test', 'test@example.com')
    for message in messages:
        repo.index.commit(message, author=who, committer=who)
    return [commit.hexsha for commit in repo.iter_commits()]


def test_commits_after_a_prepare_that_fixed_tasks(config_dir):
    shas = _repo(config_dir, [
        'Config download of stack x',
        'Fix generated tasks: 3 change(s)\n\nmoved a\nmoved b\nmoved c',
        'FFU plan and inventory of stack x'])
    assert status._commits(config_dir) == ([
        '%s FFU plan and inventory of stack x' % shas[0][:8],
        '%s Fix generated tasks: 3 change(s)' % shas[1][:8],
        '%s Config download of stack x' % shas[2][:8]], 3)


def test_commits_after_a_prepare_with_nothing_to_fix(config_dir):
    shas = _repo(config_dir, [
        'Config download of stack x', 'Fix generated tasks: 2 change(s)',
        'FFU plan and inventory of stack x',
        'Config download of stack x', 'FFU plan and inventory of stack x'])
    commits, fixes = status._commits(config_dir)
    assert fixes == 0
    assert commits == [
        '%s FFU plan and inventory of stack x' % shas[0][:8],
        '%s Config download of stack x' % shas[1][:8],
        '%s FFU plan and inventory of stack x' % shas[2][:8]]


@pytest.mark.parametrize('make', [lambda path: None, git.Repo.init],
                         ids=['no repo', 'no commit'])
def test_commits_without_a_repo_or_a_commit(config_dir, make):
    make(config_dir)
    assert status._commits(config_dir) == ([], None)


# stack.get, as status and converge find the stack

def test_get_asks_heat_without_resolving_outputs():
    heat = fake_heat(PREPARED)
    assert overcloud_stack.get(heat, 'overcloud').stack_name == 'overcloud'
    heat.stacks.get.assert_called_once_with('overcloud',
                                            resolve_outputs=False)


@pytest.mark.parametrize('error, expected', [
    (heat_exc.HTTPNotFound(), "stack 'prod' not found: check --stack"),
    (heat_exc.HTTPForbidden('no access'),
     "Heat refused to show stack 'prod'"),
    (ks_exc.ConnectFailure('Unable to establish connection'),
     'cannot reach Heat (Unable to establish connection): source the '
     'undercloud stackrc, or check OS_ENDPOINT'),
])
def test_get_errors(error, expected):
    heat = fake_heat(PREPARED)
    heat.stacks.get.side_effect = error
    with pytest.raises(errors.WorkflowError, match=re.escape(expected)):
        overcloud_stack.get(heat, 'prod')


def test_get_lets_other_errors_through():
    heat = fake_heat(PREPARED)
    heat.stacks.get.side_effect = KeyError('bug')
    with pytest.raises(KeyError):
        overcloud_stack.get(heat, 'prod')


# status

FIELDS = ['stack', 'stack_status', 'state', 'summary', 'next_step',
          'prepared_at', 'run_phases', 'converged_at', 'config_dir',
          'config_private', 'commits',
          'fixes_applied',
          'plan_plays', 'plan_tasks', 'run_status', 'run_limit',
          'plays_done', 'plays_failed', 'plays_pending', 'roles', 'nodes',
          'last_failure', 'log', 'lock_holder']


def test_status_of_a_failed_run(planned):
    shas = _repo(planned, ['Config download of stack overcloud',
                           'Fix generated tasks: 3 change(s)',
                           'FFU plan and inventory of stack overcloud'])
    journal = write_run(planned, done=PLAN_IDS[:3], failed=['ocata-1'],
                        run_status='failed')
    journal.finish('failed', {'play': 'ocata-1', 'task': 'Stop nova',
                              'host': 'overcloud-controller-0'},
                   '/log/run-2.log')
    heat = fake_heat(PREPARED)
    files.make_private(planned)
    report = status.status(heat, 'overcloud', planned)
    assert list(report.items()) == [
        ('stack', 'overcloud'),
        ('stack_status', 'UPDATE_COMPLETE'),
        ('state', 'failed'),
        ('summary', 'run failed at %s (play ocata-1)'
                    % journal.data['updated']),
        ('next_step', 'fix the failure, then openstack overcloud '
                      'ffwd-upgrade run --resume'),
        ('prepared_at', ''),
        ('run_phases', {}),
        ('converged_at', ''),
        ('config_dir', planned),
        ('config_private', True),
        ('commits', [
            '%s FFU plan and inventory of stack overcloud' % shas[0][:8],
            '%s Fix generated tasks: 3 change(s)' % shas[1][:8],
            '%s Config download of stack overcloud' % shas[2][:8]]),
        ('fixes_applied', 3),
        ('plan_plays', 8),
        ('plan_tasks', 16),
        ('run_status', 'failed'),
        ('run_limit', ''),
        ('plays_done', 3),
        ('plays_failed', 1),
        ('plays_pending', 4),
        ('roles', {}),
        ('nodes', {}),
        ('last_failure', 'Stop nova on overcloud-controller-0 (play '
                         'ocata-1)'),
        ('log', '/log/run-2.log'),
        ('lock_holder', ''),
    ]
    heat.stacks.environment.assert_called_once_with('0f1e2d3c')


def test_status_of_a_stack_never_prepared(tmp_path):
    config_dir = str(tmp_path / 'nowhere')
    report = status.status(fake_heat(CONVERGED), 'overcloud', config_dir)
    assert list(report) == FIELDS
    assert report == dict(
        stack='overcloud', stack_status='UPDATE_COMPLETE',
        state='not prepared', summary='not prepared',
        next_step='openstack overcloud ffwd-upgrade prepare',
        prepared_at='', run_phases={}, converged_at='',
        config_dir=config_dir,
        config_private=True, commits=[],
        fixes_applied=None, plan_plays=0, plan_tasks=0, run_status='none',
        run_limit='', plays_done=0, plays_failed=0, plays_pending=0,
        roles={}, nodes={}, last_failure='', log='', lock_holder='')
    assert not os.path.exists(config_dir)


def test_status_of_a_prepared_stack_creates_nothing(planned):
    before = sorted(os.listdir(planned))
    report = status.status(fake_heat(PREPARED), 'overcloud', planned)
    assert (report['state'], report['plays_pending']) == ('prepared', 8)
    assert sorted(os.listdir(planned)) == before
    assert run_state.RUN_DIR not in before


def test_status_while_a_run_holds_the_lock(planned):
    write_run(planned, done=['setup'], run_status='running')
    with run_state.Lock(planned, 'ffwd-upgrade run'):
        report = status.status(fake_heat(PREPARED), 'overcloud', planned)
    assert report['state'] == 'running'
    assert report['run_status'] == 'running'
    assert report['lock_holder'].startswith(
        'ffwd-upgrade run (pid %d, since ' % os.getpid())


def test_status_of_a_killed_run(planned):
    """The lock file still names the run, whose process is gone."""
    write_run(planned, done=['setup'], run_status='running')
    with open(os.path.join(planned, run_state.RUN_DIR,
                           run_state.LOCK_FILE), 'w') as out:
        json.dump({'pid': test_run_state._dead_pid(),
                   'command': 'ffwd-upgrade run'}, out)
    report = status.status(fake_heat(PREPARED), 'overcloud', planned)
    assert report['state'] == 'interrupted'
    assert report['next_step'] == (
        'openstack overcloud ffwd-upgrade run --resume')
    assert report['lock_holder'] == ''


def test_status_of_a_run_resumed_to_the_end(planned):
    """The failure a resumed run got past is no longer shown."""
    journal = write_run(planned, failed=['setup'], run_status='failed')
    journal.finish('failed', {'play': 'setup', 'task': 'Ping',
                              'host': 'c-0'})
    for play_id in PLAN_IDS:
        journal.mark(play_id, 'done', 1.0)
    journal.finish('complete')
    report = status.status(fake_heat(PREPARED), 'overcloud', planned)
    assert (report['state'], report['plays_failed']) == ('upgraded', 0)
    assert report['last_failure'] == ''


def test_status_after_converge(planned):
    write_run(planned, done=PLAN_IDS)
    run_state.record_converge(planned, {'stack': 'overcloud'})
    report = status.status(fake_heat(CONVERGED), 'overcloud', planned)
    converged_at = report['converged_at']
    assert converged_at
    assert (report['state'], report['summary']) == (
        'converged', 'converged at %s' % converged_at)
    assert report['next_step'] == (
        'nothing: the fast-forward upgrade is finished')


def test_status_a_converge_record_of_a_stack_prepared_again(planned):
    write_run(planned, done=PLAN_IDS)
    run_state.record_converge(planned, {'stack': 'overcloud'})
    report = status.status(fake_heat(PREPARED), 'overcloud', planned)
    assert report['state'] == 'upgraded'


def test_status_of_an_unknown_stack(config_dir):
    heat = fake_heat(PREPARED)
    heat.stacks.get.side_effect = heat_exc.HTTPNotFound()
    with pytest.raises(errors.WorkflowError, match='--stack'):
        status.status(heat, 'overcloud', config_dir)


def test_status_of_a_tht_stack_never_prepared(tmp_path):
    """Only the deploy steps tell: THT maps role tasks to nothing."""
    config_dir = str(tmp_path / 'nowhere')
    report = status.status(fake_heat(THT_DEFAULTS), 'overcloud', config_dir)
    assert (report['state'], report['prepared_at']) == ('not prepared', '')


def test_status_of_a_converge_that_failed_its_check(planned):
    write_run(planned, done=PLAN_IDS)
    report = status.status(fake_heat(CONVERGED), 'overcloud', planned)
    assert report['state'] != 'not prepared'
    assert 'prepare' not in report['next_step']


def test_status_says_the_config_dir_is_readable_by_others_and_leaves_it(
        planned, caplog):
    os.chmod(planned, 0o755)
    report = status.status(fake_heat(PREPARED), 'overcloud', planned)
    assert report['config_private'] is False
    assert stat.S_IMODE(os.stat(planned).st_mode) == 0o755
    assert 'can be read by others' in caplog.text


# Node by node

def _inventory(config_dir):
    """The overcloud's roles, and the undercloud as prepare writes it."""
    with open(os.path.join(config_dir, inventory.INVENTORY_FILE), 'w') as out:
        json.dump({'Controller': {'hosts': {'c-0': {}, 'c-1': {}}},
                   'Compute': {'hosts': {'n-0': {}, 'n-1': {}}},
                   'overcloud': {'children': {'Controller': {},
                                              'Compute': {}}},
                   'undercloud': {'hosts': {'undercloud': {
                       'ansible_connection': 'local'}}}}, out)


FFU_PART = PLAN_IDS[:5]
TARGET_PART = PLAN_IDS[5:]


def test_status_per_role_and_node(planned):
    _inventory(planned)
    write_run(planned, done=FFU_PART, play_ids=FFU_PART,
              hosts=['c-0', 'c-1', 'n-0', 'n-1'])
    write_run(planned, done=['setup'] + TARGET_PART,
              play_ids=['setup'] + TARGET_PART, hosts=['c-0', 'c-1'],
              limit='Controller')
    write_run(planned, done=['setup'] + TARGET_PART,
              play_ids=['setup'] + TARGET_PART, hosts=['n-0'], limit='n-0')
    report = status.status(fake_heat(PREPARED), 'overcloud', planned)
    assert report['state'] == 'partly run'
    assert report['run_limit'] == 'n-0'
    assert report['next_step'] == ('openstack overcloud ffwd-upgrade run '
                                   '--nodes n-1 (the nodes left)')
    assert report['roles'] == {'Controller': {'done': ['c-0', 'c-1'],
                                              'left': []},
                               'Compute': {'done': ['n-0'], 'left': ['n-1']}}
    assert report['nodes']['n-1'] == {
        'role': 'Compute', 'done': ['ffu'],
        'left': ['upgrade', 'deploy', 'post-upgrade']}
    assert (report['plays_done'], report['plays_pending']) == (5, 3)


def test_status_names_the_roles_left_whole(planned):
    """After the fast-forward phase on every node (a run without
    selection): a normal state, the control plane's roles next."""
    _inventory(planned)
    write_run(planned, done=FFU_PART, play_ids=FFU_PART,
              hosts=['c-0', 'c-1', 'n-0', 'n-1'])
    report = status.status(fake_heat(PREPARED), 'overcloud', planned)
    assert (report['state'], report['run_status'], report['last_failure']) \
        == ('partly run', 'complete', '')
    assert report['next_step'] == (
        'openstack overcloud ffwd-upgrade run --roles Controller (the '
        'control plane first)')


def test_status_while_the_fast_forward_phase_is_not_complete(planned):
    _inventory(planned)
    write_run(planned, done=FFU_PART, play_ids=FFU_PART, hosts=['c-0'])
    report = status.status(fake_heat(PREPARED), 'overcloud', planned)
    assert report['next_step'] == (
        'openstack overcloud ffwd-upgrade run (the fast-forward phase on '
        'every node)')


def test_status_every_node_through(planned):
    _inventory(planned)
    write_run(planned, done=PLAN_IDS, hosts=['c-0', 'c-1', 'n-0', 'n-1'])
    report = status.status(fake_heat(PREPARED), 'overcloud', planned)
    assert report['state'] == 'upgraded'
    assert sorted(report['nodes']) == ['c-0', 'c-1', 'n-0', 'n-1']
    assert all(not node['left'] for node in report['nodes'].values())
