"""Compile the FFU plan: one play per release and step, per role only the
tasks that can run there.

The stack's FFU playbook includes every role's whole task file at every
step of every release and lets Ansible skip almost all of it, on every
host. The plan does the same work with the tasks that are provably skipped
left out: a task (or block) goes only when its `when` is a conjunction
holding `step|int == M` or `release == 'X'` that cannot match the play.
Everything else, conditions included, is kept as it is, so a task that runs
under the stack's playbook runs under the plan, at the same release and
step, in the same order.
"""

import copy
import dataclasses
import os
import shutil

import yaml

from tripleo_ffu.workflow import conditions
from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import yamlfile
from tripleo_ffu.workflow.errors import WorkflowError

PLAN_FILE = 'ffu_plan.yaml'
# The role task files of the plan's dynamic includes (see _play).
PLAN_TASKS_DIR = 'ffu_plan_tasks'
_INCLUDED = '_tripleo_ffu_tasks'
DEFAULT_RELEASES = ['ocata', 'pike', 'queens']
PHASES = ('ffu', 'upgrade', 'deploy', 'post-upgrade')
# Steps as THT stable/queens runs them.
FFU_PREP_STEPS = range(0, 4)
FFU_BOOTSTRAP_STEPS = range(4, 10)
UPGRADE_STEPS = range(0, 6)
DEPLOY_STEPS = range(0, 6)
POST_UPGRADE_STEPS = range(0, 4)
# RoleConfig files that list, per role, the task file to include and when.
ROLE_INCLUDES = {
    'ffu-prep': 'fast_forward_upgrade_prep_role_tasks.yaml',
    'ffu-bootstrap': 'fast_forward_upgrade_bootstrap_role_tasks.yaml',
    'ffu-post': 'fast_forward_upgrade_post_role_tasks.yaml',
    'upgrade': 'upgrade_steps_tasks.yaml',
    'deploy': 'deploy_steps_tasks.yaml',
    'post-upgrade': 'post_upgrade_steps_tasks.yaml',
}
FFU_PLAYBOOK = 'fast_forward_upgrade_playbook.yaml'
FFU_PREP_TASKS = 'fast_forward_upgrade_prep_tasks.yaml'
INCLUDE_KEYS = ('include_tasks', 'include', 'import_tasks')
BLOCK_KEYS = ('block', 'rescue', 'always')


class PlanError(WorkflowError):
    pass


@dataclasses.dataclass
class Play:
    id: str
    phase: str
    release: str
    step: int
    tasks_per_role: dict

    @property
    def task_count(self):
        return sum(self.tasks_per_role.values())


def _load(config_dir, relative):
    path = os.path.join(config_dir, relative)
    try:
        with open(path) as source:
            return yamlfile.load(source)
    except FileNotFoundError:
        raise PlanError('%s is missing from the config: were the templates '
                        'of the target release (queens) used to prepare?'
                        % path)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise PlanError('%s is not valid YAML (%s): run prepare again to '
                        'download and compile it afresh'
                        % (path, str(exc).splitlines()[0]))


def _include_target(task):
    for key in INCLUDE_KEYS:
        if key in task:
            return task[key]
    return None


def _role_includes(config_dir, relative):
    """[(task file, when)] from a RoleConfig file of per-role includes."""
    found = []
    for task in _load(config_dir, relative) or []:
        target = _include_target(task)
        if target is None:
            continue
        normalized = os.path.normpath(target)
        if normalized.startswith(('..', '/')) or '{{' in target:
            raise PlanError('%s includes %r, which is not a task file of '
                            'the config dir' % (relative, target))
        found.append((normalized, task.get('when')))
    return found


