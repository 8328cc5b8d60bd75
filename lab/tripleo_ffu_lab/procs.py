"""Background processes of a lab: start, find, stop, wait for their port."""

import errno
import logging
import os
import signal
import socket
import subprocess
import time

from tripleo_ffu.workflow import files

LOG = logging.getLogger(__name__)

CLOCK_TICKS = os.sysconf('SC_CLK_TCK')


class LabError(Exception):
    """Something the lab could not do; the message says what to do."""


def _pidfile(lab, name):
    return os.path.join(lab.run_dir, name + '.pid')


def _stat(pid):
    """The fields of /proc/<pid>/stat after the command name, or None.

    [0] is the state, [11] and [12] the CPU time used (in clock ticks),
    [19] the start time (clock ticks since boot): with the pid, it tells
    one process from any other that gets the same pid later.
    """
    try:
        with open('/proc/%d/stat' % pid) as stat:
            return stat.read().rsplit(')', 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def _recorded(lab, name):
    """(pid, start time) from the pid file, or None.

    The start time is None in a pid file of an older tripleo-ffu-lab.
    """
    try:
        with open(_pidfile(lab, name)) as pidfile:
            fields = pidfile.read().split()
        return int(fields[0]), (fields[1] if len(fields) > 1 else None)
    except (FileNotFoundError, ValueError, IndexError):
        return None


def _runs(pid, started):
    """True when pid runs (not a zombie) and started at that time.

    With the start time, read from /proc when the process was started, a
    pid tells our process from an unrelated one that reuses it later.
    """
    stat = _stat(pid)
    return stat is not None and stat[0] != 'Z' and stat[19] == started


def _alive(lab, pid, started):
    """True when the recorded process runs.

    Its command line is no proof that it is ours, nor that it is not:
    /proc/<pid>/cmdline reads empty for a while after the exec on a loaded
    machine, and sshd rewrites its own. Only pid files of an older
    tripleo-ffu-lab, without a start time, are checked by it: it names a
    path in the lab dir.
    """
    if started is not None:
        return _runs(pid, started)
    stat = _stat(pid)
    if stat is None or stat[0] == 'Z':
        return False
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as cmdline:
            return (lab.root + os.sep).encode() in cmdline.read()
    except (FileNotFoundError, ProcessLookupError):
        return False


def _descendants(pid):
    """(pid, start time, process group) of every live process below pid,
    from /proc."""
    children = {}
    for entry in os.listdir('/proc'):
        stat = _stat(int(entry)) if entry.isdigit() else None
        if stat is not None and stat[0] != 'Z':
            children.setdefault(int(stat[1]), []).append(
                (int(entry), stat[19], int(stat[2])))
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found.extend(below)
        todo.extend(child[0] for child in below)
    return found


def running_pid(lab, name):
    """The pid of the lab's process `name`, or None if it does not run."""
    recorded = _recorded(lab, name)
    if recorded is None or not _alive(lab, *recorded):
        return None
    return recorded[0]


def start(lab, name, argv, env=None):
    """Start argv detached from us, its output in logs/<name>.log.

    Returns its Popen: until we exit we are its parent, the one to know
    for sure whether it still runs (see wait_until).
    """
    log_path = os.path.join(lab.log_dir, name + '.log')
    with open(log_path, 'ab') as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=env,
                                start_new_session=True, close_fds=True)
    # Not reaped before we wait for it: its /proc entry is there.
    files.write_private(_pidfile(lab, name),
                        '%d %s\n' % (proc.pid, _stat(proc.pid)[19]))
    LOG.debug('started %s (pid %d): %s', name, proc.pid, ' '.join(argv))
    return proc


def stop(lab, name, timeout=10.0):
    """SIGTERM the process, its group and every process below it (sshd's
    sessions leave its group), then SIGKILL what is left after timeout.

    heat-all 24 may ignore SIGTERM for a while, hence the second signal.
    Returns True when a process was running.
    """
    recorded = _recorded(lab, name)
    if recorded is None or not _alive(lab, *recorded):
        _remove(_pidfile(lab, name))
        return False
    pid = recorded[0]
    below = _descendants(pid)

    def left():
        return ([pid] if _alive(lab, *recorded) else []) + [
            child for child, started, _ in below if _runs(child, started)]

    _signal(pid, [child for child, _, group in below if group != pid],
            signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and left():
        time.sleep(0.1)
    if left():
        LOG.info('%s (pid %d) ignored SIGTERM for %.0f s, killing it',
                 name, pid, timeout)
        _signal(pid, left(), signal.SIGKILL)
        while left():
            time.sleep(0.05)
    _remove(_pidfile(lab, name))
    return True


def _signal(group, pids, signum):
    """Signal a process group, and each of pids (outside it)."""
    for send, target in [(os.killpg, group)] + [(os.kill, pid)
                                                for pid in pids]:
        try:
            send(target, signum)
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


def port_probe(port, address='127.0.0.1'):
    """None when address:port accepts a connection, else what happened."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        error = sock.connect_ex((address, port))
    if error == 0:
        return None
    if error in (errno.EAGAIN, errno.ETIMEDOUT):
        return 'a connection to %s:%d had no answer in 0.5 s' % (address,
                                                                 port)
    return 'a connection to %s:%d got "%s"' % (address, port,
                                               os.strerror(error))


def port_open(port, address='127.0.0.1'):
    return port_probe(port, address) is None


def _ended(code):
    if code >= 0:
        return 'exited with status %d' % code
    try:
        return 'was killed by %s' % signal.Signals(-code).name
    except ValueError:
        return 'was killed by signal %d' % -code


def wait_until(probe, timeout, what, lab, name, proc):
    """Wait for proc, just started as the lab's `name`, to serve.

    probe() returns None once it does, else what it saw. This fails only
    when proc has exited, or when it still runs after timeout seconds
    (measured on the monotonic clock); the message says which, with what
    the probe saw last and where the process's log is.
    """
    log = os.path.join(lab.log_dir, name + '.log')
    started = time.monotonic()
    while True:
        code = proc.poll()
        if code is not None:
            problem = '%s %s after %.1f s' % (
                name, _ended(code), time.monotonic() - started)
            break
        seen = probe()
        if seen is None:
            return
        waited = time.monotonic() - started
        if waited >= timeout:
            # Not reaped (poll said it runs): its /proc entry is there.
            stat = _stat(proc.pid)
            cpu = (int(stat[11]) + int(stat[12])) / CLOCK_TICKS
            problem = ('%s (pid %d) still runs, but after %.0f s (in which '
                       'it had %.1f s of CPU) %s' % (name, proc.pid, waited,
                                                     cpu, seen))
            break
        time.sleep(0.2)
    raise LabError('%s did not come up: %s; see %s' % (what, problem, log))


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
