"""Ansible task lists as the stack's files hold them: the keys that make
a task a block, an include or a loop, and what a task sets. The fixers and
the plan share them."""

import os

# A block's sections, each a list of tasks.
BLOCK_KEYS = ('block', 'rescue', 'always')
INCLUDE_KEYS = ('include_tasks', 'include', 'import_tasks')
# What a play runs besides its tasks.
OTHER_PLAY_KEYS = ('roles', 'pre_tasks', 'post_tasks', 'handlers')


def include_key(task):
    for key in INCLUDE_KEYS:
        if key in task:
            return key
    return None


def include_target(task):
    key = include_key(task)
    return None if key is None else task[key]


def loop_key(task):
    for key in task:
        if key == 'loop' or key.startswith('with_'):
            return key
    return None


def static_target(target):
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


def registers(tasks):
    """Whether any task, inside blocks too, registers a variable."""
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        if 'register' in task or any(registers(task.get(key))
                                     for key in BLOCK_KEYS):
            return True
    return False


def set_facts(task):
    """{name: value} a set_fact task sets, in either of its forms."""
    facts = task.get('set_fact')
    if isinstance(facts, str):
        from ansible.parsing.splitter import parse_kv
        facts = parse_kv(facts)
    if not isinstance(facts, dict):
        return {}
    return {name: value for name, value in facts.items()
            if name != 'cacheable'}
