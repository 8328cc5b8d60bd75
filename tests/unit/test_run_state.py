"""What a run leaves in <config-dir>/ffu-run/: the lock and the journal."""

import json
import logging
import os
import stat
import subprocess
import sys

import pytest

from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import run_state

PLAYS = ['setup', 'ocata-prep', 'ocata-0', 'ocata-1', 'queens-post']


@pytest.fixture
def config_dir(tmp_path):
    return str(tmp_path)


def _lock_path(config_dir):
    return os.path.join(config_dir, run_state.RUN_DIR, run_state.LOCK_FILE)


def _read(path):
    with open(path) as source:
        return source.read()


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _dead_pid():
    """The pid of a process that has ended and been reaped."""
    child = subprocess.Popen([sys.executable, '-c', 'pass'])
    child.wait()
    return child.pid


# run_dir

def test_run_dir_is_created_owner_only(tmp_path):
    config_dir = str(tmp_path / 'cfg')
    path = run_state.run_dir(config_dir)
    assert path == os.path.join(config_dir, 'ffu-run')
    assert os.path.isdir(path)
    assert _mode(path) == 0o700


def test_run_dir_twice_is_fine(config_dir):
    assert run_state.run_dir(config_dir) == run_state.run_dir(config_dir)


# Lock

def test_lock_held_says_who_holds_it(config_dir):
    with run_state.Lock(config_dir, 'ffwd-upgrade run') as lock:
        assert lock.path == _lock_path(config_dir)
        holder = json.loads(_read(lock.path))
        assert holder['pid'] == os.getpid()
        assert holder['command'] == 'ffwd-upgrade run'
        assert holder['since']
        assert _mode(lock.path) == 0o600


def test_lock_released_is_emptied(config_dir):
    with run_state.Lock(config_dir, 'ffwd-upgrade run') as lock:
        pass
    assert lock.fd is None
    assert _read(_lock_path(config_dir)) == ''


def test_second_lock_is_refused_while_the_first_is_held(config_dir):
    """flock is per open file description: the same process is refused."""
    with run_state.Lock(config_dir, 'ffwd-upgrade prepare'):
        before = _read(_lock_path(config_dir))
        with pytest.raises(errors.WorkflowError) as exc:
            with run_state.Lock(config_dir, 'ffwd-upgrade run'):
                pytest.fail('a second lock was granted')
        message = str(exc.value)
        assert 'ffwd-upgrade prepare' in message
        assert 'pid %d' % os.getpid() in message
        assert _lock_path(config_dir) in message
        # The refused one leaves the holder's record alone.
        assert _read(_lock_path(config_dir)) == before


def test_lock_is_granted_again_after_release(config_dir):
    with run_state.Lock(config_dir, 'ffwd-upgrade prepare'):
        pass
    with run_state.Lock(config_dir, 'ffwd-upgrade run'):
        holder = json.loads(_read(_lock_path(config_dir)))
        assert holder['command'] == 'ffwd-upgrade run'


