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
import shutil

import yaml

from tripleo_ffu.workflow import conditions
from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import fixers
from tripleo_ffu.workflow import phases
from tripleo_ffu.workflow import task_lists
from tripleo_ffu.workflow import yamlfile
from tripleo_ffu.workflow.errors import WorkflowError

PLAN_FILE = 'ffu_plan.yaml'
# The task files of the plan's includes.
PLAN_TASKS_DIR = 'ffu_plan_tasks'
PHASE_PLAYBOOKS = phases.PHASE_PLAYBOOKS
PHASES = phases.PHASES
INCLUDE_KEYS = ('include_tasks', 'include', 'import_tasks')
# Play sections that run around the tasks: such a play stays whole.
WHOLE_PLAY_KEYS = ('roles', 'pre_tasks', 'post_tasks', 'handlers')
# Lookups whose result depends only on their terms.
STATIC_LOOKUPS = frozenset(('items', 'list', 'sequence', 'flattened',
                            'indexed_items', 'together', 'nested', 'dict'))
# Variables the plan's play headers carry for the run.
PLAY_VAR = 'tripleo_ffu_play'
PHASE_VAR = 'tripleo_ffu_phase'
RESUME_VAR = 'tripleo_ffu_resume'
_INCLUDED = '_tripleo_ffu_tasks'
_PINNED = ('release', 'step')
# Deeper than this, an include chain is a loop of files including each
# other: it stays as the stack has it.
MAX_DEPTH = 12


class PlanError(WorkflowError):
    pass


@dataclasses.dataclass
class Play:
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


@dataclasses.dataclass
class _Leaf:
    task: dict
    bindings: tuple
    origin: str


@dataclasses.dataclass
class _Include:
    task: dict
    key: str
    children: list
    bindings: tuple
    # Whether the stack's Ansible loads it when it parses the file (an
    # import, or an old-style `include:` with no loop under static
    # parents), and whether its parents are all loaded so.
    static: bool
    parents_static: bool


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


def include_target(task):
    for key in INCLUDE_KEYS:
        if key in task:
            return task[key]
    return None


def _include_key(task):
    for key in INCLUDE_KEYS:
        if key in task:
            return key
    return None


def _loop_key(task):
    for key in task:
        if key == 'loop' or key.startswith('with_'):
            return key
    return None


def _static_target(target):
    """The file an include names when it is a plain relative path."""
    if isinstance(target, dict):
        target = target.get('file')
    if not isinstance(target, str) or '{{' in target or \
            any(char.isspace() for char in target.strip()):
        return None
    normalized = os.path.normpath(target.strip())
    if normalized.startswith(('..', '/')):
        return None
    return normalized


def _registers(tasks):
    """Whether any task, inside blocks too, registers a variable."""
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        if 'register' in task or any(_registers(task.get(key))
                                     for key in task_lists.BLOCK_KEYS):
            return True
    return False


def filter_tasks(tasks, release, step, skipped=False, weak=()):
    """Tasks that may run at release/step; the others left out.

    A task that registers a variable stays even when it cannot run: a
    skipped task still overwrites its variable (with a skipped result),
    and later tasks must see what they would see under the stack's
    playbook. weak: the names of release and step that are play
    variables, which a task's or block's own `vars` beat; a task's own
    loop variable beats any.
    """
    kept = []
    for task in tasks or []:
        release, step = _own_pins(task, release, step, weak)
        never = skipped or conditions.provably_false(task.get('when'),
                                                     release, step)
        if 'rescue' in task or 'always' in task:
            # Kept whole or dropped whole: an emptied block section makes
            # the playbook invalid, an emptied rescue rescues nothing.
            if not never or _registers([task]):
                kept.append(task)
            continue
        if any(key in task for key in task_lists.BLOCK_KEYS):
            task = dict(task)
            for key in task_lists.BLOCK_KEYS:
                if key in task:
                    task[key] = filter_tasks(task[key], release, step,
                                             never, weak)
            if not any(task.get(key) for key in task_lists.BLOCK_KEYS):
                continue
        elif never and 'register' not in task:
            continue
        if not never and 'when' in task:
            task = _settled(task, release, step)
        kept.append(task)
    return kept


