"""Node preparation: what a failed login says."""

import types
from unittest import mock

import pytest

from tripleo_ffu.workflow import node_prep
from tripleo_ffu.workflow import reach
from tripleo_ffu.workflow import run
from tripleo_ffu.workflow.errors import WorkflowError


def _runner(rc, stats, events=()):
    return types.SimpleNamespace(
        rc=rc, stats=stats, events=iter(events),
        config=types.SimpleNamespace(artifact_dir='/cfg/ffu-run/runner/x'))


def _prep(tmp_path, runner, **kwargs):
    with mock.patch('tripleo_ffu.workflow.ansible.run_playbook',
                    return_value=runner):
        node_prep.run(str(tmp_path), str(tmp_path / 'inventory.yaml'),
                      'overcloud', **kwargs)


def test_a_failed_login_names_the_user_the_key_and_the_options(tmp_path):
    runner = _runner(4, {'dark': {'c-1': 1, 'c-0': 1}}, [
        {'event': 'runner_on_ok'},
        {'event': 'runner_on_unreachable', 'event_data': {'res': {
            'msg': 'Failed to connect to the host via ssh: heat-admin@c-0: '
                   'Permission denied (publickey).'}}}])
    with pytest.raises(WorkflowError) as exc:
        _prep(tmp_path, runner, ssh_user='heat-admin', ssh_key='/k/id_rsa')
    assert str(exc.value) == (
        'cannot log in to c-0, c-1 as heat-admin with key /k/id_rsa: '
        'Failed to connect to the host via ssh: heat-admin@c-0: Permission '
        'denied (publickey). Give the user and key the nodes accept with '
        '--overcloud-ssh-user and --overcloud-ssh-key')


def test_a_failed_login_of_a_looped_task(tmp_path):
    """Ansible says it per item: 'All items completed' is not what ssh
    said."""
    runner = _runner(4, {'dark': {'c-0': 1}}, [
        {'event': 'runner_on_unreachable', 'event_data': {'res': {
            'msg': 'All items completed', 'results': [
                {'unreachable': True, 'msg': 'Failed to connect to the host '
                 'via ssh: Permission denied (publickey).'}]}}}])
    with pytest.raises(WorkflowError,
                       match='with key /k: Failed to connect to the host via '
                             'ssh: Permission denied \\(publickey\\). Give'):
        _prep(tmp_path, runner, ssh_user='heat-admin', ssh_key='/k')


def test_a_failed_login_without_a_key(tmp_path):
    with pytest.raises(WorkflowError,
                       match='as heat-admin with no key given \\(ssh tried '
                             'its default keys and agent\\): unreachable'):
        _prep(tmp_path, _runner(4, {'dark': {'c-0': 1}}),
              ssh_user='heat-admin')


def test_a_failed_task_names_the_nodes_and_the_output(tmp_path):
    with pytest.raises(WorkflowError,
                       match='node preparation failed on c-0; see '
                             '/cfg/ffu-run/runner/x/stdout'):
        _prep(tmp_path, _runner(2, {'failures': {'c-0': 1}}))


def test_success_says_nothing(tmp_path):
    _prep(tmp_path, _runner(0, {'ok': {'c-0': 3}}))


@pytest.mark.parametrize('user,key,said', [
    ('heat-admin', '/k', ', as user heat-admin with key /k (--ssh-user and '
                         '--ssh-key give others)'),
    (None, None, '; --ssh-user and --ssh-key give another user and key'),
])
def test_run_ping_says_as_whom(user, key, said):
    options = run.Options(stack='overcloud', config_dir='/cfg',
                          ssh_user=user, ssh_key=key)
    assert reach._as_whom(options, '--ssh-user and --ssh-key') == said


def test_what_ssh_said_rather_than_a_broken_pipe(tmp_path):
    """Ansible's write to an ssh that has already refused the login fails
    with EPIPE on some items: the message is ssh's, from any other."""
    def item(said):
        return {'unreachable': True, 'msg': 'Data could not be sent to '
                'remote host "127.0.2.1". Make sure this host can be '
                'reached over ssh: %s' % said}
    runner = _runner(4, {'dark': {'c-0': 1, 'c-1': 1}}, [
        {'event': 'runner_on_unreachable', 'event_data': {'res': {
            'msg': 'All items completed', 'results': [
                item('[Errno 32] Broken pipe')]}}},
        {'event': 'runner_on_unreachable', 'event_data': {'res': {
            'msg': 'All items completed', 'results': [
                item('heat-admin@127.0.2.2: Permission denied '
                     '(publickey).\r\n')]}}}])
    with pytest.raises(WorkflowError, match=r'with key /k: Data could not '
                       r'be sent .* heat-admin@127.0.2.2: Permission denied '
                       r'\(publickey\). Give'):
        _prep(tmp_path, runner, ssh_user='heat-admin', ssh_key='/k')


def test_only_a_broken_pipe_is_still_said(tmp_path):
    runner = _runner(4, {'dark': {'c-0': 1}}, [
        {'event': 'runner_on_unreachable', 'event_data': {'res': {
            'msg': 'Data could not be sent to remote host "c-0". Make sure '
                   'this host can be reached over ssh: [Errno 32] Broken '
                   'pipe'}}}])
    with pytest.raises(WorkflowError, match=r'ssh: \[Errno 32\] Broken pipe. '
                       'Give'):
        _prep(tmp_path, runner, ssh_user='heat-admin', ssh_key='/k')


@pytest.mark.parametrize('answered,said', [
    (['c-0'], 'c-0 answers.'),
    (['c-0', 'c-1'], 'All 2 nodes answer.'),
])
def test_run_ping_says_who_answers(tmp_path, answered, said):
    options = run.Options(stack='overcloud', config_dir=str(tmp_path))
    runner = _runner(0, {'ok': {host: 1 for host in answered}})
    lines = []
    with mock.patch('tripleo_ffu.workflow.ansible.run_playbook',
                    return_value=runner):
        reach.ping(options, str(tmp_path / 'inventory.yaml'), lines.append)
    assert lines == [said]
