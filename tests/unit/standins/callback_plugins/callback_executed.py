"""Record every task that ran (not skipped): host, name, release, step.

Test-only: asks Ansible's own variable manager for the variables as the
task saw them. Writes JSON lines to $FFU_EXECUTED_LOG.
"""

import json
import os

from ansible.plugins.callback import CallbackBase
from ansible.template import Templar

NOT_WORK = {'include_tasks', 'include', 'import_tasks', 'meta',
            'gather_facts', 'setup'}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'callback_executed'
    CALLBACK_NEEDS_WHITELIST = True

    def __init__(self):
        super().__init__()
        self._play = None
        self._out = open(os.environ['FFU_EXECUTED_LOG'], 'a')

    def v2_playbook_on_play_start(self, play):
        self._play = play

    def _record(self, result, status):
        task = result._task
        if task.action in NOT_WORK:
            return
        variables = task._variable_manager.get_vars(
            play=self._play, host=result._host, task=task)
        templar = Templar(loader=task._loader, variables=variables)
        seen = {}
        for name in ('release', 'step'):
            value = variables.get(name)
            seen[name] = None if value is None else str(
                templar.template(value))
        self._out.write(json.dumps({
            'host': result._host.get_name(),
            'task': templar.template(task.get_name()),
            'action': task.action, 'status': status, **seen}) + '\n')
        self._out.flush()

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')
