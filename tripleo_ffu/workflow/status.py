"""`overcloud ffwd-upgrade status`: where an FFU stands, read from the
stack, the config dir, the plan, the journal and the lock. Reads only:
safe from another shell while a command runs."""

import dataclasses
import os

import yaml

from tripleo_ffu.workflow import batch
from tripleo_ffu.workflow import config_download
from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import fixers
from tripleo_ffu.workflow import history
from tripleo_ffu.workflow import inventory
from tripleo_ffu.workflow import plan
from tripleo_ffu.workflow import plan_file
from tripleo_ffu.workflow import run_state
from tripleo_ffu.workflow import stack as overcloud_stack
from tripleo_ffu.workflow.errors import WorkflowError

LAST_COMMITS = 3
# The lock holder's command -> the state while it holds the lock.
BUSY = {'ffwd-upgrade prepare': 'preparing',
        'ffwd-upgrade run': 'running',
        'ffwd-upgrade converge': 'converging'}
NEXT = {
    'not prepared': 'openstack overcloud ffwd-upgrade prepare',
    'preparing': 'wait for prepare to end',
    'prepared': 'openstack overcloud ffwd-upgrade run',
    'running': 'wait for the run to end (its log shows where it is)',
    'failed': 'fix the failure, then openstack overcloud ffwd-upgrade run '
              '--resume',
    'interrupted': 'openstack overcloud ffwd-upgrade run --resume',
    'partly run': 'openstack overcloud ffwd-upgrade run for the phases and '
                  'nodes left',
    'upgraded': 'openstack overcloud ffwd-upgrade converge',
    'converging': 'wait for converge to end',
    'converged': 'nothing: the fast-forward upgrade is finished',
    'converged by force': 'openstack overcloud ffwd-upgrade prepare, then '
                          'run and converge: the nodes left never went '
                          'through those phases',
    'stack update in progress': 'wait for Heat to end the update '
                                '(openstack stack event list <stack> '
                                '--follow), then status again',
    'prepare interrupted': 'openstack overcloud ffwd-upgrade prepare (again: '
                           'the config is downloaded after the update)',
    'converge interrupted': 'openstack overcloud ffwd-upgrade converge '
                            '(again: it checks and records the converge)',
}


@dataclasses.dataclass
class RunSummary:
    """The plan's plays and what the journal and the node record say of
    them."""
    plan_ids: list
    journal: run_state.Journal
    done: list
    failed: list
    pending: list
    playbook: list = dataclasses.field(default_factory=list)
    upgrade: batch.Upgrade = None
    config_dir: str = None

    @property
    def missing(self):
        """The plays not done on every node they run on, in plan order."""
        return [p for p in self.plan_ids or [] if p not in self.done]

    @property
    def missing_nodes(self):
        """{overcloud node: phases left} ({} without an inventory)."""
        return self.upgrade.missing() if self.upgrade is not None else {}

    @property
    def complete(self):
        """Every node through every phase (without an inventory: every
        play done)."""
        return not (self.missing_nodes if self.upgrade is not None
                    else self.missing)

    @property
    def stale(self):
        """A prepare ran after the last run ended."""
        return self.journal is not None and self.journal.data.get(
            'prepare', 0) != run_state.prepare_count(self.config_dir)


def _upgrade(config_dir, stack_name, playbook):
    path = os.path.join(config_dir, inventory.INVENTORY_FILE)
    if not os.path.isfile(path):
        return None
    try:
        return batch.load(config_dir, stack_name, playbook, path)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None


def run_summary(config_dir, stack_name):
    """Where the upgrade stands against the whole plan (plan_ids is None
    when there is no plan, journal None when no run started): a play is
    done when it completed on every node it runs on."""
    if not os.path.isfile(os.path.join(config_dir, plan_file.PLAN_FILE)):
        return RunSummary(None, None, [], [], [])
    playbook = plan_file.load(config_dir)
    plan_ids = plan.play_ids(playbook)
    journal = run_state.Journal.load(config_dir)
    upgrade = _upgrade(config_dir, stack_name, playbook)
    if upgrade is not None:
        done_ids = {p for p in plan_ids if upgrade.play_done(p)}
    else:  # no inventory to know the nodes: done in some run
        nodes = run_state.Nodes.load(config_dir)
        done_ids = {p for p in plan_ids if nodes.hosts(p) is not None}
    failed_ids = set(journal.ids('failed')) if journal else set()
    done = [p for p in plan_ids if p in done_ids]
    failed = [p for p in plan_ids if p in failed_ids and p not in done_ids]
    pending = [p for p in plan_ids if p not in done_ids | failed_ids]
    return RunSummary(plan_ids, journal, done, failed, pending, playbook,
                      upgrade, config_dir)


