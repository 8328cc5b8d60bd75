"""Real faults on real processes of the lab: each command stops cleanly,
says what happened and what to do, loses nothing, and the operator goes
on. Runs after test_run and before test_converge (conftest.MODULE_ORDER);
it leaves the stack prepared. Its runs are of the fast-forward phase
alone (a run without selection): killing a run and resuming it to its end is the same
on every phase, and that one is the shortest (CI time)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import git
import pytest

from tripleo_ffu_lab import layout
from tripleo_ffu_lab import overcloud
from tripleo_ffu_lab import procs
from tripleo_ffu.workflow import config_download
from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import history
from tripleo_ffu.workflow import run_state
from tests.functional.conftest import NOISE
from tests.functional.conftest import prepare_args
from tests.functional.conftest import record

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')


def _start(lab, *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
           env=None):
    return subprocess.Popen(
        [OPENSTACK] + list(args), env=env or lab.env, cwd=lab.root,
        stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, text=True)


def _finish(process, timeout=600):
    out, err = process.communicate(timeout=timeout)
    err = '\n'.join(line for line in err.splitlines()
                    if not any(noise in line for noise in NOISE))
    record(process.args, out, err)
    return process.returncode, out, err


def _wait_for(what, predicate, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail('timed out waiting for %s' % what)


def _stack_status(lab):
    return overcloud.client(lab.env['OS_ENDPOINT']).stacks.get(
        'overcloud').stack_status


def _pid(lab, name):
    """The lab process's pid (from its pid file: with MariaDB down, the
    lab's status cannot ask Heat)."""
    return procs.running_pid(layout.Lab(lab.root), name)


def _children(pid):
    """Every descendant of pid, from /proc."""
    parents = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry) as stat:
                    fields = stat.read().rsplit(')', 1)[1].split()
            except OSError:
                continue
            parents.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found.extend(children)
        todo.extend(children)
    return found


def _processes_mentioning(text):
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open('/proc/%s/cmdline' % entry, 'rb') as cmdline:
                    if text.encode() in cmdline.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _journal(config_dir):
    with open(os.path.join(config_dir, run_state.RUN_DIR,
                           run_state.JOURNAL_FILE)) as source:
        return json.load(source)


def _journal_or_none(config_dir):
    try:
        return _journal(config_dir)
    except (OSError, ValueError):
        return None


def _play_done(config_dir, play_id):
    def done():
        try:
            return any(play['id'] == play_id and play['status'] == 'done'
                       for play in _journal(config_dir)['plays'])
        except (OSError, ValueError):
            return False
    return done


def _fresh_run(prepared, **outputs):
    prepared.lab.cli('reset', '--nodes')
    journal = os.path.join(prepared.config_dir, run_state.RUN_DIR,
                           run_state.JOURNAL_FILE)
    if os.path.exists(journal):
        os.unlink(journal)
    return _start(prepared.lab, 'overcloud', 'ffwd-upgrade', 'run',
                  '--config-dir', prepared.config_dir, '--yes', **outputs)


def _repositories(lab):
    """The release each node's repositories are at (the fast-forward
    phase's end switches them to the target's)."""
    found = set()
    for node in lab.status()['nodes']:
        with open(os.path.join(node['root'], 'etc', 'yum.repos.d',
                               'release')) as source:
            found.add(source.read().strip())
    return found