def _own_pins(task, release, step, weak):
    """release and step as the task sees them, its own vars and loop
    variable considered (None: not known)."""
    own_vars = task.get('vars') if isinstance(task.get('vars'), dict) \
        else {}
    loop_var = None
    if _loop_key(task) is not None:
        loop_var = (task.get('loop_control') or {}).get('loop_var', 'item')
    pins = {'release': release, 'step': step}
    for name in _PINNED:
        if name == loop_var or (name in own_vars and name in weak):
            pins[name] = None
    return pins['release'], pins['step']


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


class _Evaluator:
    """Ansible's own templating and lookups, over the variables known at
    compile time only: anything else is undefined, and what depends on it
    is not unrolled."""

    def __init__(self):
        from ansible.parsing.dataloader import DataLoader
        from ansible.plugins.loader import lookup_loader
        from ansible.template import Templar
        self._loader = DataLoader()
        self._lookups = lookup_loader
        self._templar_class = Templar

    def _templar(self, variables):
        return self._templar_class(loader=self._loader, variables=variables)

    def value(self, data, variables):
        """data templated, or raise when it needs an unknown variable."""
        return self._templar(variables).template(data, fail_on_undefined=True)

    def loop_items(self, task, variables):
        """The items of the task's loop, or None when not known here."""
        from ansible.errors import AnsibleError
        from ansible.utils.listify import listify_lookup_plugin_terms
        key = _loop_key(task)
        control = task.get('loop_control') or {}
        if not isinstance(control, dict) or \
                set(control) - {'loop_var', 'index_var', 'label'}:
            return None
        templar = self._templar(variables)
        try:
            if key == 'loop':
                items = templar.template(task['loop'],
                                         fail_on_undefined=True)
            else:
                name = key[len('with_'):]
                if name not in STATIC_LOOKUPS:
                    return None
                terms = listify_lookup_plugin_terms(
                    task[key], templar=templar, loader=self._loader,
                    fail_on_undefined=True, convert_bare=False)
                items = self._lookups.get(
                    name, loader=self._loader, templar=templar).run(
                        terms=terms, variables=variables, wantlist=True)
        except (AnsibleError, TypeError, ValueError):
            return None
        if not isinstance(items, list):
            return None
        return [_plain(item) for item in items]


