#!/usr/bin/env python3
"""`run` with the stack's playbooks, with the plan, and with the limit.

For each size, on the lab (`tripleo-ffu-lab`, started by this script at
the size's node counts and bulk services, or with THT's default HA
overcloud for size ha, then redeployed at newton and prepared through the
real CLI), three runs of the whole FFU from the same
newton nodes, each through `openstack overcloud ffwd-upgrade run
--whole-upgrade` (every node through every phase in one run):

* plan: `--playbook plan`, the compiled plan prepare wrote;
* limit: the plan cut down to the tasks that executed (ok, changed or
  failed) on at least one node in the plan's run, in a copy of the config
  dir: what no tool can go below with Ansible's linear strategy;
* stack: `--playbook stack`, the stack's own four playbooks, stopped (as
  Ctrl-C would) when it has taken --stack-cap times the plan's run.

Reports, per arm, the wall time of the command (CLI start and the node
check included, the same for all three) and the task evaluations Ansible
did (its ok, failed, unreachable and skipped results, includes counted),
then the ratios. Prints a table and exits 0 (a benchmark, not a test); every
run's output is kept in the bench dir.
"""

import argparse
import collections
import getpass
import glob
import json
import os
import shutil
import subprocess
import sys
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tripleo_ffu_lab import control  # noqa: E402
from tripleo_ffu_lab import heat as lab_heat  # noqa: E402
from tripleo_ffu_lab import layout  # noqa: E402
from tripleo_ffu_lab import standins  # noqa: E402
from tripleo_ffu_lab import tht_ha  # noqa: E402
from tripleo_ffu_lab import tht_packages  # noqa: E402
from tripleo_ffu.workflow import fixers  # noqa: E402
from tripleo_ffu.workflow import phases  # noqa: E402
from tripleo_ffu.workflow import plan  # noqa: E402
from tripleo_ffu.workflow import plan_file  # noqa: E402
from tripleo_ffu.workflow import task_lists  # noqa: E402
from tripleo_ffu.workflow import run  # noqa: E402

BIN = os.path.join(ROOT, '.venv', 'bin')
# name: (controllers, computes, bulk services, tasks per bulk service,
# templates): the lab's own small templates with bulk services, or THT's
# packages (5.3 deployed, 8.4 for prepare) with their default HA services.
SIZES = {
    'small': (3, 2, 2, 100, 'lab'),
    'large': (3, 17, 10, 100, 'lab'),
    'ha': (3, 2, 0, 0, tht_ha.NAME),
}
ARMS = ('plan', 'limit', 'stack')
EVALUATED = ('ok', 'skipped', 'failed', 'unreachable')
EVENT_KINDS = {'runner_on_ok': 'ok', 'runner_on_skipped': 'skipped',
               'runner_on_failed': 'failed',
               'runner_on_unreachable': 'unreachable'}


