"""A config dir's history: its stack, an update left to Heat, when each
step happened, and what status says of them."""

import json
import os
import types

import pytest

from tests.unit.test_status import CONVERGED
from tests.unit.test_status import PLAN_IDS
from tests.unit.test_status import PREPARED
from tests.unit.test_status import fake_heat
from tests.unit.test_status import write_plan
from tests.unit.test_status import write_run
from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import history
from tripleo_ffu.workflow import inventory
from tripleo_ffu.workflow import run_state
from tripleo_ffu.workflow import status

STACK = types.SimpleNamespace(id='0f1e2d3c', stack_name='overcloud')
EARLIER = types.SimpleNamespace(id='9a8b7c6d', stack_name='overcloud')


@pytest.fixture
def planned(tmp_path):
    path = str(tmp_path / 'cfg')
    os.makedirs(path)
    write_plan(path)
    return path


def _prepared_for(config_dir, stack):
    run_state.record_prepare(config_dir, stack.id)
    run_state.record_prepared(config_dir)


# The stack a config dir belongs to

def test_a_state_of_an_earlier_stack_is_refused(planned):
    _prepared_for(planned, EARLIER)
    with pytest.raises(errors.WorkflowError) as raised:
        history.check_owner(planned, STACK)
    assert str(raised.value) == (
        '%s holds the upgrade state of an earlier stack overcloud (id '
        '9a8b7c6d), not of the one deployed now (id 0f1e2d3c): the stack was '
        'deleted and deployed again. Run `openstack overcloud ffwd-upgrade '
        'prepare --stack overcloud --config-dir %s` to begin its upgrade '
        'there (the old state is moved aside and kept), or give the '
        '--config-dir of this stack' % (planned, planned))
    with pytest.raises(errors.WorkflowError, match='an earlier stack'):
        status.status(fake_heat(PREPARED), 'overcloud', planned)


def test_the_stacks_own_state_and_an_unknown_one_pass(planned):
    history.check_owner(planned, STACK)  # no prepare recorded
    _prepared_for(planned, STACK)
    history.check_owner(planned, STACK)


def test_prepare_moves_an_earlier_stacks_state_aside_whole(planned):
    _prepared_for(planned, EARLIER)
    write_run(planned, done=PLAN_IDS)
    run_state.record_converge(planned, {'stack': 'overcloud'})
    run_dir = os.path.join(planned, run_state.RUN_DIR)
    before = {name: open(os.path.join(run_dir, name)).read()
              for name in os.listdir(run_dir)}
    with run_state.Lock(planned, 'ffwd-upgrade prepare'):
        aside = history.claim(planned, STACK)
        assert sorted(os.listdir(run_dir)) == sorted([
            history.PREVIOUS_DIR, run_state.LOCK_FILE])
    assert os.path.dirname(aside) == os.path.join(run_dir,
                                                  history.PREVIOUS_DIR)
    assert aside.endswith('-stack-9a8b7c6d')
    assert {name: open(os.path.join(aside, name)).read()
            for name in os.listdir(aside)} == before
    assert history.claim(planned, STACK) is None  # nothing of it left
    assert files.exposed(run_dir) == ([], [])


def test_prepare_keeps_its_own_stacks_state(planned):
    _prepared_for(planned, STACK)
    write_run(planned, done=PLAN_IDS)
    assert history.claim(planned, STACK) is None
    assert run_state.Journal.load(planned) is not None


# A stack update left to Heat

def _update_interrupted(config_dir, command='prepare', stack=STACK):
    with pytest.raises(errors.Interrupted):
        with history.stack_update(config_dir, command, stack):
            raise errors.Interrupted('SIGINT: ...', 2)


def test_an_update_that_ends_leaves_no_record(planned):
    with history.stack_update(planned, 'prepare', STACK):
        holder = {'pid': os.getpid(), 'command': 'ffwd-upgrade prepare'}
        assert history.update_left(planned, holder) is None  # it runs
        assert history.update_left(planned, {})['command'] == 'prepare'
    assert history.update_left(planned, {}) is None
    with pytest.raises(errors.WorkflowError):
        with history.stack_update(planned, 'prepare', STACK):
            raise errors.WorkflowError('stack update of overcloud failed')
    assert history.update_left(planned, {}) is None


