"""The check before a run reaches each node where the plays do (issue 23,
item 4): the config dir's host_vars/<node> override a static inventory's
address and port for the plays, and so for the check (real Ansible)."""

import os
import sys

import pytest

from tripleo_ffu.workflow import ansible
from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import reach
from tripleo_ffu.workflow import run
from tripleo_ffu.workflow import yamlfile

NODE = 'overcloud-controller-0'
# A node that answers (Ansible's local connection) and one nobody can
# reach (nothing listens on port 1).
ANSWERS = {'ansible_connection': 'local',
           'ansible_python_interpreter': sys.executable}
LOST = {'ansible_connection': 'ssh', 'ansible_host': '127.0.0.1',
        'ansible_port': 1, 'ansible_python_interpreter': sys.executable}


def _setup(tmp_path, static_vars, host_vars):
    config_dir = str(tmp_path / 'config')
    os.makedirs(os.path.join(config_dir, 'host_vars'), mode=0o700)
    os.chmod(config_dir, 0o700)
    files.write_private(os.path.join(config_dir, 'host_vars', NODE),
                        yamlfile.dump(host_vars))
    static = str(tmp_path / 'elsewhere' / 'inventory.yaml')
    os.makedirs(os.path.dirname(static))
    files.write_private(static, yamlfile.dump({
        'overcloud': {'children': {'Controller': {}}},
        'Controller': {'hosts': {NODE: dict(static_vars)}}}))
    return run.Options(stack='overcloud', config_dir=config_dir,
                       inventory=static, forks=1)


def _play_reaches(options):
    """What a play of the run (a playbook in the config dir) reaches."""
    path = os.path.join(options.config_dir, run.RUN_PLAYBOOK % 'test')
    files.write_private(path, yamlfile.dump([{
        'hosts': 'overcloud', 'gather_facts': False,
        'tasks': [{'ping': {}}]}]))
    runner = ansible.run_playbook(
        path, options.inventory,
        os.path.join(options.config_dir, 'ffu-run', 'runner'), ident='t')
    return runner.rc == 0


@pytest.mark.parametrize('static_vars, host_vars', [
    (LOST, ANSWERS), (ANSWERS, LOST)], ids=['config-answers',
                                            'config-lost'])
def test_the_check_and_the_plays_reach_a_node_at_one_address(
        tmp_path, static_vars, host_vars):
    """The static inventory and the config's host_vars disagree: the
    check and the plays still agree (the config's host_vars win)."""
    options = _setup(tmp_path, static_vars, host_vars)
    said = []
    try:
        reach.ping(options, run.inventory_path(options), said.append)
        checked = True
    except errors.WorkflowError as exc:
        assert 'not answering: %s' % NODE in str(exc)
        checked = False
    assert checked == _play_reaches(options) == (host_vars is ANSWERS)
