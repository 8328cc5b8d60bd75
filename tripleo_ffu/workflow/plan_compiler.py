"""Compile the FFU plan from the stack's own playbooks.

For each phase the stack's playbook (RoleConfig's, as config download
wrote it) is walked as Ansible would run it: every include or import with
a static target is followed, and every loop over values known at compile
time (`with_sequence`, `with_items`, `loop` over literals and facts set
from literals) is unrolled, each iteration an include of its own whose
loop variable is an include variable, as Ansible binds it. The plan then
holds the same plays, includes, tasks, conditions and variables in the
same order, cut into one play per loop iteration (a release, a step), so
that progress, the journal and --resume speak of releases and steps.

Only tasks (and dynamic includes) that provably cannot run are left out:
a `when` conjunct that pins `step` or `release` to another value than the
one the play binds. What cannot be followed or unrolled (a templated
file name, a loop over host variables) stays as the stack has it.
"""

import copy
import dataclasses
import os

import yaml

from tripleo_ffu.workflow import fixers
from tripleo_ffu.workflow import phases
from tripleo_ffu.workflow import plan
from tripleo_ffu.workflow import plan_file
from tripleo_ffu.workflow import plan_liveness
from tripleo_ffu.workflow import plan_walk
from tripleo_ffu.workflow import task_lists
from tripleo_ffu.workflow import yamlfile


@dataclasses.dataclass
class Play:
    """What the compiler made of a plan play, for prepare's report."""
    id: str
    phase: str
    bindings: tuple
    tasks_per_role: dict
    resume: tuple = ()

    @property
    def release(self):
        return dict(self.bindings).get('release')

    @property
    def step(self):
        step = dict(self.bindings).get('step')
        return int(step) if str(step).isdigit() else None

    @property
    def task_count(self):
        return sum(self.tasks_per_role.values())


class Compiler:
    def __init__(self, config_dir, task_files=None):
        """task_files: tasks already read (fix_config's loaded), by path
        relative to config_dir."""
        self.config_dir = config_dir
        self._task_files = dict(task_files or {})
        self.evaluator = plan_walk.Evaluator()
        self.assigned = set()

    def tasks(self, relative):
        if self._task_files.get(relative) is None:
            self._task_files[relative] = plan_file.load_yaml(
                self.config_dir, relative) or []
        return self._task_files[relative]

    def resolve(self, target, relative):
        """The file an include in `relative` loads, as Ansible looks for
        it (beside the including file, then in the playbook's dir), or
        None when it is not a file of the config dir."""
        if target is None:
            return None
        candidates = [os.path.normpath(os.path.join(
            os.path.dirname(relative), target)), target]
        for candidate in candidates:
            if not candidate.startswith('..') and (
                    self._task_files.get(candidate) is not None or
                    os.path.isfile(os.path.join(self.config_dir,
                                                candidate))):
                return candidate
        return None

    def compile(self):
        """(playbook, [Play]): every phase's plays, in order."""
        playbook, infos, segments = [], [], []
        for phase, relative in phases.PHASE_PLAYBOOKS:
            plays = plan_file.load_yaml(self.config_dir, relative)
            if not isinstance(plays, list) or not plays:
                raise plan_file.PlanError(
                    '%s holds no play' % os.path.join(self.config_dir,
                                                      relative))
            # Names any task may set, before deciding what a play settles.
            self._scan(plays)
            for index, play in enumerate(plays):
                if not isinstance(play, dict) or 'hosts' not in play:
                    raise plan_file.PlanError(
                        '%s: play #%d is not a play with hosts (an '
                        'import_playbook?): the plan cannot follow it'
                        % (relative, index + 1))
                base = phase if len(plays) == 1 else '%s.%d' % (phase,
                                                                index + 1)
                segments.append(_Segments(self, phase, base, play,
                                          relative))
        walked = plan_liveness.prune(
            [(segment.phase, segment.play, segment.nodes)
             for segment in segments])
        for segment, nodes in zip(segments, walked):
            for compiled, info in segment.plays(nodes):
                playbook.append(compiled)
                infos.append(info)
        return playbook, infos

    def _scan(self, plays):
        for relative in fixers.task_files(self.config_dir):
            self.assigned.update(_assigned_names(self.config_dir,
                                                 self.tasks(relative)))
        for play in plays:
            for section in ('tasks',) + task_lists.OTHER_PLAY_KEYS:
                tasks = play.get(section) if isinstance(play, dict) else None
                if isinstance(tasks, list):
                    self.assigned.update(_assigned_names(self.config_dir,
                                                         tasks))


def _assigned_names(config_dir, tasks):
    """Variables tasks set (set_fact, register, include_vars of a file)."""
    names = set()
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        names.update(task_lists.set_facts(task))
        if isinstance(task.get('register'), str):
            names.add(task['register'])
        if 'include_vars' in task:
            names.update(_vars_file_names(config_dir, task['include_vars']))
        for key in task_lists.BLOCK_KEYS:
            names.update(_assigned_names(config_dir, task.get(key)))
    return names


def _vars_file_names(config_dir, target):
    relative = task_lists.static_target(target)
    if relative is None:
        return set(plan_walk.PINNED)  # could set anything
    try:
        with open(os.path.join(config_dir, relative)) as source:
            data = yamlfile.load(source)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return set(plan_walk.PINNED)
    return set(data) if isinstance(data, dict) else set()


