"""Registers no later task reads: the plan leaves out a task that cannot
run and is kept only for its `register` when nothing after it reads that
variable.

A skipped task still overwrites its registered variable, so the walk
keeps every task that registers one (THT's "check if X is deployed",
pinned to step 0 or to one release, comes back in every other step and
release). Under THT's default HA services that is about one Ansible
evaluation in five, each a worker fork per node. The variable is only
visible to the tasks after it in the same ansible-playbook run (one per
phase), and a run (a selection, a resume) plays a subsequence of its
phase's plays: a name that no later task of the phase mentions cannot be
read.

"Mentions" is textual and errs on the side of keeping: any identifier in
a later task (its name, condition, arguments, vars), in any play's header
(lazily templated play vars), and every name that a dynamic variable
lookup (`vars[...]`, `lookup('vars', ...)`, `hostvars[h][...]`) could
build from its string fragments; a dynamic lookup with no fragment, an
include the walk could not follow (a templated file name, a loop over
host variables) or a play the plan keeps whole (roles) keeps everything
before it.
"""

import dataclasses
import json
import re

from tripleo_ffu.workflow import plan_walk
from tripleo_ffu.workflow import task_lists

IDENTIFIER = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
# A variable looked up by a computed name: its subscript or terms.
DYNAMIC = re.compile(
    r"(?<![\w.])vars\s*\[(?P<vars>[^\]]*)\]"
    r"|hostvars\s*\[[^\]]*\]\s*\[(?P<host>[^\]]*)\]"
    r"|lookup\(\s*['\"]vars['\"]\s*,(?P<lookup>[^)]*)\)")
LITERAL = re.compile(r"'([^']*)'|\"([^\"]*)\"")
WHOLE_LITERAL = re.compile(r"\s*(?:'\w*'|\"\w*\")\s*$")


class _Reads:
    """What the rest of the plan may read, growing as the walk goes back."""

    def __init__(self):
        self.names = set()
        self.fragments = set()
        self.everything = False
        # What a task reads, by id: the walk meets the same task object
        # in every step and release.
        self._seen = {}

    def add_task(self, task, but=()):
        key = id(task)
        if key not in self._seen:
            self._seen[key] = (task, _mentions(
                {name: value for name, value in task.items()
                 if name not in but}))
        names, fragments, everything = self._seen[key][1]
        self.names |= names
        self.fragments |= fragments
        self.everything = self.everything or everything

    def read(self, name):
        return self.everything or name in self.names or any(
            fragment in name for fragment in self.fragments)


def _mentions(data):
    """(names, fragments of computed names, whether any name at all)."""
    text = json.dumps(data, default=str)
    fragments, everything = set(), False
    for match in DYNAMIC.finditer(text.replace('\\"', '"')):
        subscript = next(group for group in match.groups()
                         if group is not None)
        if WHOLE_LITERAL.match(subscript):
            continue  # vars['name']: the name is among the identifiers
        found = [single or double for single, double in
                 LITERAL.findall(subscript) if single or double]
        everything = everything or not found
        fragments.update(found)
    return set(IDENTIFIER.findall(text)), fragments, everything


def registered(task):
    """The names a task registers, inside its blocks too."""
    names = set()
    if isinstance(task, dict):
        if isinstance(task.get('register'), str):
            names.add(task['register'])
        elif 'register' in task:
            names.add(None)  # not a name: anything
        for key in task_lists.BLOCK_KEYS:
            for inner in task.get(key) or []:
                names.update(registered(inner))
    return names


def prune(segments):
    """Each segment's nodes without its dead registering leaves.

    segments: (phase, play, nodes) in plan order, nodes None for a play
    the plan keeps whole. Each phase is an ansible-playbook run of its
    own (run's, as the stack's own playbooks are): its variables die with
    it. Returns the nodes lists, in the same order."""
    pruned, reads = [], {}
    for phase, play, nodes in segments:
        phase_reads = reads.setdefault(phase, _Reads())
        phase_reads.add_task(play, but=('tasks',))
        if nodes is None:
            phase_reads.everything = True
    for phase, play, nodes in reversed(segments):
        pruned.append(None if nodes is None else
                      _prune(nodes, reads[phase]))
    return pruned[::-1]


def _prune(nodes, reads):
    kept = []
    for node in reversed(nodes):
        if isinstance(node, plan_walk.Leaf):
            names = registered(node.task)
            if node.never and None not in names and not any(
                    reads.read(name) for name in names):
                continue
            reads.add_task(node.task, but=('register',))
            if task_lists.include_key(node.task):
                # An include the walk could not follow: its tasks are
                # not known here.
                reads.everything = True
            kept.append(node)
            continue
        children = _prune(node.children, reads)
        if children:
            reads.add_task(node.task)
            kept.append(dataclasses.replace(node, children=children))
    return kept[::-1]