def filter_tasks(tasks, release, step, skipped=False):
    """Tasks that may run at release/step; the others left out.

    A task that registers a variable stays even when it cannot run: a
    skipped task still overwrites its variable (with a skipped result),
    and later tasks must see what they would see under the stack's
    playbook.
    """
    kept = []
    for task in tasks or []:
        never = skipped or conditions.provably_false(task.get('when'),
                                                     release, step)
        if 'rescue' in task or 'always' in task:
            # Kept whole or dropped whole: an emptied block section makes
            # the playbook invalid, an emptied rescue rescues nothing.
            if not never or _registers([task]):
                kept.append(task)
            continue
        if any(key in task for key in BLOCK_KEYS):
            task = dict(task)
            for key in BLOCK_KEYS:
                if key in task:
                    task[key] = filter_tasks(task[key], release, step,
                                             never)
            if not any(task.get(key) for key in BLOCK_KEYS):
                continue
        elif never and 'register' not in task:
            continue
        if not never and 'when' in task:
            task = _settled(task, release, step)
        kept.append(task)
    return kept


def _settled(task, release, step):
    """The task without the parts of its `when` this play settles."""
    when = conditions.without_true(task['when'], release, step)
    if when is task['when']:
        return task
    task = dict(task)
    if when is None:
        del task['when']
    else:
        task['when'] = when
    return task


def _registers(tasks):
    """Whether any task, inside blocks too, registers a variable."""
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        if 'register' in task or any(_registers(task.get(key))
                                     for key in BLOCK_KEYS):
            return True
    return False


class Compiler:
    def __init__(self, config_dir, task_files=None):
        """task_files: tasks already read (fix_config's loaded), by path
        relative to config_dir."""
        self.config_dir = config_dir
        self._task_files = dict(task_files or {})
        ffu = _load(config_dir, FFU_PLAYBOOK)
        if not ffu or not isinstance(ffu, list):
            raise PlanError('%s holds no play' % FFU_PLAYBOOK)
        self.ffu_play = ffu[0]
        self.setup_tasks = [task for task in self.ffu_play.get('tasks', [])
                            if _include_target(task) is None]
        self.releases = self._releases()
        self.prep_tasks = [task for task in
                           _load(config_dir, FFU_PREP_TASKS) or []
                           if _include_target(task) is None]

    def _releases(self):
        for task in self.setup_tasks:
            releases = (task.get('set_fact') or {}).get('releases')
            if isinstance(releases, list) and len(releases) >= 2:
                return [str(release) for release in releases]
        return list(DEFAULT_RELEASES)

    def _tasks(self, relative):
        if self._task_files.get(relative) is None:
            self._task_files[relative] = _load(self.config_dir,
                                               relative) or []
        return self._task_files[relative]

    def _play(self, play_id, phase, release, step, includes, extra=()):
        tasks = [copy.deepcopy(task) for task in extra]
        per_role = {}
        for relative, when in includes:
            role = relative.split(os.sep)[0]
            kept = filter_tasks(self._tasks(relative), release, step)
            per_role[role] = len(kept)
            if kept:
                task = {'name': '%s tasks' % role}
                if when is not None:
                    # A dynamic include, as in the stack's playbook: where
                    # its `when` is false (another role's node, a node that
                    # is not the bootstrap one) the file is never loaded.
                    # An inline block would evaluate and skip each of its
                    # tasks there, one Ansible worker each, and its
                    # register tasks would overwrite their variables with
                    # skipped results.
                    task['include_tasks'] = '/'.join(
                        (PLAN_TASKS_DIR, play_id, '%s.yaml' % role))
                    task[_INCLUDED] = copy.deepcopy(kept)
                else:
                    task['block'] = copy.deepcopy(kept)
                if when is not None:
                    task['when'] = when
                tasks.append(task)
        play_vars = {'tripleo_ffu_play': play_id}
        if release is not None:
            play_vars['release'] = release
        if step is not None:
            # A string, as with_sequence gives it to the stack's playbook:
            # `step == 3` (without |int) must behave the same in both.
            play_vars['step'] = str(step)
        playbook_play = {
            'name': play_id,
            'hosts': self.ffu_play.get('hosts', 'overcloud'),
            'become': self.ffu_play.get('become', False),
            'gather_facts': False,
            # A failure on one node stops the upgrade everywhere: the
            # journal then says exactly where to resume.
            'any_errors_fatal': True,
            'vars': play_vars,
            'tasks': tasks,
        }
        return playbook_play, Play(play_id, phase, release, step, per_role)

    def compile(self):
        """(playbook, [Play]) for the whole FFU, then the upgrade."""
        includes = {name: _role_includes(self.config_dir, relative)
                    for name, relative in ROLE_INCLUDES.items()}
        compiled = [self._setup()]
        for release in self.releases[:-1]:
            # The release's prep tasks run once, before its steps, with no
            # step set, as in the stack's playbook.
            compiled.append(self._play('%s-prep' % release, 'ffu', release,
                                       None, [], self.prep_tasks))
            for step in FFU_PREP_STEPS:
                compiled.append(self._play(
                    '%s-%d' % (release, step), 'ffu', release, step,
                    includes['ffu-prep']))
            for step in FFU_BOOTSTRAP_STEPS:
                compiled.append(self._play(
                    '%s-%d' % (release, step), 'ffu', release, step,
                    includes['ffu-bootstrap']))
        target = self.releases[-1]
        compiled.append(self._play('%s-post' % target, 'ffu', target, None,
                                   includes['ffu-post']))
        for phase, steps in (('upgrade', UPGRADE_STEPS),
                             ('deploy', DEPLOY_STEPS),
                             ('post-upgrade', POST_UPGRADE_STEPS)):
            for step in steps:
                compiled.append(self._play('%s-%d' % (phase, step), phase,
                                           None, step, includes[phase]))
        return [play for play, _ in compiled], [info for _, info in compiled]

    def _setup(self):
        """Facts the stack's FFU play sets first, gathered once for all."""
        play = {
            'name': 'setup',
            'hosts': self.ffu_play.get('hosts', 'overcloud'),
            'become': self.ffu_play.get('become', False),
            'any_errors_fatal': True,
            'vars': {'tripleo_ffu_play': 'setup'},
            'tasks': copy.deepcopy(self.setup_tasks),
        }
        return play, Play('setup', 'setup', None, None,
                          {'(setup)': len(self.setup_tasks)})