def test_lock_of_a_dead_process_is_taken_over(config_dir, caplog):
    pid = _dead_pid()
    path = os.path.join(run_state.run_dir(config_dir), run_state.LOCK_FILE)
    with open(path, 'w') as out:
        json.dump({'pid': pid, 'command': 'ffwd-upgrade converge',
                   'since': '2024-01-01T00:00:00+00:00'}, out)
    with caplog.at_level(logging.WARNING, logger=run_state.__name__):
        with run_state.Lock(config_dir, 'ffwd-upgrade run'):
            holder = json.loads(_read(path))
    assert holder['pid'] == os.getpid()
    assert holder['command'] == 'ffwd-upgrade run'
    warnings = [record.getMessage() for record in caplog.records
                if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert 'ffwd-upgrade converge' in warnings[0]
    assert 'pid %d' % pid in warnings[0]


def test_lock_file_that_is_not_json_is_taken_over(config_dir, caplog):
    path = os.path.join(run_state.run_dir(config_dir), run_state.LOCK_FILE)
    with open(path, 'w') as out:
        out.write('not json')
    with caplog.at_level(logging.WARNING, logger=run_state.__name__):
        with run_state.Lock(config_dir, 'ffwd-upgrade run'):
            assert json.loads(_read(path))['pid'] == os.getpid()
    assert not caplog.records


def test_holder_without_a_lock_file(config_dir):
    assert run_state.Lock.holder(config_dir) == {}
    assert not os.path.exists(os.path.join(config_dir, run_state.RUN_DIR))


def test_holder_while_held_and_after(config_dir):
    with run_state.Lock(config_dir, 'ffwd-upgrade run'):
        holder = run_state.Lock.holder(config_dir)
        assert holder['pid'] == os.getpid()
        assert holder['command'] == 'ffwd-upgrade run'
        assert set(holder) == {'pid', 'command', 'since'}
    assert run_state.Lock.holder(config_dir) == {}


def test_holder_of_a_dead_process_is_nobody(config_dir):
    """The file may say who held it; the flock says nobody does."""
    path = os.path.join(run_state.run_dir(config_dir), run_state.LOCK_FILE)
    with open(path, 'w') as out:
        json.dump({'pid': _dead_pid(), 'command': 'ffwd-upgrade run'}, out)
    assert run_state.Lock.holder(config_dir) == {}


# Journal

def _journal_file(config_dir):
    return os.path.join(config_dir, run_state.RUN_DIR,
                        run_state.JOURNAL_FILE)


def _on_disk(config_dir):
    with open(_journal_file(config_dir)) as source:
        return json.load(source)


def test_journal_start_writes_every_play_pending(config_dir):
    journal = run_state.Journal.start(config_dir, PLAYS, '/log/run.log')
    assert journal.path == _journal_file(config_dir)
    assert _mode(journal.path) == 0o600
    data = _on_disk(config_dir)
    assert data['plays'] == [{'id': play, 'status': 'pending', 'runs': 0}
                             for play in PLAYS]
    assert data['status'] == 'running'
    assert data['log'] == '/log/run.log'
    assert data['failure'] is None
    assert data['started']
    assert data['updated']
    assert data == journal.data


def test_journal_mark_running_keeps_the_runs(config_dir):
    journal = run_state.Journal.start(config_dir, PLAYS, '/log')
    journal.mark('ocata-0', 'running')
    play = _on_disk(config_dir)['plays'][2]
    assert play == {'id': 'ocata-0', 'status': 'running', 'runs': 0}


@pytest.mark.parametrize('status', ['done', 'failed'])
def test_journal_mark_an_end_counts_a_run(config_dir, status):
    journal = run_state.Journal.start(config_dir, PLAYS, '/log')
    journal.mark('ocata-0', 'running')
    journal.mark('ocata-0', status, 12.345)
    play = _on_disk(config_dir)['plays'][2]
    assert play == {'id': 'ocata-0', 'status': status, 'runs': 1,
                    'seconds': 12.3}
    journal.mark('ocata-0', 'running')
    journal.mark('ocata-0', status, 1.0)
    assert journal.play('ocata-0')['runs'] == 2
    assert journal.play('ocata-0')['seconds'] == 1.0


def test_journal_mark_an_unknown_play_changes_nothing(config_dir):
    journal = run_state.Journal.start(config_dir, PLAYS, '/log')
    before = _on_disk(config_dir)['plays']
    journal.mark('rocky-1', 'done', 1.0)
    assert journal.play('rocky-1') is None
    assert _on_disk(config_dir)['plays'] == before


def test_journal_queries(config_dir):
    journal = run_state.Journal.start(config_dir, PLAYS, '/log')
    assert journal.first_unfinished() == 'setup'
    assert not journal.complete
    journal.mark('setup', 'done', 1)
    journal.mark('ocata-prep', 'done', 1)
    journal.mark('ocata-0', 'failed', 1)
    assert journal.first_unfinished() == 'ocata-0'
    assert journal.ids() == PLAYS
    assert journal.ids('done') == ['setup', 'ocata-prep']
    assert journal.ids('failed') == ['ocata-0']
    assert journal.ids('pending') == ['ocata-1', 'queens-post']
    assert not journal.complete
    for play in PLAYS:
        journal.mark(play, 'done', 1)
    assert journal.complete
    assert journal.first_unfinished() is None


def test_journal_running_play_is_unfinished(config_dir):
    journal = run_state.Journal.start(config_dir, PLAYS, '/log')
    journal.mark('setup', 'done', 1)
    journal.mark('ocata-prep', 'running')
    assert journal.first_unfinished() == 'ocata-prep'


def test_journal_finish(config_dir):
    journal = run_state.Journal.start(config_dir, PLAYS, '/log/1.log')
    failure = {'play': 'ocata-0', 'task': 'Stop nova', 'host': 'c-0'}
    journal.finish('failed', failure, '/log/2.log')
    data = _on_disk(config_dir)
    assert data['status'] == 'failed'
    assert data['failure'] == failure
    assert data['log'] == '/log/2.log'
    journal.finish('interrupted')
    data = _on_disk(config_dir)
    assert data['status'] == 'interrupted'
    assert data['failure'] == failure
    assert data['log'] == '/log/2.log'


def test_journal_load_without_a_journal(config_dir):
    assert run_state.Journal.load(config_dir) is None


def test_journal_load_reads_what_start_wrote(config_dir):
    journal = run_state.Journal.start(config_dir, PLAYS, '/log')
    journal.mark('setup', 'done', 2.0)
    loaded = run_state.Journal.load(config_dir)
    assert loaded.data == journal.data
    assert loaded.path == journal.path
    assert loaded.first_unfinished() == 'ocata-prep'


def _write_journal(config_dir, text):
    path = os.path.join(run_state.run_dir(config_dir),
                        run_state.JOURNAL_FILE)
    with open(path, 'w') as out:
        out.write(text)
    return path


@pytest.mark.parametrize('text', ['', '{"plays": [', 'not json'])
def test_journal_load_corrupted(config_dir, text):
    path = _write_journal(config_dir, text)
    with pytest.raises(errors.WorkflowError, match='corrupted') as exc:
        run_state.Journal.load(config_dir)
    assert path in str(exc.value)


@pytest.mark.parametrize('data', [{}, {'plays': None}, {'plays': 'setup'},
                                  {'plays': {'setup': 'done'}}])
def test_journal_load_without_a_list_of_plays(config_dir, data):
    path = _write_journal(config_dir, json.dumps(data))
    with pytest.raises(errors.WorkflowError, match='no list of plays') as exc:
        run_state.Journal.load(config_dir)
    assert path in str(exc.value)


@pytest.mark.parametrize('text', ['[]', 'null', '"plays"'])
def test_journal_load_json_that_is_not_an_object(config_dir, text):
    path = _write_journal(config_dir, text)
    with pytest.raises(errors.WorkflowError) as exc:
        run_state.Journal.load(config_dir)
    assert path in str(exc.value)


# Nodes: what each node went through, over runs

FFU = ['setup', 'ocata-prep', 'ocata-0', 'queens-post']
UPGRADE = ['setup', 'upgrade-0', 'upgrade-1']
ALL = ['c-0', 'c-1', 'n-0']


def _run(config_dir, play_ids, done, hosts=ALL, limit=None):
    journal = run_state.Journal.start(
        config_dir, play_ids, '/log', limit=limit,
        targets={play_id: hosts for play_id in play_ids})
    for play_id in done:
        journal.mark(play_id, 'done', 1.0)
    journal.finish('complete' if journal.complete else 'failed')
    return journal


def test_journal_start_records_the_limit_and_targets(config_dir):
    journal = run_state.Journal.start(
        config_dir, PLAYS, '/log', limit='c-0,c-1', limit_given='Controller',
        targets={'setup': ['c-0', 'c-1']})
    assert (journal.limit, journal.data['limit_given']) == ('c-0,c-1',
                                                           'Controller')
    assert journal.data['targets'] == {'setup': ['c-0', 'c-1']}
    assert journal.data['prepare'] == 0
    assert run_state.Nodes.load(config_dir).hosts('setup') is None


def test_a_play_done_is_recorded_on_its_targets(config_dir):
    _run(config_dir, FFU, FFU)
    nodes = run_state.Nodes.load(config_dir)
    assert nodes.hosts('ocata-0') == set(ALL)
    assert nodes.hosts('upgrade-0') is None
    path = os.path.join(config_dir, run_state.RUN_DIR, run_state.NODES_FILE)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_batches_add_up(config_dir):
    _run(config_dir, UPGRADE, UPGRADE, hosts=['c-0', 'c-1'])
    _run(config_dir, UPGRADE, ['setup', 'upgrade-0'], hosts=['n-0'])
    nodes = run_state.Nodes.load(config_dir)
    assert nodes.hosts('upgrade-0') == set(ALL)
    assert nodes.hosts('upgrade-1') == {'c-0', 'c-1'}


def test_failed_and_interrupted_plays_are_not_recorded(config_dir):
    journal = run_state.Journal.start(config_dir, FFU, '/log',
                                      targets={p: ALL for p in FFU})
    journal.mark('setup', 'done', 1.0)
    journal.mark('ocata-prep', 'failed', 1.0)
    journal.mark('ocata-0', 'interrupted')
    nodes = run_state.Nodes.load(config_dir)
    assert nodes.hosts('setup') == set(ALL)
    assert nodes.hosts('ocata-prep') is None
    assert nodes.hosts('ocata-0') is None


@pytest.mark.parametrize('text', ['not json', '{"plays": 1}', '[]'])
def test_a_corrupted_node_record_is_said(config_dir, text):
    os.makedirs(os.path.join(config_dir, run_state.RUN_DIR), exist_ok=True)
    path = os.path.join(config_dir, run_state.RUN_DIR, run_state.NODES_FILE)
    with open(path, 'w') as out:
        out.write(text)
    with pytest.raises(errors.WorkflowError) as exc:
        run_state.Nodes.load(config_dir)
    assert path in str(exc.value)


# prepare's count: converge needs a complete run after the last prepare

def test_prepare_count_and_the_journal(config_dir):
    assert run_state.prepare_count(config_dir) == 0
    assert run_state.record_prepare(config_dir) == 1
    journal = _run(config_dir, FFU, FFU)
    assert journal.data['prepare'] == 1
    assert run_state.record_prepare(config_dir) == 2
    assert run_state.Journal.load(config_dir).data['prepare'] == 1


def test_a_prepare_after_a_converge_begins_a_new_upgrade(config_dir):
    _run(config_dir, FFU, FFU)
    directory = os.path.join(config_dir, run_state.RUN_DIR)
    with open(os.path.join(directory, run_state.CONVERGE_FILE), 'w') as out:
        out.write('{}')
    run_state.record_prepare(config_dir)
    assert run_state.Journal.load(config_dir) is None
    assert run_state.Nodes.load(config_dir).hosts('setup') is None
    kept = sorted(os.listdir(directory))
    assert [name.split('-')[0] for name in kept if '-' in name] == [
        'converge', 'journal', 'nodes']
    assert run_state.prepare_count(config_dir) == 1


def test_a_prepare_mid_upgrade_keeps_the_journal_and_the_nodes(config_dir):
    _run(config_dir, FFU, FFU[:2])
    run_state.record_prepare(config_dir)
    assert run_state.Journal.load(config_dir) is not None
    assert run_state.Nodes.load(config_dir).hosts('setup') == set(ALL)


def test_a_new_run_takes_its_nodes_through_its_plays_again(config_dir):
    _run(config_dir, FFU, FFU)
    journal = run_state.Journal.start(
        config_dir, ['setup', 'ocata-0'], '/log',
        targets={'setup': ['c-0'], 'ocata-0': ALL})
    nodes = run_state.Nodes.load(config_dir)
    assert nodes.hosts('setup') == {'c-1', 'n-0'}
    assert nodes.hosts('ocata-0') is None
    assert nodes.hosts('queens-post') == set(ALL)
    journal.mark('ocata-0', 'done')
    assert run_state.Nodes.load(config_dir).hosts('ocata-0') == set(ALL)


def test_a_batch_keeps_what_other_nodes_went_through(config_dir):
    """A play none of the batch's nodes is in (the Controllers' host prep
    in a Compute batch) stays done where it was."""
    _run(config_dir, UPGRADE, UPGRADE, hosts=['c-0', 'c-1'])
    journal = run_state.Journal.start(
        config_dir, UPGRADE, '/log',
        targets={'setup': ['n-0'], 'upgrade-0': [], 'upgrade-1': ['n-0']})
    nodes = run_state.Nodes.load(config_dir)
    assert nodes.hosts('upgrade-0') == {'c-0', 'c-1'}
    assert nodes.hosts('setup') == {'c-0', 'c-1'}
    journal.mark('upgrade-0', 'done')
    journal.mark('upgrade-1', 'done')
    nodes = run_state.Nodes.load(config_dir)
    assert nodes.hosts('upgrade-0') == {'c-0', 'c-1'}
    assert nodes.hosts('upgrade-1') == set(ALL)
