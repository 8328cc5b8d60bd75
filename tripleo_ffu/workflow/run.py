"""`overcloud ffwd-upgrade run`: the plan (or the stack's playbooks) on
the whole overcloud or some of its nodes, phase by phase, with progress,
a log, a journal and resume."""

import dataclasses
import datetime
import os
import re
import time

import yaml

from tripleo_ffu.workflow import ansible
from tripleo_ffu.workflow import batch
from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import fixers
from tripleo_ffu.workflow import hosts as hosts_module
from tripleo_ffu.workflow import host_keys
from tripleo_ffu.workflow import inventory as inventory_module
from tripleo_ffu.workflow import phases
from tripleo_ffu.workflow import plan
from tripleo_ffu.workflow import plan_file
from tripleo_ffu.workflow import progress
from tripleo_ffu.workflow import reach
from tripleo_ffu.workflow import run_signals
from tripleo_ffu.workflow import run_state
from tripleo_ffu.workflow import secrets
from tripleo_ffu.workflow import yamlfile
from tripleo_ffu.workflow.errors import WorkflowError

# The plays of one phase a run selected: each phase is an Ansible run of
# its own, as the stack's playbooks are (facts do not leak across phases).
RUN_PLAYBOOK = 'ffu-run-%s.yaml'
STACK_PLAYBOOKS = phases.STACK_PLAYBOOKS
# config download's per-step copies of a task file: not where tasks live.
_STEP_FILE = re.compile(r'_step\d+\.yaml$')


@dataclasses.dataclass(frozen=True)
class Options:
    """What the command settled; a resumed or limited run is another
    value, built once before it starts (settle)."""
    stack: str
    config_dir: str
    inventory: str = None
    ssh_user: str = None
    ssh_key: str = None
    tags: str = None
    skip_tags: str = None
    forks: int = None
    playbook: str = 'plan'
    phases: tuple = phases.PHASES
    resume: bool = False
    verbosity: int = 0
    host_key_checking: bool = False
    # The operator's word that nodes with no known host key may be
    # reached unchecked (--accept-unchecked-hosts).
    accept_unchecked_hosts: bool = False
    # A run limited to some nodes: upstream's --roles, --nodes or --limit
    # (limit_option says which) and its pattern; force lets computes go
    # before the control plane.
    limit: str = None
    limit_option: str = None
    force: bool = False
    limit_given: str = None


@dataclasses.dataclass
class Result:
    status: str
    exit_code: int
    log: str
    failures: list
    host_table: list
    seconds: float
    plays_run: list
    # {node: [phases left]} over the overcloud after a plan run (None
    # after the stack's playbooks), and the notes of a limited run (nodes
    # left out, --force).
    left: dict = None
    notes: list = dataclasses.field(default_factory=list)
    # The runs that come next for the nodes left (batch.next_runs).
    next_runs: list = dataclasses.field(default_factory=list)


def inventory_path(options):
    return options.inventory or os.path.join(
        options.config_dir, inventory_module.INVENTORY_FILE)


def check_prepared(options):
    """Every file the run needs, or which is missing and what makes it;
    (the inventory, the plan), read (the plan is None for the stack's
    playbooks)."""
    files.check_private(options.config_dir)
    path = inventory_path(options)
    if options.inventory and not os.path.isfile(path):
        raise WorkflowError('inventory %s (--static-inventory) does not '
                            'exist' % path)
    needed = [path]
    if options.playbook == 'plan':
        needed.append(os.path.join(options.config_dir, plan_file.PLAN_FILE))
    else:
        needed.extend(os.path.join(options.config_dir, STACK_PLAYBOOKS[phase])
                      for phase in options.phases)
    for needed_path in needed:
        if not os.path.isfile(needed_path):
            raise WorkflowError(
                '%s is missing: run `openstack overcloud ffwd-upgrade prepare '
                '--stack %s` first (or give --config-dir where it ran)'
                % (needed_path, options.stack))
    inventory = read_inventory(path)
    if options.stack not in inventory:
        raise WorkflowError('inventory %s has no group %s: check --stack (the '
                            'stack prepare ran for)' % (path, options.stack))
    # A damaged plan is said now; the run reads it only here.
    return inventory, (plan_file.load(options.config_dir)
                       if options.playbook == 'plan' else None)


