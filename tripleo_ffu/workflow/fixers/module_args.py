"""Move command options written beside the module into its `args`.

THT stable/queens writes `warn: false` at task level beside `shell:`
(tripleo-packages' upgrade tasks). `warn` is an option of the command
and shell modules, not a task keyword: Ansible 2.9 then reads two
actions and refuses the whole file ("conflicting action statements:
shell, warn"), so no task of it runs. Under `args:` it means what its
author meant. The same holds for the commands' other options.
"""

from tripleo_ffu.workflow import fixers

COMMAND_MODULES = ('command', 'shell', 'ansible.builtin.command',
                   'ansible.builtin.shell')
COMMAND_OPTIONS = ('warn', 'chdir', 'creates', 'removes', 'executable',
                   'stdin', 'stdin_add_newline', 'strip_empty_ends')


class CommandOptionsUnderArgs:
    name = 'command-args'
    order = 20

    def fix(self, tasks, path):
        changed = []

        def visit(task, label):
            if not any(module in task for module in COMMAND_MODULES):
                return
            misplaced = [key for key in COMMAND_OPTIONS if key in task]
            if not misplaced:
                return
            args = task.get('args')
            if args is None:
                args = task['args'] = {}
            if not isinstance(args, dict):
                raise fixers.FixerError(
                    '%s: task %r has `args` that are a %s, not a mapping'
                    % (path, label, type(args).__name__))
            for key in misplaced:
                value = task.pop(key)
                if key in args and args[key] != value:
                    raise fixers.FixerError(
                        '%s: task %r sets %s both beside the module and in '
                        'its args, to different values: fix the template'
                        % (path, label, key))
                args[key] = value
            changed.append(label)

        fixers.walk(tasks, visit, path)
        return changed
