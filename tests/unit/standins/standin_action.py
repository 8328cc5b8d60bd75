"""An action plugin that runs nothing: the stand-in for every module of
the playbooks under test (command, shell, yum, file, copy, ...).

Test-only. It answers what later tasks read of a result: rc 0, empty
output, a file that does not exist; and for `hiera ... bootstrap_nodeid`
the bootstrap node's own host name, so that the stack's
`is_bootstrap_node` comes out true there only (host var
standin_bootstrap).
"""

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        command = str(self._task.args.get('_raw_params', ''))
        stdout = ''
        if 'bootstrap_nodeid' in command:
            stdout = (task_vars.get('ansible_hostname', '')
                      if task_vars.get('standin_bootstrap') else 'elsewhere')
        return {'changed': False, 'rc': 0, 'stdout': stdout,
                'stdout_lines': [stdout] if stdout else [], 'stderr': '',
                'stat': {'exists': False}, 'results': []}