class Bench:
    def __init__(self, lab_dir, work):
        self.lab = layout.Lab(lab_dir)
        self.work = work
        os.makedirs(work, exist_ok=True)

    def _env(self):
        state = self.lab.load_state()
        # As the lab's stackrc sets it: its stand-ins keep THT's tasks in
        # the node trees; the THT packages' nodes get their sshd's port,
        # Python and address map from it too.
        env = dict(os.environ, OS_AUTH_TYPE='none',
                   OS_ENDPOINT=lab_heat.endpoint(state['ports']['heat']),
                   TRIPLEO_FFU_LAB_DIR=self.lab.root,
                   PATH=BIN + os.pathsep + os.environ['PATH'],
                   **standins.ansible_environment())
        env.update({name: str(value) for name, value in
                    control.node_settings(self.lab, state).items()})
        return env

    def command(self, args, log_name, cap=None):
        """Run args; its output goes to a log in the bench dir. With cap
        (seconds), a command still running then is stopped (SIGTERM, as
        an operator's Ctrl-C) and None is returned."""
        log = os.path.join(self.work, log_name + '.log')
        env = self._env() if args[0] == 'openstack' else dict(
            os.environ, PATH=BIN + os.pathsep + os.environ['PATH'])
        started = time.monotonic()
        with open(log, 'w') as out:
            process = subprocess.Popen(args, env=env, stdout=out,
                                       stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
            try:
                process.wait(timeout=cap)
            except subprocess.TimeoutExpired:
                process.terminate()
                process.wait()
                return None
        seconds = time.monotonic() - started
        if process.returncode:
            sys.exit('%s failed (exit %d); see %s'
                     % (' '.join(args[:4]), process.returncode, log))
        return seconds

    def lab_cli(self, *args):
        return self.command(['tripleo-ffu-lab', '--lab-dir', self.lab.root]
                            + list(args), 'lab-' + args[0])

    def deploy(self, size):
        controllers, computes, services, tasks, templates = SIZES[size]
        # A new lab's stack is freshly deployed; an earlier one's nodes
        # may be anywhere: redeploy it.
        fresh = not self.lab.exists()
        up = ['up', '--controllers', str(controllers), '--computes',
              str(computes), '--tht', templates]
        if templates == 'lab':
            up += ['--extra-services', str(services), '--tasks-per-service',
                   str(tasks)]
        self.lab_cli(*up)
        if not fresh:
            self.lab_cli('reset')
        config_dir = os.path.join(self.work, size, 'config')
        shutil.rmtree(config_dir, ignore_errors=True)
        seconds = self.command([
            'openstack', 'overcloud', 'ffwd-upgrade', 'prepare'] +
            upgrade_arguments(self.lab, templates) + [
            '--overcloud-ssh-user', getpass.getuser(),
            '--overcloud-ssh-key', self.lab.ssh_key,
            '--config-dir', config_dir, '--credentials-dir', self.work,
            '--yes'], size + '-prepare')
        return config_dir, seconds

    def run(self, config_dir, playbook, log_name, cap=None):
        """Seconds (None when stopped at cap) and the task evaluations of
        one whole run."""
        self.lab_cli('reset', '--nodes')
        # From newton again: no journal, no record of what nodes went
        # through (a whole upgrade takes only the phases left).
        for name in ('journal.json', 'nodes.json'):
            path = os.path.join(config_dir, 'ffu-run', name)
            if os.path.exists(path):
                os.unlink(path)
        before = set(_artifacts(config_dir))
        seconds = self.command([
            'openstack', 'overcloud', 'ffwd-upgrade', 'run',
            '--playbook', playbook, '--config-dir', config_dir,
            '--whole-upgrade', '--yes'],
            log_name, cap)
        new = [path for path in _artifacts(config_dir) if path not in before]
        return seconds, _stats(new), new


def upgrade_arguments(lab, templates):
    """The templates and environments prepare takes for the lab's stack
    (as `tripleo-ffu-lab status` says them)."""
    if templates == 'lab':
        return ['--templates', lab.queens_templates, '-e',
                lab.lab_environment]
    return tht_packages.upgrade_arguments(lab, templates)


def default_lab_dir(sizes):
    """The lab dir of sizes, all on one kind of templates (a lab dir holds
    one kind of overcloud): ha's beside the default one."""
    kinds = {SIZES[size][4] for size in sizes}
    if len(kinds) != 1:
        return None
    kind = kinds.pop()
    return layout.default_lab_dir() + ('' if kind == 'lab' else '-' + kind)


def _artifacts(config_dir):
    return glob.glob(os.path.join(config_dir, 'ffu-run', 'runner',
                                  'artifacts', '*'))


def _events(artifact_dirs):
    for directory in artifact_dirs:
        for path in glob.glob(os.path.join(directory, 'job_events',
                                           '*.json')):
            with open(path) as source:
                yield json.load(source)


def _stats(artifact_dirs):
    """Task evaluations per kind, counted from Ansible's events (a run
    stopped at its cap has no final stats), over every playbook of the
    run, the node check's ping left out."""
    totals = dict.fromkeys(EVALUATED, 0)
    for directory in artifact_dirs:
        if os.path.basename(directory).startswith('ping-'):
            continue
        for event in _events([directory]):
            kind = EVENT_KINDS.get(event.get('event'))
            if kind:
                totals[kind] += 1
    return totals


def executed_tasks(artifact_dirs, config_dir):
    """Where (file relative to config_dir, line) every task that did work
    on some node is: names may be templates ("... to {{ release }}")."""
    found = set()
    for event in _events(artifact_dirs):
        if event.get('event') not in ('runner_on_ok', 'runner_on_failed'):
            continue
        path, _, line = event['event_data'].get('task_path', '').rpartition(
            ':')
        found.add((os.path.relpath(path, config_dir), int(line or 0)))
    return found


class _LineLoader(yaml.SafeLoader):
    """Safe loading that notes each mapping's line, as Ansible counts."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping[_LINE] = node.start_mark.line + 1
        return mapping


_LINE = '__line__'


def _load_lines(path):
    with open(path) as source:
        return yaml.load(source, Loader=_LineLoader)


def _strip_lines(data):
    if isinstance(data, dict):
        return {key: _strip_lines(value) for key, value in data.items()
                if key != _LINE}
    if isinstance(data, list):
        return [_strip_lines(item) for item in data]
    return data


def _cut(tasks, relative, executed, config_dir):
    kept = []
    for task in tasks or []:
        if 'block' in task:
            task['block'] = _cut(task['block'], relative, executed,
                                 config_dir)
            if task['block']:
                kept.append(task)
        elif str(task_lists.include_target(task) or '').startswith(
                plan_file.PLAN_TASKS_DIR + '/'):
            target = task_lists.include_target(task)
            path = os.path.join(config_dir, target)
            included = _cut(_load_lines(path), target, executed, config_dir)
            if included:
                with open(path, 'w') as out:
                    yaml.safe_dump(_strip_lines(included), out)
                kept.append(task)
        elif (relative, task.get(_LINE)) in executed:
            kept.append(task)
    return kept


def limit_config(config_dir, executed, target):
    """A copy of config_dir whose plan holds only the executed tasks."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(config_dir, target, symlinks=True,
                    ignore=shutil.ignore_patterns('ffu-run'))
    plays = []
    # The plays as the plan's run ran them (all of them): run writes each
    # phase's to ffu-run-<phase>.yaml, whose lines Ansible's events name.
    # Plays without tasks (facts, roles) stay as they are.
    for phase in phases.PHASES:
        relative = run.RUN_PLAYBOOK % phase
        if not os.path.isfile(os.path.join(config_dir, relative)):
            continue
        for play in _load_lines(os.path.join(config_dir, relative)):
            if play.get('tasks'):
                play['tasks'] = _cut(play['tasks'], relative, executed,
                                     target)
                if not play['tasks'] and not play.get('roles'):
                    continue
            plays.append(_strip_lines(play))
    with open(os.path.join(target, plan_file.PLAN_FILE), 'w') as out:
        yaml.safe_dump(plays, out, sort_keys=False)
    os.chmod(target, 0o700)