class _Segments:
    """One stack play cut into plan plays, one per set of bindings."""

    def __init__(self, compiler, phase, base, play, relative):
        self.compiler = compiler
        self.phase = phase
        self.base = base
        self.play = play
        self.relative = relative
        # The play walked (None: kept whole), before any later play is.
        self.nodes = None
        if not any(key in play for key in task_lists.OTHER_PLAY_KEYS):
            self.nodes = plan_walk.PlayWalk(compiler, play).tasks(
                play.get('tasks') or [], relative, (), True, True, 0)

    def _header(self, play_id, resume):
        header = {key: copy.deepcopy(value) for key, value in
                  self.play.items() if key != 'tasks'}
        header['name'] = play_id
        # A failure on one node stops the run everywhere, so that the
        # journal has one place to resume from (the stack's playbooks
        # leave it to Ansible's default where they do not say).
        header.setdefault('any_errors_fatal', True)
        play_vars = dict(header.get('vars') or {})
        play_vars.update({plan_file.PLAY_VAR: play_id,
                          plan_file.PHASE_VAR: self.phase,
                          plan_file.RESUME_VAR: list(resume)})
        header['vars'] = play_vars
        return header

    def plays(self, nodes):
        """The plan plays of the walked nodes (as pruned)."""
        if nodes is None:
            return [self._whole()]
        groups = []
        for leaf in plan_walk.leaves(nodes):
            if not groups or groups[-1][0] != leaf.bindings:
                groups.append((leaf.bindings, set()))
            groups[-1][1].add(id(leaf))
        if not groups:
            if plan.gathers(self.play):
                return [self._facts(self.base)]
            return []
        compiled = []
        ids = self._ids([bindings for bindings, _ in groups])
        facts_id = None
        if len(groups) > 1 and plan.gathers(self.play):
            facts_id = self.base + '-facts'
            compiled.append(self._facts(facts_id))
        for index, (bindings, members) in enumerate(groups):
            resume = ([facts_id] if facts_id else []) + \
                self._context(groups, ids, index)
            header = self._header(ids[index], resume)
            if facts_id or index:
                header['gather_facts'] = False
            per_role = {}
            header['tasks'] = _emit(nodes, members, ids[index], per_role,
                                    [0])
            compiled.append((header, Play(ids[index], self.phase, bindings,
                                          per_role, tuple(resume))))
        return compiled

    def _whole(self):
        header = self._header(self.base, ())
        header['tasks'] = copy.deepcopy(self.play.get('tasks') or [])
        count = len(self.play.get('roles') or []) + len(header['tasks'])
        return header, Play(self.base, self.phase, (), {'(play)': count})

    def _facts(self, play_id):
        header = self._header(play_id, ())
        header['tasks'] = []
        return header, Play(play_id, self.phase, (), {})

    def _ids(self, all_bindings):
        ids, seen = [], set()
        for index, bindings in enumerate(all_bindings):
            if bindings:
                play_id = '-'.join([self.base] + [
                    _id_part(value) for _, value in bindings])
            elif index == 0:
                play_id = self.base
            else:
                play_id = '%s-end' % self.base if all(
                    not later for later in all_bindings[index:]) \
                    else '%s-then%d' % (self.base, index)
            while play_id in seen:
                play_id += '+'
            seen.add(play_id)
            ids.append(play_id)
        return ids

    @staticmethod
    def _context(groups, ids, index):
        """What a resume at this play runs again first: the plays whose
        bindings lead to this one's (the facts and registers of its
        release), and, for an innermost iteration, the first iteration of
        its loop (the check step)."""
        bindings = groups[index][0]
        context = []
        for earlier in range(index):
            other = groups[earlier][0]
            if len(other) < len(bindings) and \
                    bindings[:len(other)] == other:
                context.append(ids[earlier])
        innermost = not any(
            len(other) > len(bindings) and other[:len(bindings)] == bindings
            for other, _ in groups)
        if bindings and innermost:
            for earlier in range(index):
                other = groups[earlier][0]
                if len(other) == len(bindings) and \
                        other[:-1] == bindings[:-1] and \
                        other[-1][0] == bindings[-1][0]:
                    context.append(ids[earlier])
                    break
        return context


def _id_part(value):
    text = str(value)
    return ''.join(char if char.isalnum() or char in '._' else '_'
                   for char in text)[:40] or '_'


def _emit(nodes, members, play_id, per_role, counter):
    """The tasks of one plan play: the nodes holding its leaves, each
    include an include of a plan task file with the leaves it holds."""
    tasks = []
    for node in nodes:
        if isinstance(node, plan_walk.Leaf):
            if id(node) in members:
                role = _role_of(node.origin)
                per_role[role] = per_role.get(role, 0) + plan.count_tasks(
                    [node.task])
                tasks.append(copy.deepcopy(node.task))
            continue
        if not any(id(leaf) in members for leaf in plan_walk.leaves([node])):
            continue
        children = _emit(node.children, members, play_id, per_role, counter)
        counter[0] += 1
        included = copy.deepcopy(node.task)
        included[node.key] = '%s/%s-%02d.yaml' % (
            plan_file.PLAN_TASKS_DIR, play_id, counter[0])
        unrolled_static = node.parents_static and \
            node.task.get('static') is not False
        if node.key == 'include' and unrolled_static != node.static:
            # The stack's loop made this include dynamic; the plan has no
            # loop left to say so.
            included['static'] = node.static
        included[plan_file.INCLUDED] = children
        tasks.append(included)
    return tasks


def _role_of(relative):
    """The role whose task file a task comes from; '(play)' for the
    playbook's own files."""
    parts = relative.split(os.sep)
    return parts[0] if len(parts) > 1 else '(play)'
