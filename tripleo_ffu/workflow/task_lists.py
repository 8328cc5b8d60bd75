"""Ansible task lists as the stack's files hold them: the keys that make
a task a block, an include or a loop. The fixers and the plan share
them."""

# A block's sections, each a list of tasks.
BLOCK_KEYS = ('block', 'rescue', 'always')