def tasks_per_role(config_dir):
    """Tasks in each role's files (RoleData's sections)."""
    counts = collections.Counter()
    for section in fixers.ROLE_SECTIONS:
        for path in glob.glob(os.path.join(config_dir, '*',
                                           section + '.yaml')):
            with open(path) as source:
                counts[os.path.basename(os.path.dirname(path))] += \
                    plan.count_tasks(yaml.safe_load(source))
    return counts


def _last_task(artifact_dirs):
    """(playbook, task) of the last task Ansible started."""
    last = {}
    for directory in sorted(artifact_dirs, key=os.path.getmtime):
        for event in _events([directory]):
            data = event.get('event_data') or {}
            if event.get('event') == 'playbook_on_task_start' and \
                    event.get('counter', 0) >= last.get('counter', 0):
                last = {'counter': event.get('counter', 0),
                        'playbook': data.get('playbook'),
                        'task': data.get('task')}
    return last.get('playbook'), last.get('task')


def bench_size(bench, size, deploy=True, arms=ARMS, stack_cap=None):
    if deploy:
        config_dir, prepare_seconds = bench.deploy(size)
    else:  # the config dir of an earlier invocation, prepared on the lab
        config_dir, prepare_seconds = os.path.join(
            bench.work, size, 'config'), float('nan')
    controllers, computes = SIZES[size][:2]
    results = {}
    limit_dir = os.path.join(bench.work, size, 'limit')
    for arm in arms:
        if arm == 'limit':
            executed = executed_tasks(results['plan'][2], config_dir)
            limit_config(config_dir, executed, limit_dir)
            results[arm] = bench.run(limit_dir, 'plan', size + '-limit')
        elif arm == 'stack' and stack_cap:
            results[arm] = bench.run(config_dir, arm, size + '-' + arm,
                                     cap=stack_cap * results['plan'][0])
        else:
            results[arm] = bench.run(config_dir, arm, size + '-' + arm)
    roles = tasks_per_role(config_dir)
    print()
    print('size %s: %d nodes (%d controllers, %d computes), tasks per role: '
          '%s; prepare %.0f s' % (
              size, controllers + computes, controllers, computes,
              ', '.join('%s %d' % item for item in sorted(roles.items())),
              prepare_seconds))
    print('%-8s %10s %12s %10s %10s' % ('playbook', 'seconds', 'evaluations',
                                        'ok', 'skipped'))
    for arm in arms:
        seconds, stats, _ = results[arm]
        shown = '%.1f' % seconds if seconds is not None else \
            '> %.0f' % (stack_cap * results['plan'][0])
        print('%-8s %10s %12d %10d %10d' % (
            arm, shown, sum(stats.values()), stats['ok'],
            stats['skipped']))
    planned = results['plan'][0]
    if 'stack' in results:
        seconds, stats, artifact_dirs = results['stack']
        if seconds is None:
            playbook, task = _last_task(artifact_dirs)
            print('stack / plan: > %.2f (target: at least 3); the stack\'s '
                  'run was stopped at %.0f s, %.1f times the plan\'s whole '
                  'run, in %s at task "%s", after %d evaluations'
                  % (stack_cap, stack_cap * planned, stack_cap,
                     os.path.basename(playbook or '?'), task,
                     sum(stats.values())))
        else:
            print('stack / plan: %.2f (target: at least 3)'
                  % (seconds / planned))
    if 'limit' in results:
        print('plan / limit: %.2f (target: at most 1.3)'
              % (planned / results['limit'][0]))
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--lab-dir',
                        help='default: %s, or %s-%s for size ha (a lab dir '
                             'holds one kind of overcloud)' % (
                                 layout.default_lab_dir(),
                                 layout.default_lab_dir(), tht_ha.NAME))
    parser.add_argument('--sizes', default='small,large',
                        help='comma-separated, of: %s (ha: THT 5.3\'s '
                             'default HA overcloud, 3 controllers and 2 '
                             'computes, on its own)' % ', '.join(SIZES))
    parser.add_argument('--arms', default=','.join(ARMS),
                        help='comma-separated, in order, of: %s (plan '
                             'before limit)' % ', '.join(ARMS))
    parser.add_argument('--stack-cap', type=float, default=3.5,
                        metavar='TIMES',
                        help='stop the stack\'s run when it has taken this '
                             'many times the plan\'s whole run, and report '
                             'the ratio as more than that (0: no cap; '
                             'default %(default)s: at 20 nodes the stack\'s '
                             'playbooks take hours)')
    parser.add_argument('--no-deploy', action='store_true',
                        help='reuse the lab stack and config an earlier '
                             'invocation prepared for the (single) size')
    options = parser.parse_args()
    sizes = options.sizes.split(',')
    unknown = [size for size in sizes if size not in SIZES]
    if unknown:
        parser.error('unknown size(s): %s' % ', '.join(unknown))
    lab_dir = options.lab_dir or default_lab_dir(sizes)
    if not lab_dir:
        parser.error('size ha runs on a lab of its own: give it alone')
    bench = Bench(lab_dir, os.path.join(lab_dir, 'bench'))
    print('Bench dir (configs and every command\'s output): %s' % bench.work)
    arms = options.arms.split(',')
    if set(arms) - set(ARMS) or not arms or arms[0] != 'plan':
        parser.error('--arms: plan first, then any of limit and stack')
    if options.no_deploy and len(sizes) != 1:
        parser.error('--no-deploy takes a single size')
    for size in sizes:
        bench_size(bench, size, deploy=not options.no_deploy, arms=arms,
                   stack_cap=options.stack_cap)
    return 0


if __name__ == '__main__':
    sys.exit(main())