def _plain(value):
    """Ansible's wrapped strings and containers as plain YAML data."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _literal(value):
    """Whether value holds no template."""
    if isinstance(value, str):
        return '{{' not in value and '{%' not in value
    if isinstance(value, dict):
        return all(_literal(k) and _literal(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_literal(item) for item in value)
    return True


class _PlayWalk:
    """The tree of one stack play's tasks, includes followed and loops
    unrolled."""

    def __init__(self, compiler, play):
        self.compiler = compiler
        self.play_vars = {name: value for name, value in
                          (play.get('vars') or {}).items()
                          if _literal(value)}
        # Facts set from known values, where every node sets them.
        self.facts = {}

    def known(self, bindings):
        variables = dict(self.play_vars)
        variables.update(self.facts)
        variables.update(dict(bindings))
        return variables

    def pins(self, bindings):
        """(release, step, weak) as this point of the play settles them:
        include variables beat facts, facts beat play vars; a name the
        tasks may also set some other way settles nothing. weak: the names
        settled by play vars, which a task's own vars beat."""
        known = self.known(bindings)
        settled, weak = {}, set()
        for name in _PINNED:
            if name in dict(bindings) or (
                    name in known and
                    name not in self.compiler.assigned):
                settled[name] = known[name]
                if name not in dict(bindings) and name not in self.facts:
                    weak.add(name)
        step = settled.get('step')
        step = int(step) if str(step).isdigit() else None
        release = settled.get('release')
        return ((str(release) if isinstance(release, str) else None), step,
                frozenset(weak))

    def tasks(self, tasks, relative, bindings, unconditional, parents_static,
              depth):
        nodes = []
        if not isinstance(tasks, list):
            raise PlanError('%s: expected a list of tasks, found %s'
                            % (relative, type(tasks).__name__))
        for task in tasks:
            if not isinstance(task, dict):
                raise PlanError('%s: a task is a %s, not a mapping'
                                % (relative, type(task).__name__))
            key = _include_key(task)
            if key is None:
                nodes.extend(self._leaf(task, relative, bindings,
                                        unconditional))
                continue
            nodes.extend(self._include(task, key, relative, bindings,
                                       unconditional, parents_static, depth))
        return nodes

    def _leaf(self, task, relative, bindings, unconditional):
        release, step, weak = self.pins(bindings)
        kept = filter_tasks([task], release, step, weak=weak)
        facts = _set_facts(task)
        if unconditional and 'when' not in task and \
                _loop_key(task) is None:
            self._learn(facts, bindings)
        else:
            for name in facts:
                self.facts.pop(name, None)
        if isinstance(task.get('register'), str):
            self.facts.pop(task['register'], None)
        return [_Leaf(kept[0], bindings, relative)] if kept else []

    def _learn(self, facts, bindings):
        """A set_fact every node runs, from known values, is known."""
        for name, value in facts.items():
            try:
                self.facts[name] = _plain(self.compiler.evaluator.value(
                    value, self.known(bindings)))
            except Exception:  # Ansible's errors, unknown variables
                self.facts.pop(name, None)

    def _include(self, task, key, relative, bindings, unconditional,
                 parents_static, depth):
        target = _static_target(task[key])
        path = self.compiler.resolve(target, relative)
        loop = _loop_key(task)
        if path is None or depth >= MAX_DEPTH:
            return [_Leaf(task, bindings, relative)]
        items = None
        if loop is not None:
            items = self.compiler.evaluator.loop_items(
                task, self.known(bindings))
            if items is None:
                return [_Leaf(task, bindings, relative)]
        stack_static = key == 'import_tasks' or (
            key == 'include' and loop is None and parents_static and
            task.get('static') is not False) or (
            key == 'include' and task.get('static') is True)
        body = {name: value for name, value in task.items()
                if name not in (key, loop, 'loop_control')}
        iterations = [()] if items is None else [
            self._binding(task, index, item)
            for index, item in enumerate(items)]
        nodes = []
        for own in iterations:
            inner = bindings + self._include_vars(task) + own
            release, step, _ = self.pins(inner)
            when = task.get('when')
            never = conditions.provably_false(when, release, step)
            children = self.tasks(
                self.compiler.tasks(path), path, inner,
                unconditional and when is None,
                parents_static and stack_static, depth + 1)
            if never:
                if not stack_static:
                    continue
                # Loaded, each task skipped: only the registers count.
                children = _registering(children)
            included = dict(body)
            if own:
                variables = dict(included.get('vars') or {})
                variables.update(dict(own))
                included['vars'] = variables
            if not never and 'when' in included:
                included = _settled(included, release, step)
            if children:
                nodes.append(_Include(included, key, children, inner,
                                      stack_static, parents_static))
        return nodes

    @staticmethod
    def _include_vars(task):
        """release and step the include's own vars give its tasks, as
        include variables (None where the value is a template)."""
        own_vars = task.get('vars') if isinstance(task.get('vars'), dict) \
            else {}
        return tuple((name, own_vars[name] if _literal(own_vars[name])
                      else None) for name in _PINNED if name in own_vars)

    @staticmethod
    def _binding(task, index, item):
        control = task.get('loop_control') or {}
        own = ((control.get('loop_var', 'item'), item),)
        if control.get('index_var'):
            own += ((control['index_var'], index),)
        return own


def _registering(nodes):
    """The nodes that register something (a skipped task still sets its
    variable), includes holding such nodes cut down to them."""
    kept = []
    for node in nodes:
        if isinstance(node, _Leaf):
            if _registers([node.task]):
                kept.append(node)
            continue
        children = _registering(node.children)
        if children:
            kept.append(dataclasses.replace(node, children=children))
    return kept


def _set_facts(task):
    """{name: value} a set_fact task sets, in either of its forms."""
    facts = task.get('set_fact')
    if isinstance(facts, str):
        from ansible.parsing.splitter import parse_kv
        facts = parse_kv(facts)
    if not isinstance(facts, dict):
        return {}
    return {name: value for name, value in facts.items()
            if name != 'cacheable'}


def _leaves(nodes):
    for node in nodes:
        if isinstance(node, _Leaf):
            yield node
        else:
            yield from _leaves(node.children)


