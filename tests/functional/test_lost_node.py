"""One node lost in the middle of a run, on the default lab, whose nodes
each answer at their own address (`tripleo-ffu-lab node stop|start`).

The run is of the fast-forward phase alone (a run without selection, the
shortest: CI time); it runs after test_run and leaves the prepared
config's journal complete, as test_run's resumed runs do. The node is
lost at a known point: a task added to the Compute role's fast-forward
tasks, run on the undercloud when step 3 of pike reaches that node (steps
0-3 run on every node of a role, 4-9 on its first node only),
stops the node's SSH (its sshd instance and its sessions); the task after
it on that node is the first that cannot reach it.
"""

import json
import os

from tripleo_ffu_lab import nodes as lab_nodes
from tripleo_ffu.workflow import run_state
from tests.functional.conftest import BIN
from tests.functional.test_run import _edited
from tests.functional.test_run import _fresh
from tests.functional.test_run import _releases
from tests.functional.test_run import _run

NODE = 'overcloud-novacompute-1'
TASKS = 'Compute/fast_forward_upgrade_tasks.yaml'
WHEN = ['step|int == 3', "release == 'pike'",
        "inventory_hostname == '%s'" % NODE]


def _lose_the_node(lab):
    def edit(tasks):
        return tasks + [
            {'name': 'Lose the node', 'delegate_to': 'undercloud',
             'command': {'argv': [os.path.join(BIN, 'tripleo-ffu-lab'),
                                  '--lab-dir', lab.root, 'node', 'stop',
                                  NODE]},
             'when': WHEN},
            {'name': 'Reach the lost node', 'ping': {}, 'when': WHEN},
        ]
    return edit


def _journal_text(prepared):
    with open(os.path.join(prepared.config_dir, run_state.RUN_DIR,
                           run_state.JOURNAL_FILE)) as source:
        return source.read()


def _ssh(lab):
    return {node['hostname']: node['ssh'] for node in lab.status()['nodes']}


def test_one_node_lost_mid_run_then_back(prepared):
    lab = prepared.lab
    _fresh(prepared)
    addresses = {node['hostname']: node['address']
                 for node in lab.status()['nodes']}
    assert len(set(addresses.values())) == len(addresses) == 5, addresses
    try:
        with _edited(prepared, TASKS, _lose_the_node(lab)):
            failed = _run(prepared, '--yes')
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert 'Traceback' not in failed.stderr
        assert 'FAILED: Reach the lost node on %s (play ffu-pike-3)' % NODE \
            in failed.stdout, failed.stdout
        assert 'task from: %s' % TASKS in failed.stdout
        ssh = _ssh(lab)
        assert ssh.pop(NODE) == 'stopped'
        assert set(ssh.values()) == {'running'}, ssh

        # While it is down: refused before anything runs.
        journal, releases = _journal_text(prepared), _releases(prepared)
        assert json.loads(journal)['status'] == 'failed'
        refused = _run(prepared, '--resume', '--yes')
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert 'Traceback' not in refused.stderr
        assert 'node(s) not answering: %s;' % NODE in refused.stderr
        assert 'nothing was run' in refused.stderr
        assert _journal_text(prepared) == journal
        assert _releases(prepared) == releases
    finally:
        lab.cli('node', 'start', NODE)

    resumed = _run(prepared, '--resume', '--yes')
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert 'Resuming at ffu-pike-3' in resumed.stdout
    assert json.loads(_journal_text(prepared))['status'] == 'complete'
    # The fast-forward phase done on every node: its repositories
    # switched to the target release (ffu-end), its packages not yet.
    report = lab.status()['nodes']
    assert {node['hostname']: lab_nodes.read_file(
        node['root'], 'etc/yum.repos.d/release') for node in report} == {
            hostname: 'queens' for hostname in addresses}
    assert 'queens' not in {node['release'] for node in report}
    nodes = lab.ffu_status(prepared.config_dir)['nodes']
    assert len(nodes) == 5 and all(
        node['left'] == ['upgrade', 'deploy', 'post-upgrade']
        for node in nodes.values()), nodes
