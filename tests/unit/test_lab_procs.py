"""Starting and stopping the lab's background processes."""

import io
import os
import signal
import socket
import sys
import time

import pytest

from tripleo_ffu_lab import layout
from tripleo_ffu_lab import procs

# A process that ignores SIGTERM, as heat-all 24 may; its command line
# names a path in the lab dir, as every lab process's does.
STUBBORN = ('import signal, sys, time\n'
            'signal.signal(signal.SIGTERM, signal.SIG_IGN)\n'
            'print("ready", flush=True)\n'
            'time.sleep(60)\n')


@pytest.fixture
def lab(tmp_path):
    lab = layout.Lab(str(tmp_path / 'lab'))
    lab.make_dirs()
    return lab


def _log_says_ready(lab, name):
    with open(os.path.join(lab.log_dir, name + '.log')) as log:
        return None if 'ready' in log.read() else 'no "ready" in its log'


def _start(lab, name, code, timeout=10):
    proc = procs.start(lab, name, [sys.executable, '-c', code, lab.run_dir])
    procs.wait_until(lambda: _log_says_ready(lab, name), timeout, name, lab,
                     name, proc)
    return proc.pid


def test_started_process_is_found_and_stopped(lab):
    pid = _start(lab, 'sleeper', 'print("ready", flush=True)\n'
                                 'import time; time.sleep(60)')
    assert procs.running_pid(lab, 'sleeper') == pid
    assert procs.stop(lab, 'sleeper') is True
    assert procs.running_pid(lab, 'sleeper') is None
    assert not os.path.exists(os.path.join(lab.run_dir, 'sleeper.pid'))


def test_process_ignoring_sigterm_is_killed(lab):
    _start(lab, 'stubborn', STUBBORN)
    started = time.monotonic()
    assert procs.stop(lab, 'stubborn', timeout=0.5) is True
    assert procs.running_pid(lab, 'stubborn') is None
    assert time.monotonic() - started < 10


def test_stopping_what_does_not_run_is_harmless(lab):
    assert procs.stop(lab, 'nothing') is False


def test_stale_pid_of_another_process_is_not_ours(lab):
    # Our own pid runs, but its command line does not name the lab.
    with open(os.path.join(lab.run_dir, 'ghost.pid'), 'w') as pidfile:
        pidfile.write('%d\n' % os.getpid())
    assert procs.running_pid(lab, 'ghost') is None
    assert procs.stop(lab, 'ghost') is False


def test_free_port_is_free():
    port = procs.free_port()
    assert not procs.port_open(port)
    with socket.socket() as server:
        server.bind(('127.0.0.1', port))
        server.listen()
        assert procs.port_open(port)


def test_wait_until_says_what_it_saw_when_time_is_up(lab):
    proc = procs.start(lab, 'sleeper', [sys.executable, '-c',
                                        'import time; time.sleep(60)'])
    try:
        with pytest.raises(procs.LabError) as raised:
            procs.wait_until(lambda: 'the door was shut', 0.3, 'the thing',
                             lab, 'sleeper', proc)
    finally:
        procs.stop(lab, 'sleeper')
    assert str(raised.value).startswith(
        'the thing did not come up: sleeper (pid %d) still runs, but after '
        '0 s (in which it had ' % proc.pid)
    assert str(raised.value).endswith(
        's of CPU) the door was shut; see %s'
        % os.path.join(lab.log_dir, 'sleeper.log'))


def test_wait_until_says_how_the_process_ended(lab):
    proc = procs.start(lab, 'quitter', [sys.executable, '-c',
                                        'import sys; sys.exit(3)'])
    with pytest.raises(procs.LabError, match=(
            r'^the thing did not come up: quitter exited with status 3 '
            r'after \d+\.\d s; see .*quitter\.log$')):
        procs.wait_until(lambda: 'nothing yet', 30, 'the thing', lab,
                         'quitter', proc)
    assert procs.running_pid(lab, 'quitter') is None


def test_wait_until_says_which_signal_killed_it(lab):
    proc = procs.start(lab, 'victim', [sys.executable, '-c',
                                       'import os; os.kill(os.getpid(), 9)'])
    with pytest.raises(procs.LabError, match='victim was killed by SIGKILL'):
        procs.wait_until(lambda: 'nothing yet', 30, 'the thing', lab,
                         'victim', proc)