def test_heat_killed_then_mariadb_restarted_during_prepare_updates(
        prepared, tmp_path):
    lab = prepared.lab
    config_dir = str(tmp_path / 'config')
    args = prepare_args(lab, config_dir, '--skip-node-prep', '--yes')
    process = _start(lab, *args)
    _wait_for('the update to start',
              lambda: _stack_status(lab) == 'UPDATE_IN_PROGRESS')
    os.kill(_pid(lab, 'heat-all'), signal.SIGKILL)
    code, out, err = _finish(process)
    assert code == 1, out + err
    assert 'lost Heat while waiting for the update of overcloud' in err
    assert 'run the same command again' in err
    assert 'Traceback' not in err
    assert not os.path.exists(os.path.join(config_dir, 'ffu_plan.yaml'))

    lab.cli('up')  # Heat back; its engine's update is left in progress
    refused = lab.openstack(*args, check=False)
    assert refused.returncode == 1
    assert 'heat-manage reset_stack_status' in refused.stderr
    _reset_stack_status(lab)
    assert _stack_status(lab) == 'UPDATE_FAILED'

    # Updating the UPDATE_FAILED stack again, with MariaDB restarted in the
    # middle of it this time (one prepare for both faults: CI time).
    code, out, err = _prepare_with_mariadb_restarted(lab, args, tmp_path)
    assert 'is UPDATE_FAILED' in err
    assert 'Traceback' not in err
    # Heat lost the update: it failed, or (its traversal lost) stalled
    # until prepare stopped waiting; each time one clear line. Convergence
    # may need another update or two to settle what the restart left
    # behind (nested stacks it cancels): prepare again, as the operator
    # would, resetting a stack left in progress.
    for _ in range(3):
        if code == 0:
            break
        assert any(message in err for message in (
            'stack update of overcloud failed', 'lost Heat',
            'no event from Heat for 1 minute(s) during the update of '
            'overcloud')), err
        if _stack_status(lab).endswith('_IN_PROGRESS'):
            _reset_stack_status(lab)
        again = lab.openstack(*args, check=False, timeout=900)
        code, err = again.returncode, again.stderr
        assert 'Traceback' not in err
    assert code == 0, err
    assert _stack_status(lab) == 'UPDATE_COMPLETE'
    assert os.path.exists(os.path.join(config_dir, 'ffu_plan.yaml'))


def _reset_stack_status(lab):
    """What the operator does (as the error says) for an update Heat lost."""
    layout_ = layout.Lab(lab.root)
    subprocess.run([os.path.join(layout_.heat_venv, 'bin', 'heat-manage'),
                    '--config-file', layout_.path('heat', 'heat.conf'),
                    'reset_stack_status', lab.status()['stack']['id']],
                   input='y\n', text=True, check=True, capture_output=True)


def _prepare_with_mariadb_restarted(lab, args, tmp_path):
    # A stall limit of a minute (the least), through the operator's own
    # config file, for a test that may have to wait for it.
    home = tmp_path / 'home'
    (home / '.config' / 'tripleo-ffu').mkdir(parents=True)
    (home / '.config' / 'tripleo-ffu' / 'tripleo-ffu.conf').write_text(
        '[DEFAULT]\nstack_update_stall_timeout = 1\n')
    process = _start(lab, *args, env=dict(lab.env, HOME=str(home)))
    _wait_for('the update to start',
              lambda: _stack_status(lab) == 'UPDATE_IN_PROGRESS')
    os.kill(_pid(lab, 'mariadb'), signal.SIGTERM)
    _wait_for('MariaDB to stop', lambda: _pid(lab, 'mariadb') is None, 60)
    lab.cli('up')
    return _finish(process)


def test_download_into_a_full_filesystem_keeps_the_previous_config(
        prepared, tmp_path):
    mount = tmp_path / 'small'
    mount.mkdir()
    mounted = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=4m',
                              'tmpfs', str(mount)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip('cannot mount a tmpfs here: %s' % mounted.stderr)
    try:
        heat = overcloud.client(prepared.lab.env['OS_ENDPOINT'])
        config_dir = str(mount / 'config')
        config_download.download(heat, 'overcloud', config_dir)
        # An older, smaller config committed on top: the download must
        # write more than the full filesystem has room for.
        tasks = os.path.join(config_dir, 'Controller', 'upgrade_tasks.yaml')
        with open(tasks, 'w') as out:
            out.write('[]\n')
        previous = config_download.commit(config_dir, 'older config')
        with open(str(mount / 'filler'), 'wb') as filler:
            try:
                while True:
                    filler.write(b'\0' * 65536)
                    filler.flush()
            except OSError:
                pass
        with pytest.raises(errors.WorkflowError) as raised:
            config_download.download(heat, 'overcloud', config_dir)
        message = str(raised.value)
        assert 'failed: ' in message
        assert ' is full: ' in message and ' KiB free; free space there' \
            in message
        assert 'the previous config is whole in git (commit %s' % (
            previous[:8]) in message
        assert 'run prepare again' in message
        os.unlink(str(mount / 'filler'))
        repo = git.Repo(config_dir)
        assert repo.head.commit.hexsha == previous
        repo.git.fsck('--full')
        assert repo.git.show('HEAD:Controller/upgrade_tasks.yaml') == '[]'
    finally:
        subprocess.run(['umount', '-l', str(mount)], check=False)


