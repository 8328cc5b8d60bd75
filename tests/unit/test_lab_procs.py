"""Starting and stopping the lab's background processes."""

import os
import socket
import sys
import time

import pytest

from tripleo_ffu.lab import layout
from tripleo_ffu.lab import procs

# A process that ignores SIGTERM, as heat-all 24 may; its command line
# names the lab dir, as every lab process's does.
STUBBORN = ('import signal, sys, time\n'
            'signal.signal(signal.SIGTERM, signal.SIG_IGN)\n'
            'print("ready", flush=True)\n'
            'time.sleep(60)\n')


@pytest.fixture
def lab(tmp_path):
    lab = layout.Lab(str(tmp_path / 'lab'))
    lab.make_dirs()
    return lab


def _start(lab, name, code):
    pid = procs.start(lab, name, [sys.executable, '-c', code, lab.root])
    procs.wait_until(lambda: 'ready' in open(
        os.path.join(lab.log_dir, name + '.log')).read(), 10, name)
    return pid


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


def test_wait_until_names_the_log(lab):
    with pytest.raises(procs.LabError, match=r'sleeper\.log'):
        procs.wait_until(lambda: False, 0.3, 'the thing', lab, 'sleeper')


def test_run_reports_the_last_line_of_a_failure():
    with pytest.raises(procs.LabError, match=r'exit 3\): last words'):
        procs.run([sys.executable, '-c',
                   'import sys; print("first"); print("last words", '
                   'file=sys.stderr); sys.exit(3)'], 'the command')
