"""What the commands leave in <config-dir>/ffu-run/: the lock, the journal
of the last run, what each node went through, prepare's count and
converge's record."""

import datetime
import fcntl
import json
import logging
import os

from tripleo_ffu.workflow import files
from tripleo_ffu.workflow.errors import WorkflowError

LOG = logging.getLogger(__name__)
RUN_DIR = 'ffu-run'
LOCK_FILE = 'lock'
JOURNAL_FILE = 'journal.json'
NODES_FILE = 'nodes.json'
PREPARE_FILE = 'prepare.json'
CONVERGE_FILE = 'converge.json'


def run_dir(config_dir):
    path = os.path.join(config_dir, RUN_DIR)
    files.make_dirs(path)
    return path


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec='seconds')


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Lock:
    """One prepare, run or converge at a time on a config dir (a stack).

    An flock: the kernel drops it when its holder dies, however it dies.
    The file says who holds it, for the message to whoever is refused.
    """

    def __init__(self, config_dir, command):
        self.path = os.path.join(run_dir(config_dir), LOCK_FILE)
        self.command = command
        self.fd = None

    def __enter__(self):
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder(fd)
            os.close(fd)
            raise WorkflowError(
                'another command works on this stack: %s (pid %s, since %s) '
                'holds %s; wait for it to end' % (
                    holder.get('command', '?'), holder.get('pid', '?'),
                    holder.get('since', '?'), self.path))
        previous = self._holder(fd)
        if previous.get('pid') and not _alive(previous['pid']):
            LOG.warning('Released the lock of %s (pid %s), which is no longer '
                        'running', previous.get('command'), previous['pid'])
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({'pid': os.getpid(), 'command': self.command,
                                  'since': now()}).encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc):
        os.ftruncate(self.fd, 0)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None

    @staticmethod
    def _holder(fd):
        try:
            return json.loads(os.pread(fd, 4096, 0).decode() or '{}')
        except ValueError:
            return {}

    @classmethod
    def holder(cls, config_dir):
        """Who holds the lock now ({} when nobody does).

        Read without taking the lock, even shared: a status polled in a
        loop must never make a starting command find the lock taken. A
        holder writes itself in and empties the file on release; one that
        died without releasing is recognised by its dead pid.
        """
        path = os.path.join(config_dir, RUN_DIR, LOCK_FILE)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return {}
        try:
            holder = cls._holder(fd)
        finally:
            os.close(fd)
        if not isinstance(holder, dict) or not isinstance(
                holder.get('pid'), int) or not _alive(holder['pid']):
            return {}
        return holder


class Journal:
    """Each play of a plan run and how it ended: done, failed, pending.

    Written whole after every change, so that an interrupted or killed run
    leaves a journal that `run --resume` can continue from.
    """

    def __init__(self, config_dir, data=None):
        self.config_dir = config_dir
        self.path = os.path.join(run_dir(config_dir), JOURNAL_FILE)
        self.data = data or {}

    @classmethod
    def load(cls, config_dir):
        """The journal, or None when no run started."""
        path = os.path.join(config_dir, RUN_DIR, JOURNAL_FILE)
        try:
            with open(path) as source:
                data = json.load(source)
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise WorkflowError(
                'the journal %s is corrupted (%s): if no run is going on, '
                'remove it and run again without --resume' % (path, exc))
        if not isinstance(data, dict) or not isinstance(data.get('plays'),
                                                        list):
            raise WorkflowError('the journal %s has no list of plays: remove '
                                'it and run again without --resume' % path)
        if not all(isinstance(play, dict) and isinstance(play.get('id'), str)
                   for play in data['plays']):
            raise WorkflowError('the journal %s has a play that is not a '
                                'mapping with an id: remove it and run again '
                                'without --resume' % path)
        return cls(config_dir, data)

    @classmethod
    def start(cls, config_dir, play_ids, log_path, limit=None, targets=None,
              limit_given=None):
        """A new run of play_ids; limit is its Ansible --limit (None: every
        node), limit_given the --roles, --nodes or --limit it came from,
        and targets {play id: hosts it runs on}, recorded as done on each
        when the play completes."""
        journal = cls(config_dir, {
            'started': now(), 'status': 'running', 'log': log_path,
            'failure': None, 'limit': limit, 'limit_given': limit_given,
            'targets': targets or {},
            'prepare': prepare_count(config_dir),
            'plays': [{'id': play_id, 'status': 'pending', 'runs': 0}
                      for play_id in play_ids]})
        journal.save()
        # These nodes go through these plays again: not done until then.
        Nodes.load(config_dir).forget(play_ids, targets or {})
        return journal

    @property
    def limit(self):
        return self.data.get('limit')

    def save(self):
        self.data['updated'] = now()
        files.write_private(self.path, json.dumps(self.data, indent=2) + '\n')

    def play(self, play_id):
        for play in self.data['plays']:
            if play['id'] == play_id:
                return play
        return None

    def ids(self, status=None):
        return [play['id'] for play in self.data['plays']
                if status is None or play['status'] == status]

    @property
    def complete(self):
        return all(play['status'] == 'done' for play in self.data['plays'])

    def first_unfinished(self):
        for play in self.data['plays']:
            if play['status'] != 'done':
                return play['id']
        return None

    def mark(self, play_id, status, seconds=None):
        play = self.play(play_id)
        if play is None:
            return
        play['status'] = status
        if status in ('done', 'failed'):
            play['runs'] += 1
        if seconds is not None:
            play['seconds'] = round(seconds, 1)
        if status == 'done':
            Nodes.load(self.config_dir).mark(
                play_id, (self.data.get('targets') or {}).get(play_id, []))
        self.save()

    def finish(self, status, failure=None, log_path=None):
        self.data['status'] = status
        if failure is not None:
            self.data['failure'] = failure
        if log_path:
            self.data['log'] = log_path
        # The prepare this run's end follows: converge needs a complete
        # run after the last prepare.
        self.data['prepare'] = prepare_count(self.config_dir)
        self.save()