def test_sigterm_stops_the_run_and_the_journal_says_where(prepared):
    process = _fresh_run(prepared)
    _wait_for('ffu-ocata step 1',
              _play_done(prepared.config_dir, 'ffu-ocata-1'))
    process.send_signal(signal.SIGTERM)
    code, out, err = _finish(process)
    assert code == 143, out + err
    assert 'Traceback' not in err
    assert 'Interrupted: the plays done are recorded, the one cut short ' \
        'runs again; go on with: openstack overcloud ffwd-upgrade run ' \
        '--resume' in out
    journal = _journal(prepared.config_dir)
    assert journal['status'] == 'interrupted'
    assert 'interrupted' in [play['status'] for play in journal['plays']]
    status = prepared.lab.ffu_status(prepared.config_dir)
    assert status['state'] == 'interrupted'
    assert status['summary'] == 'run interrupted at %s (play %s)' % (
        journal['updated'], [play['id'] for play in journal['plays']
                             if play['status'] != 'done'][0])
    assert status['next_step'].endswith('run --resume')


def test_prepare_interrupted_during_its_update_over_an_earlier_stacks_state(
        prepared, tmp_path):
    """A copy of the prepared config whose state names an earlier stack
    (same name, deleted and deployed again): prepare moves that state
    aside and says so; Ctrl-C during its stack update says that Heat goes
    on, how to watch it and what to run after; status says so until Heat
    ends the update (which leaves the stack prepared, as it was)."""
    lab = prepared.lab
    config_dir = str(tmp_path / 'config')
    shutil.copytree(prepared.config_dir, config_dir, symlinks=True)
    path = os.path.join(config_dir, run_state.RUN_DIR, run_state.PREPARE_FILE)
    with open(path) as source:
        record = json.load(source)
    with open(path, 'w') as out:
        json.dump(dict(record, stack_id='an-earlier-stack'), out)
    earlier = sorted(os.listdir(os.path.dirname(path)))
    process = _start(lab, *prepare_args(lab, config_dir, '--skip-node-prep',
                                        '--yes'))
    _wait_for('the update to start',
              lambda: _stack_status(lab) == 'UPDATE_IN_PROGRESS')
    process.send_signal(signal.SIGINT)
    code, out, err = _finish(process)
    assert code == 130, out + err
    assert 'held the upgrade state of an earlier stack overcloud (the stack ' \
        'was deleted and deployed again): moved aside to ' in out
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == [
        'SIGINT: stopped waiting for the update of stack overcloud, but Heat '
        'goes on with it; watch it with `openstack stack event list '
        'overcloud --follow` (or `openstack stack show overcloud -c '
        'stack_status`), and once it ends, run the same prepare again (the '
        'config is downloaded after the update)'], err
    status = lab.ffu_status(config_dir)
    if status['stack_status'] == 'UPDATE_IN_PROGRESS':
        assert status['state'] == 'stack update in progress'
        assert status['summary'].startswith(
            'stack update in progress (prepare interrupted at ')
    _wait_for('Heat to end the update',
              lambda: _stack_status(lab) == 'UPDATE_COMPLETE')
    status = lab.ffu_status(config_dir)
    assert status['state'] == 'prepare interrupted'
    assert status['next_step'].startswith(
        'openstack overcloud ffwd-upgrade prepare (again')
    # The earlier stack's state, whole, beside the new one's.
    aside_dir = os.path.join(config_dir, run_state.RUN_DIR,
                             history.PREVIOUS_DIR)
    [aside] = os.listdir(aside_dir)
    assert aside.endswith('-stack-an-earlier-stack')
    assert sorted(os.listdir(os.path.join(aside_dir, aside))) == [
        name for name in earlier if name != run_state.LOCK_FILE]
    assert lab.ffu_status(prepared.config_dir)['state'] != \
        'not prepared'  # the stack is prepared, as it was


