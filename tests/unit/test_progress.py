"""Progress from ansible-runner's events: lines, log, failures, table."""

import io
import re

import pytest

from tripleo_ffu.workflow import progress

TASK_PATH = '/cfg/Controller/upgrade_tasks.yaml:12'


class FakeJournal:
    """Records what the progress marks, in order."""

    def __init__(self):
        self.marks = []

    def mark(self, play_id, status, seconds=None):
        self.marks.append((play_id, status, seconds))


@pytest.fixture
def said():
    return []


@pytest.fixture
def log():
    return io.StringIO()


@pytest.fixture
def journal():
    return FakeJournal()


@pytest.fixture
def handler(said, log, journal):
    return progress.Progress(said.append, log, journal)


def _start(play, **extra):
    return dict({'event': 'playbook_on_play_start',
                 'event_data': {'play': play}}, **extra)


def _result(kind, host, task='a task', res=None, **data):
    event_data = dict({'host': host, 'task': task, 'task_path': TASK_PATH,
                       'res': res or {}}, **data)
    return {'event': kind, 'event_data': event_data}


def _ok(host, changed=False, **data):
    return _result('runner_on_ok', host, res={'changed': changed}, **data)


def _failed(host, res=None, **data):
    return _result('runner_on_failed', host, res=res, **data)


def _unreachable(host, res=None, **data):
    return _result('runner_on_unreachable', host, res=res, **data)


def _skipped(host, **data):
    return _result('runner_on_skipped', host, **data)


def _stats(**stats):
    return {'event': 'playbook_on_stats', 'event_data': stats}


def _feed(handler, *events):
    for event in events:
        assert handler(event) is True


def _end_line(text, rest):
    """text matches '<rest>, <seconds> s'."""
    return re.fullmatch(re.escape(rest) + r', \d+\.\d s', text) is not None


@pytest.mark.parametrize('play, expected', [
    ('ffu-ocata-4', 'ffu-ocata step 4'),
    ('ffu-pike-0', 'ffu-pike step 0'),
    ('upgrade-2', 'upgrade step 2'),
    ('post-upgrade-3', 'post-upgrade step 3'),
    ('ffu-end', 'ffu-end'),
    ('ffu-pike', 'ffu-pike'),
    ('ffu-facts', 'ffu-facts'),
    ('deploy.12', 'deploy.12'),
    ('Load global variables', 'Load global variables'),
    ('Overcloud deploy step tasks for 1',
     'Overcloud deploy step tasks for 1'),
    ('Server deployments', 'Server deployments'),
    ('?', '?'),
])
def test_title(play, expected):
    assert progress.title(play) == expected


def test_a_play_start_and_end(handler, said):
    _feed(handler,
          _start('ocata-4'),
          _ok('c-0', changed=True),
          _ok('c-1', changed=False),
          _failed('c-0', res={'msg': 'ignored', 'changed': False},
                  ignore_errors=True),
          _skipped('c-1'),
          _failed('c-1', task='Check nova', res={'msg': 'boom'}),
          _stats(ok={'c-0': 2, 'c-1': 1}, changed={'c-0': 1},
                 failures={'c-1': 1}, dark={}, skipped={'c-1': 1}))
    assert said[0] == 'ocata step 4 ...'
    assert len(said) == 2
    assert _end_line(said[1], 'ocata step 4: 2 hosts, 3 ok, 1 changed, '
                              '1 failed')


def test_an_ignored_failure_that_changed_counts_as_changed(handler, said):
    _feed(handler, _start('setup'),
          _failed('c-0', res={'changed': True}, ignore_errors=True))
    handler.end_play()
    assert _end_line(said[-1], 'setup: 1 host, 1 ok, 1 changed, 0 failed')
    assert handler.failures == []


def test_a_play_without_results(handler, said):
    _feed(handler, _start('ffu-end'), _stats())
    assert said[0] == 'ffu-end ...'
    assert _end_line(said[1], 'ffu-end: 0 hosts, 0 ok, 0 changed, '
                              '0 failed')