def check_run_complete(config_dir, stack_name):
    """Converge comes after every node went through every phase, in a
    complete run after the last prepare: say what is missing."""
    summary = run_summary(config_dir, stack_name)
    if summary.plan_ids is None:
        raise WorkflowError(
            'no FFU plan in %s: prepare and run come before converge (give '
            '--config-dir where they ran; --force converges anyway)'
            % config_dir)
    if summary.journal is None:
        raise WorkflowError(
            'no run recorded in %s: run `openstack overcloud ffwd-upgrade '
            'run --stack %s` before converge (--force converges anyway)'
            % (os.path.join(config_dir, run_state.RUN_DIR), stack_name))
    if summary.stale:
        raise WorkflowError(
            'prepare ran after the last run (%s, %s): converge needs a '
            'complete run after the last prepare; run `openstack overcloud '
            'ffwd-upgrade run --stack %s` (or --force to converge anyway)'
            % (summary.journal.data.get('status'),
               summary.journal.data.get('updated', '?'), stack_name))
    left = summary.missing_nodes
    if left:
        raise WorkflowError(
            'not every node has been through every phase: %s; run `openstack '
            'overcloud ffwd-upgrade run` for them (--roles or --nodes), or '
            'converge anyway with --force' % batch_hosts(left))
    if summary.upgrade is None and summary.missing:
        shown = ', '.join(summary.missing[:6]) + (
            ', ...' if len(summary.missing) > 6 else '')
        raise WorkflowError(
            'the run is not complete: %d of %d plays not done (%s); finish '
            'it with `openstack overcloud ffwd-upgrade run --resume` (or the '
            'phases not run), or converge anyway with --force'
            % (len(summary.missing), len(summary.plan_ids), shown))
    if summary.journal.data.get('status') != 'complete':
        raise WorkflowError(
            'the last run is %s (at %s): finish it with `openstack overcloud '
            'ffwd-upgrade run --resume`, or converge anyway with --force'
            % (summary.journal.data.get('status'),
               summary.journal.first_unfinished()))
    return summary


def batch_hosts(left, shown=4):
    """'node: phases left; ...', at most shown nodes."""
    items = sorted(left.items())
    text = '; '.join('%s: %s left' % (host, batch.words(phases))
                     for host, phases in items[:shown])
    return text + ('; and %d more' % (len(items) - shown)
                   if len(items) > shown else '')


def _commits(config_dir):
    """The last commits ('sha subject') and the last prepare's fixes."""
    recent = config_download.recent_commits(config_dir, 20)
    fixes = None
    for _sha, subject in recent:
        if subject.startswith(fixers.COMMIT_PREFIX):
            count = subject[len(fixers.COMMIT_PREFIX):].split(' ', 1)[0]
            fixes = int(count) if count.isdigit() else None
            break
        if subject.startswith(config_download.DOWNLOAD_COMMIT):
            fixes = 0  # the last download needed no fix
            break
    return (['%s %s' % (sha[:8], subject)
             for sha, subject in recent[:LAST_COMMITS]], fixes)


def _failure(journal):
    """The failure that stopped the last run; none once a run completed."""
    if journal is None or journal.data.get('status') == 'complete':
        return ''
    failure = journal.data.get('failure') or {}
    if not failure:
        return ''
    return '%s on %s (play %s)' % (failure.get('task', '?'),
                                   failure.get('host', '?'),
                                   failure.get('play', '?'))


def _state(prepared, summary, holder, converged):
    if holder.get('command') in BUSY:
        return BUSY[holder['command']]
    journal = summary.journal
    run_complete = (journal is not None and
                    journal.data.get('status') == 'complete' and
                    summary.complete)
    if not prepared:
        if converged:
            return 'converged'
        # Updated since the run, but no converge recorded (it failed its
        # checks): converge again, never prepare again.
        return 'upgraded' if run_complete else 'not prepared'
    if summary.plan_ids is None:
        return 'not prepared'
    if journal is None:
        return 'prepared'
    run_status = journal.data.get('status')
    if run_status in ('failed', 'interrupted'):
        return run_status
    if run_status == 'running':
        return 'interrupted'  # no run holds the lock: it was killed
    if summary.stale:
        return 'prepared'
    return 'upgraded' if run_complete else 'partly run'