class Compiler:
    def __init__(self, config_dir, task_files=None):
        """task_files: tasks already read (fix_config's loaded), by path
        relative to config_dir."""
        self.config_dir = config_dir
        self._task_files = dict(task_files or {})
        self.evaluator = _Evaluator()
        self.assigned = set()

    def tasks(self, relative):
        if self._task_files.get(relative) is None:
            self._task_files[relative] = _load(self.config_dir,
                                               relative) or []
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
        playbook, infos = [], []
        for phase, relative in PHASE_PLAYBOOKS:
            plays = _load(self.config_dir, relative)
            if not isinstance(plays, list) or not plays:
                raise PlanError('%s holds no play'
                                % os.path.join(self.config_dir, relative))
            # Names any task may set, before deciding what a play settles.
            self._scan(plays)
            for index, play in enumerate(plays):
                if not isinstance(play, dict) or 'hosts' not in play:
                    raise PlanError('%s: play #%d is not a play with hosts '
                                    '(an import_playbook?): the plan cannot '
                                    'follow it' % (relative, index + 1))
                base = phase if len(plays) == 1 else '%s.%d' % (phase,
                                                                index + 1)
                for compiled, info in _Segments(self, phase, base, play,
                                                relative).plays():
                    playbook.append(compiled)
                    infos.append(info)
        return playbook, infos

    def _scan(self, plays):
        for relative in fixers.task_files(self.config_dir):
            self.assigned.update(_assigned_names(self.config_dir,
                                                 self.tasks(relative)))
        for play in plays:
            for section in ('tasks',) + WHOLE_PLAY_KEYS:
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
        names.update(_set_facts(task))
        if isinstance(task.get('register'), str):
            names.add(task['register'])
        if 'include_vars' in task:
            names.update(_vars_file_names(config_dir, task['include_vars']))
        for key in task_lists.BLOCK_KEYS:
            names.update(_assigned_names(config_dir, task.get(key)))
    return names


def _vars_file_names(config_dir, target):
    relative = _static_target(target)
    if relative is None:
        return set(_PINNED)  # could set anything
    try:
        with open(os.path.join(config_dir, relative)) as source:
            data = yamlfile.load(source)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return set(_PINNED)
    return set(data) if isinstance(data, dict) else set()


class _Segments:
    """One stack play cut into plan plays, one per set of bindings."""

    def __init__(self, compiler, phase, base, play, relative):
        self.compiler = compiler
        self.phase = phase
        self.base = base
        self.play = play
        self.relative = relative

    def _header(self, play_id, resume):
        header = {key: copy.deepcopy(value) for key, value in
                  self.play.items() if key != 'tasks'}
        header['name'] = play_id
        # A failure on one node stops the run everywhere, so that the
        # journal has one place to resume from (the stack's playbooks
        # leave it to Ansible's default where they do not say).
        header.setdefault('any_errors_fatal', True)
        play_vars = dict(header.get('vars') or {})
        play_vars.update({PLAY_VAR: play_id, PHASE_VAR: self.phase,
                          RESUME_VAR: list(resume)})
        header['vars'] = play_vars
        return header

    def plays(self):
        if any(key in self.play for key in WHOLE_PLAY_KEYS):
            return [self._whole()]
        walk = _PlayWalk(self.compiler, self.play)
        nodes = walk.tasks(self.play.get('tasks') or [], self.relative, (),
                           True, True, 0)
        groups = []
        for leaf in _leaves(nodes):
            if not groups or groups[-1][0] != leaf.bindings:
                groups.append((leaf.bindings, set()))
            groups[-1][1].add(id(leaf))
        if not groups:
            if _gathers(self.play):
                return [self._facts(self.base)]
            return []
        compiled = []
        ids = self._ids([bindings for bindings, _ in groups])
        facts_id = None
        if len(groups) > 1 and _gathers(self.play):
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


def _gathers(play):
    gather = play.get('gather_facts', True)
    return gather not in (False, 'no', 'false', 'False', 0)


def _emit(nodes, members, play_id, per_role, counter):
    """The tasks of one plan play: the nodes holding its leaves, each
    include an include of a plan task file with the leaves it holds."""
    tasks = []
    for node in nodes:
        if isinstance(node, _Leaf):
            if id(node) in members:
                role = _role_of(node.origin)
                per_role[role] = per_role.get(role, 0) + _count([node.task])
                tasks.append(copy.deepcopy(node.task))
            continue
        if not any(id(leaf) in members for leaf in _leaves([node])):
            continue
        children = _emit(node.children, members, play_id, per_role, counter)
        counter[0] += 1
        included = copy.deepcopy(node.task)
        included[node.key] = '%s/%s-%02d.yaml' % (PLAN_TASKS_DIR, play_id,
                                                 counter[0])
        unrolled_static = node.parents_static and \
            node.task.get('static') is not False
        if node.key == 'include' and unrolled_static != node.static:
            # The stack's loop made this include dynamic; the plan has no
            # loop left to say so.
            included['static'] = node.static
        included[_INCLUDED] = children
        tasks.append(included)
    return tasks