def test_unreachable_is_shown_only_when_there_is_some(handler, said):
    _feed(handler, _start('upgrade-2'),
          _unreachable('c-0', res={'msg': 'ssh: connect refused'}),
          _ok('c-1'),
          _start('upgrade-3'), _ok('c-1'))
    handler.end_play()
    assert said[0] == 'upgrade step 2 ...'
    assert _end_line(said[1], 'upgrade step 2: 2 hosts, 1 ok, 0 changed, '
                              '0 failed, 1 unreachable')
    assert said[2] == 'upgrade step 3 ...'
    assert _end_line(said[3], 'upgrade step 3: 1 host, 1 ok, 0 changed, '
                              '0 failed')
    assert 'unreachable' not in said[3]


def test_counts_start_again_at_each_play(handler, said):
    _feed(handler, _start('pike-1'), _failed('c-0'), _ok('c-1'),
          _start('pike-2'), _ok('c-0', changed=True))
    handler.end_play()
    assert _end_line(said[1], 'pike step 1: 2 hosts, 1 ok, 0 changed, '
                              '1 failed')
    assert _end_line(said[3], 'pike step 2: 1 host, 1 ok, 1 changed, '
                              '0 failed')


def test_failures_are_recorded(handler):
    _feed(handler, _start('ocata-4'),
          _failed('c-0', task='Stop nova', res={'msg': 'it failed'}),
          _failed('c-1', task='Ignored', res={'msg': 'x'},
                  ignore_errors=True),
          _unreachable('c-2', task='Gather', res={'msg': 'no route'}),
          _start('ocata-5'),
          _failed('c-1', task='Start nova', res={'stderr': 'no unit'}))
    assert handler.failures == [
        {'play': 'ocata-4', 'task': 'Stop nova', 'host': 'c-0',
         'file': TASK_PATH, 'message': 'it failed', 'unreachable': False},
        {'play': 'ocata-4', 'task': 'Gather', 'host': 'c-2',
         'file': TASK_PATH, 'message': 'no route', 'unreachable': True},
        {'play': 'ocata-5', 'task': 'Start nova', 'host': 'c-1',
         'file': TASK_PATH, 'message': 'no unit', 'unreachable': False},
    ]


@pytest.mark.parametrize('res, message', [
    ({'msg': 'm', 'stderr': 's', 'reason': 'r'}, 'm'),
    ({'stderr': 's', 'reason': 'r'}, 's'),
    ({'msg': '', 'stderr': 's', 'reason': 'r'}, 's'),
    ({'msg': '', 'stderr': '', 'reason': 'r'}, 'r'),
    ({'rc': 1}, 'no message'),
    ({}, 'no message'),
    ({'msg': ['not', 'a', 'string']}, "['not', 'a', 'string']"),
    ({'msg': 'x' * (progress.MAX_MESSAGE + 500)},
     'x' * progress.MAX_MESSAGE),
    ({'stderr': 'e' * (progress.MAX_MESSAGE + 1)},
     'e' * progress.MAX_MESSAGE),
])
def test_failure_message(handler, res, message):
    _feed(handler, _start('ocata-4'), _failed('c-0', res=res))
    assert handler.failures[0]['message'] == message


def test_failure_without_a_result(handler):
    _feed(handler, _start('ocata-4'),
          {'event': 'runner_on_failed',
           'event_data': {'host': 'c-0', 'task': 't'}})
    failure = handler.failures[0]
    assert failure['message'] == 'no message'
    assert failure['file'] is None


def test_stdout_goes_to_the_log_without_colours(handler, log):
    _feed(handler,
          _start('ocata-4', stdout='\x1b[0;32mPLAY [ocata-4] ***\x1b[0m'),
          dict(_failed('c-0'), stdout='\x1b[1;31mfatal: [c-0]: FAILED!'
                                      '\x1b[0m => {"msg": "x"}'),
          dict(_ok('c-1'), stdout=''),
          _ok('c-1'))
    assert log.getvalue() == ('PLAY [ocata-4] ***\n'
                              'fatal: [c-0]: FAILED! => {"msg": "x"}\n')


