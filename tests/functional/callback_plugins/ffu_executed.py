"""Record every task that ran (not skipped): host, name, release, step.

Test-only. ansible-runner's events carry the task and the host but not
the loop variables (release, step) of the stack's nested includes, so this
callback asks Ansible's own variable manager for them. Writes JSON lines to
$FFU_EXECUTED_LOG.
"""

import json
import os

from ansible.plugins.callback import CallbackBase
from ansible.template import Templar

SKIPPED_ACTIONS = {'include_tasks', 'include', 'import_tasks', 'meta',
                   'gather_facts', 'setup'}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'ffu_executed'
    CALLBACK_NEEDS_WHITELIST = True

    def __init__(self):
        super().__init__()
        self._play = None
        self._out = open(os.environ['FFU_EXECUTED_LOG'], 'a')

    def v2_playbook_on_play_start(self, play):
        self._play = play

    def _record(self, result, status):
        task = result._task
        if task.action in SKIPPED_ACTIONS:
            return
        variables = task._variable_manager.get_vars(
            play=self._play, host=result._host, task=task)
        templar = Templar(loader=task._loader, variables=variables)
        release = variables.get('release')
        step = variables.get('step')
        if release is None and step is None:
            return
        self._out.write(json.dumps({
            'host': result._host.get_name(),
            'task': task.get_name(),
            'release': templar.template(release) if release else None,
            'step': str(templar.template(step)) if step is not None
            else None,
            'status': status,
        }) + '\n')
        self._out.flush()

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')
