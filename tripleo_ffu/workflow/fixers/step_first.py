"""Put the step condition first in every `when`.

Ansible evaluates a `when` list in order and stops at the first false
item. Generated tasks sometimes test a variable registered at step N
before `step|int == N`; at any other step that variable holds a skipped
result and the test fails the task (the FFU demo's os-net-config block).
With the step condition first, the later conditions are never evaluated at
the wrong step.
"""

import os
import re

from tripleo_ffu.workflow import conditions
from tripleo_ffu.workflow import fixers

# The role task files Ansible runs with `step` defined. Elsewhere (the
# post-FFU tasks, the top-level files) a step condition first would turn a
# skip into an "undefined variable" failure.
STEP_FILE = re.compile(r'^[^/]+/(fast_forward_upgrade_tasks|upgrade_tasks|'
                       r'post_upgrade_tasks|deploy_steps_tasks)'
                       r'(_step\d+)?\.yaml$')


def reorder(when):
    """The `when` with its step conditions first, or None if unchanged.

    Lists keep every item; a string that is a plain conjunction is rebuilt
    with its conjuncts reordered. Anything with a top-level `or` is left
    alone: moving a part across an `or` could change its meaning.
    """
    if isinstance(when, list):
        steps = [item for item in when if conditions.step_of(item) is not None]
        if not steps or when[:len(steps)] == steps:
            return None
        return steps + [item for item in when
                        if conditions.step_of(item) is None]
    parts = conditions.conjuncts(when)
    if not parts or len(parts) < 2:
        return None
    steps = [part for part in parts if conditions.step_of(part) is not None]
    if not steps or parts[:len(steps)] == steps:
        return None
    return ' and '.join(steps + [part for part in parts
                                 if conditions.step_of(part) is None])


class StepConditionFirst:
    name = 'step-first'
    order = 10

    def fix(self, tasks, path):
        changed = []
        if not STEP_FILE.match(path.replace(os.sep, '/')):
            return changed

        def visit(task, label):
            when = task.get('when')
            if when is None or isinstance(when, bool):
                return
            if not isinstance(when, (str, list)):
                raise fixers.FixerError(
                    '%s: task %r has a `when` that is a %s; Ansible wants a '
                    'string or a list' % (path, label, type(when).__name__))
            fixed = reorder(when)
            if fixed is not None:
                task['when'] = fixed
                changed.append(label)

        fixers.walk(tasks, visit, path)
        return changed