def test_the_journal_follows_the_plays(handler, journal):
    _feed(handler, _start('ocata-4'), _ok('c-0'),
          _start('ocata-5'), _failed('c-0'),
          _start('ocata-6'), _unreachable('c-0'),
          _stats(ok={'c-0': 1}))
    assert [mark[:2] for mark in journal.marks] == [
        ('ocata-4', 'running'), ('ocata-4', 'done'),
        ('ocata-5', 'running'), ('ocata-5', 'failed'),
        ('ocata-6', 'running'), ('ocata-6', 'failed')]
    running = [mark for mark in journal.marks if mark[1] == 'running']
    ended = [mark for mark in journal.marks if mark[1] != 'running']
    assert all(seconds is None for _, _, seconds in running)
    assert all(isinstance(seconds, float) and seconds >= 0
               for _, _, seconds in ended)


def test_an_ignored_failure_does_not_fail_the_play(handler, journal):
    _feed(handler, _start('ocata-4'),
          _failed('c-0', ignore_errors=True), _stats())
    assert [mark[:2] for mark in journal.marks] == [
        ('ocata-4', 'running'), ('ocata-4', 'done')]


def test_end_play_twice_ends_it_once(handler, said, journal):
    _feed(handler, _start('ocata-4'), _ok('c-0'), _stats(ok={'c-0': 1}))
    handler.end_play()
    handler.end_play()
    assert len(said) == 2
    assert len(journal.marks) == 2


def test_end_play_before_any_play(handler, said, journal):
    handler.end_play()
    assert said == []
    assert journal.marks == []


def test_without_a_journal(said, log):
    handler = progress.Progress(said.append, log)
    _feed(handler, _start('upgrade-1'), _failed('c-0'), _stats())
    assert said[0] == 'upgrade step 1 ...'
    assert _end_line(said[1], 'upgrade step 1: 1 host, 0 ok, 0 changed, '
                              '1 failed')


@pytest.mark.parametrize('event_data, title', [
    ({'play': 'pike-3', 'name': 'other'}, 'pike step 3'),
    ({'name': 'Server deployments'}, 'Server deployments'),
    ({}, '?'),
    (None, '?'),
])
def test_play_name(handler, said, event_data, title):
    _feed(handler, {'event': 'playbook_on_play_start',
                    'event_data': event_data})
    assert said == [title + ' ...']


def test_other_events_are_only_logged(handler, said, journal, log):
    _feed(handler,
          {'event': 'playbook_on_start', 'stdout': ''},
          {'event': 'playbook_on_task_start', 'stdout': 'TASK [x] ***',
           'event_data': {'task': 'x'}},
          {'event': 'verbose', 'stdout': 'some line'},
          {'stdout': 'no kind'})
    assert said == []
    assert journal.marks == []
    assert handler.failures == []
    assert log.getvalue() == 'TASK [x] ***\nsome line\nno kind\n'


def test_host_table(handler):
    _feed(handler, _stats(
        ok={'overcloud-novacompute-0': 5, 'overcloud-controller-0': 7},
        changed={'overcloud-controller-0': 3},
        failures={'overcloud-novacompute-0': 1},
        dark={'overcloud-controller-1': 1},
        skipped={'overcloud-controller-0': 12},
        processed={'ignored-host': 1}))
    lines = handler.host_table()
    assert [line.split() for line in lines] == [
        ['host', 'ok', 'changed', 'failed', 'unreachable', 'skipped'],
        ['overcloud-controller-0', '7', '3', '0', '0', '12'],
        ['overcloud-controller-1', '0', '0', '0', '1', '0'],
        ['overcloud-novacompute-0', '5', '0', '1', '0', '0'],
    ]
    assert len({len(line) for line in lines}) == 1
    assert lines[1].startswith('overcloud-controller-0   ')