def _truth(state, stack, update, converge_record):
    """What _state cannot see, and the state in a line: a stack update
    an interrupted command left to Heat, a converge forced over an
    incomplete run. Returns (state, summary)."""
    if state not in BUSY.values() and update and \
            update.get('stack_id') in (None, stack.id):
        command, at = update.get('command', '?'), update['interrupted']
        if stack.stack_status.endswith('_IN_PROGRESS'):
            return 'stack update in progress', (
                'stack update in progress (%s interrupted at %s)'
                % (command, at))
        return '%s interrupted' % command, (
            '%s interrupted at %s; Heat ended its stack update (%s)'
            % (command, at, stack.stack_status))
    if state == 'converged':
        words = history.converge_words(converge_record)
        if converge_record.get('forced'):
            return 'converged by force', 'converged by force at %s%s' % (
                converge_record.get('converged', '?'),
                '; %s' % words if words else '')
        return state, 'converged at %s' % converge_record.get('converged')
    return state, state


def _next(state, summary, stack_name):
    """The next command; for a partly run upgrade, the next run for the
    nodes left (after the fast-forward phase on every node, the control
    plane's roles: a normal state, not a failure)."""
    left = summary.missing_nodes
    if state != 'partly run' or not left:
        return NEXT[state]
    return batch.next_runs(summary.upgrade, left)[0]


def _run_line(line, journal):
    """A failed or interrupted run's line says when and where."""
    if line in ('failed', 'interrupted') and journal is not None:
        return 'run %s at %s (play %s)' % (
            line, journal.data.get('updated', '?'),
            journal.first_unfinished())
    return line


def _nodes(summary):
    """{node: {'role', 'done', 'left'}}: the phases each of the
    overcloud's nodes has been through and those it has left (the
    undercloud, in the inventory for the deploy playbook's plays, is no
    node of the overcloud)."""
    upgrade = summary.upgrade
    found = {}
    if upgrade is None:
        return found
    for host in sorted(upgrade.overcloud()):
        phases = [phase for phase in batch.PHASES
                  if any(host in upgrade.targets(p)
                         for p in upgrade.ids([phase]))]
        left = upgrade.left_on(host, phases)
        found[host] = {'role': upgrade.role_of(host),
                       'done': [p for p in phases if p not in left],
                       'left': left}
    return found


def _roles(nodes):
    """{role: {'done': [its nodes through every phase], 'left': [the
    others]}}."""
    found = {}
    for host, node in sorted(nodes.items()):
        role = found.setdefault(node['role'], {'done': [], 'left': []})
        role['left' if node['left'] else 'done'].append(host)
    return found


def status(heat, stack_name, config_dir):
    """{field: value} for the status command, in display order."""
    stack = overcloud_stack.get(heat, stack_name)
    history.check_owner(config_dir, stack)
    exposed = files.check_private(config_dir, repair=False)
    prepared = overcloud_stack.deploy_steps_are_noop(
        overcloud_stack.registry(heat, stack))
    summary = run_summary(config_dir, stack_name)
    holder = run_state.Lock.holder(config_dir)
    converge_record = run_state.converge_record(config_dir)
    converged = not prepared and converge_record is not None
    state, line = _truth(_state(prepared, summary, holder, converged), stack,
                         history.update_left(config_dir, holder),
                         converge_record or {})
    commits, fixes = _commits(config_dir)
    journal = summary.journal
    nodes = _nodes(summary)
    return {
        'stack': stack.stack_name,
        'stack_status': stack.stack_status,
        'state': state,
        'summary': _run_line(line, journal),
        'next_step': _next(state, summary, stack_name),
        'prepared_at': history.prepared_at(config_dir),
        'run_phases': history.run_phases(summary, nodes),
        'converged_at': (converge_record or {}).get('converged') or '',
        'config_dir': config_dir,
        'config_private': not exposed,
        'commits': commits,
        'fixes_applied': fixes,
        'plan_plays': len(summary.plan_ids or []),
        'plan_tasks': sum(plan.count_tasks(play.get('tasks'), config_dir)
                          for play in summary.playbook),
        'run_status': journal.data.get('status') if journal else 'none',
        'run_limit': (journal.data.get('limit_given') or
                      journal.data.get('limit') or '') if journal else '',
        'plays_done': len(summary.done),
        'plays_failed': len(summary.failed),
        'plays_pending': len(summary.pending),
        'roles': _roles(nodes),
        'nodes': nodes,
        'last_failure': _failure(journal),
        'log': (journal.data.get('log') or '') if journal else '',
        'lock_holder': ('%s (pid %s, since %s)' % (
            holder.get('command', '?'), holder.get('pid', '?'),
            holder.get('since', '?')) if holder else ''),
    }
