"""A failed or interrupted `tripleo-ffu-lab up` stops what it started."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from tripleo_ffu_lab import layout
from tripleo_ffu_lab import procs

# `up` in a process of its own, its services replaced by sleepers whose
# command lines name the lab: MariaDB is started, then HOW happens (a
# LabError, or a wait that only SIGTERM ends). A heat-all sleeper may run
# before, started by another process.
UP = textwrap.dedent('''
    import sys, time
    from tripleo_ffu_lab import cli, control, procs

    def sleeper(lab, name):
        procs.start(lab, name, [sys.executable, '-c',
                                'import time; time.sleep(60)', lab.run_dir])

    def start_services(lab, state):
        sleeper(lab, 'mariadb')
        print('started', flush=True)
        if sys.argv[2] == 'error':
            raise procs.LabError('Heat API did not come up: it is a test')
        time.sleep(60)

    if sys.argv[2] == 'before':
        sleeper(control.layout.Lab(sys.argv[1]), 'heat-all')
        sys.exit(0)
    control.start_services = start_services
    sys.exit(cli.main(['--lab-dir', sys.argv[1], 'up']))
''')


@pytest.fixture
def lab(tmp_path):
    lab = layout.Lab(str(tmp_path / 'lab'))
    lab.make_dirs()
    yield lab
    for name in ('mariadb', 'heat-all'):
        procs.stop(lab, name)


def _up(lab, how):
    return subprocess.Popen([sys.executable, '-c', UP, lab.root, how],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _pids(lab):
    pids = {}
    for name in ('mariadb', 'heat-all'):
        with open(os.path.join(lab.run_dir, name + '.pid')) as pidfile:
            pids[name] = int(pidfile.read().split()[0])
    return pids


def _gone(pid):
    try:
        with open('/proc/%d/stat' % pid) as stat:
            return stat.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except FileNotFoundError:
        return True


def test_failed_up_stops_what_it_started_and_only_that(lab):
    assert _up(lab, 'before').wait(timeout=30) == 0
    before = procs.running_pid(lab, 'heat-all')
    assert before
    up = _up(lab, 'error')
    out, err = up.communicate(timeout=60)
    assert up.returncode == 1
    assert err.splitlines()[-1] == ('tripleo-ffu-lab up: error: Heat API '
                                    'did not come up: it is a test')
    assert 'up failed: stopped what it had started (mariadb)' in err
    assert procs.running_pid(lab, 'mariadb') is None
    assert procs.running_pid(lab, 'heat-all') == before


def test_terminated_up_stops_what_it_started(lab):
    up = _up(lab, 'wait')
    assert up.stdout.readline() == 'started\n'
    mariadb = procs.running_pid(lab, 'mariadb')
    assert mariadb
    up.send_signal(signal.SIGTERM)
    out, err = up.communicate(timeout=60)
    assert up.returncode == 130
    assert 'tripleo-ffu-lab up: interrupted' in err
    assert _gone(mariadb)
