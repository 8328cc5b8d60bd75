"""Background processes of a lab: start, find, stop, wait for their port."""

import logging
import os
import signal
import socket
import subprocess
import time

LOG = logging.getLogger(__name__)


class LabError(Exception):
    """Something the lab could not do; the message says what to do."""


def _pidfile(lab, name):
    return os.path.join(lab.run_dir, name + '.pid')


def _alive(pid, marker):
    """True when pid runs (not a zombie) and its command line has marker."""
    try:
        with open('/proc/%d/stat' % pid) as stat:
            if stat.read().rsplit(')', 1)[1].split()[0] == 'Z':
                return False
        with open('/proc/%d/cmdline' % pid, 'rb') as cmdline:
            return marker.encode() in cmdline.read()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def running_pid(lab, name):
    """The pid of the lab's process `name`, or None if it does not run.

    Every lab process has a path of its lab in its command line: that is
    how a stale pid file, reused by an unrelated process, is told apart.
    """
    try:
        with open(_pidfile(lab, name)) as pidfile:
            pid = int(pidfile.read().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid, lab.root) else None


def start(lab, name, argv, env=None):
    """Start argv detached from us, its output in logs/<name>.log."""
    log_path = os.path.join(lab.log_dir, name + '.log')
    with open(log_path, 'ab') as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=env,
                                start_new_session=True, close_fds=True)
    with open(_pidfile(lab, name), 'w') as pidfile:
        pidfile.write('%d\n' % proc.pid)
    LOG.debug('started %s (pid %d): %s', name, proc.pid, ' '.join(argv))
    return proc.pid


def stop(lab, name, timeout=10.0):
    """SIGTERM the process group, then SIGKILL what is left after timeout.

    heat-all 24 may ignore SIGTERM for a while, hence the second signal.
    Returns True when a process was running.
    """
    pid = running_pid(lab, name)
    if pid is None:
        _remove(_pidfile(lab, name))
        return False
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid, lab.root):
        time.sleep(0.1)
    if _alive(pid, lab.root):
        LOG.info('%s (pid %d) ignored SIGTERM for %.0f s, killing it',
                 name, pid, timeout)
        _signal_group(pid, signal.SIGKILL)
        while _alive(pid, lab.root):
            time.sleep(0.05)
    _remove(_pidfile(lab, name))
    return True


def _signal_group(pid, signum):
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass


def _remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def free_port():
    """A TCP port nothing listens on at 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(('127.0.0.1', port)) == 0


def wait_until(check, timeout, what, lab=None, name=None):
    """Poll check() until it is true; fail with the process's log path."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if lab is not None and running_pid(lab, name) is None:
            break
        time.sleep(0.2)
    hint = ''
    if lab is not None:
        hint = '; see %s' % os.path.join(lab.log_dir, name + '.log')
    raise LabError('%s did not come up%s' % (what, hint))


def run(argv, what, **kwargs):
    """Run a short command; on failure raise LabError with its output."""
    if 'input' not in kwargs:
        kwargs['stdin'] = subprocess.DEVNULL
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip().splitlines()
        raise LabError('%s failed (exit %d): %s' % (
            what, result.returncode, output[-1] if output else 'no output'))
    return result.stdout
