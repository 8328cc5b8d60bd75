"""The compiled plan runs exactly what the stack's own playbooks run.

For every lab node, the sequence of (task, module, release, step, result)
that Ansible executes (not skipped) is the same under the stack's
playbooks (FFU, then upgrade, deploy and post-upgrade steps, through
ansible-runner) and under `openstack overcloud ffwd-upgrade run` (the
plan, a run per phase), each from a freshly deployed newton.
"""

import os

from tripleo_ffu.workflow import ansible
from tripleo_ffu.workflow import inventory
from tests.functional import conftest
from tests.functional import test_tht

STACK_PLAYBOOKS = ('fast_forward_upgrade_playbook.yaml',
                   'upgrade_steps_playbook.yaml',
                   'deploy_steps_playbook.yaml',
                   'post_upgrade_steps_playbook.yaml')


def _run_stack_playbooks(prepared, log):
    prepared.lab.cli('reset', '--nodes')
    report = prepared.lab.status()
    # The operator's environment (the lab's stackrc: its stand-ins of the
    # nodes' actions), and the recorder.
    env = {name: value for name, value in prepared.lab.env.items()
           if name.startswith('ANSIBLE_')}
    env.update(conftest.recorder_env(log))
    assert env.get('ANSIBLE_ACTION_PLUGINS'), 'no stand-ins: not the lab'
    for playbook in STACK_PLAYBOOKS:
        runner = ansible.run_playbook(
            os.path.join(prepared.config_dir, playbook),
            os.path.join(prepared.config_dir, inventory.INVENTORY_FILE),
            str(log) + '.runner', ssh_key=report['ssh_key'], extra_env=env,
            ident=playbook)
        assert runner.rc == 0, '%s failed: %s' % (playbook, runner.stats)
    assert {node['release'] for node in prepared.lab.status()['nodes']} == {
        'queens'}
    return conftest.executed(log)


def test_plan_executes_what_the_stack_playbooks_execute(prepared, upgraded,
                                                        tmp_path):
    assert upgraded.result.returncode == 0, upgraded.result.stdout[-3000:]
    assert set(upgraded.releases.values()) == {'queens'}
    by_plan = upgraded.executed
    before = upgraded.present_before
    by_stack = _run_stack_playbooks(prepared, tmp_path / 'stack.jsonl')
    # THT's own playbooks went through the lab's stand-ins, in the trees.
    test_tht.check_node_trees(prepared.lab.status())
    # The deploy playbook's undercloud plays (facts, global variables) run
    # on the undercloud too.
    assert sorted(by_stack) == sorted(by_plan) == sorted(
        [node['hostname'] for node in prepared.lab.status()['nodes']] +
        ['undercloud'])
    for host in by_stack:
        assert by_plan[host] == by_stack[host], host
    assert ('Update openstack-keystone to pike', 'copy', 'pike', '6',
            'ok') in by_plan['overcloud-controller-0']
    assert not any(event[0] == 'Update openstack-keystone to pike'
                   for event in by_plan['overcloud-controller-1'])
    # Nothing outside the lab dir, under either.
    assert test_tht.present() <= before, sorted(test_tht.present() - before)