def _role_of(relative):
    """The role whose task file a task comes from; '(play)' for the
    playbook's own files."""
    parts = relative.split(os.sep)
    return parts[0] if len(parts) > 1 else '(play)'


def _count(tasks):
    count = 0
    for task in tasks or []:
        if isinstance(task, dict) and any(
                key in task for key in task_lists.BLOCK_KEYS):
            count += sum(_count(task.get(key))
                         for key in task_lists.BLOCK_KEYS)
        else:
            count += 1
    return count


def write(config_dir, playbook):
    """The plan file, and the task files its includes load."""
    playbook = copy.deepcopy(playbook)
    tasks_dir = os.path.join(config_dir, PLAN_TASKS_DIR)
    shutil.rmtree(tasks_dir, ignore_errors=True)
    with files.private_umask():
        os.makedirs(tasks_dir, exist_ok=True)
    for play in playbook:
        _write_included(config_dir, play.get('tasks') or [])
    path = os.path.join(config_dir, PLAN_FILE)
    files.write_private(path, yamlfile.dump(playbook,
                                            default_flow_style=False,
                                            sort_keys=False))
    return path


def _write_included(config_dir, tasks):
    for task in tasks:
        if isinstance(task, dict) and _INCLUDED in task:
            children = task.pop(_INCLUDED)
            _write_included(config_dir, children)
            files.write_private(
                os.path.join(config_dir, task[_include_key(task)]),
                yamlfile.dump(children, default_flow_style=False,
                              sort_keys=False))


def load(config_dir):
    """The written plan, as a playbook (a list of plays)."""
    playbook = _load(config_dir, PLAN_FILE)
    if not playbook or not isinstance(playbook, list) or not all(
            isinstance(play, dict) and isinstance(play.get('vars'), dict) and
            PLAY_VAR in play['vars'] for play in playbook):
        raise PlanError('%s is not a plan tripleo-ffu wrote: run prepare '
                        'again to compile it afresh'
                        % os.path.join(config_dir, PLAN_FILE))
    return playbook


def count_tasks(tasks, config_dir=None):
    """The tasks of a task list, those inside blocks included, and with
    config_dir those of the written plan's includes (not the includes)."""
    count = 0
    for task in tasks or []:
        target = include_target(task) if isinstance(task, dict) else None
        if config_dir and isinstance(target, str) and target.startswith(
                PLAN_TASKS_DIR + '/'):
            count += count_tasks(_load(config_dir, target), config_dir)
        elif isinstance(task, dict) and any(key in task
                                            for key in task_lists.BLOCK_KEYS):
            count += sum(count_tasks(task.get(key), config_dir)
                         for key in task_lists.BLOCK_KEYS)
        else:
            count += 1
    return count


def load_plays(config_dir):
    """The play ids of a written plan, in order."""
    return play_ids(load(config_dir))


def play_ids(playbook):
    return [play['vars'][PLAY_VAR] for play in playbook]


def phase_of(play):
    return play['vars'].get(PHASE_VAR)


def resume_of(play):
    return list(play['vars'].get(RESUME_VAR) or [])


# Tasks that only give the later plays of a playbook their context.
CONTEXT_MODULES = ('include_vars', 'set_fact', 'debug')
# What else a play runs besides its tasks.
OTHER_TASK_KEYS = ('pre_tasks', 'post_tasks', 'handlers', 'roles')


def sets_context_only(play):
    """Whether a play only gathers facts or sets variables (THT's deploy
    playbook's "Gather facts from overcloud" and its include_vars of
    global_vars.yaml). Later plays of the same ansible-playbook run rely
    on what it set, which a new run does not have: a resumed run runs it
    again first; running it again changes nothing on a node."""
    tasks = play.get('tasks') or []
    if any(play.get(key) for key in OTHER_TASK_KEYS):
        return False
    if not tasks:
        return _gathers(play)
    return all(isinstance(task, dict) and not task.get('block') and any(
        module in task for module in CONTEXT_MODULES) for task in tasks)
