"""The compiler's walk of one stack play, as Ansible would run it: every
include with a static target followed, every loop over values known at
compile time unrolled (Ansible's own templating and lookups), and the
tasks that provably cannot run where they stand left out."""

import dataclasses

from tripleo_ffu.workflow import conditions
from tripleo_ffu.workflow import plan_file
from tripleo_ffu.workflow import task_lists

# Lookups whose result depends only on their terms.
STATIC_LOOKUPS = frozenset(('items', 'list', 'sequence', 'flattened',
                            'indexed_items', 'together', 'nested', 'dict'))
# The variables a task's `when` may pin.
PINNED = ('release', 'step')
# Deeper than this, an include chain is a loop of files including each
# other: it stays as the stack has it.
MAX_DEPTH = 12


@dataclasses.dataclass
class Leaf:
    task: dict
    bindings: tuple
    origin: str
    # Provably skipped where it stands: kept only for what it registers.
    never: bool = False


@dataclasses.dataclass
class Include:
    task: dict
    key: str
    children: list
    bindings: tuple
    # Whether the stack's Ansible loads it when it parses the file (an
    # import, or an old-style `include:` with no loop under static
    # parents), and whether its parents are all loaded so.
    static: bool
    parents_static: bool


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
            if not never or task_lists.registers([task]):
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
    if task_lists.loop_key(task) is not None:
        loop_var = (task.get('loop_control') or {}).get('loop_var', 'item')
    pins = {'release': release, 'step': step}
    for name in PINNED:
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


class Evaluator:
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
        key = task_lists.loop_key(task)
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


class PlayWalk:
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
        for name in PINNED:
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
            raise plan_file.PlanError(
                '%s: expected a list of tasks, found %s'
                % (relative, type(tasks).__name__))
        for task in tasks:
            if not isinstance(task, dict):
                raise plan_file.PlanError(
                    '%s: a task is a %s, not a mapping'
                    % (relative, type(task).__name__))
            key = task_lists.include_key(task)
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
        facts = task_lists.set_facts(task)
        if unconditional and 'when' not in task and \
                task_lists.loop_key(task) is None:
            self._learn(facts, bindings)
        else:
            for name in facts:
                self.facts.pop(name, None)
        if isinstance(task.get('register'), str):
            self.facts.pop(task['register'], None)
        never = conditions.provably_false(
            task.get('when'), *_own_pins(task, release, step, weak))
        return [Leaf(kept[0], bindings, relative, never)] if kept else []

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
        target = task_lists.static_target(task[key])
        path = self.compiler.resolve(target, relative)
        loop = task_lists.loop_key(task)
        if path is None or depth >= MAX_DEPTH:
            return [Leaf(task, bindings, relative)]
        items = None
        if loop is not None:
            items = self.compiler.evaluator.loop_items(
                task, self.known(bindings))
            if items is None:
                return [Leaf(task, bindings, relative)]
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
                nodes.append(Include(included, key, children, inner,
                                     stack_static, parents_static))
        return nodes

    @staticmethod
    def _include_vars(task):
        """release and step the include's own vars give its tasks, as
        include variables (None where the value is a template)."""
        own_vars = task.get('vars') if isinstance(task.get('vars'), dict) \
            else {}
        return tuple((name, own_vars[name] if _literal(own_vars[name])
                      else None) for name in PINNED if name in own_vars)

    @staticmethod
    def _binding(task, index, item):
        control = task.get('loop_control') or {}
        own = ((control.get('loop_var', 'item'), item),)
        if control.get('index_var'):
            own += ((control['index_var'], index),)
        return own


def _registering(nodes):
    """The nodes that register something (a skipped task still sets its
    variable), includes holding such nodes cut down to them; each of
    these leaves never runs."""
    kept = []
    for node in nodes:
        if isinstance(node, Leaf):
            if task_lists.registers([node.task]):
                kept.append(dataclasses.replace(node, never=True))
            continue
        children = _registering(node.children)
        if children:
            kept.append(dataclasses.replace(node, children=children))
    return kept


def leaves(nodes):
    for node in nodes:
        if isinstance(node, Leaf):
            yield node
        else:
            yield from leaves(node.children)