def test_status_while_heat_goes_on_with_an_interrupted_prepare(planned):
    _update_interrupted(planned)
    record = history.update_left(planned, {})
    report = status.status(fake_heat(CONVERGED,
                                     stack_status='UPDATE_IN_PROGRESS'),
                           'overcloud', planned)
    assert report['state'] == 'stack update in progress'
    assert report['summary'] == (
        'stack update in progress (prepare interrupted at %s)'
        % record['interrupted'])
    assert report['next_step'].startswith('wait for Heat to end the update')


@pytest.mark.parametrize('command, registry', [('prepare', PREPARED),
                                               ('converge', CONVERGED)])
def test_status_once_heat_ended_an_interrupted_update(planned, command,
                                                     registry):
    _update_interrupted(planned, command)
    report = status.status(fake_heat(registry), 'overcloud', planned)
    assert report['state'] == '%s interrupted' % command
    assert report['summary'].endswith(
        'Heat ended its stack update (UPDATE_COMPLETE)')
    assert report['next_step'].startswith(
        'openstack overcloud ffwd-upgrade %s (again' % command)


def test_a_killed_update_is_dated_by_its_start(planned):
    path = os.path.join(run_state.run_dir(planned), history.STACK_UPDATE_FILE)
    files.write_private(path, json.dumps({
        'command': 'converge', 'stack_id': STACK.id, 'pid': 2 ** 22 + 1,
        'started': '2026-12-07T07:00:00+00:00'}))
    assert history.update_left(planned, {})['interrupted'] == (
        '2026-12-07T07:00:00+00:00')


# A forced converge

def test_status_after_a_converge_forced_right_after_prepare(planned):
    run_state.record_converge(planned, {
        'stack': 'overcloud', 'forced': 'no run recorded',
        'skipped_plays': PLAN_IDS,
        'nodes_left': {'c-0': ['ffu', 'upgrade'], 'c-1': ['ffu', 'upgrade'],
                       'n-0': ['ffu']}})
    report = status.status(fake_heat(CONVERGED), 'overcloud', planned)
    assert report['state'] == 'converged by force'
    assert report['summary'] == (
        'converged by force at %s; 2 nodes never ran ffu, upgrade; 1 node '
        'never ran ffu' % report['converged_at'])
    assert report['next_step'].startswith(
        'openstack overcloud ffwd-upgrade prepare, then run and converge')


def test_converge_words_without_nodes():
    assert history.converge_words({'skipped_plays': ['a', 'b']}) == (
        '2 plays never ran')
    assert history.converge_words({}) == ''


# When each step happened

def test_prepared_at_is_when_the_last_prepare_ended(planned):
    assert history.prepared_at(planned) == ''
    run_state.record_prepare(planned, STACK.id)
    assert history.prepared_at(planned) == ''  # updated, not downloaded
    run_state.record_prepared(planned)
    assert history.prepared_at(planned)


def test_status_after_a_whole_upgrade_reads_as_a_history(planned):
    with open(os.path.join(planned, inventory.INVENTORY_FILE), 'w') as out:
        json.dump({'Controller': {'hosts': {'c-0': {}}},
                   'overcloud': {'children': {'Controller': {}}}}, out)
    _prepared_for(planned, STACK)
    write_run(planned, done=PLAN_IDS, hosts=['c-0'])
    run_state.record_converge(planned, {'stack': 'overcloud', 'forced': '',
                                        'nodes_left': {}})
    report = status.status(fake_heat(CONVERGED), 'overcloud', planned)
    assert report['state'] == 'converged'
    assert report['prepared_at'] <= report['converged_at']
    assert set(report['run_phases']) == {'ffu', 'upgrade', 'deploy',
                                         'post-upgrade'}
    for phase in report['run_phases'].values():
        assert (phase['nodes_done'], phase['nodes']) == (1, 1)
        assert report['prepared_at'] <= phase['last_at'] <= \
            report['converged_at']
    assert 'prepared' not in report and 'converged' not in report