def test_sshd_killed_during_the_run_stops_it_cleanly(prepared):
    lab = prepared.lab
    process = _fresh_run(prepared)
    _wait_for('ffu-ocata step 1',
              _play_done(prepared.config_dir, 'ffu-ocata-1'))
    # Every node's sshd instance (each node has its own address).
    for sshd in [proc['pid'] for proc in lab.status()['processes']
                 if proc['name'].startswith('sshd') and proc['pid']]:
        for pid in [sshd] + _children(sshd):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    code, out, err = _finish(process)
    assert code == 1, out + err
    assert 'unreachable' in out
    assert 'Traceback' not in err
    journal = _journal(prepared.config_dir)
    assert journal['status'] == 'failed'
    statuses = {play['id']: play['status'] for play in journal['plays']}
    assert statuses['ffu-ocata-1'] == 'done'
    status = lab.ffu_status(prepared.config_dir)
    assert status['state'] == 'failed'

    lab.cli('up')  # sshd back; test_sigkill... resumes this run


def test_sigkill_leaves_a_lock_released_and_a_journal_to_resume(
        prepared, tmp_path):
    lab = prepared.lab
    # Output to files, not pipes: tripleo-common's multiprocessing Manager
    # (a fork of every `openstack` process that imports its process lock)
    # outlives a killed parent and would hold the pipes open.
    # Resuming the run the sshd test left failed (or a fresh run when that
    # test did not run): killed in its turn, then resumed to the end.
    journal = _journal_or_none(prepared.config_dir)
    resuming = journal is not None and journal['status'] == 'failed'
    with open(tmp_path / 'out', 'w') as out:
        if resuming:
            process = _start(lab, 'overcloud', 'ffwd-upgrade', 'run',
                             '--config-dir', prepared.config_dir,
                             '--resume', '--yes', stdout=out, stderr=out)
            done = len([p for p in journal['plays']
                        if p['status'] == 'done'])
            _wait_for('one more play', lambda: len([
                p for p in _journal(prepared.config_dir)['plays']
                if p['status'] == 'done']) > done)
        else:
            process = _fresh_run(prepared, stdout=out, stderr=out)
            _wait_for('ffu-ocata step 1',
                      _play_done(prepared.config_dir, 'ffu-ocata-1'))
        process.kill()
        process.wait()
    # Ansible dies with the run (its terminal hangs up): nothing of the
    # killed run goes on working on the nodes behind the next command.
    _wait_for('the killed run\'s Ansible to end', lambda: not [
        pid for pid in _processes_mentioning(prepared.config_dir)
        if pid in _processes_mentioning('ansible-playbook')], 30)
    for pid in _processes_mentioning(prepared.config_dir):
        os.kill(pid, signal.SIGKILL)  # that orphaned Manager
    status = lab.ffu_status(prepared.config_dir)
    assert status['state'] == 'interrupted'
    assert status['lock_holder'] == ''
    assert status['next_step'].endswith('run --resume')

    resumed = lab.openstack('overcloud', 'ffwd-upgrade', 'run',
                            '--config-dir', prepared.config_dir, '--resume',
                            '--yes', timeout=1200)
    assert 'Released the lock of ffwd-upgrade run (pid %d), which is no ' \
        'longer running' % process.pid in resumed.stderr
    assert 'Run complete' in resumed.stdout
    assert _journal(prepared.config_dir)['status'] == 'complete'
    # The killed run's phase went to its end on every node: the
    # repositories switched to the target release, nothing more.
    nodes = lab.ffu_status(prepared.config_dir)['nodes']
    assert {name: (node['done'], node['left'])
            for name, node in nodes.items()} == {
        name: (['ffu'], ['upgrade', 'deploy', 'post-upgrade'])
        for name in nodes} and len(nodes) == 5
    assert _repositories(lab) == {'queens'}
