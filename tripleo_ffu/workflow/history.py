"""What happened to a config dir's upgrade, and when: the stack it
belongs to, a stack update left to Heat by an interrupted command, and
the time of each step (status's history fields)."""

import contextlib
import datetime
import json
import os

from tripleo_ffu.workflow import batch
from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import run_state

# The stack update of a prepare or converge, while it runs and after a
# signal stopped the command waiting for it (Heat goes on with it).
STACK_UPDATE_FILE = 'stack-update.json'
# ffu-run/<PREVIOUS_DIR>/<time>-stack-<id>/: another stack's state, kept.
PREVIOUS_DIR = 'previous-stacks'


def _read(path):
    try:
        with open(path) as source:
            data = json.load(source)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _record(config_dir, name):
    return _read(os.path.join(config_dir, run_state.RUN_DIR, name))


def owner(config_dir):
    """The id of the stack the config dir's state belongs to (None before
    the first prepare, or for a state from before ids were recorded)."""
    return (_record(config_dir, run_state.PREPARE_FILE) or {}).get(
        'stack_id')


def check_owner(config_dir, stack):
    """run, status and converge work on the state of this very stack."""
    owned = owner(config_dir)
    if owned and owned != stack.id:
        raise errors.WorkflowError(
            '%s holds the upgrade state of an earlier stack %s (id %s), not '
            'of the one deployed now (id %s): the stack was deleted and '
            'deployed again. Run `openstack overcloud ffwd-upgrade prepare '
            '--stack %s --config-dir %s` to begin its upgrade there (the '
            'old state is moved aside and kept), or give the --config-dir '
            'of this stack' % (config_dir, stack.stack_name, owned, stack.id,
                               stack.stack_name, config_dir))


def claim(config_dir, stack):
    """prepare: a state of another stack (same name, other id) goes
    aside, whole and kept, into a directory of its own; returns that
    directory (None when the state is this stack's or there is none)."""
    owned = owner(config_dir)
    if not owned or owned == stack.id:
        return None
    directory = run_state.run_dir(config_dir)
    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    aside = os.path.join(directory, PREVIOUS_DIR,
                         '%s-stack-%s' % (stamp, owned))
    with files.private_umask():
        os.makedirs(aside)
    for name in sorted(os.listdir(directory)):
        if name not in (run_state.LOCK_FILE, PREVIOUS_DIR):
            os.replace(os.path.join(directory, name),
                       os.path.join(aside, name))
    return aside


@contextlib.contextmanager
def stack_update(config_dir, command, stack):
    """Around a command's stack update: recorded while it runs; when a
    signal stops the command (errors.Interrupted), recorded as
    interrupted, for status, until the next update; else forgotten."""
    path = os.path.join(run_state.run_dir(config_dir), STACK_UPDATE_FILE)
    record = {'command': command, 'stack_id': stack.id,
              'started': run_state.now(), 'pid': os.getpid()}
    files.write_private(path, json.dumps(record) + '\n')
    try:
        yield
    except errors.Interrupted:
        record['interrupted'] = run_state.now()
        files.write_private(path, json.dumps(record) + '\n')
        raise
    except BaseException:
        os.unlink(path)
        raise
    os.unlink(path)


def update_left(config_dir, holder):
    """The record of a stack update whose command is gone (interrupted,
    or killed: then the time is when it started), or None."""
    record = _record(config_dir, STACK_UPDATE_FILE)
    if record is None or (holder and holder.get('pid') == record.get('pid')):
        return None
    record.setdefault('interrupted', record.get('started', '?'))
    return record


def converge_words(record):
    """'5 nodes never ran ffu, upgrade, ...' from a forced converge's
    record ('' for one after a complete run)."""
    left = record.get('nodes_left') or {}
    if not left:
        plays = record.get('skipped_plays') or []
        return '%d plays never ran' % len(plays) if plays else ''
    groups = {}
    for host, phases in sorted(left.items()):
        groups.setdefault(tuple(phases), []).append(host)
    return '; '.join('%d node%s never ran %s' % (
        len(hosts), '' if len(hosts) == 1 else 's', batch.words(phases))
        for phases, hosts in sorted(groups.items(),
                                    key=lambda item: -len(item[1])))


def prepared_at(config_dir):
    """When the last prepare ended ('' when none did)."""
    record = _record(config_dir, run_state.PREPARE_FILE) or {}
    return record.get('done') or ''


def run_phases(summary, nodes):
    """{phase: {'nodes_done', 'nodes', 'last_at'}}: of the nodes the
    phase runs on, those through it, and when a play of it last
    completed ('' never)."""
    upgrade = summary.upgrade
    if upgrade is None:
        return {}
    found = {}
    for phase in batch.PHASES:
        on = [node for node in nodes.values()
              if phase in node['done'] or phase in node['left']]
        times = [(upgrade.nodes.data['plays'].get(play_id) or {}).get('at')
                 for play_id in upgrade.ids([phase])]
        found[phase] = {
            'nodes_done': len([n for n in on if phase in n['done']]),
            'nodes': len(on),
            'last_at': max([t for t in times if t] or [''])}
    return found