def scope(options):
    """What a run takes, for its question: its phases and its nodes (not
    named while the inventory cannot be read: the run says why)."""
    what = {'ffu': 'ffu (the releases before the target)',
            'post-upgrade': 'post-upgrade (the target release done)'}
    text = 'run phase%s %s on %s of stack %s' % (
        's' if len(options.phases) > 1 else '',
        ', '.join(what.get(phase, phase) for phase in options.phases),
        'every node' if options.limit is None else 'the nodes of %s %s'
        % (options.limit_option, options.limit), options.stack)
    try:
        inventory = read_inventory(inventory_path(options))
    except (OSError, WorkflowError):
        return text
    nodes = set(inventory_module.hosts(inventory, options.stack))
    if options.limit:
        nodes &= hosts_module.resolve(inventory, options.limit)
    return '%s (%d: %s)' % (text, len(nodes), ', '.join(sorted(nodes)))


def read_inventory(path):
    try:
        with open(path) as source:
            inventory = yamlfile.load(source)
    except UnicodeDecodeError:
        raise WorkflowError('inventory %s is not UTF-8 text' % path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        raise WorkflowError('inventory %s is not valid YAML%s: %s' % (
            path, ' at line %d' % (mark.line + 1) if mark else '',
            getattr(exc, 'problem', None) or str(exc).splitlines()[0]))
    if not isinstance(inventory, dict):
        raise WorkflowError('inventory %s is not a YAML mapping of groups'
                            % path)
    return inventory


def select_plays(playbook, phases, journal=None):
    """The ids to run: the phases' plays, or, resuming, what the
    unfinished play needs run again first (the plan says which: the
    plays that set its release's facts, its loop's check step; and the
    earlier plays of its phase that only gather facts or set variables)
    and every play from the unfinished one."""
    ids = plan.play_ids(playbook)
    selected = [play_id for play_id, play in zip(ids, playbook)
                if plan.phase_of(play) in phases]
    if journal is None:
        return selected
    unfinished = journal.first_unfinished()
    if unfinished is None:
        raise WorkflowError('the journal says the last run completed: '
                            'nothing to resume')
    if unfinished not in selected:
        raise WorkflowError('the journal\'s unfinished play %s is not in '
                            'the plan for the chosen phases' % unfinished)
    start = selected.index(unfinished)
    by_id = dict(zip(ids, playbook))
    phase = plan.phase_of(by_id[unfinished])
    again = set(plan.resume_of(by_id[unfinished]))
    return [play_id for play_id in selected[:start]
            if play_id in again or (
                plan.phase_of(by_id[play_id]) == phase and
                plan.sets_context_only(by_id[play_id]))] + selected[start:]


def _log_path(config_dir):
    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    return os.path.join(run_state.run_dir(config_dir),
                        'run-%s.log' % stamp)


def _ansible(options, playbook, log_file, say, journal, signals, ident,
             handler=None, redact=None):
    handler = handler or progress.Progress(say, log_file, journal, redact)
    runner = ansible.run_playbook(
        playbook, inventory_path(options),
        os.path.join(run_state.run_dir(options.config_dir), 'runner'),
        ssh_key=options.ssh_key, forks=options.forks,
        verbosity=options.verbosity, event_handler=handler, ident=ident,
        cancel_callback=signals.cancel, tags=options.tags,
        skip_tags=options.skip_tags, extravars=reach.extravars(options),
        host_key_checking=options.host_key_checking,
        **reach.ansible_limit(options))
    # A completed playbook closed its last play on Ansible's stats; a play
    # still open here was cut short and must run again on --resume.
    handler.abandon_play()
    return runner, handler


def run(options, say, unfinished_choice=None, redact=None):
    """Run the upgrade; return a Result. unfinished_choice(journal) says
    what to do with an unfinished journal without --resume: 'resume' or
    'restart' (or raises). redact: the secrets' guard the command made
    (else the config dir's secrets are collected here)."""
    if options.limit and options.playbook != 'plan':
        raise WorkflowError(
            '%s needs the plan (it records what each node went through): '
            'run without --playbook stack' % options.limit_option)
    inventory, playbook = check_prepared(options)
    host_keys.refuse_unchecked(inventory, options.stack,
                               options.accept_unchecked_hosts,
                               '--accept-unchecked-hosts')
    if redact is None:
        redact = secrets.guard(secrets.collect(options.config_dir))
    with run_state.Lock(options.config_dir, 'ffwd-upgrade run'):
        journal, upgrade, chosen = None, None, None
        if playbook is not None:
            journal = _journal(options, unfinished_choice)
            upgrade = batch.Upgrade.load(options.config_dir, options.stack,
                                         playbook, inventory)
            chosen = _batch(options, upgrade, journal)
        options = settle(options, inventory, playbook, journal, chosen)
        notes = chosen.notes if chosen is not None else []
        for note in notes:
            say(note)
        if chosen is not None and not chosen.hosts:
            left = upgrade.missing()
            return Result('nothing to do', 0, '', [], [], 0.0, [], left,
                          notes, batch.next_runs(upgrade, left))
        reach.ping(options, inventory_path(options), say)
        say('Host keys: %s' % host_keys.describe(
            inventory, options.stack,
            inventory_module.hosts(inventory, options.stack)))
        log_path = _log_path(options.config_dir)
        say('Ansible log: %s' % log_path)
        started = time.monotonic()
        with files.private_umask(), open(log_path, 'w') as log_file, \
                run_signals.Signals() as signals:
            if playbook is not None:
                outcome = _run_plan(options, say, log_file, journal, signals,
                                    log_path, upgrade, playbook, redact)
            else:
                outcome = _run_stack(options, say, log_file, signals, redact)
        status, handler, plays_run, journal = outcome
        if status == 'complete':
            worked_on = inventory_module.hosts(inventory, options.stack)
            if options.limit and upgrade is not None:
                limited = upgrade.resolve(options.limit)
                worked_on = [host for host in worked_on if host in limited]
            status = _check_every_node_worked(handler, worked_on)
        for failure in handler.failures:
            failure['source'] = source_of(options.config_dir,
                                          failure['task'])
        if journal is not None:
            journal.finish(status, handler.failures[0]
                           if handler.failures else None, log_path)
        code = run_signals.exit_code(status, signals.received)
        left, next_runs = None, []
        if upgrade is not None:  # what this run added
            upgrade.nodes = run_state.Nodes.load(options.config_dir)
            left = upgrade.missing()
            next_runs = batch.next_runs(upgrade, left)
        return Result(status, code, log_path, handler.failures,
                      handler.host_table(), time.monotonic() - started,
                      plays_run, left, notes, next_runs)


def settle(options, inventory, playbook, journal, chosen):
    """The run's options, settled once before it starts: its host key
    checking and forks; resumed (a journal to continue), that run's
    phases and nodes; limited, the batch's pattern (the one given kept)."""
    hosts = inventory_module.hosts(inventory, options.stack)
    changes = {'host_key_checking': host_keys.checks(inventory,
                                                     options.stack),
               'forks': options.forks or reach.default_forks(len(hosts))}
    if journal is not None:
        by_id = dict(zip(plan.play_ids(playbook), playbook))
        done = {plan.phase_of(by_id[play_id]) for play_id in journal.ids()
                if play_id in by_id}
        changes.update(resume=True, limit=journal.limit, phases=tuple(
            phase for phase in phases.PHASES if phase in done)
            or options.phases)
    elif chosen is not None:
        changes.update(limit_given=options.limit, limit=chosen.limit)
    return dataclasses.replace(options, **changes)


def _batch(options, upgrade, journal):
    """The Batch of a limited run (None for a run on every node); a
    resume continues the batch of the run it resumes (the journal's)."""
    if journal is not None:
        if options.limit and options.limit != journal.data.get(
                'limit_given'):
            raise WorkflowError(
                'the run to resume was %s: run --resume without %s (it '
                'goes on with the same nodes)' % (
                    'limited to %s' % journal.data.get('limit_given')
                    if journal.limit else 'on every node',
                    options.limit_option))
        return None
    if not options.limit:
        return None
    return batch.plan(upgrade, options.limit_option, options.limit,
                      options.phases, options.force)


def _check_every_node_worked(handler, hosts):
    """A node that ran no task was not upgraded: the run failed."""
    idle = handler.idle_hosts(hosts)
    for host in idle:
        handler.failures.append({
            'play': '(the run)', 'task': '(every task)', 'host': host,
            'file': None, 'unreachable': False,
            'message': 'this node ran no task: no play of the run reached '
                       'it; check the inventory groups the plays name'})
    return 'failed' if idle else 'complete'


def _journal(options, unfinished_choice):
    """The journal to continue (a resume: --resume, or the operator's
    choice) or None to start a new one."""
    journal = run_state.Journal.load(options.config_dir)
    unfinished = journal is not None and not journal.complete
    if options.resume:
        if journal is None:
            raise WorkflowError('there is no journal to resume from in %s: '
                                'run without --resume' % options.config_dir)
        return journal
    if unfinished:
        choice = unfinished_choice(journal) if unfinished_choice else None
        if choice == 'resume':
            return journal
        if choice != 'restart':
            raise WorkflowError(
                'the last run did not finish (%s at %s): run again with '
                '--resume to go on from there, or remove %s to start over '
                '(what each node went through is kept)'
                % (journal.data.get('status'), journal.first_unfinished(),
                   journal.path))
    return None


def _targets(upgrade, ids, limit):
    """{play id: the hosts it runs on} for a run with that limit."""
    limited = upgrade.resolve(limit) if limit else None
    return {play_id: sorted(upgrade.targets(play_id) & limited
                            if limited is not None
                            else upgrade.targets(play_id))
            for play_id in ids}


def _run_plan(options, say, log_file, journal, signals, log_path, upgrade,
              playbook, redact):
    by_id = dict(zip(plan.play_ids(playbook), playbook))
    if options.resume:
        # A resume finishes the run it resumes: that run's phases (settle).
        ids = select_plays(playbook, options.phases, journal)
        unfinished = journal.first_unfinished()
        again = ids[:ids.index(unfinished)]
        say('Resuming at %s%s%s' % (
            unfinished, ' on %s' % options.limit if options.limit else '',
            ' (running again first: %s)' % ', '.join(again) if again
            else ''))
        targets = journal.data.setdefault('targets', {})
        for play_id, hosts in _targets(upgrade, ids, options.limit).items():
            targets.setdefault(play_id, hosts)
        for play_id in ids:
            if journal.play(play_id) is None:
                journal.data['plays'].append({'id': play_id,
                                              'status': 'pending', 'runs': 0})
        journal.data['status'] = 'running'
        journal.save()
    else:
        ids = select_plays(playbook, options.phases)
        journal = run_state.Journal.start(
            options.config_dir, ids, log_path, limit=options.limit,
            targets=_targets(upgrade, ids, options.limit),
            limit_given=options.limit_given)
    handler = progress.Progress(say, log_file, journal, redact,
                                limited=bool(options.limit))
    for phase in phases.PHASES:
        plays = [by_id[play_id] for play_id in ids
                 if plan.phase_of(by_id[play_id]) == phase]
        if not plays:
            continue
        path = os.path.join(options.config_dir, RUN_PLAYBOOK % phase)
        files.write_private(path, yamlfile.dump(
            plays, default_flow_style=False, sort_keys=False))
        runner, handler = _ansible(options, path, log_file, say, journal,
                                   signals, 'plan-' + phase, handler)
        status = _status(runner, handler, signals)
        if status != 'complete':
            break
    return status, handler, ids, journal


def source_of(config_dir, task_name):
    """The config's task files that hold a task of this name: the plan
    inlines tasks, and the operator fixes them where they come from."""
    found = []
    for relative in fixers.task_files(config_dir):
        with open(os.path.join(config_dir, relative)) as source:
            tasks = yamlfile.load(source)
        names = []
        try:
            fixers.walk(tasks or [], lambda task, label: names.append(label),
                        relative)
        except fixers.FixerError:
            continue
        if task_name in names and not _STEP_FILE.search(relative):
            found.append(relative)
    return found


def _run_stack(options, say, log_file, signals, redact):
    handler, ran = None, []
    for phase in options.phases:
        path = os.path.join(options.config_dir, STACK_PLAYBOOKS[phase])
        runner, handler = _ansible(options, path, log_file, say, None,
                                   signals, 'stack-' + phase, None, redact)
        ran.append(STACK_PLAYBOOKS[phase])
        status = _status(runner, handler, signals)
        if status != 'complete':
            return status, handler, ran, None
    return 'complete', handler, ran, None


def _status(runner, handler, signals):
    if signals.received is not None or runner.status == 'canceled':
        return 'interrupted'
    if runner.rc != 0 or handler.failures:
        return 'failed'
    return 'complete'