def test_wait_until_does_not_give_up_on_a_starting_process(
        lab, monkeypatch):
    """The false "did not come up": right after the exec, on a loaded
    machine, /proc/<pid>/cmdline of the new process reads empty for some
    milliseconds (seen on the CI's kernel); the wait took that for a
    process gone. Here it reads empty for the whole wait, and the process
    answers on the third look."""
    real_open = open

    def empty_cmdline(path, *args, **kwargs):
        if str(path).endswith('/cmdline'):
            return io.BytesIO(b'')
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(procs, 'open', empty_cmdline, raising=False)
    looks = []

    def probe():
        looks.append(procs.running_pid(lab, 'sleeper'))
        return None if len(looks) == 3 else 'not yet'

    proc = procs.start(lab, 'sleeper', [sys.executable, '-c',
                                        'import time; time.sleep(60)'])
    try:
        procs.wait_until(probe, 30, 'the thing', lab, 'sleeper', proc)
        assert looks == [proc.pid] * 3
    finally:
        assert procs.stop(lab, 'sleeper') is True
    assert proc.poll() is not None


def test_pid_file_records_the_start_time(lab):
    pid = _start(lab, 'sleeper', 'print("ready", flush=True)\n'
                                 'import time; time.sleep(60)')
    try:
        with open(os.path.join(lab.run_dir, 'sleeper.pid')) as pidfile:
            recorded_pid, started = pidfile.read().split()
        with open('/proc/%d/stat' % pid) as stat:
            assert stat.read().rsplit(')', 1)[1].split()[19] == started
        assert int(recorded_pid) == pid
        # The same pid with another start time: a process that reused it.
        with open(os.path.join(lab.run_dir, 'sleeper.pid'), 'w') as pidfile:
            pidfile.write('%d %d\n' % (pid, int(started) - 1))
        assert procs.running_pid(lab, 'sleeper') is None
        assert procs.stop(lab, 'sleeper') is False
        assert os.path.exists('/proc/%d' % pid)
    finally:
        os.kill(pid, signal.SIGKILL)


def test_pid_file_without_start_time_is_checked_by_command_line(lab):
    """A pid file of an older tripleo-ffu-lab holds only the pid."""
    pid = _start(lab, 'sleeper', 'print("ready", flush=True)\n'
                                 'import time; time.sleep(60)')
    with open(os.path.join(lab.run_dir, 'sleeper.pid'), 'w') as pidfile:
        pidfile.write('%d\n' % pid)
    assert procs.running_pid(lab, 'sleeper') == pid
    assert procs.stop(lab, 'sleeper') is True


def test_a_lab_dir_is_not_a_prefix_of_another(tmp_path):
    """A process of lab10 is not one of lab1's (old pid files)."""
    lab1 = layout.Lab(str(tmp_path / 'lab1'))
    lab10 = layout.Lab(str(tmp_path / 'lab10'))
    for each in (lab1, lab10):
        each.make_dirs()
    pid = _start(lab10, 'sleeper', 'print("ready", flush=True)\n'
                                   'import time; time.sleep(60)')
    try:
        with open(os.path.join(lab1.run_dir, 'sleeper.pid'), 'w') as out:
            out.write('%d\n' % pid)
        assert procs.running_pid(lab1, 'sleeper') is None
    finally:
        procs.stop(lab10, 'sleeper')


def test_port_probe_says_what_a_connection_got():
    port = procs.free_port()
    assert procs.port_probe(port) == (
        'a connection to 127.0.0.1:%d got "Connection refused"' % port)


def test_run_reports_the_last_line_of_a_failure():
    with pytest.raises(procs.LabError, match=r'exit 3\): last words'):
        procs.run([sys.executable, '-c',
                   'import sys; print("first"); print("last words", '
                   'file=sys.stderr); sys.exit(3)'], 'the command')


def _runs(pid):
    try:
        with open('/proc/%d/stat' % pid) as stat:
            return stat.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def test_stop_ends_what_left_the_process_group(lab):
    """sshd's sessions leave its process group: stop ends them too."""
    _start(lab, 'parent', 'import subprocess, sys, time\n'
                          'child = subprocess.Popen([sys.executable, "-c", '
                          '"import time; time.sleep(60)"], '
                          'start_new_session=True)\n'
                          'print("ready", child.pid, flush=True)\n'
                          'time.sleep(60)\n')
    with open(os.path.join(lab.log_dir, 'parent.log')) as log:
        child = int(log.read().split()[1])
    assert _runs(child)
    assert procs.stop(lab, 'parent') is True
    assert not _runs(child)