def test_host_table_short_names_are_padded_to_the_header(handler):
    _feed(handler, _stats(ok={'a': 1}))
    header, row = handler.host_table()
    assert header.startswith('host  ')
    assert row.startswith('a     ')
    assert len(header) == len(row)


def test_host_table_without_stats(handler):
    assert handler.host_table() == []
    _feed(handler, _start('ocata-4'), _ok('c-0'))
    handler.end_play()
    assert handler.host_table() == []


def test_host_table_with_empty_stats(handler):
    _feed(handler, _stats())
    assert handler.host_table() == []


def test_a_play_cut_short_is_interrupted_not_done(handler, said, journal):
    """No stats came: Ansible stopped inside the play, whatever it did."""
    _feed(handler, _start('ocata-3'), _ok('node-0', changed=True))
    handler.abandon_play()
    assert said[-1].startswith('ocata step 3: interrupted after ')
    assert journal.marks == [('ocata-3', 'running', None),
                             ('ocata-3', 'interrupted', None)]
    assert handler.play is None


def test_abandon_after_the_stats_changes_nothing(handler, said, journal):
    _feed(handler, _start('ocata-3'), _ok('node-0'),
          _stats(ok={'node-0': 1}))
    marks, lines = list(journal.marks), list(said)
    handler.abandon_play()
    assert journal.marks == marks and said == lines


def test_includes_are_not_counted_as_work(tmp_path):
    lines = []
    with open(tmp_path / 'log', 'w') as log:
        handler = progress.Progress(lines.append, log)
        handler({'event': 'playbook_on_play_start',
                 'event_data': {'play': 'ocata-1'}})
        for kind in ('runner_on_ok', 'runner_on_skipped'):
            handler({'event': kind, 'event_data': {
                'host': 'c0', 'task': 'Controller tasks',
                'task_action': 'include_tasks', 'res': {}}})
        handler({'event': 'runner_on_ok', 'event_data': {
            'host': 'c1', 'task': 'x', 'task_action': 'file',
            'res': {'changed': True}}})
        handler.end_play()
    assert lines[-1].startswith(
        'ocata step 1: 2 hosts, 1 ok, 1 changed, 0 failed, ')


def test_a_play_that_matches_no_host_is_a_failure(handler, said):
    _feed(handler,
          {'event': 'playbook_on_play_start',
           'event_data': {'play': 'upgrade-0', 'play_pattern': 'overcloud'}},
          {'event': 'playbook_on_no_hosts_matched', 'event_data': {}},
          _stats())
    assert handler.failures == [{
        'play': 'upgrade-0', 'task': '(the play)',
        'host': "no host of 'overcloud'", 'file': None,
        'message': "the play matched no host of the inventory: check that "
                   "the inventory has the groups the stack's playbooks "
                   "name", 'unreachable': False}]
    assert _end_line(said[-1], 'upgrade step 0: 0 hosts, 0 ok, 0 changed, '
                               '1 failed')


def test_hosts_that_ran_no_task_are_found(handler):
    _feed(handler, _start('ffu'), _ok('c-0'), _skipped('c-1'),
          _result('runner_on_ok', 'c-2', task_action='include_tasks'),
          _stats())
    assert handler.idle_hosts(['c-0', 'c-1', 'c-2']) == ['c-1', 'c-2']


def test_stats_add_up_over_the_runs_of_the_phases(handler):
    _feed(handler, _start('ffu'), _stats(ok={'c-0': 2}, changed={}))
    _feed(handler, _start('upgrade-0'),
          _stats(ok={'c-0': 3, 'c-1': 1}, changed={'c-1': 1}))
    assert handler.stats == {'ok': {'c-0': 5, 'c-1': 1},
                             'changed': {'c-1': 1}}