class Nodes:
    """What each node went through, over every run since the upgrade
    began: {play id: {"hosts": [the hosts it completed on], "at": time}}.

    A run records a play on the hosts it ran on when it completes there
    (plays stop every host at the first failure: a play completes on all
    of them or on none); runs limited to some nodes add theirs. A new run
    (not a resume) takes its nodes through its plays again: they are not
    done there until it completes them.
    """

    def __init__(self, config_dir, data=None):
        self.config_dir = config_dir
        self.data = data if data is not None else {'plays': {}}

    @classmethod
    def load(cls, config_dir):
        path = os.path.join(config_dir, RUN_DIR, NODES_FILE)
        try:
            with open(path) as source:
                data = json.load(source)
        except FileNotFoundError:
            return cls(config_dir)
        except ValueError as exc:
            raise WorkflowError(
                '%s is corrupted (%s): it records what each node went '
                'through; restore it from a backup, or remove it and run '
                'the whole upgrade again' % (path, exc))
        if not isinstance(data, dict) or not isinstance(data.get('plays'),
                                                        dict):
            raise WorkflowError('%s has no mapping of plays: restore it, or '
                                'remove it and run the whole upgrade again'
                                % path)
        return cls(config_dir, data)

    def hosts(self, play_id):
        """The hosts play_id completed on (None: it never completed)."""
        record = self.data['plays'].get(play_id)
        return set(record.get('hosts') or []) if isinstance(record,
                                                            dict) else None

    def mark(self, play_id, hosts):
        record = self.data['plays'].setdefault(play_id, {'hosts': []})
        record['hosts'] = sorted(set(record.get('hosts') or []) | set(hosts))
        record['at'] = now()
        self._save()

    def forget(self, play_ids, targets):
        """A new run takes targets[play] through each play again."""
        plays = self.data['plays']
        changed = False
        for play_id in play_ids:
            hosts = set(targets.get(play_id) or [])
            if play_id not in plays or not hosts:
                continue  # a play the run's nodes are not in: kept as is
            left = set(plays[play_id].get('hosts') or []) - hosts
            if left:
                plays[play_id]['hosts'] = sorted(left)
            else:
                del plays[play_id]
            changed = True
        if changed:
            self._save()

    def _save(self):
        files.write_private(os.path.join(run_dir(self.config_dir), NODES_FILE),
                            json.dumps(self.data, indent=2) + '\n')


def prepare_count(config_dir):
    """How many prepares ran on this config dir (0 before the first)."""
    try:
        with open(os.path.join(config_dir, RUN_DIR, PREPARE_FILE)) as source:
            return int(json.load(source).get('count', 0))
    except (OSError, ValueError, AttributeError, TypeError):
        return 0


def record_prepare(config_dir, stack_id=None):
    """A prepare updated the stack (of id stack_id): runs before it are
    stale for converge. After a converge, a prepare begins a new upgrade:
    the last one's journal, node record and converge record are kept
    aside."""
    directory = run_dir(config_dir)
    if os.path.exists(os.path.join(directory, CONVERGE_FILE)):
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
        for name in (JOURNAL_FILE, NODES_FILE, CONVERGE_FILE):
            path = os.path.join(directory, name)
            if os.path.exists(path):
                base, ext = os.path.splitext(name)
                os.replace(path, os.path.join(directory, '%s-%s%s'
                                              % (base, stamp, ext)))
    count = prepare_count(config_dir) + 1
    files.write_private(os.path.join(directory, PREPARE_FILE), json.dumps(
        {'count': count, 'at': now(), 'stack_id': stack_id}) + '\n')
    return count


def record_prepared(config_dir):
    """The prepare recorded last ended: the config, plan and inventory
    are there (status's prepared_at)."""
    path = os.path.join(run_dir(config_dir), PREPARE_FILE)
    with open(path) as source:
        record = json.load(source)
    record['done'] = now()
    files.write_private(path, json.dumps(record) + '\n')


def record_converge(config_dir, details):
    """A converge ended: details, with the time (status's converged_at)."""
    details = dict(details, converged=now())
    files.write_private(os.path.join(run_dir(config_dir), CONVERGE_FILE),
                        json.dumps(details, indent=2) + '\n')


def converge_record(config_dir):
    """What the last converge recorded, or None."""
    try:
        with open(os.path.join(config_dir, RUN_DIR,
                               CONVERGE_FILE)) as source:
            return json.load(source)
    except (OSError, ValueError):
        return None