def write(config_dir, playbook):
    """The plan file, and the task files its dynamic includes load."""
    playbook = copy.deepcopy(playbook)
    tasks_dir = os.path.join(config_dir, PLAN_TASKS_DIR)
    shutil.rmtree(tasks_dir, ignore_errors=True)
    for play in playbook:
        for task in play.get('tasks') or []:
            if _INCLUDED in task:
                target = os.path.join(config_dir, task['include_tasks'])
                with files.private_umask():
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                files.write_private(target, yamlfile.dump(
                    task.pop(_INCLUDED), default_flow_style=False,
                    sort_keys=False))
    path = os.path.join(config_dir, PLAN_FILE)
    files.write_private(path, yamlfile.dump(playbook,
                                            default_flow_style=False,
                                            sort_keys=False))
    return path


def load(config_dir):
    """The written plan, as a playbook (a list of plays)."""
    playbook = _load(config_dir, PLAN_FILE)
    if not playbook or not isinstance(playbook, list) or not all(
            isinstance(play, dict) and isinstance(play.get('vars'), dict) and
            'tripleo_ffu_play' in play['vars'] for play in playbook):
        raise PlanError('%s is not a plan tripleo-ffu wrote: run prepare '
                        'again to compile it afresh'
                        % os.path.join(config_dir, PLAN_FILE))
    return playbook


def count_tasks(tasks, config_dir=None):
    """The tasks of a task list, those inside blocks included, and with
    config_dir those of the written plan's includes."""
    count = 0
    for task in tasks or []:
        target = _include_target(task) if isinstance(task, dict) else None
        if config_dir and isinstance(target, str) and target.startswith(
                PLAN_TASKS_DIR + '/'):
            count += count_tasks(_load(config_dir, target), config_dir)
        elif isinstance(task, dict) and any(key in task
                                            for key in BLOCK_KEYS):
            count += sum(count_tasks(task.get(key), config_dir)
                         for key in BLOCK_KEYS)
        else:
            count += 1
    return count


def load_plays(config_dir):
    """The play ids of a written plan, in order."""
    return play_ids(load(config_dir))


def play_ids(playbook):
    return [play['vars']['tripleo_ffu_play'] for play in playbook]
