"""Task fixers: plugins that correct generated task files before a run.

A fixer is registered in the stevedore namespace ``tripleo_ffu.task_fixers``
and is a class with a ``name``, an ``order`` (lower runs first) and a
``fix(tasks, path)`` method that changes a task list in place (path
names the file in errors) and returns the
labels of the tasks it changed. A fixer never changes what runs: same
tasks, same conditions, same order of tasks.
"""

import dataclasses
import glob
import logging
import os

from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import task_lists
from tripleo_ffu.workflow import yamlfile
from tripleo_ffu.workflow.errors import WorkflowError

LOG = logging.getLogger(__name__)
NAMESPACE = 'tripleo_ffu.task_fixers'
COMMIT_PREFIX = 'Fix generated tasks: '
# Per-role task files that run during an FFU, as config download names them.
ROLE_SECTIONS = ('fast_forward_upgrade_tasks', 'host_prep_tasks',
                 'fast_forward_post_upgrade_tasks', 'upgrade_tasks',
                 'post_upgrade_tasks', 'deploy_steps_tasks')


class FixerError(WorkflowError):
    pass


@dataclasses.dataclass(frozen=True)
class Change:
    path: str
    fixer: str
    task: str

    def __str__(self):
        return '%s: %s (%s)' % (self.path, self.task, self.fixer)


def task_label(task, index):
    """How a task is named in reports: its name, or what its block holds."""
    if task.get('name'):
        return str(task['name'])
    for key in task_lists.BLOCK_KEYS:
        children = task.get(key)
        if children:
            names = [str(child.get('name', '?')) for child in children
                     if isinstance(child, dict)]
            return 'block (%s)' % ', '.join(names)
    return 'task #%d' % (index + 1)


def walk(tasks, visit, path):
    """Call visit(task, label) on every task and block, depth first."""
    if not isinstance(tasks, list):
        raise FixerError('%s: expected a list of tasks, found %s'
                         % (path, type(tasks).__name__))
    for index, task in enumerate(tasks):
        if not isinstance(task, dict):
            raise FixerError('%s: task #%d is a %s, not a mapping'
                             % (path, index + 1, type(task).__name__))
        visit(task, task_label(task, index))
        for key in task_lists.BLOCK_KEYS:
            if key in task:
                walk(task[key], visit, path)


def load_fixers():
    """Every registered fixer, instantiated, in its order."""
    from stevedore import extension
    manager = extension.ExtensionManager(NAMESPACE, invoke_on_load=True,
                                         on_load_failure_callback=_failed)
    return sorted((ext.obj for ext in manager),
                  key=lambda fixer: (fixer.order, fixer.name))


def _failed(manager, entrypoint, exc):
    raise FixerError('task fixer %s could not be loaded: %s'
                     % (entrypoint.name, exc))


def task_files(config_dir):
    """Paths, relative to config_dir, of the task files fixers look at."""
    found = set()
    for pattern in ('*_tasks.yaml', '*_tasks_step*.yaml'):
        found.update(glob.glob(os.path.join(config_dir, pattern)))
    for section in ROLE_SECTIONS:
        for pattern in ('%s.yaml', '%s_step*.yaml'):
            found.update(glob.glob(os.path.join(config_dir, '*',
                                                pattern % section)))
    return sorted(os.path.relpath(path, config_dir) for path in found)


def fix_config(config_dir, fixers, loaded=None):
    """Run every fixer over every task file; rewrite the files changed.

    loaded, a dict, receives each file's tasks as they are now, by path
    relative to config_dir, for the plan compiler to reuse.
    """
    changes = []
    for relative in task_files(config_dir):
        path = os.path.join(config_dir, relative)
        with open(path) as source:
            tasks = yamlfile.load(source)
        if loaded is not None:
            loaded[relative] = tasks
        if tasks is None:
            continue
        found = []
        for fixer in fixers:
            found.extend(Change(relative, fixer.name, label)
                         for label in fixer.fix(tasks, relative))
        if found:
            files.write_private(path, yamlfile.dump(
                tasks, default_flow_style=False))
            changes.extend(found)
    return changes


def commit_message(changes):
    lines = [COMMIT_PREFIX + '%d change(s)' % len(changes), '']
    lines.extend('- %s' % change for change in changes)
    return '\n'.join(lines) + '\n'
